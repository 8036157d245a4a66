package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling/server/cluster/clustertest"
)

// health is a node's /healthz: its status code and its one line.
func health(addr string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// metricsOf is a node's /metrics.
func metricsOf(t *testing.T, addr string) string {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Errorf("/metrics: %v", err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestClusterNodeKilledMidCall is issue 17's cluster case with separate
// processes: three `calla serve --nats` nodes on a three-server NATS
// cluster (embedded nats-server, JetStream R3). alice is on the node that
// leads (it runs the call's state machine), bob on another; mid-call the
// leading node is killed (SIGKILL). Another node takes the lead over,
// alice's client fails over to a node that lives, both resume, the media
// goes on, and each side sees every call event once and exits 0.
func TestClusterNodeKilledMidCall(t *testing.T) {
	ns := clustertest.Start(t, 3)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nats := strings.Join(ns.URLs, ",")
	type node struct {
		name, addr string
		srv        *server
	}
	var nodes []*node
	for i := range 3 {
		n := &node{name: fmt.Sprintf("n%d", i), addr: freeAddr(t)}
		n.srv = startServer(t, n.addr, "--nats", nats, "--node", n.name, "--secret-file", secret)
		nodes = append(nodes, n)
	}
	// Every node knows who leads (and says so on /healthz).
	var lead *node
	deadline := time.Now().Add(30 * time.Second)
	for lead == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no leader known to every node in 30 s:\n%s", nodes[0].srv.log())
		}
		leaders := map[string]bool{}
		for _, n := range nodes {
			code, line := health(n.addr)
			if code != http.StatusOK {
				leaders["?"] = true
				break
			}
			if strings.Contains(line, " leads ") {
				leaders[n.name] = true
			}
			if _, l, ok := strings.Cut(line, " follows "); ok {
				leaders[strings.Fields(l)[0]] = true
			}
		}
		if len(leaders) == 1 {
			for _, n := range nodes {
				if leaders[n.name] {
					lead = n
				}
			}
		}
		if lead == nil {
			time.Sleep(100 * time.Millisecond)
		}
	}
	var other *node
	for _, n := range nodes {
		if n != lead {
			other = n
			break
		}
	}
	// Each client lists its own node first, then the others.
	urls := func(first *node) string {
		list := []string{"ws://" + first.addr + "/ws"}
		for _, n := range nodes {
			if n != first {
				list = append(list, "ws://"+n.addr+"/ws")
			}
		}
		return strings.Join(list, ",")
	}
	login := func(user string, n *node) []string {
		return []string{"--server", urls(n), "--user", user, "--secret-file", secret, "--loopback"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	bob := startProc(t, ctx, append([]string{"answer"}, login("bob", other)...)...)
	bob.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)
	alice := startProc(t, ctx, append(append([]string{"call"}, login("alice", lead)...), "--hangup-after", "20s", "bob")...)
	alice.waitFor("onUserJoin", "userId", "bob", 30*time.Second)
	bob.waitFor("onUserJoin", "userId", "alice", 30*time.Second)

	lead.srv.kill()
	for _, p := range []*proc{alice, bob} {
		p.waitFor("onConnectionChanged", "state", "reconnecting", 30*time.Second)
		p.waitFor("onConnectionChanged", "state", "connected", 30*time.Second)
		if r := p.evs[len(p.evs)-1]["reason"]; r != nil {
			t.Errorf("%s: reconnected with a new session (%v), not a resume", p.name, r)
		}
	}
	checkCallWentOn(t, alice, bob)
	// The survivors report the takeover.
	var took bool
	for _, n := range nodes {
		if n == lead {
			continue
		}
		if code, line := health(n.addr); code != http.StatusOK {
			t.Errorf("node %s: /healthz %d %s", n.name, code, line)
		} else if strings.Contains(line, " leads ") {
			took = true
			m := metricsOf(t, n.addr)
			for _, want := range []string{"calla_cluster_takeovers_total 1", "calla_cluster_leader 1"} {
				if !strings.Contains(m, "\n"+want+"\n") {
					t.Errorf("node %s's /metrics has no %q", n.name, want)
				}
			}
		}
		if !strings.Contains(metricsOf(t, n.addr), `calla_cluster_messages_total{direction="received"}`) {
			t.Errorf("node %s's /metrics has no cross-node message count", n.name)
		}
	}
	if !took {
		t.Errorf("no surviving node leads")
	}
	if t.Failed() {
		for _, n := range nodes {
			t.Logf("node %s's log:\n%s", n.name, n.srv.log())
		}
	}
}
