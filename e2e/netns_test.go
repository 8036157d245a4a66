package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCallAcrossNATNamespaces makes a video call with real sockets across
// real NATs: `calla serve` (with its TURN relay) in one Linux network
// namespace, and two headless clients, each behind a router namespace of
// its own that masquerades with fully random ports (nft), so the NATs
// behave symmetrically and no direct path exists. The call must connect
// through the server's relay and carry audio both ways. Then the public
// address of alice's router changes (an ISP renumbering it mid-call):
// every mapping, the websocket's and the relay's, dies with it, and the
// call must come back by ICE restart; the test logs how long that took.
//
//	alice 192.0.2.2 -- 192.0.2.1 [rtrA, masquerade] 203.0.113.21 --+
//	                                                                 +-- br 203.0.113.10 [server: calla serve, TURN :3478]
//	bob 198.51.100.2 -- 198.51.100.1 [rtrB, masquerade] 203.0.113.22 -+
//
// Only documentation addresses; no namespace has a route out. The
// namespaces get unique names and are removed at the end.
func TestCallAcrossNATNamespaces(t *testing.T) {
	n := newNetns(t)
	srv, rtrA, rtrB, alice, bob := n.ns("srv"), n.ns("ra"), n.ns("rb"), n.ns("a"), n.ns("b")
	// The "internet": a bridge in the server's namespace.
	n.run(srv, "ip", "link", "add", "br0", "type", "bridge")
	n.run(srv, "ip", "addr", "add", "203.0.113.10/24", "dev", "br0")
	n.run(srv, "ip", "link", "set", "br0", "up")
	n.run(srv, "ip", "link", "set", "lo", "up")
	router := func(id, r, client, wanIP, lanNet string) {
		wan, lan := "w"+id+n.tag, "l"+id+n.tag // the server's end is named per router
		n.veth(r, "wan0", srv, wan)
		n.run(srv, "ip", "link", "set", wan, "master", "br0")
		n.run(srv, "ip", "link", "set", wan, "up")
		n.veth(r, "lan0", client, lan)
		n.run(client, "ip", "link", "set", lan, "name", "eth0")
		n.run(r, "ip", "addr", "add", wanIP+"/24", "dev", "wan0")
		n.run(r, "ip", "addr", "add", lanNet+".1/24", "dev", "lan0")
		n.run(client, "ip", "addr", "add", lanNet+".2/24", "dev", "eth0")
		for _, ns := range []string{r, client} {
			n.run(ns, "ip", "link", "set", "lo", "up")
		}
		n.run(r, "ip", "link", "set", "wan0", "up")
		n.run(r, "ip", "link", "set", "lan0", "up")
		n.run(client, "ip", "link", "set", "eth0", "up")
		n.run(client, "ip", "route", "add", "default", "via", lanNet+".1")
		n.run(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
		// A symmetric-like NAT: every new flow gets a random port.
		n.nft(r, "table ip calla {\n chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname \"wan0\" masquerade fully-random\n }\n}\n")
	}
	router("a", rtrA, alice, "203.0.113.21", "192.0.2")
	router("b", rtrB, bob, "203.0.113.22", "198.51.100")

	dir := t.TempDir()
	secret := filepath.Join(dir, "signaling.secret")
	if err := os.WriteFile(secret, []byte("netns-test-secret-0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := callaBin(t)
	n.serve(ctx, srv, bin, "serve", "--addr", "203.0.113.10:8443", "--secret-file", secret, "--data", dir,
		"--turn-listen", "203.0.113.10:3478", "--log-level", "info")
	login := func(user string) []string {
		return []string{"--server", "ws://203.0.113.10:8443/ws", "--user", user, "--secret-file", secret, "--log-level", "info"}
	}
	bobP := startCmd(t, "answer", n.cmd(ctx, bob, append(append([]string{bin, "answer"}, login("bob")...), "--count", "1")...))
	bobP.waitFor("onConnectionChanged", "state", "connected", 30*time.Second)
	aliceP := startCmd(t, "call", n.cmd(ctx, alice, append(append([]string{bin, "call"}, login("alice")...), "bob")...))

	// Connected, through the relay, with audio both ways.
	aliceP.waitFor("onUserJoin", "userId", "bob", 60*time.Second)
	bobP.waitFor("onUserJoin", "userId", "alice", 60*time.Second)
	before := aliceP.waitPath(t, "bob", 30*time.Second)
	if before["via"] != "relay" {
		t.Fatalf("alice reaches bob %v, want through the relay (both NATs are symmetric)", before)
	}
	bobPath := bobP.waitPath(t, "alice", 30*time.Second)
	aliceP.waitVolume(t, "bob", time.Time{}, 30*time.Second)
	bobP.waitVolume(t, "alice", time.Time{}, 30*time.Second)
	t.Logf("connected: alice %v; bob %v", before, bobPath)
	// The relay carries the call's video too: 200 kB is a second or two of it.
	var relayed int64
	for deadline := time.Now().Add(20 * time.Second); relayed < 200_000 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		relayed = n.relayedBytes(t, srv)
	}
	if relayed < 200_000 {
		t.Errorf("the server relayed %d bytes, want the call's media (200 kB and more)", relayed)
	}

	// alice's router gets a new public address: every flow through it
	// breaks. The call must come back by ICE restart.
	changed := time.Now()
	// (Deleted first: deleting a primary address deletes its secondaries.)
	n.run(rtrA, "ip", "addr", "del", "203.0.113.21/24", "dev", "wan0")
	n.run(rtrA, "ip", "addr", "add", "203.0.113.31/24", "dev", "wan0")
	after := aliceP.waitPathAfter(t, "bob", changed, func(p jsonEvent) bool { return p["localAddress"] != before["localAddress"] }, 60*time.Second)
	restored := aliceP.lastAt
	aliceP.waitVolume(t, "bob", restored, 30*time.Second)
	bobP.waitVolume(t, "alice", restored, 30*time.Second)
	t.Logf("alice's public address changed: media back over %v after %v (new path selected; audio both ways after it)",
		after, restored.Sub(changed).Round(time.Millisecond))

	// Hang up; both ends exit 0 (the call connected and ended normally).
	_ = aliceP.cmd.Process.Signal(syscall.SIGINT)
	if code := aliceP.wait(); code != 0 {
		t.Errorf("calla call exited %d, want 0\n%s", code, aliceP.errb.String())
	}
	if code := bobP.wait(); code != 0 {
		t.Errorf("calla answer exited %d, want 0\n%s", code, bobP.errb.String())
	}
}

// waitPath waits for alice's onNetworkPathChanged about peer.
func (p *proc) waitPath(t *testing.T, peer string, timeout time.Duration) jsonEvent {
	t.Helper()
	return p.waitPathAfter(t, peer, time.Time{}, nil, timeout)
}

// waitPathAfter waits for a path to peer, told after since, that match
// accepts (nil: any), and notes when it was read in p.lastAt.
func (p *proc) waitPathAfter(t *testing.T, peer string, since time.Time, match func(jsonEvent) bool, timeout time.Duration) jsonEvent {
	t.Helper()
	var out jsonEvent
	p.waitMatch(t, "a network path to "+peer, timeout, func(ev jsonEvent, at time.Time) bool {
		if ev.name() != "onNetworkPathChanged" || at.Before(since) {
			return false
		}
		paths, _ := ev["paths"].(map[string]any)
		path, ok := paths[peer].(map[string]any)
		if !ok || (match != nil && !match(path)) {
			return false
		}
		out = path
		return true
	})
	return out
}

// waitVolume waits for a volume event after since that carries peer's audio.
func (p *proc) waitVolume(t *testing.T, peer string, since time.Time, timeout time.Duration) {
	t.Helper()
	p.waitMatch(t, "audio from "+peer, timeout, func(ev jsonEvent, at time.Time) bool {
		vm, _ := ev["volumeMap"].(map[string]any)
		v, _ := vm[peer].(float64)
		return ev.name() == "onUserVoiceVolumeChanged" && !at.Before(since) && v > 0
	})
}

// waitMatch reads events (keeping them) until match accepts one; it
// looks at the ones already kept first.
func (p *proc) waitMatch(t *testing.T, what string, timeout time.Duration, match func(jsonEvent, time.Time) bool) {
	t.Helper()
	for i, ev := range p.evs {
		if match(ev, p.at[i]) {
			p.lastAt = p.at[i]
			return
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-p.lines:
			if !ok {
				p.ended(what)
			}
			now := time.Now()
			p.evs = append(p.evs, ev)
			p.at = append(p.at, now)
			if match(ev, now) {
				p.lastAt = now
				return
			}
		case <-deadline:
			t.Fatalf("%s: no %s within %v\n%s", p.name, what, timeout, tail(p.errb.String(), 3000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// netns is the namespaces of one test.
type netns struct {
	t     *testing.T
	tag   string
	names []string
}

// newNetns checks that namespaces can be made here, and skips saying why
// where they cannot.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("network namespaces are Linux's")
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN); run as root to include this test")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (scripts/setup.sh installs iproute2 and nftables)", tool)
		}
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	n := &netns{t: t, tag: hex.EncodeToString(b[:])}
	probe := "calla-probe-" + n.tag
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	if out, err := exec.Command("ip", "netns", "exec", probe, "nft", "add", "table", "ip", "probe").CombinedOutput(); err != nil {
		_ = exec.Command("ip", "netns", "del", probe).Run()
		t.Skipf("nft does not work in a network namespace here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
	return n
}

// ns makes a namespace named calla-ROLE-TAG, removed when the test ends.
func (n *netns) ns(role string) string {
	n.t.Helper()
	name := "calla-" + role + "-" + n.tag
	n.runRoot("ip", "netns", "add", name)
	n.names = append(n.names, name)
	n.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			n.t.Errorf("remove namespace %s: %v: %s", name, err, out)
		}
	})
	return name
}

// veth makes a pair, one end in each namespace.
func (n *netns) veth(ns1, if1, ns2, if2 string) {
	n.t.Helper()
	tmp1, tmp2 := "v1"+n.tag, "v2"+n.tag
	n.runRoot("ip", "link", "add", tmp1, "type", "veth", "peer", "name", tmp2)
	n.runRoot("ip", "link", "set", tmp1, "netns", ns1, "name", if1)
	n.runRoot("ip", "link", "set", tmp2, "netns", ns2, "name", if2)
}

func (n *netns) runRoot(args ...string) {
	n.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		n.t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// run runs a command in namespace ns.
func (n *netns) run(ns string, args ...string) {
	n.t.Helper()
	n.runRoot(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

func (n *netns) nft(ns, rules string) {
	n.t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		n.t.Fatalf("nft in %s: %v: %s", ns, err, out)
	}
}

// cmd is a command in namespace ns, killed when ctx ends.
func (n *netns) cmd(ctx context.Context, ns string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// serve starts `calla serve` in ns and waits until it listens.
func (n *netns) serve(ctx context.Context, ns string, args ...string) {
	n.t.Helper()
	cmd := n.cmd(ctx, ns, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		n.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "msg=serving") {
				said = true
				close(ready)
			}
			if log.Len() < 1<<16 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		if !said {
			close(ready)
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		n.t.Fatal("calla serve did not start in its namespace")
	}
}

// relayedBytes reads calla_turn_relayed_bytes_total from the server's
// /metrics, from inside its namespace.
func (n *netns) relayedBytes(t *testing.T, ns string) int64 {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialIn(ns, network, addr)
	}}}
	resp, err := hc.Get("http://203.0.113.10:8443/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var sum int64
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "calla_turn_relayed_bytes_total{") {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += int64(v)
		}
	}
	return sum
}

// dialIn opens a connection from inside namespace ns: the socket is made
// on a thread that has joined ns, and keeps belonging to it.
func dialIn(ns, network, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns %s: %w", ns, err)}
			return
		}
		c, err := net.DialTimeout(network, addr, 5*time.Second)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}
