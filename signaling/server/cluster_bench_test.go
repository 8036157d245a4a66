//go:build unix

package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/signaling"
)

// TestClusterBench measures the cluster (issue 17's figures): cross-node
// invite -> onCallReceived latency, call setups per second on one node
// and on two nodes sharing this machine (with the CPU each setup costs),
// and the takeover time after the leading node's kill -9. It is a bench,
// not a test: it runs only when CALLA_BENCH_CLUSTER is set (`make bench`,
// `scripts/bench.sh cluster`) and writes its figures to
// docs/benchmarks.md (or $CALLA_BENCH_REPORT).
func TestClusterBench(t *testing.T) {
	if os.Getenv("CALLA_BENCH_CLUSTER") == "" {
		t.Skip("the cluster bench runs only with CALLA_BENCH_CLUSTER=1 (make bench)")
	}
	report := os.Getenv("CALLA_BENCH_REPORT")
	if report == "" {
		report = filepath.Join("..", "..", "docs", "benchmarks.md")
	}
	loadBefore := benchreport.LoadAverage()
	ns := natsFor(t)
	// No rate limit: the clients send as fast as the server answers.
	long := func(c *Config) {
		c.InviteTimeout, c.Grace = 30*time.Second, 10*time.Second
		c.MessageRate, c.MessageBurst = 1e6, 1e6
	}

	// Invite latency: alice and bob on two nodes that do not lead (the
	// invite goes alice's node -> leader -> bob's node), and on one node.
	const invites = 300
	ce := newClusterEnv(t, ns, 3, long)
	lead := ce.waitLeader()
	var followers []*envNode
	for _, nd := range ce.nodes {
		if nd != lead {
			followers = append(followers, nd)
		}
	}
	cross := inviteLatency(t, direct(followers[0]), direct(followers[1]), invites)
	se := newEnv(t, func(c *Config) { long(c); c.DataDir = t.TempDir() })
	single := inviteLatency(t, wsURL(se.hs.URL), wsURL(se.hs.URL), invites)

	// Setups per second: pairs calling each other as fast as they can
	// (call, ring, accept, hang up), on one node and on two.
	const pairs, run = 20, 10 * time.Second
	one := newEnv(t, func(c *Config) { long(c); c.DataDir = t.TempDir() })
	s1, cpu1 := setupRate(t, []string{wsURL(one.hs.URL)}, pairs, run)
	two := newClusterEnv(t, ns, 2, long)
	s2, cpu2 := setupRate(t, []string{direct(two.nodes[0]), direct(two.nodes[1])}, pairs, run)

	// Takeover: a 1v1 call with alice and bob on the nodes that do not
	// lead; the leader is killed; the time until the first event the new
	// leader sends (the reply to the first resume, as bob sees it).
	var takeovers []time.Duration
	for range 3 {
		takeovers = append(takeovers, takeoverTime(t))
	}

	loadAfter := benchreport.LoadAverage()
	var b strings.Builder
	fmt.Fprintf(&b, "## Cluster\n\n")
	fmt.Fprintf(&b, "Measured by `CALLA_BENCH_CLUSTER=1 go test ./signaling/server -run '^TestClusterBench$' -v` (`scripts/bench.sh cluster`) on %s; load average %s before, %s after. ", benchreport.Machine(), loadBefore, loadAfter)
	fmt.Fprintf(&b, "Everything runs in the one test process: a three-server NATS cluster (embedded nats-server, JetStream R3, file storage), the Calla nodes (lease %v), and the clients.\n\n", testLeaseTTL)
	fmt.Fprintf(&b, "| Measure | Figure |\n|---|---|\n")
	fmt.Fprintf(&b, "| invite -> onCallReceived, caller and callee on two nodes that do not lead (%d invites) | p50 %s, p99 %s |\n", invites, ms(pct(cross, 50)), ms(pct(cross, 99)))
	fmt.Fprintf(&b, "| the same on one node with a data dir | p50 %s, p99 %s |\n", ms(pct(single, 50)), ms(pct(single, 99)))
	fmt.Fprintf(&b, "| call setups per second (call, ring, accept, hang up; %d pairs, %v), one node | %.0f/s, %.2f ms CPU per setup |\n", pairs, run, s1, cpu1)
	fmt.Fprintf(&b, "| the same on two nodes (callers on one, callees on the other) | %.0f/s, %.2f ms CPU per setup |\n", s2, cpu2)
	fmt.Fprintf(&b, "| takeover after the leader's kill -9, to the first event the new leader sends (%d runs) | %s |\n", len(takeovers), durations(takeovers))
	fmt.Fprintf(&b, "\nA single node syncs each commit of directory.db to its disk before it sends what depends on it; JetStream acknowledges a commit once a majority of its servers hold it, without syncing to disk (its default), so a cluster's commit costs a loopback round trip or two here instead of a disk sync: the cross-node invite can be quicker than the single node's. ")
	fmt.Fprintf(&b, "CPU per setup is the whole process's (clients and NATS included) divided by the setups, since the nodes share the machine's cores. The takeover time is bounded below by the lease (%v): a dead leader's lease must lapse before another node may lead.\n", testLeaseTTL)
	t.Log("\n" + b.String())
	if err := benchreport.WriteSection(report, b.String()); err != nil {
		t.Fatal(err)
	}
}

