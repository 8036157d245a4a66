package gui

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/calla-rtc/calla/internal/unbounded"
)

// actionTimeout bounds one engine call, so that a server that never
// answers cannot hold up the user's later actions (mute, hang up) for
// ever. The engine has its own, shorter, timeouts; this is the backstop.
const actionTimeout = 30 * time.Second

// runner runs work that may block (engine calls, file writes) off Fyne's UI
// goroutine and hands each result back on it.
type runner interface {
	// Go queues fn. done, when not nil, runs on the UI goroutine with
	// fn's error. cancel stops fn: it reports true when fn had not
	// started and never will (done then gets ErrStopped), false when fn
	// had already started (its context is cancelled) or finished.
	Go(name string, fn func(ctx context.Context) error, done func(error)) (cancel func() bool)
}

// actionQueue is the app's runner: one worker goroutine runs actions one
// at a time in the order they were queued, so the engine sees the user's
// actions in the order the user made them (mute then unmute never
// arrives as unmute then mute). The queue is internal/unbounded's:
// actions come from clicks and events, a handful per second at most, and
// queuing one must never block the UI goroutine.
//
// Concurrency: the worker goroutine is owned by the queue; Close stops it
// and waits for it. An action's started and dropped flags are guarded by
// mu.
type actionQueue struct {
	do  func(func()) // runs a function on the UI goroutine (fyne.Do)
	log *slog.Logger

	base     context.Context
	stopBase context.CancelFunc

	q    *unbounded.Queue[*action]
	mu   sync.Mutex
	done chan struct{} // closed when the worker has returned
}

type action struct {
	name    string
	fn      func(ctx context.Context) error
	done    func(error)
	ctx     context.Context
	cancel  context.CancelFunc
	started bool // guarded by actionQueue.mu
	dropped bool // guarded by actionQueue.mu
}

func newActionQueue(do func(func()), log *slog.Logger) *actionQueue {
	base, stop := context.WithCancel(context.Background())
	q := &actionQueue{
		do: do, log: log, base: base, stopBase: stop,
		q:    unbounded.New[*action](),
		done: make(chan struct{}),
	}
	go q.work()
	return q
}

// Go implements runner.
func (q *actionQueue) Go(name string, fn func(ctx context.Context) error, done func(error)) func() bool {
	ctx, cancel := context.WithTimeout(q.base, actionTimeout)
	a := &action{name: name, fn: fn, done: done, ctx: ctx, cancel: cancel}
	if !q.q.Push(a) {
		cancel()
		q.log.Debug("action not run: app is stopping", "action", name)
		q.finish(a, ErrStopped)
		return func() bool { return true }
	}
	return func() bool {
		q.mu.Lock()
		if !a.started && !a.dropped {
			a.dropped = true
			q.mu.Unlock()
			a.cancel()
			q.finish(a, ErrStopped)
			return true
		}
		q.mu.Unlock()
		a.cancel()
		return false
	}
}

func (q *actionQueue) work() {
	defer close(q.done)
	for range q.q.Ready() {
		batch, more := q.q.Drain()
		for _, a := range batch {
			q.mu.Lock()
			run := !a.dropped
			a.started = true
			q.mu.Unlock()
			if !run {
				continue
			}
			err := a.fn(a.ctx)
			a.cancel()
			if err != nil {
				q.log.Info("action failed", "action", a.name, "err", err)
			}
			q.finish(a, err)
		}
		if !more {
			return
		}
	}
}

func (q *actionQueue) finish(a *action, err error) {
	if a.done != nil {
		done := a.done
		q.do(func() { done(err) })
	}
}

// Close stops taking actions, lets the queued ones run for up to grace
// (a hang-up queued as the window closes should still reach the server),
// then cancels whatever is left and waits for the worker to return.
func (q *actionQueue) Close(grace time.Duration) {
	q.q.Close()
	t := time.AfterFunc(grace, q.stopBase)
	<-q.done
	t.Stop()
	q.stopBase()
}
