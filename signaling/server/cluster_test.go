package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/cluster"
	"github.com/calla-rtc/calla/signaling/server/cluster/clustertest"
)

// envNode is one Calla node of a test cluster.
type envNode struct {
	name   string
	srv    *Server
	hs     *httptest.Server
	proxy  *proxy
	url    string
	dialer *clustertest.Dialer
	cfg    Config
	dead   bool
}

// Cluster timings for tests: the defaults (a dead leader's lease lapses
// in 3 s). Shorter leases flap under the race detector on a loaded
// 2-core machine.
const (
	testLeaseTTL  = cluster.DefaultLeaseTTL
	testHeartbeat = 250 * time.Millisecond
)

// newClusterEnv starts n Calla nodes on the NATS cluster ns (with a
// prefix of their own, so that tests can share ns), and waits until every
// node knows the leader.
func newClusterEnv(t *testing.T, ns *clustertest.NATS, n int, mod func(*Config)) *env {
	t.Helper()
	prefix := ns.Prefix(t) // before the nodes: their cleanups run first
	e := &env{t: t, placed: map[signaling.UserID]int{}}
	for i := range n {
		cfg := Config{
			AppID:            testAppID,
			Secret:           testSecret,
			InviteTimeout:    time.Second,
			Grace:            500 * time.Millisecond,
			PresenceInterval: 10 * time.Millisecond,
			Logger:           quietLogger(),
			ICEServers:       []signaling.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}},
		}
		if mod != nil {
			mod(&cfg)
		}
		nd := &envNode{name: fmt.Sprintf("n%d", i), dialer: &clustertest.Dialer{}}
		cfg.Cluster = &cluster.Config{URLs: ns.URLs, Node: nd.name, Prefix: prefix, Replicas: 3,
			LeaseTTL: testLeaseTTL, Heartbeat: testHeartbeat, Logger: cfg.Logger, Options: nd.dialer.Options()}
		nd.cfg = cfg
		e.startNode(nd)
		e.nodes = append(e.nodes, nd)
	}
	e.srv, e.hs, e.proxy, e.url = e.nodes[0].srv, e.nodes[0].hs, e.nodes[0].proxy, e.nodes[0].url
	e.waitLeader()
	return e
}

// startNode starts (or starts again) nd's server behind its proxy.
func (e *env) startNode(nd *envNode) {
	t := e.t
	t.Helper()
	if nd.dead { // a new process: a new connection to NATS
		nd.dialer = &clustertest.Dialer{}
		cc := *nd.cfg.Cluster
		cc.Options = nd.dialer.Options()
		nd.cfg.Cluster = &cc
	}
	srv, err := New(nd.cfg)
	if err != nil {
		t.Fatalf("node %s: %v", nd.name, err)
	}
	hs := httptest.NewServer(srv.Handler())
	if nd.proxy == nil {
		nd.proxy = newProxy(t, strings.TrimPrefix(hs.URL, "http://"))
		p := nd.proxy
		t.Cleanup(p.close)
	} else {
		nd.proxy.retarget(strings.TrimPrefix(hs.URL, "http://"))
	}
	nd.srv, nd.hs, nd.url, nd.dead = srv, hs, "ws://"+nd.proxy.addr()+"/ws", false
	t.Cleanup(func() {
		if nd.srv == srv && !nd.dead {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("node %s: shutdown: %v", nd.name, err)
			}
		}
		hs.Close()
	})
}

// kill drops node nd without a word, as kill -9 would: its NATS
// connections and websockets are reset, its lease is left to lapse,
// nothing more is written.
func (e *env) kill(nd *envNode) {
	nd.dialer.Kill()
	nd.dead = true
	s := nd.srv
	s.crash()
	nd.hs.Close()
	// What is left of the dead process: goroutines that could reach no
	// one. Stop them (goleak), quietly.
	s.stopCampaign()
	<-s.campaignDone
	s.bg.Wait()
	s.node.Close()
}

