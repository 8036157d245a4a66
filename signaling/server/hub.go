package server

import (
	"sync/atomic"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/cluster"
)

// inputKind says what a hub input is.
type inputKind int

const (
	inOpen    inputKind = iota + 1 // a new connection
	inRequest                      // a decoded request
	inRefuse                       // a message refused before the state machine (bad JSON, too big, rate)
	inGone                         // a connection's read pump ended
	inClose                        // close a connection without a reply (a websocket-level fault)

	// A cluster node's inputs (cluster.go).
	inRemote   // an input of another node's connection, for the leader
	inOutputs  // what the leader sends this node's connections
	inLeader   // who leads the cluster now
	inNodeGone // a node went silent
	inLead     // this node leads: its term and the state it loaded
	inLoseLead // this node no longer leads
)

// input is one thing for the hub to do.
type input struct {
	kind     inputKind
	c        peer // a *conn, or on a cluster's leader a *remotePeer
	req      signaling.Request
	payload  any
	raw      []byte // inRequest: the message as read (a cluster node forwards it)
	id       uint64
	err      error
	shutCode int       // inRefuse: close the connection after the refusal; inClose: the close code
	text     string    // inClose: the close reason; inLeader, inNodeGone: the node
	at       time.Time // inRequest: when the read pump had it
	data     []byte    // inRemote, inOutputs: the message from the other node
	number   uint64    // inLeader: the term
	term     *cluster.Term
	state    stored // inLead: what the term loaded
}

// hub is the one goroutine that owns the state machine and every
// connection's send queue. Read pumps post inputs; the hub applies them in
// order, fires timers, and queues the resulting messages. On a cluster
// node that does not lead, there is no machine: the hub forwards its
// connections' inputs to the leader and applies what the leader sends
// back (cluster.go).
type hub struct {
	srv    *Server
	m      *machine // nil on a cluster node that does not lead
	store  *store   // nil: nothing is persisted and the machine sends at once
	gen    uint64   // the last generation staged
	inbox  chan input
	closer chan string
	force  chan struct{}
	quit   chan struct{}
	done   chan struct{}
	all    map[*conn]struct{} // every open connection, logged in or not

	// A cluster node's (nil maps and zero terms otherwise).
	cl          *clusterState
	leaderKnown atomic.Bool // a node leads (always true without a cluster); serveWS reads it
}

func newHub(srv *Server, m *machine, st *store) *hub {
	h := &hub{
		srv:    srv,
		m:      m,
		store:  st,
		inbox:  make(chan input, 4096),
		closer: make(chan string),
		force:  make(chan struct{}),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		all:    map[*conn]struct{}{},
	}
	h.leaderKnown.Store(m != nil)
	return h
}

// post hands in to the hub; it blocks while the hub is busy (back-pressure
// on the read pumps), never after the hub stopped.
func (h *hub) post(in input) {
	select {
	case h.inbox <- in:
	case <-h.quit:
	}
}

func (h *hub) run() {
	defer close(h.done)
	t := time.NewTimer(time.Hour)
	t.Stop()
	// One ticker pings every connection, instead of one per connection.
	pings := time.NewTicker(pingPeriod)
	defer pings.Stop()
	var armed time.Time
	h.commit() // what restoring the last run's state changed
	for {
		var next time.Time
		ok := false
		if h.m != nil {
			next, ok = h.m.timers.next()
		}
		if ok {
			if !next.Equal(armed) {
				t.Reset(time.Until(next))
				armed = next
			}
		} else if !armed.IsZero() {
			t.Stop()
			armed = time.Time{}
		}
		var stored chan struct{} // the store's wake-ups; nil without a store
		if h.store != nil {
			stored = h.store.notify
		}
		select {
		case in := <-h.inbox:
			h.apply(in)
			h.commit()
		case <-t.C:
			armed = time.Time{}
			if h.m != nil {
				h.m.fire(h.m.now())
				h.commit()
			}
		case <-stored:
			h.release()
		case <-pings.C:
			for c := range h.all {
				c.ping()
			}
		case msg := <-h.closer:
			if h.m == nil {
				for c := range h.all {
					c.shut(websocketCloseGoingAway, "server shutting down")
				}
				break
			}
			h.m.shutdown(msg)
			// Connections not logged in yet; the others the machine has
			// shut, after what it still had for them.
			for c := range h.all {
				if h.m.peers[c] == nil {
					h.m.shut(c, websocketCloseGoingAway, "server shutting down")
				}
			}
			h.commit()
		case <-h.force:
			for c := range h.all {
				_ = c.ws.Close()
			}
		case <-h.quit:
			return
		}
		h.flushRemote()
	}
}

func (h *hub) apply(in input) {
	switch in.kind {
	case inRemote:
		h.remoteInput(in.data)
		return
	case inOutputs:
		h.applyOutputs(in.data)
		return
	case inLeader:
		h.leaderIs(in.number, in.text)
		return
	case inNodeGone:
		h.nodeGone(in.text)
		return
	case inLead:
		h.lead(in.term, in.state)
		return
	case inLoseLead:
		h.loseLead(in.term)
		return
	}
	if c, ok := in.c.(*conn); ok {
		switch in.kind {
		case inOpen:
			h.all[c] = struct{}{}
			h.srv.metrics.conns.Inc()
			if h.cl != nil {
				h.cl.local[c.id] = c
			}
		case inGone:
			if _, ok := h.all[c]; ok {
				delete(h.all, c)
				h.srv.metrics.conns.Dec()
			}
			if h.cl != nil {
				delete(h.cl.local, c.id)
			}
		}
		if h.m == nil {
			h.forward(c, in)
			if in.kind == inGone {
				// Its read pump waits for the close; the leader may be
				// gone, so do not wait for it to say so.
				c.shut(websocketCloseNormal, "")
			}
			return
		}
	}
	switch in.kind {
	case inOpen:
		if h.m.closing {
			h.m.shut(in.c, websocketCloseGoingAway, "server shutting down")
		} else {
			h.m.opened(in.c)
		}
	case inRequest:
		h.m.handle(in.c, in.req, in.payload)
		h.m.metrics.handled(in.req.Type, time.Since(in.at))
	case inRefuse:
		h.m.replyErr(in.c, in.id, in.err)
		if in.shutCode != 0 {
			h.m.detach(in.c)
			h.m.shut(in.c, in.shutCode, wireError(in.err).Message)
		}
	case inClose:
		h.m.detach(in.c)
		h.m.shut(in.c, in.shutCode, in.text)
	case inGone:
		h.m.disconnected(in.c)
	}
}

// commit hands what the last input changed to the store and seals what
// it made the machine send with that generation; then it delivers what
// may go.
func (h *hub) commit() {
	if h.store == nil || h.m == nil {
		return
	}
	if ch := h.m.takeChanges(); ch != nil {
		h.gen = h.store.stage(ch)
	}
	h.m.out.seal(h.gen)
	h.release()
}

// release delivers the held messages whose state is stored. Delivering
// can cut off a slow connection, which detaches its session: that change
// is committed like any other.
func (h *hub) release() {
	if h.store == nil || h.m == nil {
		return
	}
	for {
		msgs := h.m.out.take(h.store.releasable())
		if len(msgs) == 0 {
			return
		}
		for _, o := range msgs {
			h.m.deliver(o)
		}
		if ch := h.m.takeChanges(); ch != nil {
			h.gen = h.store.stage(ch)
			h.m.out.seal(h.gen)
		}
	}
}
