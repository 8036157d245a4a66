package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for Config's zero fields.
const (
	DefaultPrefix    = "calla"
	DefaultReplicas  = 3
	DefaultLeaseTTL  = 3 * time.Second
	DefaultHeartbeat = 500 * time.Millisecond
)

// Buckets are the key-value buckets of the state, one per kind of
// record (the server's names).
var Buckets = []string{"users", "groups", "sessions", "calls", "events"}

// EventsBucket holds each session's recent events: they only need to
// outlive a resume, so they age out instead of being deleted.
const EventsBucket = "events"

// nameRule is what a node name and a prefix may hold: one NATS subject
// token that is also valid in stream and bucket names.
var nameRule = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckName says whether s may name a node or a prefix: one NATS subject
// token that is also valid in stream and bucket names.
func CheckName(s string) error {
	if !nameRule.MatchString(s) {
		return fmt.Errorf("%q: use 1 to 64 letters, digits, '_' or '-'", s)
	}
	return nil
}

// Config configures Join.
type Config struct {
	// URLs are NATS servers of the cluster (nats://host:4222); the client
	// connects to one and fails over to the others.
	URLs []string
	// Node names this node, unique in the cluster: letters, digits, '_'
	// and '-'.
	Node string
	// Prefix namespaces the subjects, streams and buckets, so that
	// several Calla clusters can share one NATS (default "calla").
	Prefix string
	// Replicas is how many JetStream servers keep each stream (default
	// 3; 1 for a NATS of one server).
	Replicas int
	// Memory keeps the streams in the NATS servers' memory instead of on
	// their disks (tests).
	Memory bool
	// LeaseTTL is how long the leader's lease lasts without a renewal:
	// the time a dead leader's calls wait for another node (default 3 s).
	LeaseTTL time.Duration
	// Heartbeat is how often each node says it lives (default 500 ms). A
	// node silent for LeaseTTL is taken for dead.
	Heartbeat time.Duration
	// EventsTTL is how long a stored event is kept (the server's replay
	// age, plus a margin).
	EventsTTL time.Duration
	// Logger gets the node's logs; nil means slog.Default().
	Logger *slog.Logger
	// Options are extra NATS connection options (credentials, TLS).
	Options []nats.Option
}

// Handler gets what arrives for a node. NATS's goroutines call it; its
// methods must not block for long.
type Handler interface {
	// Input is a message to the leader (only while this node leads).
	Input(data []byte)
	// Output is a message from the leader to this node.
	Output(data []byte)
	// Leader says who leads now; term 0 means nobody is known to.
	Leader(term uint64, node string)
	// NodeGone says that a node has not been heard of for a lease.
	NodeGone(node string)
}

// Node is this server's membership of the cluster.
type Node struct {
	cfg Config
	log *slog.Logger
	nc  *nats.Conn
	js  jetstream.JetStream
	h   Handler

	lease   jetstream.KeyValue
	kv      map[string]jetstream.KeyValue
	journal jetstream.Stream

	sent, received atomic.Uint64 // cross-node messages

	mu      sync.Mutex
	term    *Term // while leading
	leader  heard // the leader as heard
	nodes   map[string]time.Time
	inSub   *nats.Subscription
	closing bool

	quit chan struct{}
	done chan struct{}
}

type heard struct {
	term uint64
	node string
	at   time.Time
}

// heartbeat is what a node says on PREFIX.hb.
type heartbeat struct {
	Node string `json:"node"`
	Term uint64 `json:"term,omitempty"` // the term it leads, if any
}