// leader returns the node that leads, once every live node knows it.
func (e *env) waitLeader() *envNode {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var lead *envNode
		agree := true
		var term uint64
		for _, nd := range e.nodes {
			if nd.dead {
				continue
			}
			tm, name := nd.srv.node.Leader()
			if tm == 0 || (term != 0 && tm != term) || !nd.srv.hub.leaderKnown.Load() {
				agree = false
				break
			}
			term = tm
			for _, o := range e.nodes {
				if o.name == name && !o.dead {
					lead = o
				}
			}
		}
		if agree && lead != nil {
			return lead
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatal("the cluster agreed on no leader in 20 s")
	return nil
}

// natsFor returns the package's NATS cluster (three servers), starting
// it on first use: starting one costs about a second. TestMain stops it.
func natsFor(t *testing.T) *clustertest.NATS {
	t.Helper()
	ns, err := clustertest.Shared()
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestConformanceAcrossNodes runs the seed scenario table on a cluster of
// three Calla nodes on a three-server NATS cluster (JetStream R3), each
// scenario's users spread over the nodes: every member must see exactly
// what a single server sends.
func TestConformanceAcrossNodes(t *testing.T) {
	ns := natsFor(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc, newClusterEnv(t, ns, 3, sc.cfg))
		})
	}
}

// TestPresenceAcrossNodes: presence pushes reach users on other nodes.
func TestPresenceAcrossNodes(t *testing.T) {
	testPresence(t, newClusterEnv(t, natsFor(t), 3, nil))
}

// kill9MidCall is the cluster case: a 1v1 call between users on
// two nodes; the node that runs the call's state machine (the leader) is
// killed mid-call, or killed and started again (restart). The call goes
// on: members resume on other nodes within the grace period, and each
// sees exactly what a single server that never stopped would have sent.
func kill9MidCall(t *testing.T, restart bool) {
	e := newClusterEnv(t, natsFor(t), 3, func(c *Config) { c.Grace = 10 * time.Second })
	lead := e.waitLeader()
	var follower *envNode
	for _, nd := range e.nodes {
		if nd != lead {
			follower = nd
			break
		}
	}
	// alice on the leader, bob on a follower.
	for i, nd := range e.nodes {
		if nd == lead {
			e.placed["alice"] = i
		}
		if nd == follower {
			e.placed["bob"] = i
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	alice, bob := e.login("alice"), e.login("bob")
	rep, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
	if err != nil {
		t.Fatal(err)
	}
	bob.waitFor(signaling.EvCallReceived)
	if _, err := bob.Accept(ctx, rep.CallID); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(signaling.EvUserJoin)
	bob.waitFor(signaling.EvUserJoin)

	killed := time.Now()
	e.kill(lead)
	if restart {
		e.startNode(lead)
	}
	newLead := e.waitLeader()
	t.Logf("takeover: node %s leads %v after the kill", newLead.name, time.Since(killed).Round(time.Millisecond))
	checkCallResumes(t, ctx, alice, bob, rep.CallID)
}

func TestKillLeaderMidCall(t *testing.T)    { kill9MidCall(t, false) }
func TestRestartLeaderMidCall(t *testing.T) { kill9MidCall(t, true) }

// TestClusterHealth: a node's /healthz says whether it leads or follows
// whom, and answers 503 naming NATS once the node has lost its NATS
// connection (its clients should go to another node).
func TestClusterHealth(t *testing.T) {
	e := newClusterEnv(t, natsFor(t), 2, nil)
	lead := e.waitLeader()
	var f *envNode
	for _, nd := range e.nodes {
		if nd != lead {
			f = nd
		}
	}
	if code, body := get(t, lead.hs.URL+"/healthz"); code != 200 || !strings.Contains(body, "node "+lead.name+" leads the cluster") {
		t.Errorf("the leader's /healthz: %d %q", code, body)
	}
	if code, body := get(t, f.hs.URL+"/healthz"); code != 200 || !strings.Contains(body, "node "+f.name+" follows "+lead.name) {
		t.Errorf("the follower's /healthz: %d %q", code, body)
	}
	f.dialer.Kill() // its NATS connection drops, and cannot come back
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := get(t, f.hs.URL+"/healthz")
		if code == 503 && strings.Contains(body, "NATS") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz of a node without NATS still says %d %q", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
