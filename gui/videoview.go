package gui

import (
	"image"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/canvas"

	"github.com/calla-rtc/calla/call"
)

// minRedraw is the shortest time between two redraws of one video view:
// about one display frame. Frames that arrive faster replace the one
// waiting to be drawn.
const minRedraw = 16 * time.Millisecond

// videoView shows one video: it is the call.VideoSink the engine writes
// frames into and the canvas.Image that shows them.
//
// OfferFrame keeps only the newest frame and schedules at most one redraw
// at a time on the UI goroutine, no sooner than minRedraw after the last,
// so a slow UI drops frames instead of queueing them and the engine's
// media goroutine never blocks. A frame that is replaced before it is
// drawn is released at once; a drawn frame is released when the next one
// takes its place on screen (Fyne reads the image when it paints), so the
// decoder gets its buffers back and allocates none per frame. The frame goes to Fyne as the *image.RGBA
// it arrived as, with ImageScaleFastest: Fyne uploads an RGBA image as is
// and lets the GPU scale it (feasibility.md §4: a third of a core for
// 720p30; smooth scaling or YCbCr costs 1.5-3x that).
//
// Concurrency: OfferFrame runs on the engine's media goroutine; next and
// nextRelease are guarded by mu; shownRelease is the UI goroutine's; pending and last are atomic; Image is touched only on
// the UI goroutine (in draw).
type videoView struct {
	Image *canvas.Image
	do    func(func()) // runs on the UI goroutine (fyne.Do)
	// onFirstFrame, when set, runs on the UI goroutine when a frame shows
	// where there was none: the tile then swaps its avatar for the video.
	onFirstFrame func()

	mu          sync.Mutex
	next        *image.RGBA
	nextRelease func()
	// shownRelease gives back the frame on screen; on the UI goroutine.
	shownRelease func()

	pending atomic.Bool  // a redraw is scheduled
	last    atomic.Int64 // UnixNano of the last redraw
	frames  atomic.Int64 // frames received
	drawn   atomic.Int64 // frames drawn
}

var _ call.VideoSink = (*videoView)(nil)

func newVideoView(do func(func())) *videoView {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleFastest
	return &videoView{Image: img, do: do}
}

// WriteFrame offers a frame that needs no release (tests, the demo).
func (v *videoView) WriteFrame(img *image.RGBA) { v.OfferFrame(img, nil) }

// OfferFrame implements call.VideoSink.
func (v *videoView) OfferFrame(img *image.RGBA, release func()) {
	if img == nil {
		if release != nil {
			release()
		}
		return
	}
	v.frames.Add(1)
	v.mu.Lock()
	dropped := v.nextRelease
	v.next, v.nextRelease = img, release
	v.mu.Unlock()
	if dropped != nil {
		dropped() // replaced before it was drawn
	}
	if !v.pending.CompareAndSwap(false, true) {
		return // the scheduled redraw will take this frame
	}
	wait := minRedraw - time.Duration(time.Now().UnixNano()-v.last.Load())
	if wait <= 0 {
		v.do(v.draw)
		return
	}
	time.AfterFunc(wait, func() { v.do(v.draw) })
}

// draw shows the newest frame; on the UI goroutine.
func (v *videoView) draw() {
	v.last.Store(time.Now().UnixNano())
	// Cleared before taking the frame: a frame written from here on
	// schedules a redraw of its own (which finds nothing if this one took
	// it), so no frame is left waiting without a redraw.
	v.pending.Store(false)
	v.mu.Lock()
	img, release := v.next, v.nextRelease
	v.next, v.nextRelease = nil, nil
	v.mu.Unlock()
	if img == nil {
		return
	}
	v.drawn.Add(1)
	first := v.Image.Image == nil
	v.Image.Image = img
	v.Image.Refresh()
	v.releaseShown()
	v.shownRelease = release
	if first && v.onFirstFrame != nil {
		v.onFirstFrame()
	}
}

// HasFrame reports whether a frame has been drawn; on the UI goroutine.
func (v *videoView) HasFrame() bool { return v.Image.Image != nil }

// clear forgets the shown frame (the video stopped); on the UI goroutine.
func (v *videoView) clear() {
	if v.Image.Image != nil {
		v.Image.Image = nil
		v.Image.Refresh()
	}
	v.releaseShown()
}

func (v *videoView) releaseShown() {
	if v.shownRelease != nil {
		v.shownRelease()
		v.shownRelease = nil
	}
}
