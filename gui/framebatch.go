package gui

import (
	"sync"
	"time"
)

// videoFramePeriod is how often the video views redraw at most, together:
// 30 frames a second, the camera's rate. The package's tests set it to
// zero, so that a frame offered is drawn at once.
var videoFramePeriod = 33 * time.Millisecond

// frameBatcher runs the redraws of every video view of the window in one
// call on the UI goroutine, at most once per period. Each redraw makes
// Fyne paint the whole window; two videos at 30 fps, each redrawing on
// its own, cost up to 60 paints a second, and painting is the bulk of the
// app's CPU where the GPU is software (measured under Xvfb: the llvmpipe
// threads took three times the app's own). Batched, they cost 30.
//
// Concurrency: run is called from any goroutine (the views' media
// goroutines); the batch runs through do on the UI goroutine.
type frameBatcher struct {
	do     func(func())
	period time.Duration

	mu      sync.Mutex
	pending []func()
	armed   bool
	last    time.Time
}

func newFrameBatcher(do func(func()), period time.Duration) *frameBatcher {
	return &frameBatcher{do: do, period: period}
}

// run queues f for the next batch and makes sure one is scheduled.
func (b *frameBatcher) run(f func()) {
	b.mu.Lock()
	b.pending = append(b.pending, f)
	if b.armed {
		b.mu.Unlock()
		return
	}
	b.armed = true
	wait := b.period - time.Since(b.last)
	b.mu.Unlock()
	if wait <= 0 {
		b.flush()
		return
	}
	time.AfterFunc(wait, b.flush)
}

func (b *frameBatcher) flush() {
	b.mu.Lock()
	fs := b.pending
	b.pending, b.armed, b.last = nil, false, time.Now()
	b.mu.Unlock()
	b.do(func() {
		for _, f := range fs {
			f()
		}
	})
}
