package call

import "sync"

// queue is an unbounded FIFO of events between the engine's loop (the one
// producer) and Events() (the one consumer channel). The loop must never
// block on a slow consumer, and no event may ever be dropped, so the queue
// grows instead; a consumer that stops reading costs memory, not events.
//
// Concurrency: push and close may be called from any goroutine; run is the
// queue's own goroutine, started by newQueue, and it closes out when the
// queue is closed and drained, or when stop is closed.
type queue struct {
	mu     sync.Mutex
	items  []Event
	closed bool
	wake   chan struct{} // 1-buffered: "items changed"
	out    chan Event
	stop   chan struct{}
	done   chan struct{}
}

func newQueue() *queue {
	q := &queue{
		wake: make(chan struct{}, 1),
		out:  make(chan Event),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go q.run()
	return q
}

// push appends ev; it never blocks. Events pushed after close are dropped,
// which only happens while the engine is shutting down.
func (q *queue) push(ev Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close ends the queue: run delivers what is queued, then closes out.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// abort stops delivery now, even if the consumer is not reading, and waits
// for run to return.
func (q *queue) abort() {
	q.close()
	select {
	case <-q.stop:
	default:
		close(q.stop)
	}
	<-q.done
}

func (q *queue) run() {
	defer close(q.done)
	defer close(q.out)
	for {
		q.mu.Lock()
		var batch []Event
		batch, q.items = q.items, nil
		closed := q.closed
		q.mu.Unlock()
		for _, ev := range batch {
			select {
			case q.out <- ev:
			case <-q.stop:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		if closed {
			return
		}
		select {
		case <-q.wake:
		case <-q.stop:
			return
		}
	}
}
