package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/cluster"
)

// This file makes a Server one node of a cluster (package cluster moves
// the bytes). One node at a time leads: it runs the machine - the same
// machine, with every call rule, as a single server - on the state it
// loaded from the cluster, and commits each input's changes to the
// cluster's journal before it sends what the input made (as a single
// server does with its data dir). Every node holds websockets: a node that
// does not lead forwards its connections' inputs to the leader, which
// sees each as a remotePeer, and applies what the leader sends them back.
// When the leader changes, every node closes its websockets (close code
// 1012, "service restart"); the clients reconnect, to any node, and
// resume their sessions with the new leader, which restored them with a
// grace period from its takeover.

// closeLeaderChanged is RFC 6455's "service restart": reconnect.
const closeLeaderChanged = 1012

// clusterState is a cluster node's part of the hub. Only the hub
// goroutine touches it.
type clusterState struct {
	node  *cluster.Node
	term  uint64 // the term of the leader this node follows (or is); 0 while none is known
	lead  *cluster.Term
	local map[uint64]*conn // this node's connections by id
	// On the leader: the other nodes' connections, and what to send them
	// at the end of the hub's turn.
	remote  map[remoteID]*remotePeer
	pending map[string][]wireOp
}

type remoteID struct {
	node string
	conn uint64
}

// remotePeer is another node's connection, as the leader's machine sees
// it: what the machine sends it is batched per node and published at the
// end of the hub's turn, in order.
type remotePeer struct {
	h  *hub
	id remoteID
}

func (p *remotePeer) enqueue(b []byte) bool {
	p.h.queueRemote(p.id, wireOp{Conn: p.id.conn, Kind: outSend, Msg: b})
	return true // the node that holds it cuts a slow reader off itself
}

func (p *remotePeer) shut(code int, text string) {
	p.h.queueRemote(p.id, wireOp{Conn: p.id.conn, Kind: outShut, Code: code, Text: text})
}

func (p *remotePeer) loggedIn() {
	p.h.queueRemote(p.id, wireOp{Conn: p.id.conn, Kind: outLoggedIn})
}

// wireIn is an input forwarded to the leader.
type wireIn struct {
	Term uint64          `json:"t"`
	Node string          `json:"n"`
	Conn uint64          `json:"c"`
	Kind inputKind       `json:"k"`
	Msg  json.RawMessage `json:"m,omitempty"` // inRequest: the request as the client sent it
	ID   uint64          `json:"i,omitempty"` // inRefuse
	Code signaling.Code  `json:"x,omitempty"` // inRefuse: the error
	Text string          `json:"e,omitempty"` // inRefuse: the error's message; inClose: the close text
	Shut int             `json:"s,omitempty"` // inRefuse, inClose: the close code
}

// wireOut is what the leader sends one node's connections.
type wireOut struct {
	Term uint64   `json:"t"`
	Ops  []wireOp `json:"o"`
}

type wireOp struct {
	Conn uint64          `json:"c"`
	Kind outKind         `json:"k"`
	Msg  json.RawMessage `json:"m,omitempty"`
	Code int             `json:"x,omitempty"`
	Text string          `json:"e,omitempty"`
}

// clusterHandler posts what the cluster delivers to the hub.
type clusterHandler struct{ s *Server }

func (ch clusterHandler) Input(d []byte)  { ch.s.hub.post(input{kind: inRemote, data: d}) }
func (ch clusterHandler) Output(d []byte) { ch.s.hub.post(input{kind: inOutputs, data: d}) }
func (ch clusterHandler) Leader(term uint64, node string) {
	ch.s.hub.post(input{kind: inLeader, number: term, text: node})
}
func (ch clusterHandler) NodeGone(node string) { ch.s.hub.post(input{kind: inNodeGone, text: node}) }

// joinCluster joins the cluster cfg.Cluster names.
func (s *Server) joinCluster() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := *s.cfg.Cluster
	if c.Logger == nil {
		c.Logger = s.log
	}
	if c.EventsTTL == 0 {
		c.EventsTTL = replayAge + time.Minute
	}
	node, err := cluster.Join(ctx, c, clusterHandler{s})
	if err != nil {
		return err
	}
	s.node = node
	s.metrics.clusterNode(node)
	s.hub.cl = &clusterState{node: node, local: map[uint64]*conn{}}
	return nil
}

// campaign runs for the server's life on a cluster node: it waits to
// lead, loads the state, hands it to the hub, and waits for the term to
// end; then it campaigns again.
func (s *Server) campaign(ctx context.Context) {
	defer close(s.campaignDone)
	for {
		t, err := s.node.Campaign(ctx)
		if err != nil {
			return // ctx ended: the server is shutting down
		}
		st, err := t.Load(ctx)
		if err != nil {
			s.log.Error("could not load the cluster's state; giving the lead up", "term", t.Number, "err", err)
			t.Resign()
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.cfg.Cluster.LeaseTTL):
			}
			continue
		}
		s.hub.post(input{kind: inLead, term: t, state: st})
		select {
		case <-t.Lost():
			s.hub.post(input{kind: inLoseLead, term: t})
			t.Resign()
		case <-ctx.Done():
			// Shutdown: the hub has stopped and the store written what it
			// could; give the lead up so that another node takes it now.
			t.Resign()
			return
		}
	}
}

