package media

import "sync"

// unbounded is a FIFO whose Push never blocks: pion's callbacks and the
// session loop push into it without ever waiting for a consumer, so a slow
// consumer can neither deadlock pion nor make the session drop anything.
// Memory is the price; the producers here are bounded by the media rate.
type unbounded[T any] struct {
	mu     sync.Mutex
	items  []T
	ready  chan struct{} // has a token while items is non-empty
	closed bool
}

func newUnbounded[T any]() *unbounded[T] {
	return &unbounded[T]{ready: make(chan struct{}, 1)}
}

// Push appends v; it reports false once the queue is closed.
func (q *unbounded[T]) Push(v T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, v)
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// Ready has a value when Drain would return something.
func (q *unbounded[T]) Ready() <-chan struct{} { return q.ready }

// Drain takes everything queued, oldest first.
func (q *unbounded[T]) Drain() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = nil
	return out
}

// Close refuses further pushes; what is queued can still be drained.
func (q *unbounded[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// eventStream turns an unbounded queue into the session's Events channel:
// one goroutine owns delivery, in order, and closes the channel after the
// queue is closed and everything queued was delivered.
type eventStream struct {
	q    *unbounded[Event]
	out  chan Event
	done chan struct{}
}

func newEventStream() *eventStream {
	e := &eventStream{q: newUnbounded[Event](), out: make(chan Event), done: make(chan struct{})}
	go e.run()
	return e
}

func (e *eventStream) run() {
	defer close(e.done)
	defer close(e.out)
	for range e.q.Ready() {
		batch := e.q.Drain()
		for _, ev := range batch {
			e.out <- ev
		}
		e.q.mu.Lock()
		finished := e.q.closed && len(e.q.items) == 0
		e.q.mu.Unlock()
		if finished {
			return
		}
	}
}

func (e *eventStream) emit(ev Event) { e.q.Push(ev) }

// close ends the stream once what is queued has been read.
func (e *eventStream) close() { e.q.Close() }
