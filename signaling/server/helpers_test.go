package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// testSecret signs every UserSig of the tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

const testAppID = 1400000001

// env is a real server on a loopback httptest listener, with a TCP proxy
// in front of it that can cut every connection (a network drop); or, made
// by newClusterEnv, the nodes of a cluster, each so, with srv, hs, proxy
// and url naming the first.
type env struct {
	t     *testing.T
	srv   *Server
	hs    *httptest.Server
	proxy *proxy
	url   string

	nodes []*envNode // a cluster's; nil for a single server
	// placed says which node each user logs in to: users go round the
	// nodes in the order they first log in.
	placed map[signaling.UserID]int
}

// urlFor is the URL user u logs in with: on a cluster, its node's first
// and then the others', so that it fails over when its node dies.
func (e *env) urlFor(u signaling.UserID) string {
	if e.nodes == nil {
		return e.url
	}
	i, ok := e.placed[u]
	if !ok {
		i = len(e.placed) % len(e.nodes)
		e.placed[u] = i
	}
	url := e.nodes[i].url
	for j, n := range e.nodes {
		if j != i {
			url += "," + n.url
		}
	}
	return url
}

// quietLogger discards the servers' logs; CALLA_TEST_LOG=1 shows them
// (debug level) on stderr.
func quietLogger() *slog.Logger {
	if os.Getenv("CALLA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newEnv starts a server with short timeouts; mod may change its config.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
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
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	p := newProxy(t, strings.TrimPrefix(hs.URL, "http://"))
	e := &env{t: t, srv: srv, hs: hs, proxy: p, url: "ws://" + p.addr() + "/ws"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		p.close()
		hs.Close()
	})
	return e
}

// sig makes a UserSig for u valid for d.
func sig(t testing.TB, u signaling.UserID, d time.Duration) string {
	t.Helper()
	s, err := signaling.GenUserSig(testSecret, testAppID, u, d, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tclient is a real signaling.Client whose events a goroutine collects.
type tclient struct {
	*signaling.Client
	t    *testing.T
	user signaling.UserID
	mu   sync.Mutex
	evs  []signaling.Event
	cond chan struct{} // signalled on each event
	done chan struct{}
}

func (e *env) login(u signaling.UserID) *tclient {
	e.t.Helper()
	return e.loginWith(signaling.ClientConfig{UserID: u, UserSig: sig(e.t, u, time.Hour), Presence: true})
}

// loginWith logs in with cfg, through p if given (else the env's proxy).
func (e *env) loginWith(cfg signaling.ClientConfig, p ...*proxy) *tclient {
	e.t.Helper()
	cfg.URL = e.urlFor(cfg.UserID)
	if len(p) > 0 {
		cfg.URL = "ws://" + p[0].addr() + "/ws"
	}
	cfg.Logger = quietLogger()
	cfg.MinBackoff = 20 * time.Millisecond
	cfg.MaxBackoff = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, cfg)
	if err != nil {
		e.t.Fatalf("login %s: %v", cfg.UserID, err)
	}
	tc := &tclient{Client: c, t: e.t, user: cfg.UserID, cond: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(tc.done)
		for ev := range c.Events() {
			tc.mu.Lock()
			tc.evs = append(tc.evs, ev)
			tc.mu.Unlock()
			select {
			case tc.cond <- struct{}{}:
			default:
			}
		}
	}()
	e.t.Cleanup(func() {
		_ = c.Close()
		<-tc.done
	})
	return tc
}

// waitFor waits until the client has an event of type t (beyond the
// first skip ones of that type) and returns it.
func (c *tclient) waitFor(t signaling.MessageType) signaling.Event {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		for _, ev := range c.evs {
			if ev.EventType() == t {
				c.mu.Unlock()
				return ev
			}
		}
		c.mu.Unlock()
		select {
		case <-c.cond:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			c.t.Fatalf("%s: no %s event; got %v", c.user, t, c.described())
		}
	}
}