// Join connects to NATS, makes the streams and buckets if they are
// missing, and starts heartbeating. h gets what arrives for this node.
func Join(ctx context.Context, cfg Config, h Handler) (*Node, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = DefaultReplicas
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.EventsTTL <= 0 {
		cfg.EventsTTL = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch {
	case len(cfg.URLs) == 0:
		return nil, errors.New("cluster: no NATS URL")
	}
	if err := CheckName(cfg.Node); err != nil {
		return nil, fmt.Errorf("cluster: node name: %w", err)
	}
	if err := CheckName(cfg.Prefix); err != nil {
		return nil, fmt.Errorf("cluster: prefix: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.Node), h: h, kv: map[string]jetstream.KeyValue{}, nodes: map[string]time.Time{},
		quit: make(chan struct{}), done: make(chan struct{})}
	opts := append([]nats.Option{
		nats.Name("calla " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { n.log.Warn("NATS connection lost", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { n.log.Info("NATS connection back", "server", c.ConnectedUrlRedacted()) }),
		// Core NATS drops messages for a subscriber that falls too far
		// behind (a leader swamped with inputs): say so, loudly; the
		// clients whose requests were lost get no reply and time out.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			n.log.Error("NATS: messages lost", "subject", subject, "err", err)
		}),
	}, cfg.Options...)
	var err error
	if n.nc, err = nats.Connect(joinURLs(cfg.URLs), opts...); err != nil {
		return nil, fmt.Errorf("cluster: connect to NATS: %w", err)
	}
	if err := n.setup(ctx); err != nil {
		n.nc.Close()
		return nil, err
	}
	if _, err := n.nc.Subscribe(n.subject("out", cfg.Node), func(m *nats.Msg) {
		n.received.Add(1)
		h.Output(m.Data)
	}); err != nil {
		n.nc.Close()
		return nil, fmt.Errorf("cluster: subscribe: %w", err)
	}
	if _, err := n.nc.Subscribe(n.subject("hb"), n.onHeartbeat); err != nil {
		n.nc.Close()
		return nil, fmt.Errorf("cluster: subscribe: %w", err)
	}
	if err := n.nc.FlushWithContext(ctx); err != nil {
		n.nc.Close()
		return nil, fmt.Errorf("cluster: NATS: %w", err)
	}
	go n.heartbeats()
	return n, nil
}

func joinURLs(urls []string) string {
	out := ""
	for i, u := range urls {
		if i > 0 {
			out += ","
		}
		out += u
	}
	return out
}

// setup makes (or updates) the journal stream and the buckets.
func (n *Node) setup(ctx context.Context) error {
	var err error
	if n.js, err = jetstream.New(n.nc); err != nil {
		return fmt.Errorf("cluster: JetStream: %w", err)
	}
	storage := jetstream.FileStorage
	if n.cfg.Memory {
		storage = jetstream.MemoryStorage
	}
	// The journal: short, since the materializer purges what it copied.
	err = n.placed(ctx, "the journal stream", func(ctx context.Context) (err error) {
		n.journal, err = n.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        n.cfg.Prefix + "_journal",
			Description: "Calla: the leader's committed changes not yet copied into the buckets",
			Subjects:    []string{n.subject("journal")},
			Storage:     storage,
			Replicas:    n.cfg.Replicas,
			Discard:     jetstream.DiscardNew,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster: journal stream (does the NATS cluster run JetStream with %d servers?): %w", n.cfg.Replicas, err)
	}
	err = n.placed(ctx, "the lease bucket", func(ctx context.Context) (err error) {
		n.lease, err = n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: n.cfg.Prefix + "_nodes", Description: "Calla: the leader's lease",
			History: 1, TTL: n.cfg.LeaseTTL, Storage: storage, Replicas: n.cfg.Replicas,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster: lease bucket: %w", err)
	}
	for _, b := range Buckets {
		c := jetstream.KeyValueConfig{Bucket: n.cfg.Prefix + "_" + b, Description: "Calla: " + b, History: 1, Storage: storage, Replicas: n.cfg.Replicas}
		if b == EventsBucket {
			c.TTL = n.cfg.EventsTTL
		}
		if err := n.placed(ctx, "bucket "+c.Bucket, func(ctx context.Context) (err error) {
			n.kv[b], err = n.js.CreateOrUpdateKeyValue(ctx, c)
			return err
		}); err != nil {
			return fmt.Errorf("cluster: bucket %s: %w", c.Bucket, err)
		}
	}
	return nil
}

// setupWait is how long a node keeps trying to make a stream or bucket
// while JetStream cannot do it yet.
const setupWait = 30 * time.Second

// firstAttempt is how long the first try of a JetStream request may wait
// for its answer; each try that times out gives the next twice as long.
const firstAttempt = 5 * time.Second

// placed runs create until JetStream has made what it makes, through what
// a NATS cluster goes through while a server is away or the machine is
// loaded, for up to setupWait:
//   - "no suitable peers for placement" (10005) and "JetStream system
//     temporarily unavailable" (10008): a server is restarting, or its
//     heartbeats are late, or the meta group is electing a leader;
//   - no answer: a request can go unanswered while the meta group
//     changes leader, and without a bound on each try the node would
//     spend its whole start-up waiting on one.
//
// create is create-or-update, so a try whose answer was lost is harmless
// to repeat.
func (n *Node) placed(ctx context.Context, what string, create func(context.Context) error) error {
	deadline := time.Now().Add(setupWait)
	attempt := firstAttempt
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := create(actx)
		cancel()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		var api *jetstream.APIError
		switch {
		case errors.As(err, &api) && (api.ErrorCode == jsNoPeersForPlacement || api.ErrorCode == jsClusterNotAvailable):
		case errors.Is(err, context.DeadlineExceeded):
			attempt *= 2
		default:
			return err
		}
		n.log.Warn("waiting for the NATS cluster to make "+what, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// JetStream's error codes for a cluster that cannot do it yet: "no
// suitable peers for placement" and "JetStream system temporarily
// unavailable".
const (
	jsNoPeersForPlacement jetstream.ErrorCode = 10005
	jsClusterNotAvailable jetstream.ErrorCode = 10008
)

// StreamNames are the JetStream streams of the cluster named prefix: the
// journal, and the streams under the lease bucket and the state's buckets.
func StreamNames(prefix string) []string {
	names := []string{prefix + "_journal", "KV_" + prefix + "_nodes"}
	for _, b := range Buckets {
		names = append(names, "KV_"+prefix+"_"+b)
	}
	return names
}

func (n *Node) subject(parts ...string) string {
	s := n.cfg.Prefix
	for _, p := range parts {
		s += "." + p
	}
	return s
}

// ID is this node's name.
func (n *Node) ID() string { return n.cfg.Node }

// Messages returns how many messages this node sent to and received from
// other nodes (inputs and outputs, heartbeats not counted).
func (n *Node) Messages() (sent, received uint64) { return n.sent.Load(), n.received.Load() }

// Health is nil while the node is connected to NATS.
func (n *Node) Health() error {
	if st := n.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("cluster: NATS is %s", st)
	}
	return nil
}

// ToLeader sends data to the leading node.
func (n *Node) ToLeader(data []byte) error {
	n.sent.Add(1)
	return n.nc.Publish(n.subject("in"), data)
}

// ToNode sends data to node.
func (n *Node) ToNode(node string, data []byte) error {
	n.sent.Add(1)
	return n.nc.Publish(n.subject("out", node), data)
}

// onHeartbeat notes who lives and who leads.
func (n *Node) onHeartbeat(m *nats.Msg) {
	var hb heartbeat
	if json.Unmarshal(m.Data, &hb) != nil || !nameRule.MatchString(hb.Node) {
		return
	}
	now := time.Now()
	n.mu.Lock()
	n.nodes[hb.Node] = now
	changed := false
	if hb.Term > 0 && hb.Term >= n.leader.term {
		changed = hb.Term != n.leader.term || hb.Node != n.leader.node
		n.leader = heard{term: hb.Term, node: hb.Node, at: now}
	}
	l := n.leader
	n.mu.Unlock()
	if changed {
		n.h.Leader(l.term, l.node)
	}
}

// beat says this node lives (and leads, once its term serves).
func (n *Node) beat() {
	n.mu.Lock()
	hb := heartbeat{Node: n.cfg.Node}
	if n.term != nil && n.term.ready.Load() {
		hb.Term = n.term.Number
	}
	n.mu.Unlock()
	b, _ := json.Marshal(hb)
	_ = n.nc.Publish(n.subject("hb"), b)
}

// heartbeats says this node lives, and notices a leader or nodes gone
// silent.
func (n *Node) heartbeats() {
	defer close(n.done)
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		n.beat()
		select {
		case <-n.quit:
			return
		case <-t.C:
		}
		now := time.Now()
		var gone []string
		lost := false
		n.mu.Lock()
		for id, at := range n.nodes {
			if id != n.cfg.Node && now.Sub(at) > n.cfg.LeaseTTL {
				delete(n.nodes, id)
				gone = append(gone, id)
			}
		}
		if n.leader.term != 0 && now.Sub(n.leader.at) > n.cfg.LeaseTTL {
			n.leader = heard{}
			lost = true
		}
		n.mu.Unlock()
		for _, id := range gone {
			n.h.NodeGone(id)
		}
		if lost {
			n.h.Leader(0, "")
		}
	}
}

// Close stops leading (see Term.Resign), heartbeating and the NATS
// connection.
func (n *Node) Close() {
	n.mu.Lock()
	if n.closing {
		n.mu.Unlock()
		return
	}
	n.closing = true
	t := n.term
	n.mu.Unlock()
	if t != nil {
		t.Resign()
	}
	close(n.quit)
	<-n.done
	n.nc.Close()
}

// Leader returns the leader as this node knows it (term 0: none). A
// leading node knows itself.
func (n *Node) Leader() (term uint64, node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.term != nil {
		return n.term.Number, n.cfg.Node
	}
	return n.leader.term, n.leader.node
}