// lead makes this node the leader: a machine on the loaded state, whose
// commits go to the term's journal.
func (h *hub) lead(t *cluster.Term, st stored) {
	cl := h.cl
	h.dropLocal("this server now leads the cluster; reconnect")
	cl.lead, cl.term = t, t.Number
	cl.remote, cl.pending = map[remoteID]*remotePeer{}, map[string][]wireOp{}
	h.leaderKnown.Store(true)
	h.store = newStore(&journalBackend{t: t}, h.srv.log, h.srv.metrics)
	h.m = h.srv.newMachine(decodeLoaded(st, h.srv.log), true)
	h.gen = 0
	h.srv.metrics.tookOver()
	h.commit()
	t.Serve()
}

// loseLead stops this node's machine: what it held unsent was never
// stored, so it is dropped; the next leader has the stored state.
func (h *hub) loseLead(t *cluster.Term) {
	cl := h.cl
	if cl.lead != t || h.m == nil {
		return
	}
	h.srv.log.Warn("no longer leading the cluster", "term", t.Number)
	h.m.out.drop()
	h.m = nil
	st := h.store
	h.store = nil
	h.srv.bg.Add(1)
	go func() { // its last commit fails at once: the term is over
		defer h.srv.bg.Done()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = st.close(ctx)
	}()
	cl.lead, cl.term = nil, 0
	cl.remote, cl.pending = nil, nil
	h.leaderKnown.Store(false)
	h.srv.metrics.leading(false)
	h.dropLocal("the cluster is changing leaders; reconnect")
}

// leaderIs notes who leads; when that changes, this node's connections
// belonged to the old leader's time and are closed.
func (h *hub) leaderIs(term uint64, node string) {
	cl := h.cl
	if cl == nil || cl.lead != nil || term == cl.term {
		return
	}
	h.srv.log.Info("the cluster's leader", "term", term, "node", node)
	cl.term = term
	h.leaderKnown.Store(term != 0)
	h.dropLocal("the cluster changed leaders; reconnect")
}

// dropLocal closes every connection of this node (their clients
// reconnect and resume).
func (h *hub) dropLocal(why string) {
	for c := range h.all {
		c.shut(closeLeaderChanged, why)
	}
}

// forward sends an input of this node's connection c to the leader.
func (h *hub) forward(c *conn, in input) {
	cl := h.cl
	if cl == nil {
		return
	}
	if cl.term == 0 {
		c.shut(closeLeaderChanged, "the cluster has no leader at the moment; reconnect")
		return
	}
	w := wireIn{Term: cl.term, Node: cl.node.ID(), Conn: c.id, Kind: in.kind, Shut: in.shutCode, Text: in.text}
	switch in.kind {
	case inRequest:
		w.Msg = in.raw
	case inRefuse:
		we := wireError(in.err)
		w.ID, w.Code, w.Text = in.id, we.Code, we.Message
	}
	b, err := json.Marshal(w)
	if err == nil {
		err = cl.node.ToLeader(b)
	}
	if err != nil {
		h.srv.log.Warn("could not forward to the leader", "err", err)
		c.shut(closeLeaderChanged, "lost the cluster's leader; reconnect")
	}
}

// remoteInput applies, on the leader, an input of another node's
// connection.
func (h *hub) remoteInput(data []byte) {
	cl := h.cl
	if cl == nil || h.m == nil {
		return
	}
	var w wireIn
	if err := json.Unmarshal(data, &w); err != nil {
		h.srv.log.Warn("bad input from a node", "err", err)
		return
	}
	if w.Term != cl.term {
		return // a connection of another leader's time, which its node closes
	}
	id := remoteID{w.Node, w.Conn}
	p := cl.remote[id]
	if w.Kind == inOpen {
		if p == nil {
			p = &remotePeer{h: h, id: id}
			cl.remote[id] = p
			h.apply(input{kind: inOpen, c: p})
		}
		return
	}
	if p == nil {
		// Never opened in this term, or its node was taken for dead.
		if w.Kind != inGone {
			h.queueRemote(id, wireOp{Conn: id.conn, Kind: outShut, Code: closeLeaderChanged, Text: "unknown to the cluster's leader; reconnect"})
		}
		return
	}
	in := input{kind: w.Kind, c: p, shutCode: w.Shut, text: w.Text}
	switch w.Kind {
	case inRequest:
		req, payload, err := signaling.DecodeRequest(w.Msg)
		if err != nil {
			in = input{kind: inRefuse, c: p, id: req.ID, err: err}
			break
		}
		in.req, in.payload, in.at = req, payload, time.Now()
	case inRefuse:
		in.id, in.err = w.ID, &signaling.Error{Code: w.Code, Message: w.Text}
	case inGone:
		delete(cl.remote, id)
	case inClose:
	default:
		return
	}
	h.apply(in)
}

