package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// TestIdleSessionOutlivesLoginTimeout: the login deadline must not apply
// after login (a regression: idle clients were dropped after it).
func TestIdleSessionOutlivesLoginTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginTimeout = 200 * time.Millisecond })
	a := e.login("alice")
	time.Sleep(600 * time.Millisecond)
	a.sync()
	if got := a.described(); len(got) != 0 {
		t.Fatalf("idle client saw %v", got)
	}
}

// TestLoginTimeout: a connection that does not log in is closed.
func TestLoginTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.LoginTimeout = 200 * time.Millisecond })
	r := e.raw()
	start := time.Now()
	if _, err := r.reply(); err == nil {
		t.Fatal("got a reply without a request")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %v", d)
	}
}

// TestPresence: a client that asked for presence hears others come online,
// go into a call, and go offline; the directory has them all.
func TestPresence(t *testing.T) { testPresence(t, newEnv(t, nil)) }

func testPresence(t *testing.T, e *env) {
	a := e.login("alice")
	b := e.loginWith(signaling.ClientConfig{UserID: "bob", UserSig: sig(t, "bob", time.Hour), Nickname: "Bob"})
	ctx, cancel := bg()
	defer cancel()
	want := func(p signaling.Presence) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			a.mu.Lock()
			var last signaling.Presence
			for _, ev := range a.evs {
				if pc, ok := ev.(*signaling.PresenceChanged); ok {
					for _, u := range pc.Users {
						if u.UserID == "bob" {
							last = u.Presence
							if u.Nickname != "Bob" {
								t.Errorf("nickname %q", u.Nickname)
							}
						}
					}
				}
			}
			a.mu.Unlock()
			if last == p {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("bob never became %s", p)
	}
	want(signaling.Online)
	id, err := a.Call(ctx, signaling.CallRequest{CalleeIDList: users("bob")})
	if err != nil {
		t.Fatal(err)
	}
	b.waitFor(signaling.EvCallReceived)
	if _, err := b.Accept(ctx, id.CallID); err != nil {
		t.Fatal(err)
	}
	want(signaling.InCall)
	dir, err := a.Directory(ctx)
	if err != nil || len(dir) != 2 || dir[1].UserID != "bob" || dir[1].Presence != signaling.InCall {
		t.Fatalf("directory %+v, %v", dir, err)
	}
	if err := b.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	want(signaling.Offline)
	if b.Client.ICEServers() == nil || len(a.ICEServers()) != 1 || a.ICEServers()[0].URLs[0] != "stun:127.0.0.1:3478" {
		t.Errorf("ICE servers %+v", a.ICEServers())
	}
}

// TestDirectoryPersists: the directory survives a restart (bbolt), and so
// does alice's session: she counts as online for its grace period.
func TestDirectoryPersists(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := bg()
	defer cancel()
	first := newEnv(t, func(c *Config) { c.DataDir = dir })
	a := first.loginWith(signaling.ClientConfig{UserID: "alice", UserSig: sig(t, "alice", time.Hour), Nickname: "Alice"})
	if err := a.SetProfile(ctx, "Alice L.", "https://example.org/a.png"); err != nil {
		t.Fatal(err)
	}
	if err := first.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	second := newEnv(t, func(c *Config) { c.DataDir = dir })
	b := second.login("bob")
	got, err := b.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].UserID != "alice" || got[0].Nickname != "Alice L." || got[0].AvatarURL != "https://example.org/a.png" || got[0].Presence != signaling.Online {
		t.Fatalf("directory after restart: %+v", got)
	}
}

// TestHTTPServerLimits: the http.Server of HTTPServer closes an HTTP
// connection kept alive with no next request (net/http's default keeps it
// forever, outside MaxConnections), while its read timeout does not
// reach a websocket, which lives as long as it logs in and answers pings.
func TestHTTPServerLimits(t *testing.T) {
	srv, err := New(Config{AppID: testAppID, Secret: testSecret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer()
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Fatalf("limits %v %v %v %v %d", hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout, hs.MaxHeaderBytes)
	}
	// Shortened so that the test is quick; the mechanism is the same.
	hs.IdleTimeout, hs.ReadTimeout = 300*time.Millisecond, 300*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = hs.Serve(ln) }()
	defer func() {
		ctx, cancel := bg()
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = hs.Shutdown(ctx)
		<-done
	}()

	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("an idle kept-alive connection was not closed: %v", err)
	}

	c, err := signaling.Dial(context.Background(), signaling.ClientConfig{URL: "ws://" + ln.Addr().String() + "/ws", UserID: "alice",
		UserSig: sig(t, "alice", time.Hour), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(3 * hs.ReadTimeout)
	ctx, cancel := bg()
	defer cancel()
	if _, err := c.Directory(ctx); err != nil {
		t.Fatalf("the websocket did not outlive the HTTP read timeout: %v", err)
	}
	for ev := range drain(c) {
		if _, ok := ev.(*signaling.Reconnecting); ok {
			t.Fatal("the websocket dropped and reconnected")
		}
	}
}

// drain returns the events c has so far.
func drain(c *signaling.Client) chan signaling.Event {
	out := make(chan signaling.Event, 64)
	for {
		select {
		case ev := <-c.Events():
			out <- ev
		default:
			close(out)
			return out
		}
	}
}
