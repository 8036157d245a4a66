package call

import (
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/vnet"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/internal/coturn"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

// NAT traversal, in process: pion's virtual network (vnet) puts each
// engine's media behind a NAT router of its own, and Calla's TURN relay
// (package turn) on the "internet" they share; the signaling server hands
// the engines its URLs with credentials of their own, as `calla serve`
// does. Each test makes a video call, checks that frames and audio arrive
// both ways, and checks the candidate pair the engines report
// (onNetworkPathChanged, from pion's stats). The figures (onCallBegin ->
// media, accept -> first frame, allocations) are logged, not asserted:
// the machine is shared.

const (
	wanRelayIP = "203.0.113.10"
	wanAliceIP = "203.0.113.21"
	wanBobIP   = "203.0.113.22"
)

// natKind is how a LAN's router treats traffic.
type natKind int

const (
	natEndpointIndependent natKind = iota // a full-cone NAT: one mapping per socket, anyone may send to it
	natSymmetric                          // a new mapping per destination, replies from it only
	natUDPBlocked                         // endpoint-independent, but no UDP passes at all
)

func (k natKind) vnetType() *vnet.NATType {
	switch k {
	case natSymmetric:
		return &vnet.NATType{MappingBehavior: vnet.EndpointAddrPortDependent, FilteringBehavior: vnet.EndpointAddrPortDependent}
	}
	return &vnet.NATType{MappingBehavior: vnet.EndpointIndependent, FilteringBehavior: vnet.EndpointIndependent}
}

// natWorld is one virtual internet with the relay on it and two LANs.
type natWorld struct {
	wan        *vnet.Router
	relay      *turn.Server
	alice, bob transport.Net
	metricsURL string
	tcp        *tcpLoop
	turnSecret []byte
}

func newNATWorld(t *testing.T, a, b natKind) (*natWorld, *harness) {
	t.Helper()
	lf := logging.NewDefaultLoggerFactory()
	lf.Writer = io.Discard
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "203.0.113.0/24", LoggerFactory: lf})
	if err != nil {
		t.Fatal(err)
	}
	w := &natWorld{wan: wan, tcp: newTCPLoop(t), turnSecret: []byte("nat-test-turn-secret-0123456789abcdef")}
	relayNet, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{wanRelayIP}})
	if err != nil {
		t.Fatal(err)
	}
	if err := wan.AddNet(relayNet); err != nil {
		t.Fatal(err)
	}
	lan := func(cidr, wanIP string, k natKind) transport.Net {
		r, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: cidr, StaticIPs: []string{wanIP}, NATType: k.vnetType(), LoggerFactory: lf})
		if err != nil {
			t.Fatal(err)
		}
		if k == natUDPBlocked {
			r.AddChunkFilter(func(c vnet.Chunk) bool { return c.Network() != "udp" })
		}
		if err := wan.AddRouter(r); err != nil {
			t.Fatal(err)
		}
		n, err := vnet.NewNet(&vnet.NetConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AddNet(n); err != nil {
			t.Fatal(err)
		}
		return w.tcp.wrap(n)
	}
	w.alice = lan("192.0.2.0/24", wanAliceIP, a)
	w.bob = lan("198.51.100.0/24", wanBobIP, b)
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wan.Stop() })
	w.relay, err = turn.New(turn.Config{Listen: wanRelayIP + ":3478", Net: w.tcp.wrap(relayNet), Secret: w.turnSecret, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.relay.Close() })
	h := newHarness(t, func(c *server.Config) {
		c.TURN = server.TURNConfig{URLs: w.relay.URLs(), Secret: w.turnSecret}
		c.Collectors = w.relay.Metrics().Collectors()
	})
	w.metricsURL = "http" + strings.TrimSuffix(strings.TrimPrefix(h.url, "ws"), "/ws") + "/metrics"
	return w, h
}

