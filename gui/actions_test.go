package gui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// uiQueue stands in for Fyne's UI goroutine: do queues, and the test
// runs what was queued on its own goroutine.
type uiQueue struct {
	ch chan func()
}

func newUIQueue() *uiQueue { return &uiQueue{ch: make(chan func(), 1024)} }

func (q *uiQueue) do(f func()) { q.ch <- f }

// next runs the next queued function, failing the test if none comes.
func (q *uiQueue) next(t *testing.T) {
	t.Helper()
	select {
	case f := <-q.ch:
		f()
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the UI goroutine in 10s")
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestActionQueueRunsInOrderAndReportsOnTheUIGoroutine(t *testing.T) {
	ui := newUIQueue()
	q := newActionQueue(ui.do, quiet)
	defer q.Close(time.Second)

	var mu sync.Mutex
	var ran []string
	var reported []string
	for _, name := range []string{"mute", "unmute", "hangup"} {
		q.Go(name, func(context.Context) error {
			mu.Lock()
			ran = append(ran, name)
			mu.Unlock()
			if name == "unmute" {
				return errors.New("no mic")
			}
			return nil
		}, func(err error) {
			s := name
			if err != nil {
				s += ": " + err.Error()
			}
			reported = append(reported, s)
		})
	}
	for range 3 {
		ui.next(t)
	}
	mu.Lock()
	defer mu.Unlock()
	want(t, "ran", slices.Equal(ran, []string{"mute", "unmute", "hangup"}), true)
	want(t, "reported", slices.Equal(reported, []string{"mute", "unmute: no mic", "hangup"}), true)
}

func TestActionQueueCancel(t *testing.T) {
	ui := newUIQueue()
	q := newActionQueue(ui.do, quiet)
	defer q.Close(time.Second)

	started := make(chan struct{})
	release := make(chan struct{})
	blockerCancel := q.Go("call", func(ctx context.Context) error {
		close(started)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
			return nil
		}
	}, nil)
	<-started
	var queuedRan bool
	queuedCancel := q.Go("queued", func(context.Context) error { queuedRan = true; return nil }, func(err error) {
		if !errors.Is(err, ErrStopped) {
			t.Errorf("a dropped action reports %v, want ErrStopped", err)
		}
	})
	if !queuedCancel() {
		t.Fatal("cancelling an action that had not started reports false")
	}
	ui.next(t) // its done(ErrStopped)
	if blockerCancel() {
		t.Fatal("cancelling a running action reports true")
	}
	close(release)
	done := make(chan struct{})
	q.Go("after", func(context.Context) error { return nil }, func(error) { close(done) })
	ui.next(t)
	<-done
	if queuedRan {
		t.Fatal("a cancelled action ran")
	}
}

func TestActionQueueCloseGivesQueuedActionsTheirGrace(t *testing.T) {
	ui := newUIQueue()
	q := newActionQueue(ui.do, quiet)
	hung := make(chan struct{})
	var hangupRan bool
	q.Go("stuck", func(ctx context.Context) error {
		<-ctx.Done() // only the end of the grace ends it
		close(hung)
		return ctx.Err()
	}, nil)
	q.Go("hangup", func(ctx context.Context) error { hangupRan = true; return nil }, nil)
	q.Close(50 * time.Millisecond)
	<-hung
	if !hangupRan {
		t.Fatal("the hang-up queued before Close did not run")
	}
	// After Close nothing runs, and the caller still hears about it.
	var got error
	q.Go("late", func(context.Context) error { t.Error("ran after Close"); return nil }, func(err error) { got = err })
	ui.next(t)
	if !errors.Is(got, ErrStopped) {
		t.Fatalf("an action after Close reports %v, want ErrStopped", got)
	}
}
