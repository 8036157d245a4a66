package signaling

// eventQueue is an unbounded FIFO between the client's producers (the
// read pump, the supervisor) and the consumer of Events. Its goroutine
// owns the buffer; producers never wait on a slow consumer, so the read
// pump keeps reading (and answering pings) however far behind the
// consumer falls. The cost is memory: the queue grows until the consumer
// catches up.
type eventQueue struct {
	in   chan Event
	out  chan Event
	stop chan struct{}
	done chan struct{}
}

func newEventQueue() *eventQueue {
	q := &eventQueue{
		in:   make(chan Event),
		out:  make(chan Event),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go q.run()
	return q
}

// push adds ev; it returns at once (the queue goroutine always receives)
// unless the queue was stopped.
func (q *eventQueue) push(ev Event) {
	select {
	case q.in <- ev:
	case <-q.stop:
	}
}

// closeInput says no more events will come: the queue delivers what it
// holds, then closes out.
func (q *eventQueue) closeInput() { close(q.in) }

// halt stops the queue at once, discarding undelivered events, and waits
// for its goroutine.
func (q *eventQueue) halt() {
	close(q.stop)
	<-q.done
}

func (q *eventQueue) run() {
	defer close(q.done)
	defer close(q.out)
	var buf []Event
	in := q.in
	for {
		if in == nil && len(buf) == 0 {
			return
		}
		var out chan Event
		var head Event
		if len(buf) > 0 {
			out, head = q.out, buf[0]
		}
		select {
		case ev, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			buf = append(buf, ev)
		case out <- head:
			buf[0] = nil
			buf = buf[1:]
		case <-q.stop:
			return
		}
	}
}