// allocations reads calla_turn_allocations_total by transport from /metrics.
func (w *natWorld) allocations(t *testing.T) map[string]string {
	t.Helper()
	resp, err := http.Get(w.metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]string{"udp": "0", "tcp": "0"}
	for _, l := range strings.Split(string(b), "\n") {
		for _, tr := range []string{"udp", "tcp"} {
			if v, ok := strings.CutPrefix(l, `calla_turn_allocations_total{transport="`+tr+`"} `); ok {
				out[tr] = v
			}
		}
	}
	return out
}

// natCall is what one call across the world measured.
type natCall struct {
	alicePath, bobPath NetworkPath
	beginToJoin        [2]time.Duration // onCallBegin -> onUserJoin (media connected), alice and bob
	acceptToFrame      [2]time.Duration // accept -> first remote frame decoded
}

// runNATCall makes a video call from alice to bob across w and checks
// media both ways.
func runNATCall(t *testing.T, w *natWorld, h *harness) natCall {
	t.Helper()
	lan := func(c *Config) { c.LoopbackOnly = false }
	alice := h.engineWith("alice", lan, testHooks{net: w.alice})
	bob := h.engineWith("bob", lan, testHooks{net: w.bob})
	aliceSees, bobSees := newFirstFrameSink(), newFirstFrameSink()
	alice.StartRemoteView("bob", aliceSees)
	bob.StartRemoteView("alice", bobSees)

	must(t, "call", noID(alice.Call(ctxT(t), "bob", signaling.Video, Params{})))
	bob.waitEvent("onCallReceived", nil)
	accepted := time.Now()
	must(t, "accept", bob.Accept(ctxT(t)))
	var out natCall
	for i, s := range []struct {
		te   *tengine
		peer signaling.UserID
		sink *firstFrameSink
	}{{alice, "bob", aliceSees}, {bob, "alice", bobSees}} {
		_, bi := s.te.waitFrom(0, "onCallBegin", func(ev Event) bool { _, ok := ev.(*CallBegin); return ok }, 30*time.Second)
		_, ji := s.te.waitFrom(0, "onUserJoin", isUser(s.peer), 30*time.Second)
		s.te.mu.Lock()
		out.beginToJoin[i] = s.te.at[ji].Sub(s.te.at[bi])
		s.te.mu.Unlock()
		s.sink.stamp.waitStamps(t, string(s.te.user)+" sees "+string(s.peer), 5)
		out.acceptToFrame[i] = s.sink.first().Sub(accepted)
		s.te.waitFrom(0, "audio from "+string(s.peer), hears(s.peer), 20*time.Second)
		pe, _ := s.te.waitFrom(0, "the path to "+string(s.peer), func(ev Event) bool {
			p, ok := ev.(*NetworkPathChanged)
			return ok && p.Paths[s.peer].Via != ""
		}, 20*time.Second)
		path := pe.(*NetworkPathChanged).Paths[s.peer]
		if i == 0 {
			out.alicePath = path
		} else {
			out.bobPath = path
		}
	}
	must(t, "hang up", alice.Hangup(ctxT(t)))
	bob.waitEvent("onCallEnd", nil)
	return out
}

func (c natCall) log(t *testing.T, w *natWorld) {
	t.Logf("alice's path %+v", c.alicePath)
	t.Logf("bob's path   %+v", c.bobPath)
	t.Logf("onCallBegin -> media connected: alice %v, bob %v; accept -> first frame: at alice %v, at bob %v; TURN allocations %v",
		c.beginToJoin[0].Round(time.Millisecond), c.beginToJoin[1].Round(time.Millisecond),
		c.acceptToFrame[0].Round(time.Millisecond), c.acceptToFrame[1].Round(time.Millisecond), w.allocations(t))
}

// wantAllocations checks the relay's allocations by the transport the
// clients reached it over: TURN/TCP is allocated only where TURN/UDP
// fails (media/turnfallback.go), so a call whose clients both have UDP
// makes no TCP allocation at all.
func (w *natWorld) wantAllocations(t *testing.T, udp, tcp string) {
	t.Helper()
	if got := w.allocations(t); got["udp"] != udp || got["tcp"] != tcp {
		t.Errorf("TURN allocations %v, want udp %s and tcp %s", got, udp, tcp)
	}
}