// sync makes a round trip, after which every event the server sent this
// client before has reached its queue; then it gives the collector a
// moment to take them.
func (c *tclient) sync() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Directory(ctx); err != nil && !errors.Is(err, signaling.ErrClosed) {
		c.t.Fatalf("%s: sync: %v", c.user, err)
	}
	time.Sleep(50 * time.Millisecond)
}

// callEvents returns the described events, without presence (filtered by
// type: presence is asserted in its own test) and without connection
// events unless conn is set.
func (c *tclient) callEvents(conn bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ev := range c.evs {
		switch ev.(type) {
		case *signaling.PresenceChanged:
			continue
		case *signaling.Reconnecting, *signaling.Resumed, *signaling.SessionLost, *signaling.Closed:
			if !conn {
				continue
			}
		}
		out = append(out, describe(ev))
	}
	return out
}

func (c *tclient) described() []string { return c.callEvents(true) }

func (c *tclient) reset() {
	c.mu.Lock()
	c.evs = nil
	c.mu.Unlock()
}

// describe renders an event for comparison: its name and the fields a
// scenario decides (call ids, room ids and times are checked apart).
func describe(ev signaling.Event) string {
	switch e := ev.(type) {
	case *signaling.CallReceived:
		return fmt.Sprintf("onCallReceived caller=%s callees=%v group=%s media=%d data=%s", e.CallerID, e.CalleeIDList, e.GroupID, e.CallMediaType, e.UserData)
	case *signaling.CallCancelled:
		return fmt.Sprintf("onCallCancelled callerId=%s reason=%s", e.CallerID, e.Reason)
	case *signaling.CallBegin:
		return fmt.Sprintf("onCallBegin role=%d members=%v entry=%d media=%d", e.CallRole, e.Members, e.EntryIndex, e.CallMediaType)
	case *signaling.CallEnd:
		return fmt.Sprintf("onCallEnd role=%d reason=%s media=%d", e.CallRole, e.Reason, e.CallMediaType)
	case *signaling.UserReject:
		return "onUserReject " + string(e.UserID)
	case *signaling.UserNoResponse:
		return "onUserNoResponse " + string(e.UserID)
	case *signaling.UserLineBusy:
		return "onUserLineBusy " + string(e.UserID)
	case *signaling.UserJoin:
		return fmt.Sprintf("onUserJoin %s entry=%d offer=%v", e.UserID, e.EntryIndex, e.Offer)
	case *signaling.UserLeave:
		return "onUserLeave " + string(e.UserID)
	case *signaling.UserInviting:
		return "onUserInviting " + string(e.UserID)
	case *signaling.CallMediaTypeChanged:
		return fmt.Sprintf("onCallMediaTypeChanged %d->%d", e.OldCallMediaType, e.NewCallMediaType)
	case *signaling.Relay:
		return fmt.Sprintf("onRelay from=%s %s", e.From, e.Payload)
	case *signaling.Closed:
		if e.Err == nil {
			return "closed"
		}
		return "closed: " + e.Err.Error()
	case *signaling.Resumed:
		return "resumed"
	case *signaling.SessionLost:
		return "sessionLost"
	case *signaling.Reconnecting:
		return "reconnecting"
	}
	return string(ev.EventType())
}

// proxy forwards TCP connections to a target and can cut them all.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	paused bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.paused {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		target := p.target
		p.mu.Unlock()
		up, err := net.Dial("tcp", target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// cut drops every connection; with pause, new ones are refused until resume.
func (p *proxy) cut(pause bool) {
	p.mu.Lock()
	p.paused = pause
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
}

// retarget sends new connections to target (a restarted server).
func (p *proxy) retarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

func (p *proxy) resume() {
	p.mu.Lock()
	p.paused = false
	p.mu.Unlock()
}

func (p *proxy) close() {
	_ = p.ln.Close()
	p.cut(false)
	p.wg.Wait()
}

func bg() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// saveUser stages one directory entry on s, as a login would.
func saveUser(s *store, u signaling.UserID, e dirEntry) {
	s.stage(changes{{bucketUsers, string(u)}: mustJSON(e)})
}
