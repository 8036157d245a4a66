package signaling_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// Every test here ends with no goroutine left: the clients' and the
// servers' included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var secret = []byte("0123456789abcdef0123456789abcdef")

const appID = 1400000007

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startServer(t *testing.T, mod func(*server.Config)) (*server.Server, string) {
	t.Helper()
	cfg := server.Config{AppID: appID, Secret: secret, Logger: quiet(), Grace: time.Second}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return srv, "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
}

func dial(t *testing.T, url string, u signaling.UserID) *signaling.Client {
	t.Helper()
	s, err := signaling.GenUserSig(secret, appID, u, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, UserID: u, UserSig: s, Logger: quiet(), MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// next returns the next event that is not presence.
func next(t *testing.T, c *signaling.Client) signaling.Event {
	t.Helper()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("events closed")
			}
			if _, p := ev.(*signaling.PresenceChanged); !p {
				return ev
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
	}
}

func TestClientCloseStopsEverything(t *testing.T) {
	_, url := startServer(t, nil)
	c := dial(t, url, "alice")
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, ok := <-c.Events(); ok {
		// Events may hold nothing or a last event; it must close.
		for range c.Events() {
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := c.Directory(ctx); !errors.Is(err, signaling.ErrClosed) {
		t.Errorf("request after Close: %v", err)
	}
}

func TestDialRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, url := startServer(t, nil)
	expired, _ := signaling.GenUserSig(secret, appID, "alice", time.Second, time.Now().Add(-time.Hour))
	_, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, UserID: "alice", UserSig: expired, Logger: quiet()})
	if !errors.Is(err, &signaling.Error{Code: signaling.CodeUserSigExpired}) {
		t.Errorf("expired UserSig: %v", err)
	}
	_, err = signaling.Dial(ctx, signaling.ClientConfig{URL: url, UserID: "not valid", Logger: quiet()})
	if !errors.Is(err, &signaling.Error{Code: signaling.CodeInvalidParam}) {
		t.Errorf("bad user id: %v", err)
	}

	_, full := startServer(t, func(c *server.Config) { c.MaxConnections = 1 })
	dial(t, full, "bob") // takes the one connection
	s, _ := signaling.GenUserSig(secret, appID, "carol", time.Hour, time.Now())
	_, err = signaling.Dial(ctx, signaling.ClientConfig{URL: full, UserID: "carol", UserSig: s, Logger: quiet()})
	if !errors.Is(err, &signaling.Error{Code: signaling.CodeServerUnavailable}) || !strings.Contains(err.Error(), "full") {
		t.Errorf("full server: %v", err)
	}
}