func TestNATEndpointIndependentGoesDirect(t *testing.T) {
	w, h := newNATWorld(t, natEndpointIndependent, natEndpointIndependent)
	c := runNATCall(t, w, h)
	c.log(t, w)
	for who, p := range map[string]NetworkPath{"alice": c.alicePath, "bob": c.bobPath} {
		// Direct, and across the NATs: one end of the pair is a NAT's
		// public address (a server-reflexive candidate, or the same
		// mapping learned from a check: prflx).
		if p.Via != ViaDirect || !(strings.HasPrefix(p.LocalAddr, "203.0.113.2") || strings.HasPrefix(p.RemoteAddr, "203.0.113.2")) {
			t.Errorf("%s: path %+v, want a direct pair through the NATs' public addresses", who, p)
		}
		if p.RTTMs < 0 {
			t.Errorf("%s: RTT %d ms", who, p.RTTMs)
		}
	}
	// Each side still gathers a relay candidate (in case no direct path
	// works), over UDP only.
	w.wantAllocations(t, "2", "0")
}

func TestNATSymmetricGoesThroughTheRelay(t *testing.T) {
	w, h := newNATWorld(t, natSymmetric, natSymmetric)
	c := runNATCall(t, w, h)
	c.log(t, w)
	for who, p := range map[string]NetworkPath{"alice": c.alicePath, "bob": c.bobPath} {
		if p.Via != ViaRelay {
			t.Errorf("%s: path %+v, want one through the relay", who, p)
		}
		if p.Local == "relay" && p.Protocol != "udp" {
			t.Errorf("%s: reaches its relay over %q, want udp", who, p.Protocol)
		}
		if p.Local == "relay" && !strings.HasPrefix(p.LocalAddr, wanRelayIP+":") {
			t.Errorf("%s: relay candidate %s is not on the relay %s", who, p.LocalAddr, wanRelayIP)
		}
	}
	w.wantAllocations(t, "2", "0")
}

func TestNATWithUDPBlockedUsesTURNOverTCP(t *testing.T) {
	w, h := newNATWorld(t, natUDPBlocked, natEndpointIndependent)
	c := runNATCall(t, w, h)
	c.log(t, w)
	if p := c.alicePath; p.Local != "relay" || p.Protocol != "tcp" {
		t.Errorf("alice (no UDP): path %+v, want her relay candidate, reached over tcp", p)
	}
	if c.bobPath.Via != ViaRelay {
		t.Errorf("bob: path %+v, want alice's relay in it", c.bobPath)
	}
	// alice's TURN/UDP never reaches the relay, so she allocates over
	// TCP; bob, whose UDP works, does not.
	w.wantAllocations(t, "1", "1")
}

// firstFrameSink is a stampSink that notes when its first frame came.
type firstFrameSink struct {
	stamp *stampSink
	mu    sync.Mutex
	at    time.Time
}

func newFirstFrameSink() *firstFrameSink { return &firstFrameSink{stamp: newStampSink()} }

func (f *firstFrameSink) OfferFrame(img *image.RGBA, release func()) {
	f.mu.Lock()
	if f.at.IsZero() {
		f.at = time.Now()
	}
	f.mu.Unlock()
	f.stamp.OfferFrame(img, release)
}

func (f *firstFrameSink) first() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at
}

// tcpLoop gives vnet, which has no TCP, TCP over real loopback sockets:
// a listener on a vnet address is a loopback listener, and a dial to that
// address reaches it, whatever the routers in between (TCP passes NATs,
// and in these tests no router filters it). Enough for TURN over TCP.
type tcpLoop struct {
	t  *testing.T
	mu sync.Mutex
	ls map[string]string // vnet address -> loopback address
}

func newTCPLoop(t *testing.T) *tcpLoop { return &tcpLoop{t: t, ls: map[string]string{}} }

