package call

import (
	"errors"
	"sync/atomic"

	"github.com/calla-rtc/calla/internal/unbounded"
	"github.com/calla-rtc/calla/media"
)

// errNoSession tells work queued for a call's media that the session
// could not be made.
var errNoSession = errors.New("call: the call has no media session")

// callMedia runs one call's media session off the engine's loop. Every
// call into the session (making it, which opens the speaker; starting
// capture, which opens the microphone and camera; adding and removing
// peers; applying signals; muting; closing) is queued here and runs in
// order on the worker's goroutine, so the loop never waits on a device or
// on pion, and the session sees the engine's requests in the order the
// loop made them. Results the loop needs come back to it through post.
//
// Concurrency: open, do and close are called on the loop; run is the
// worker's goroutine, tracked by the engine's WaitGroup; s and openErr
// belong to it.
type callMedia struct {
	e       *Engine
	q       *unbounded.Queue[func()]
	ended   atomic.Bool   // close was called: skip what is still queued
	closed  chan struct{} // closed once the session is closed and run returned
	s       *media.Session
	openErr error
	// custom is s once it has started with a custom source: frames the
	// app writes go straight to it (Engine.SendEncodedFrame).
	custom atomic.Pointer[media.Session]
}

// newCallMedia starts the worker of a new call's media. prev is closed
// when the previous call's session has released the devices; the new
// session is not made before.
func (e *Engine) newCallMedia(prev <-chan struct{}) *callMedia {
	cm := &callMedia{e: e, q: unbounded.New[func()](), closed: make(chan struct{})}
	e.wg.Add(1)
	go cm.run(prev)
	return cm
}

func (cm *callMedia) run(prev <-chan struct{}) {
	defer cm.e.wg.Done()
	defer close(cm.closed)
	select {
	case <-prev:
	case <-cm.e.ctx.Done():
	}
	for range cm.q.Ready() {
		fs, more := cm.q.Drain()
		for _, f := range fs {
			f()
		}
		if !more {
			return
		}
	}
}

// open makes the session with cfg (it opens the speaker) and gives it
// sink for the local preview; then runs on the loop with the session's
// events, or the error.
func (cm *callMedia) open(cfg media.Config, sink VideoSink, then func(events <-chan media.Event, err error)) {
	cm.q.Push(func() {
		if cm.ended.Load() {
			return
		}
		s, err := media.NewSession(cfg)
		if err != nil {
			cm.openErr = err
			cm.e.post(func() { then(nil, err) })
			return
		}
		cm.s = s
		if sink != nil {
			s.SetLocalSink(sink)
		}
		events := s.Events()
		cm.e.post(func() { then(events, nil) })
	})
}

// do runs f on the session, in order with everything queued before; then,
// if not nil, runs on the loop with f's result. Once the call has ended,
// queued work is skipped and then does not run.
func (cm *callMedia) do(f func(*media.Session) error, then func(error)) {
	cm.q.Push(func() {
		if cm.ended.Load() {
			return
		}
		var err error
		switch {
		case cm.s != nil:
			err = f(cm.s)
		case cm.openErr != nil:
			err = cm.openErr
		default:
			err = errNoSession
		}
		if then != nil {
			cm.e.post(func() { then(err) })
		}
	})
}

// close ends the call's media: what is still queued is skipped, the
// session is closed (devices released, peers closed, its goroutines
// stopped), and the worker returns; closed says when.
func (cm *callMedia) close() {
	cm.ended.Store(true)
	cm.custom.Store(nil)
	cm.q.Push(func() {
		if cm.s != nil {
			if err := cm.s.Close(); err != nil {
				cm.e.log.Warn("closing the media session", "err", err)
			}
		}
	})
	cm.q.Close()
}