func wsURL(httpURL string) string { return "ws://" + strings.TrimPrefix(httpURL, "http://") + "/ws" }

// direct is a node's URL without the test proxy.
func direct(nd *envNode) string { return wsURL(nd.hs.URL) }

func benchDial(t *testing.T, url string, u signaling.UserID) *signaling.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, UserID: u, UserSig: sig(t, u, time.Hour), Logger: quietLogger(),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("login %s: %v", u, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// until reads c's events until one satisfies f.
func until(t *testing.T, c *signaling.Client, what string, f func(signaling.Event) bool) {
	t.Helper()
	if err := awaitEvent(c, what, f); err != nil {
		t.Fatal(err)
	}
}

// awaitEvent reads c's events until one satisfies f (for 20 s at most).
func awaitEvent(c *signaling.Client, what string, f func(signaling.Event) bool) error {
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return fmt.Errorf("%s: events ended before %s", c.UserID(), what)
			}
			if f(ev) {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("%s: no %s in 20 s", c.UserID(), what)
		}
	}
}

func is[T signaling.Event](ev signaling.Event) bool { _, ok := ev.(T); return ok }

// inviteLatency: alice (at aURL) calls bob (at bURL) n times; each time
// from just before the request to bob's onCallReceived.
func inviteLatency(t *testing.T, aURL, bURL string, n int) []time.Duration {
	alice, bob := benchDial(t, aURL, "alice"), benchDial(t, bURL, "bob")
	go func() { // alice's events are not measured
		for range alice.Events() {
		}
	}()
	ctx := t.Context()
	var out []time.Duration
	for range n {
		t0 := time.Now()
		rep, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: []signaling.UserID{"bob"}, CallMediaType: signaling.Audio})
		if err != nil {
			t.Fatal(err)
		}
		until(t, bob, "onCallReceived", is[*signaling.CallReceived])
		out = append(out, time.Since(t0))
		if err := alice.Hangup(ctx, rep.CallID); err != nil {
			t.Fatal(err)
		}
		until(t, bob, "onCallCancelled", is[*signaling.CallCancelled])
	}
	return out
}

// setupRate runs pairs of users (caller at urls[0], callee at the last
// URL) that set calls up and hang them up for d; it returns setups per
// second and the process's CPU milliseconds per setup.
func setupRate(t *testing.T, urls []string, pairs int, d time.Duration) (perSec, cpuMs float64) {
	callers := make([]*signaling.Client, pairs)
	callees := make([]*signaling.Client, pairs)
	for i := range pairs {
		callers[i] = benchDial(t, urls[0], signaling.UserID(fmt.Sprintf("caller%d", i)))
		callees[i] = benchDial(t, urls[len(urls)-1], signaling.UserID(fmt.Sprintf("callee%d", i)))
	}
	var setups atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	for i := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := callers[i], callees[i]
			go func() {
				for range a.Events() {
				}
			}()
			ctx := context.Background()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rep, err := a.Call(ctx, signaling.CallRequest{CalleeIDList: []signaling.UserID{b.UserID()}, CallMediaType: signaling.Audio})
				if err != nil {
					t.Error(err)
					return
				}
				if err := awaitEvent(b, "onCallReceived", is[*signaling.CallReceived]); err != nil {
					t.Error(err)
					return
				}
				if _, err := b.Accept(ctx, rep.CallID); err != nil {
					t.Error(err)
					return
				}
				setups.Add(1)
				if err := a.Hangup(ctx, rep.CallID); err != nil {
					t.Error(err)
					return
				}
				if err := awaitEvent(b, "onCallEnd", is[*signaling.CallEnd]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	time.Sleep(d)
	close(stop)
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	n := setups.Load()
	if n == 0 || t.Failed() {
		t.Fatal("the setups failed")
	}
	return float64(n) / elapsed.Seconds(), float64(cpu.Microseconds()) / 1000 / float64(n)
}

// takeoverTime kills the leader of a new three-node cluster in the middle
// of a call between users of the other two nodes, and returns the time
// from the kill to bob's resume (the first event the new leader sends).
func takeoverTime(t *testing.T) time.Duration {
	e := newClusterEnv(t, natsFor(t), 3, func(c *Config) { c.Grace = 10 * time.Second })
	lead := e.waitLeader()
	var f []*envNode
	for _, nd := range e.nodes {
		if nd != lead {
			f = append(f, nd)
		}
	}
	alice, bob := benchDial(t, direct(f[0]), "alice"), benchDial(t, direct(f[1]), "bob")
	go func() {
		for range alice.Events() {
		}
	}()
	ctx := t.Context()
	rep, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: []signaling.UserID{"bob"}, CallMediaType: signaling.Audio})
	if err != nil {
		t.Fatal(err)
	}
	until(t, bob, "onCallReceived", is[*signaling.CallReceived])
	if _, err := bob.Accept(ctx, rep.CallID); err != nil {
		t.Fatal(err)
	}
	until(t, bob, "onUserJoin", is[*signaling.UserJoin])
	killed := time.Now()
	e.kill(lead)
	until(t, bob, "resumed", is[*signaling.Resumed])
	return time.Since(killed)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func durations(ds []time.Duration) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%.2f s", d.Seconds()))
	}
	return strings.Join(out, ", ")
}