func (l *tcpLoop) wrap(n *vnet.Net) transport.Net { return &tcpLoopNet{Net: n, loop: l} }

type tcpLoopNet struct {
	*vnet.Net
	loop *tcpLoop
}

func (n *tcpLoopNet) ListenTCP(network string, laddr *net.TCPAddr) (transport.TCPListener, error) {
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	n.loop.mu.Lock()
	n.loop.ls[laddr.String()] = ln.Addr().String()
	n.loop.mu.Unlock()
	return tcpListener{ln}, nil
}

type tcpListener struct{ *net.TCPListener }

func (l tcpListener) AcceptTCP() (transport.TCPConn, error) { return l.TCPListener.AcceptTCP() }

func (n *tcpLoopNet) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	if network == "tcp6" && raddr.IP.To4() != nil {
		return nil, fmt.Errorf("tcpLoop: no IPv6 route to %v", raddr) // as the OS would say
	}
	n.loop.mu.Lock()
	real, ok := n.loop.ls[raddr.String()]
	n.loop.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("tcpLoop: nothing listens on %v", raddr)
	}
	ra, _ := net.ResolveTCPAddr("tcp4", real)
	c, err := net.DialTCP("tcp4", nil, ra)
	if err != nil {
		return nil, err
	}
	local := &net.TCPAddr{IP: n.lanIP(), Port: c.LocalAddr().(*net.TCPAddr).Port}
	return &addrConn{TCPConn: c, local: local, remote: raddr}, nil
}

func (n *tcpLoopNet) lanIP() net.IP {
	ifc, err := n.Net.InterfaceByName("eth0")
	if err == nil {
		if addrs, err := ifc.Addrs(); err == nil {
			for _, a := range addrs {
				if in, ok := a.(*net.IPNet); ok {
					return in.IP
				}
			}
		}
	}
	return net.IPv4zero
}

// addrConn is a loopback TCP connection that gives the vnet addresses.
type addrConn struct {
	*net.TCPConn
	local, remote net.Addr
}

func (c *addrConn) LocalAddr() net.Addr  { return c.local }
func (c *addrConn) RemoteAddr() net.Addr { return c.remote }

// An external coturn, started with use-auth-secret and the server's TURN
// secret, relays a Calla call: the credentials the signaling server hands
// out are coturn's to judge, and RelayOnly leaves the call no other path.
func TestCoturnRelaysACall(t *testing.T) {
	secret := "coturn-call-secret-0123456789abcdef"
	ct := coturn.Start(t, secret)
	h := newHarness(t, func(c *server.Config) {
		c.TURN = server.TURNConfig{URLs: []string{"turn:" + ct.Addr + "?transport=udp"}, Secret: []byte(secret)}
	})
	relayOnly := func(c *Config) { c.RelayOnly = true }
	alice := h.engine("alice", relayOnly)
	bob := h.engine("bob", relayOnly)
	aliceSees := newStampSink()
	alice.StartRemoteView("bob", aliceSees)
	connect1v1(t, alice, bob, signaling.Video)
	aliceSees.waitStamps(t, "alice sees bob", 5)
	bob.waitFrom(0, "audio from alice", hears("alice"), 20*time.Second)
	pe, _ := alice.waitFrom(0, "the path to bob", func(ev Event) bool {
		p, ok := ev.(*NetworkPathChanged)
		return ok && p.Paths["bob"].Via != ""
	}, 20*time.Second)
	p := pe.(*NetworkPathChanged).Paths["bob"]
	if p.Local != "relay" || p.Remote != "relay" || !strings.HasPrefix(p.LocalAddr, "127.0.0.1:") {
		t.Fatalf("path %+v, want relay to relay on coturn (127.0.0.1)\n%s", p, ct.Log())
	}
	t.Logf("through coturn: %+v", p)
}

