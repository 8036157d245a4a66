package cluster_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/calla-rtc/calla/signaling/server/cluster"
	"github.com/calla-rtc/calla/signaling/server/cluster/clustertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a Handler that keeps what it gets.
type recorder struct {
	mu      sync.Mutex
	inputs  []string
	outputs []string
	leaders []uint64
	gone    []string
}

func (r *recorder) Input(d []byte) {
	r.mu.Lock()
	r.inputs = append(r.inputs, string(d))
	r.mu.Unlock()
}
func (r *recorder) Output(d []byte) {
	r.mu.Lock()
	r.outputs = append(r.outputs, string(d))
	r.mu.Unlock()
}
func (r *recorder) Leader(t uint64, _ string) {
	r.mu.Lock()
	r.leaders = append(r.leaders, t)
	r.mu.Unlock()
}
func (r *recorder) NodeGone(n string) { r.mu.Lock(); r.gone = append(r.gone, n); r.mu.Unlock() }

func (r *recorder) has(f func() bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f()
}

func waitUntil(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func join(t *testing.T, ns *clustertest.NATS, name string, h cluster.Handler, d *clustertest.Dialer) *cluster.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The default lease (3 s): a shorter one lapses under the race
	// detector on a loaded 2-core machine, and the test's leader loses
	// its term before it is killed.
	n, err := cluster.Join(ctx, cluster.Config{URLs: ns.URLs, Node: name, Replicas: 3, Heartbeat: 250 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Options: d.Options()}, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// TestLeadJournalAndFencing: one node leads and commits; when it stops
// renewing, another takes over, loads exactly what was committed, and the
// old term can commit nothing more.
func TestLeadJournalAndFencing(t *testing.T) {
	ns := clustertest.Start(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ra, rb := &recorder{}, &recorder{}
	da := &clustertest.Dialer{}
	a := join(t, ns, "a", ra, da)
	b := join(t, ns, "b", rb, nil)

	ta, err := a.Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ta.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st["sessions"]) != 0 {
		t.Fatalf("fresh state: %v", st)
	}
	ta.Serve()
	commit := func(tm *cluster.Term, chs ...cluster.Change) error { return tm.Commit(ctx, chs) }
	if err := commit(ta, cluster.Change{Bucket: "sessions", Key: "alice", Value: []byte(`{"seq":1}`)},
		cluster.Change{Bucket: "events", Key: "tok.0000000000000001", Value: []byte("e1")},
		cluster.Change{Bucket: "calls", Key: "c1", Value: []byte(`{"v":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := commit(ta, cluster.Change{Bucket: "calls", Key: "c1", Value: []byte(`{"v":2}`)}, cluster.Change{Bucket: "calls", Key: "c2", Value: []byte(`{"v":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := commit(ta, cluster.Change{Bucket: "calls", Key: "c2"}); err != nil {
		t.Fatal(err)
	}
	// b hears who leads, and a's inputs arrive only at the leader.
	waitUntil(t, "b to hear a lead", func() bool {
		return rb.has(func() bool { return len(rb.leaders) > 0 && rb.leaders[len(rb.leaders)-1] == ta.Number })
	})
	if err := b.ToLeader([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := a.ToNode("b", []byte("to b")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the input and the output", func() bool {
		return ra.has(func() bool { return len(ra.inputs) == 1 }) && rb.has(func() bool { return len(rb.outputs) == 1 })
	})

	// b takes over once a's lease lapses (a stops renewing when its term
	// ends); a's later commits are refused.
	done := make(chan *cluster.Term)
	go func() {
		tb, err := b.Campaign(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- tb
	}()
	// a "dies": its NATS connections drop without a word and cannot come
	// back.
	stale := ta
	da.Kill()
	tb := <-done
	if tb == nil {
		t.FailNow()
	}
	if tb.Number <= stale.Number {
		t.Errorf("new term %d is not above the old %d", tb.Number, stale.Number)
	}
	st, err = tb.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(st["calls"]["c1"]); got != `{"v":2}` {
		t.Errorf("c1 = %q", got)
	}
	if _, ok := st["calls"]["c2"]; ok {
		t.Error("c2 was deleted but came back")
	}
	if string(st["sessions"]["alice"]) != `{"seq":1}` || string(st["events"]["tok.0000000000000001"]) != "e1" {
		t.Errorf("state %v", st)
	}
	if err := commit(stale, cluster.Change{Bucket: "calls", Key: "c9", Value: []byte("x")}); !errors.Is(err, cluster.ErrLeadLost) {
		t.Errorf("the old term's commit: %v, want ErrLeadLost", err)
	}
	// The new leader's commits land, and the materializer copies them
	// into the buckets (a third leader would load them from there).
	if err := commit(tb, cluster.Change{Bucket: "calls", Key: "c1", Value: []byte(`{"v":3}`)}); err != nil {
		t.Fatal(err)
	}
	kv := ns.KeyValue(t, "calla_calls")
	waitUntil(t, "the materializer", func() bool {
		e, err := kv.Get(ctx, "c1")
		return err == nil && string(e.Value()) == `{"v":3}`
	})
	waitUntil(t, "b to notice a gone", func() bool { return rb.has(func() bool { return len(rb.gone) > 0 && rb.gone[0] == "a" }) })
}
