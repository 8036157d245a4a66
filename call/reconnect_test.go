package call

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// dropProxy is a TCP proxy on loopback between one engine and the server:
// cut drops every connection through it (a network drop); while blocked
// it refuses new ones, and while hanging it takes them and never answers
// (a server that does not respond).
type dropProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	conns   map[net.Conn]bool
	blocked bool
	hanging bool
	wg      sync.WaitGroup
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *dropProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		blocked, hanging := p.blocked, p.hanging
		if hanging {
			p.conns[c] = true // held open, unanswered, until cut
		}
		p.mu.Unlock()
		if blocked {
			c.Close()
			continue
		}
		if hanging {
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

func (p *dropProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (p *dropProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *dropProxy) hang(b bool) {
	p.mu.Lock()
	p.hanging = b
	p.mu.Unlock()
}

func (p *dropProxy) block(b bool) {
	p.mu.Lock()
	p.blocked = b
	p.mu.Unlock()
}

// engineVia logs user in through a dropProxy of its own.
func (h *harness) engineVia(user signaling.UserID) (*tengine, *dropProxy) {
	h.t.Helper()
	return h.engineViaWith(user, nil)
}

// engineViaWith is engineVia with mod applied to the engine's Config.
func (h *harness) engineViaWith(user signaling.UserID, mod func(*Config)) (*tengine, *dropProxy) {
	h.t.Helper()
	addr := strings.TrimSuffix(strings.TrimPrefix(h.url, "ws://"), "/ws")
	p := newDropProxy(h.t, addr)
	url := "ws://" + p.ln.Addr().String() + "/ws"
	real := h.url
	h.url = url
	te := h.engine(user, mod)
	h.url = real
	return te, p
}

// TestReconnectWithinGraceKeepsTheCall: bob's connection to the server
// drops; he is back within the grace period and the call goes on, media
// and all, with no call event lost or invented.
func TestReconnectWithinGraceKeepsTheCall(t *testing.T) {
	h := newHarness(t, nil) // grace 1 s
	alice := h.engine("alice", nil)
	bob, proxy := h.engineVia("bob")
	bobSees := newStampSink()
	bob.StartRemoteView("alice", bobSees)
	connect1v1(t, alice, bob, signaling.Video)

	proxy.cut()
	bob.waitEvent("onConnectionChanged", func(ev Event) bool { return ev.(*ConnectionChanged).State == Reconnecting })
	bob.waitEvent("onConnectionChanged", func(ev Event) bool {
		c := ev.(*ConnectionChanged)
		return c.State == Connected && c.Reason == ""
	})
	bobSees.reset()
	bobSees.waitStamps(t, "bob after the reconnect", 5)

	// The signaling still works: alice hangs up and bob hears of it.
	must(t, "hang up", alice.Hangup(ctxT(t)))
	bob.waitEvent("onCallEnd", nil)
	time.Sleep(200 * time.Millisecond)
	want := []string{"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserLeave(alice)", "onCallEnd(hangup)"}
	if got := withoutAvailability(bob.callEvents()); !equal(got, want) {
		t.Errorf("bob saw %q, want %q\n%s", got, want, bob.dump())
	}
}

// TestReconnectAfterGraceEndsTheCall: bob stays away longer than the grace
// period: the server takes him out of the call (alice: onUserLeave and
// onCallEnd), and bob, when he is back, learns that his call ended.
func TestReconnectAfterGraceEndsTheCall(t *testing.T) {
	h := newHarness(t, nil) // grace 1 s
	alice := h.engine("alice", nil)
	bob, proxy := h.engineVia("bob")
	connect1v1(t, alice, bob, signaling.Audio)

	proxy.block(true)
	proxy.cut()
	end := alice.waitEvent("onCallEnd", nil).(*CallEnd)
	if end.Reason != signaling.ReasonOffline {
		t.Errorf("alice's call ended with %q, want offline", end.Reason)
	}
	proxy.block(false)
	bobEnd := bob.waitEvent("onCallEnd", nil).(*CallEnd)
	if bobEnd.Reason != signaling.ReasonOffline {
		t.Errorf("bob's call ended with %q, want offline", bobEnd.Reason)
	}
	bob.waitEvent("onConnectionChanged", func(ev Event) bool {
		c := ev.(*ConnectionChanged)
		return c.State == Connected && strings.HasPrefix(c.Reason, "new session")
	})
	// Bob can call again at once.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, "call again", noID(bob.Call(ctx, "alice", signaling.Audio, Params{})))
	alice.waitEvent("onCallReceived", nil)
	wantAlice := []string{"onCallBegin", "onUserJoin(bob)", "onUserLeave(bob)", "onCallEnd(offline)", "onCallReceived"}
	if got := withoutAvailability(alice.callEvents()); !equal(got, wantAlice) {
		t.Errorf("alice saw %q, want %q", got, wantAlice)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