// TestNATBench measures call setup across NATs on the vnet, direct
// (endpoint-independent NATs) and through the relay (symmetric NATs):
// onCallBegin -> media connected and accept -> first remote frame, over
// CALLA_NAT_TRIALS calls each (default 10). It runs only with
// CALLA_BENCH_NAT=1 (`scripts/bench.sh nat`) and writes the "NAT
// traversal" section of docs/benchmarks.md.
func TestNATBench(t *testing.T) {
	if os.Getenv("CALLA_BENCH_NAT") == "" {
		t.Skip("the NAT bench runs only with CALLA_BENCH_NAT=1 (scripts/bench.sh nat)")
	}
	trials := 10
	if n, err := strconv.Atoi(os.Getenv("CALLA_NAT_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	load0 := benchreport.LoadAverage()
	type figures struct{ begin, frame []time.Duration }
	kinds := []struct {
		name string
		nat  natKind
		via  string
	}{{"direct (endpoint-independent NATs)", natEndpointIndependent, ViaDirect}, {"through the relay (symmetric NATs)", natSymmetric, ViaRelay}}
	res := make([]figures, len(kinds))
	for i, k := range kinds {
		for n := 0; n < trials; n++ {
			t.Run(fmt.Sprintf("%s %d", k.name, n), func(t *testing.T) {
				w, h := newNATWorld(t, k.nat, k.nat)
				c := runNATCall(t, w, h)
				if c.alicePath.Via != k.via || c.bobPath.Via != k.via {
					t.Fatalf("paths %+v / %+v, want %s", c.alicePath, c.bobPath, k.via)
				}
				res[i].begin = append(res[i].begin, c.beginToJoin[:]...)
				res[i].frame = append(res[i].frame, c.acceptToFrame[:]...)
			})
		}
	}
	p := func(v []time.Duration, q float64) string {
		if len(v) == 0 {
			return "-"
		}
		s := slices.Clone(v)
		slices.Sort(s)
		return fmt.Sprintf("%.0f ms", float64(s[int(q*float64(len(s)-1))].Microseconds())/1000)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## NAT traversal\n\n")
	fmt.Fprintf(&b, "Measured by `scripts/bench.sh nat` (`CALLA_BENCH_NAT=1 go test ./call -run TestNATBench`) on %s, %s; load average %s at the start and %s at the end (the machine is shared).\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), benchreport.Machine(), load0, benchreport.LoadAverage())
	fmt.Fprintf(&b, "%d 1v1 video calls of each kind between two `call.Engine`s whose media runs on pion's virtual network (vnet, no added delay), each behind a NAT router of its own, with Calla's TURN relay on the virtual internet and credentials from the signaling server; 320x240 at 15 fps, both sides measured (so %d samples a row). Times are wall-clock at the engines' event consumers.\n\n", trials, 2*trials)
	fmt.Fprintf(&b, "| Path | onCallBegin -> media connected (onUserJoin) p50 / max | accept -> first remote frame p50 / max | Target |\n|---|---|---|---|\n")
	for i, k := range kinds {
		target := ""
		if k.via == ViaRelay {
			target = "media within 0.7 s of onCallBegin"
		}
		fmt.Fprintf(&b, "| %s | %s / %s | %s / %s | %s |\n", k.name, p(res[i].begin, 0.5), p(res[i].begin, 1), p(res[i].frame, 0.5), p(res[i].frame, 1), target)
	}
	fmt.Fprintf(&b, "\nWith pion's default acceptance waits (relay 2 s, prflx 1 s, srflx 0.5 s) a relayed call took 2.2 s from onCallBegin to media in the same test (one run); Calla's waits are media/api.go's (docs/media.md, \"NAT traversal\"). TURN allocations per call: one TURN/UDP allocation per side; TURN/TCP only where UDP is blocked (`TestNATWithUDPBlockedUsesTURNOverTCP`: one TCP allocation for the blocked side, one UDP for the other).\n")
	report := filepath.Join("..", "docs", "benchmarks.md")
	if err := benchreport.WriteSection(report, b.String()); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote:\n%s", b.String())
}
