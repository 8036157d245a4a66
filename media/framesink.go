package media

import (
	"image"
	"sync"

	"github.com/calla-rtc/calla/media/internal/yuv"
)

// FrameSink receives decoded video frames, already converted to RGBA.
//
// The decoder calls OfferFrame on its own goroutine and never waits for
// the renderer: OfferFrame must return at once (the renderer, if busy,
// drops or replaces the frame). Buffer ownership: the *image.RGBA belongs
// to the sink from the moment it is offered until the sink calls release;
// after release the decoder reuses its memory for a later frame. A sink
// that keeps the image for longer (a paused screen) copies it first.
// release may be called from any goroutine, at most once.
type FrameSink interface {
	OfferFrame(img *image.RGBA, release func())
}

// FrameSinkFunc adapts a function to FrameSink.
type FrameSinkFunc func(img *image.RGBA, release func())

// OfferFrame calls f.
func (f FrameSinkFunc) OfferFrame(img *image.RGBA, release func()) { f(img, release) }

// LatestFrame is a one-slot mailbox FrameSink: a new frame replaces (and
// releases) the one the renderer has not taken yet, so a slow screen
// never backs up the decoder. The renderer calls Take when it is ready to
// draw, and Release when it is done with what Take returned.
type LatestFrame struct {
	mu      sync.Mutex
	img     *image.RGBA
	release func()
	notify  chan struct{}
	dropped uint64
}

// NewLatestFrame returns an empty mailbox.
func NewLatestFrame() *LatestFrame { return &LatestFrame{notify: make(chan struct{}, 1)} }

// OfferFrame implements FrameSink.
func (l *LatestFrame) OfferFrame(img *image.RGBA, release func()) {
	l.mu.Lock()
	old := l.release
	if old != nil {
		l.dropped++
	}
	l.img, l.release = img, release
	l.mu.Unlock()
	if old != nil {
		old()
	}
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

// Ready has a value when a frame is waiting (a renderer selects on it).
func (l *LatestFrame) Ready() <-chan struct{} { return l.notify }

// Take returns the waiting frame and its release func, or nil if none.
// The caller owns the image until it calls release.
func (l *LatestFrame) Take() (*image.RGBA, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	img, rel := l.img, l.release
	l.img, l.release = nil, nil
	if rel == nil {
		rel = func() {}
	}
	return img, rel
}

// Dropped is how many frames were replaced before the renderer took them.
func (l *LatestFrame) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// rgbaPool hands out RGBA buffers of one size for frames in flight to a
// sink. A buffer comes back when the sink releases it.
type rgbaPool struct {
	mu   sync.Mutex
	free []*image.RGBA
}

func (p *rgbaPool) get() *image.RGBA {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		img := p.free[n-1]
		p.free = p.free[:n-1]
		return img
	}
	return nil
}

func (p *rgbaPool) put(img *image.RGBA) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < 4 {
		p.free = append(p.free, img)
	}
}

// offer converts src into a pooled buffer and offers it to sink.
func (p *rgbaPool) offer(sink FrameSink, src *image.YCbCr) {
	img := yuv.ToRGBA(p.get(), src)
	var once sync.Once
	sink.OfferFrame(img, func() { once.Do(func() { p.put(img) }) })
}