// TestClientSlowConsumer: a consumer that does not read for a while loses
// nothing and slows nobody: the read pump keeps reading into the queue.
func TestClientSlowConsumer(t *testing.T) {
	_, url := startServer(t, func(c *server.Config) { c.MessageRate = 10000; c.MessageBurst = 10000 })
	a, b := dial(t, url, "alice"), dial(t, url, "bob")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := a.Call(ctx, signaling.CallRequest{CalleeIDList: []signaling.UserID{"bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := next(t, b).(*signaling.CallReceived); !ok {
		t.Fatal("want onCallReceived")
	}
	if _, err := b.Accept(ctx, rep.CallID); err != nil {
		t.Fatal(err)
	}
	// Alice does not read while bob sends more than the server's
	// per-connection queue (256) and the client's channels could hold.
	const n = 2000
	for i := 0; i < n; i++ {
		// The candidate's foundation numbers the relays.
		p := fmt.Sprintf(`{"signals":[{"kind":"candidate","candidate":{"candidate":"candidate:%d 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0"}}]}`, i)
		if err := b.Relay(ctx, rep.CallID, "alice", json.RawMessage(p)); err != nil {
			t.Fatal(err)
		}
	}
	want := 0
	for want < n {
		switch e := next(t, a).(type) {
		case *signaling.Relay:
			p, err := signaling.DecodeRelayPayload(e.Payload)
			if err != nil {
				t.Fatal(err)
			}
			var got int
			if _, err := fmt.Sscanf(p.Signals[0].Candidate.Candidate, "candidate:%d ", &got); err != nil || got != want {
				t.Fatalf("relay %d arrived as number %d (%v)", got, want, err)
			}
			want++
		case *signaling.Reconnecting:
			t.Fatal("the slow consumer's connection was dropped")
		}
	}
}

func TestClientServerShutdown(t *testing.T) {
	srv, url := startServer(t, nil)
	c := dial(t, url, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if ev, ok := next(t, c).(*signaling.ServerClosing); !ok || ev.Message == "" {
		t.Fatalf("want onServerClosing, got %#v", ev)
	}
	if _, ok := next(t, c).(*signaling.Reconnecting); !ok {
		t.Fatal("want reconnecting")
	}
}

func TestClientLogout(t *testing.T) {
	_, url := startServer(t, nil)
	c := dial(t, url, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	ev, ok := next(t, c).(*signaling.Closed)
	if !ok || ev.Err != nil {
		t.Fatalf("want closed with no error, got %#v", ev)
	}
	if _, ok := <-c.Events(); ok {
		t.Error("events not closed after the terminal event")
	}
}

// blackhole is a TCP proxy whose links can go silent: nothing passes, and
// nothing is closed, as when a NAT on the way changes its address.
type blackhole struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	dead   bool
	conns  []net.Conn
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			b.mu.Lock()
			b.conns = append(b.conns, c, s)
			b.mu.Unlock()
			go b.pipe(c, s)
			go b.pipe(s, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			_ = c.Close()
		}
		b.mu.Unlock()
	})
	return b
}

// pipe copies while the link is alive; once silenced it reads and drops.
func (b *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		b.mu.Lock()
		dead := b.dead
		b.mu.Unlock()
		if !dead {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// silence makes the links open so far go silent; new ones pass.
func (b *blackhole) silence() {
	b.mu.Lock()
	b.dead = true
	b.mu.Unlock()
}

// A request whose reply does not come within clientReplyWait makes the
// client probe the link, and a link that stays silent is dead: the client
// reconnects and resumes, rather than waiting a minute for its keepalive
// (issue 16: a NAT that renumbers mid-call left the ICE restart offers
// stuck on a dead websocket).
func TestClientReconnectsWhenRepliesStop(t *testing.T) {
	_, url := startServer(t, func(c *server.Config) { c.Grace = 30 * time.Second })
	hole := newBlackhole(t, strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/ws"))
	c := dial(t, "ws://"+hole.ln.Addr().String()+"/ws", "alice")
	if _, err := c.Directory(context.Background()); err != nil {
		t.Fatal(err)
	}
	hole.silence()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t0 := time.Now()
	_, err := c.Directory(ctx)
	if !errors.Is(err, signaling.ErrNotConnected) {
		t.Fatalf("a request on a silent link: %v, want ErrNotConnected", err)
	}
	t.Logf("the request gave up after %v", time.Since(t0).Round(time.Millisecond))
	// New connections pass the proxy: the client resumes its session.
	hole.mu.Lock()
	hole.dead = false // links made from now on pass; the old ones are closed
	hole.mu.Unlock()
	for {
		ev := next(t, c)
		if _, ok := ev.(*signaling.Resumed); ok {
			break
		}
	}
	if _, err := c.Directory(ctx); err != nil {
		t.Fatalf("after the resume: %v", err)
	}
}

// Send never waits, and its reply comes on Events in the server's order:
// the caller's reply to call comes before the onUserReject the server
// sends after it, so the call ID is known before anything about the call
// arrives.
func TestSendDeliversTheReplyInTheServersOrder(t *testing.T) {
	_, url := startServer(t, nil)
	alice, bob := dial(t, url, "alice"), dial(t, url, "bob")
	id := alice.Send(signaling.ReqCall, signaling.CallRequest{CalleeIDList: []signaling.UserID{"bob"}, CallMediaType: signaling.Audio}, 5*time.Second)
	rec := next(t, bob).(*signaling.CallReceived)
	if err := bob.Reject(context.Background(), rec.CallID); err != nil {
		t.Fatal(err)
	}
	r, ok := next(t, alice).(*signaling.Reply)
	if !ok || r.ID != id || r.Err != nil {
		t.Fatalf("first event %#v, want the reply %d to call", r, id)
	}
	var rep signaling.CallReply
	if err := r.Decode(&rep); err != nil || rep.CallID != rec.CallID {
		t.Fatalf("reply %+v (%v), want call %s", rep, err, rec.CallID)
	}
	if ev, ok := next(t, alice).(*signaling.UserReject); !ok || ev.CallID != rec.CallID {
		t.Fatalf("after the reply: %#v, want onUserReject", ev)
	}
	// A refused request ends in a reply with the server's error.
	id = alice.Send(signaling.ReqHangup, signaling.CallRef{CallID: "nope"}, 5*time.Second)
	for {
		ev := next(t, alice)
		if r, ok := ev.(*signaling.Reply); ok && r.ID == id {
			var se *signaling.Error
			if !errors.As(r.Err, &se) || se.Code == 0 {
				t.Fatalf("reply to a bad hangup: err %v, want the server's error", r.Err)
			}
			break
		}
	}
}

// Requests made with Send reach the server in the order they were made:
// the last of a burst of profile changes is the one that stays.
func TestSendKeepsTheOrderOfRequests(t *testing.T) {
	_, url := startServer(t, nil)
	alice := dial(t, url, "alice")
	const n = 50
	var last uint64
	for i := range n {
		last = alice.Send(signaling.ReqSetProfile, signaling.SetProfileRequest{Nickname: fmt.Sprintf("n%d", i)}, 5*time.Second)
	}
	for {
		if r, ok := next(t, alice).(*signaling.Reply); ok && r.ID == last {
			break
		}
	}
	dir, err := alice.Directory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range dir {
		if u.UserID == "alice" && u.Nickname != fmt.Sprintf("n%d", n-1) {
			t.Fatalf("alice's nickname is %q after %d changes, want the last one", u.Nickname, n)
		}
	}
}

// A server that is slow to reply but alive (it answers pings) keeps the
// connection: the request gets its reply, however late. Giving up after
// a fixed wait instead failed the request at 5 s and reconnected, which
// on a loaded machine turned slow replies into failed calls.
func TestClientWaitsForASlowServerThatAnswersPings(t *testing.T) {
	const delay = 6 * time.Second // past the reply wait and the probe together
	var mu sync.Mutex
	logins := 0
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		var wmu sync.Mutex
		reply := func(id uint64, data string) {
			wmu.Lock()
			defer wmu.Unlock()
			_ = ws.WriteMessage(websocket.TextMessage, signaling.AppendMessage(nil, signaling.MsgReply, id, 0, []byte(data)))
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		for { // reading answers pings (gorilla's default handler)
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var req signaling.Request
			if json.Unmarshal(b, &req) != nil {
				return
			}
			switch req.Type {
			case signaling.ReqLogin:
				mu.Lock()
				logins++
				mu.Unlock()
				reply(req.ID, `{"token":"t","seq":0,"graceMs":10000,"iceServers":[],"directory":[]}`)
			case signaling.ReqDirectory:
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(delay) // the slow server
					reply(req.ID, `{"users":[{"userId":"alice","nickname":"","avatarUrl":"","presence":"online"}]}`)
				}()
			}
		}
	}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	users, err := c.Directory(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("a slow reply: %v (%d users), want the reply", err, len(users))
	}
	_ = c.Close()
	mu.Lock()
	defer mu.Unlock()
	if logins != 1 {
		t.Fatalf("%d logins, want 1: the client dropped a live connection", logins)
	}
}

// TestClientFailsOver: a client given several servers logs in on the
// first that answers, and when its server goes away it reconnects to the
// next one. These two servers share nothing, so the session starts
// afresh there (a cluster's nodes share sessions: see the cluster tests).
func TestClientFailsOver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "ws://" + ln.Addr().String() + "/ws"
	_ = ln.Close()
	srvA, a := startServer(t, nil)
	_, b := startServer(t, nil)
	if err := signaling.CheckServerURL(a + ", " + b); err != nil {
		t.Fatalf("a list of two: %v", err)
	}
	if err := signaling.CheckServerURL(a + ",http://x/ws"); err == nil {
		t.Fatal("a list with an http URL passed the check")
	}
	c := dial(t, dead+","+a+","+b, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Directory(ctx); err != nil {
		t.Fatalf("on the second URL: %v", err)
	}
	if err := srvA.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for ev := range c.Events() {
		if _, ok := ev.(*signaling.SessionLost); ok {
			break // logged in on b
		}
		if _, ok := ev.(*signaling.Closed); ok {
			t.Fatalf("client stopped: %+v", ev)
		}
	}
	dir, err := c.Directory(ctx)
	if err != nil || len(dir) != 1 || dir[0].UserID != "alice" || dir[0].Presence != signaling.Online {
		t.Fatalf("on the third URL: %+v, %v", dir, err)
	}
}
