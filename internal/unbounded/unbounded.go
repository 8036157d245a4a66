// Package unbounded holds Calla's one unbounded FIFO queue, used wherever a
// producer must never wait for its consumer: the engine's and the
// signaling client's event streams, the media session's inbox and event
// stream, the engine's relay of media signals, and the desktop app's
// action queue. Push never blocks, so a slow or stalled reader can neither
// deadlock a producer (pion's callbacks, a websocket's read pump, an
// owner's loop) nor make it drop anything. Memory is the price: the queue
// grows until the reader catches up.
//
// # Reading
//
// A queue is read one of two ways, never both:
//
//   - by its owner's loop, which selects on Ready and takes everything
//     queued with Drain;
//   - through the channel Out, which a goroutine of the queue feeds in
//     order (started by the first call of Out).
//
// # Ending: the one close policy
//
// Close ends the input: Push refuses from then on (it reports false, so a
// producer knows), and everything pushed before is still delivered; after
// the last item the reader sees the end (Out is closed, Drain reports no
// more). Discard ends the queue now: what has not been delivered is
// dropped, the reader sees the end at once, and when Discard returns the
// queue's goroutine has returned.
//
// Every owner calls Discard when it stops, so that a reader that stopped
// reading holds no goroutine for ever; an owner whose reader should still
// get what is queued calls Close first and gives the reader the time it
// chooses (Delivered says when it has everything).
//
// Concurrency: every method may be called from any goroutine.
package unbounded

import "sync"

// Queue is an unbounded FIFO of T. The zero value is not usable: make one
// with New.
type Queue[T any] struct {
	mu        sync.Mutex
	items     []T
	closed    bool          // Close or Discard: no more pushes
	delivered bool          // Out's goroutine has returned
	started   bool          // Out's goroutine was started
	ready     chan struct{} // 1-buffered: "items changed or the queue ended"

	startOnce sync.Once
	out       chan T
	stopOnce  sync.Once
	stop      chan struct{} // closed by Discard
	done      chan struct{} // closed when the queue has delivered or dropped everything
}

// New returns an empty, open queue.
func New[T any]() *Queue[T] {
	return &Queue[T]{
		ready: make(chan struct{}, 1),
		out:   make(chan T),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
}

// Push appends v without ever blocking. It reports false, and drops v,
// once the queue is closed.
func (q *Queue[T]) Push(v T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.wake()
	return true
}

func (q *Queue[T]) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready has a value when Drain may return something or report the end.
// (A value can be stale: Drain then returns nothing, with more true.)
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Drain takes everything queued, oldest first. more is false once the
// queue is closed: items are then the last ones, and nothing will come
// any more.
func (q *Queue[T]) Drain() (items []T, more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items, q.items = q.items, nil
	more = !q.closed
	if !more && !q.started {
		q.markDone()
	}
	return items, more
}

// markDone closes done once; q.mu is held.
func (q *Queue[T]) markDone() {
	if !q.delivered {
		q.delivered = true
		close(q.done)
	}
}

// Close ends the input: later pushes are refused, and what is queued is
// still delivered before the reader sees the end.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	if len(q.items) == 0 && !q.started {
		q.markDone()
	}
	q.mu.Unlock()
	q.wake()
}

// Discard ends the queue now: it refuses later pushes, drops what has not
// been delivered, and returns once Out's goroutine (if any) has returned,
// Out then being closed.
func (q *Queue[T]) Discard() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	started := q.started
	if !started {
		q.markDone()
	}
	q.mu.Unlock()
	q.stopOnce.Do(func() { close(q.stop) })
	q.wake()
	if started {
		<-q.done
	}
}

// Delivered is closed once the queue has ended and everything pushed
// before has been received (from Out or Drain) or dropped by Discard.
func (q *Queue[T]) Delivered() <-chan struct{} { return q.done }

// Out is the queue as a channel, fed in order by a goroutine of the queue
// that the first call starts. The channel is closed after Close once the
// last item was received, or at Discard.
func (q *Queue[T]) Out() <-chan T {
	q.startOnce.Do(func() {
		q.mu.Lock()
		if q.delivered { // discarded, or closed and empty, before anyone read
			q.mu.Unlock()
			close(q.out)
			return
		}
		q.started = true
		q.mu.Unlock()
		go q.deliver()
	})
	return q.out
}

func (q *Queue[T]) deliver() {
	defer func() {
		close(q.out)
		q.mu.Lock()
		q.markDone()
		q.mu.Unlock()
	}()
	for {
		q.mu.Lock()
		batch := q.items
		q.items = nil
		end := q.closed && len(batch) == 0
		q.mu.Unlock()
		if end {
			return
		}
		for _, v := range batch {
			select {
			case q.out <- v:
			case <-q.stop:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-q.ready:
		case <-q.stop:
			return
		}
	}
}
