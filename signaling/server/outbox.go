package server

import "github.com/calla-rtc/calla/signaling"

// outbox holds what the machine sends (replies, events, closes) until the
// state that produced it is stored: a client is never told of a call, an
// event number or a session that a crash right after would forget. Only
// the hub goroutine touches it.
//
// Each message is sealed with the commit generation of the input that
// made it (or of the last commit before, for an input that changed
// nothing); the hub delivers messages in order, from the front, as their
// generations become durable. One queue for every connection keeps each
// connection's messages in order, and a reply that changed nothing waits
// only for the commit already in flight.
type outbox struct {
	q      []outMsg
	sealed int // q[:sealed] have their generation
}

type outKind uint8

const (
	outSend outKind = iota + 1
	outShut
	outLoggedIn
)

type outMsg struct {
	gen  uint64
	p    peer
	kind outKind
	b    []byte
	code int
	text string
}

func (o *outbox) add(m outMsg) { o.q = append(o.q, m) }

// seal gives gen to every message added since the last seal.
func (o *outbox) seal(gen uint64) {
	for i := o.sealed; i < len(o.q); i++ {
		o.q[i].gen = gen
	}
	o.sealed = len(o.q)
}

// take removes and returns the sealed messages whose generation is at
// most durable, from the front.
func (o *outbox) take(durable uint64) []outMsg {
	n := 0
	for n < o.sealed && o.q[n].gen <= durable {
		n++
	}
	if n == 0 {
		return nil
	}
	out := make([]outMsg, n)
	copy(out, o.q[:n])
	clear(o.q[:n])
	o.q = o.q[n:]
	o.sealed -= n
	return out
}

// drop forgets every held message (a node that lost its lead: what it
// held was never stored, so it was never true).
func (o *outbox) drop() {
	clear(o.q)
	o.q, o.sealed = nil, 0
}

// send queues b on p; a peer whose queue is full is cut off (its session
// keeps its events and can resume). With a store, b waits in the outbox.
func (m *machine) send(p peer, b []byte) {
	if m.out != nil {
		m.out.add(outMsg{p: p, kind: outSend, b: b})
		return
	}
	m.deliver(outMsg{p: p, kind: outSend, b: b})
}

// shut closes p after what was sent to it.
func (m *machine) shut(p peer, code int, text string) {
	if m.out != nil {
		m.out.add(outMsg{p: p, kind: outShut, code: code, text: text})
		return
	}
	p.shut(code, text)
}

// loggedIn tells p that it belongs to a session now.
func (m *machine) loggedIn(p peer) {
	if m.out != nil {
		m.out.add(outMsg{p: p, kind: outLoggedIn})
		return
	}
	p.loggedIn()
}

// deliver hands one message to its connection.
func (m *machine) deliver(o outMsg) {
	switch o.kind {
	case outSend:
		if !o.p.enqueue(o.b) {
			m.log.Warn("dropping slow connection", "user", m.userOf(o.p))
			o.p.shut(signaling.CloseSlowConsumer, "too slow reading; resume to get the rest")
			m.detach(o.p)
		}
	case outShut:
		o.p.shut(o.code, o.text)
	case outLoggedIn:
		o.p.loggedIn()
	}
}