// nodeGone detaches, on the leader, the connections of a node that went
// silent: their sessions wait for a resume elsewhere.
func (h *hub) nodeGone(node string) {
	cl := h.cl
	if cl == nil || h.m == nil {
		return
	}
	n := 0
	for id, p := range cl.remote {
		if id.node == node {
			delete(cl.remote, id)
			h.m.disconnected(p)
			n++
		}
	}
	if n > 0 {
		h.srv.log.Warn("a node went silent: its connections' sessions wait for a resume", "node", node, "connections", n)
	}
}

// queueRemote notes op for a connection of node id.node.
func (h *hub) queueRemote(id remoteID, op wireOp) {
	if h.cl == nil || h.cl.pending == nil {
		return
	}
	h.cl.pending[id.node] = append(h.cl.pending[id.node], op)
}

// flushRemote publishes what the hub's turn queued for other nodes: one
// message per node, in order.
func (h *hub) flushRemote() {
	cl := h.cl
	if cl == nil || len(cl.pending) == 0 {
		return
	}
	for node, ops := range cl.pending {
		b, err := json.Marshal(wireOut{Term: cl.term, Ops: ops})
		if err == nil {
			err = cl.node.ToNode(node, b)
		}
		if err != nil {
			h.srv.log.Warn("could not send to a node", "node", node, "err", err)
		}
		delete(cl.pending, node)
	}
}

// applyOutputs applies what the leader sends this node's connections.
func (h *hub) applyOutputs(data []byte) {
	cl := h.cl
	if cl == nil {
		return
	}
	var w wireOut
	if err := json.Unmarshal(data, &w); err != nil {
		h.srv.log.Warn("bad output from the leader", "err", err)
		return
	}
	for _, op := range w.Ops {
		c := cl.local[op.Conn]
		if c == nil {
			continue
		}
		if w.Term != cl.term && op.Kind != outShut {
			continue
		}
		switch op.Kind {
		case outSend:
			if !c.enqueue(op.Msg) {
				// Cut off; its read pump's end tells the leader, which
				// detaches the session.
				c.shut(signaling.CloseSlowConsumer, "too slow reading; resume to get the rest")
			}
		case outShut:
			c.shut(op.Code, op.Text)
		case outLoggedIn:
			c.loggedIn()
		}
	}
}

// journalBackend commits to a leader's term.
type journalBackend struct{ t *cluster.Term }

func (b *journalBackend) commit(ch changes) error {
	list := make([]cluster.Change, 0, len(ch))
	for k, v := range ch {
		list = append(list, cluster.Change{Bucket: k.bucket, Key: k.key, Value: v})
	}
	err := b.t.Commit(context.Background(), list)
	if errors.Is(err, cluster.ErrLeadLost) {
		return fmt.Errorf("%w: %w", errLeadLost, err)
	}
	return err
}

func (b *journalBackend) close() error { return nil }
func (b *journalBackend) where() string {
	return fmt.Sprintf("the cluster's journal (term %d)", b.t.Number)
}

// decodeLoaded turns a cluster's state into what a machine starts from.
// A record that cannot be decoded is logged and skipped.
func decodeLoaded(st stored, log interface {
	Warn(string, ...any)
}) *loadedState {
	ls := &loadedState{dir: map[signaling.UserID]dirEntry{}, groups: map[signaling.GroupID]groupRecord{}, state: st}
	for k, v := range st[bucketUsers] {
		var e dirEntry
		if err := json.Unmarshal(v, &e); err != nil {
			log.Warn("skipping bad directory entry", "user", k, "err", err)
			continue
		}
		ls.dir[signaling.UserID(k)] = e
	}
	for k, v := range st[bucketGroups] {
		var r groupRecord
		if err := json.Unmarshal(v, &r); err != nil {
			log.Warn("skipping bad group", "group", k, "err", err)
			continue
		}
		ls.groups[signaling.GroupID(k)] = r
	}
	return ls
}

// clusterHealth says how this node stands in the cluster, or what is
// wrong: NATS out of reach, or no leader known.
func (s *Server) clusterHealth() (string, error) {
	if err := s.node.Health(); err != nil {
		return "", err
	}
	term, node := s.node.Leader()
	switch {
	case term == 0:
		return "", fmt.Errorf("%w: the cluster has no leader at the moment", ErrUnavailable)
	case node == s.node.ID():
		return fmt.Sprintf("node %s leads the cluster (term %d)", node, term), nil
	}
	return fmt.Sprintf("node %s follows %s (term %d)", s.node.ID(), node, term), nil
}
