package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// crash stops s the way kill -9 would, as far as a process can do it to
// itself: every websocket is dropped without a close frame, the hub stops
// where it is, and nothing more is written than the commit already
// begun (the store gets one last attempt, as a write the kernel already
// had would reach the disk). Shutdown afterwards does nothing.
func (s *Server) crash() {
	s.shutOnce.Do(func() {})
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	close(s.hub.quit)
	<-s.hub.done
	for c := range s.hub.all {
		_ = c.ws.Close()
		c.mu.Lock()
		c.broken = true
		c.mu.Unlock()
		c.shut(websocketCloseAbnormal, "")
	}
	s.wg.Wait()
	if st := s.hub.store; st != nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_ = st.close(ctx)
	}
}

const websocketCloseAbnormal = 1006

// restart crashes e's server and starts a new one on the same config (and
// data dir) behind the same proxy, as an operator restarting `calla
// serve` on the same port would.
func (e *env) restart(t *testing.T) {
	t.Helper()
	e.crash()
	e.start(t)
}

// crash crashes e's server.
func (e *env) crash() {
	e.srv.crash()
	e.hs.Close()
}

// start starts a new server on the crashed one's config.
func (e *env) start(t *testing.T) {
	t.Helper()
	srv, err := New(e.srv.cfg)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	e.srv, e.hs = srv, hs
	e.proxy.retarget(strings.TrimPrefix(hs.URL, "http://"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		hs.Close()
	})
}

// TestRestartMidCall is the reproduction: the server is killed in
// the middle of a 1v1 call and started again on the same data dir. Both
// clients resume (no new login), the call goes on, and each sees exactly
// the events a server that never stopped would have sent.
func TestRestartMidCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.DataDir = t.TempDir(); c.Grace = 5 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
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

	e.restart(t)
	checkCallResumes(t, ctx, alice, bob, rep.CallID)
}

// checkCallResumes checks the 1v1 video call id, alice calling bob, once
// the server that ran it went away: both resume, a signal alice relays
// while bob is still away reaches him when he resumes, bob hangs up, and
// each saw the call's events once (reconnecting and resumed aside).
func checkCallResumes(t *testing.T, ctx context.Context, alice, bob *tclient, id signaling.CallID) {
	t.Helper()
	alice.waitFor(signaling.EvResumed)
	if err := alice.Relay(ctx, id, "bob", []byte(`{"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`)); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(signaling.EvResumed)
	bob.waitFor(signaling.EvRelay)
	if err := bob.Hangup(ctx, id); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(signaling.EvCallEnd)
	alice.sync()
	bob.sync()
	want := map[*tclient][]string{
		alice: {"onCallBegin role=1 members=[bob] entry=0 media=1", "onUserJoin bob entry=1 offer=false", "reconnecting", "resumed",
			"onUserLeave bob", "onCallEnd role=1 reason=hangup media=1"},
		bob: {"onCallReceived caller=alice callees=[bob] group= media=1 data=", "onCallBegin role=2 members=[alice] entry=1 media=1",
			"onUserJoin alice entry=0 offer=true", "reconnecting", "resumed", `onRelay from=alice {"signals":[{"kind":"mediaState","camera":false,"microphone":true}]}`,
			"onCallEnd role=2 reason=hangup media=1"},
	}
	for c, w := range want {
		if got := dedupReconnecting(c.callEvents(true)); !slices.Equal(got, w) {
			t.Errorf("%s saw:\n\t%s\nwant:\n\t%s", c.user, strings.Join(got, "\n\t"), strings.Join(w, "\n\t"))
		}
	}
}

// TestRestartTimersAreDeadlines: an invite whose timeout passes while the
// server is down ends as soon as the server is back, as no response.
func TestRestartTimersAreDeadlines(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.DataDir = t.TempDir(); c.Grace = 5 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	alice, bob := e.login("alice"), e.login("bob")
	if _, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Audio, Timeout: 1}); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(signaling.EvCallReceived)
	e.crash()
	time.Sleep(1200 * time.Millisecond) // past the invite's deadline, with the server down
	e.start(t)
	alice.waitFor(signaling.EvCallCancelled)
	bob.waitFor(signaling.EvCallCancelled)
	alice.sync()
	bob.sync()
	if got, w := alice.callEvents(false), []string{"onUserNoResponse bob", "onCallCancelled callerId=alice reason=noResponse"}; !slices.Equal(got, w) {
		t.Errorf("alice saw %v, want %v", got, w)
	}
	if got, w := bob.callEvents(false), []string{"onCallReceived caller=alice callees=[bob] group= media=0 data=", "onCallCancelled callerId=bob reason=noResponse"}; !slices.Equal(got, w) {
		t.Errorf("bob saw %v, want %v", got, w)
	}
}

// dedupReconnecting keeps the first of each run of "reconnecting" (a
// client retries until the server is back; how often is timing).
func dedupReconnecting(evs []string) []string {
	var out []string
	for i, ev := range evs {
		if ev == "reconnecting" && i > 0 && evs[i-1] == "reconnecting" {
			continue
		}
		out = append(out, ev)
	}
	return out
}

// TestLoginReplyGraces: the login reply tells a client both grace
// periods, so that one in a call (the browser client) keeps trying to
// resume for as long as the server keeps its session.
func TestLoginReplyGraces(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Grace, c.CallGrace = 2*time.Second, 30*time.Second })
	r := e.raw()
	r.send(fmt.Sprintf(`{"v":1,"id":1,"type":"login","data":{"userId":"alice","userSig":%q}}`, sig(t, "alice", time.Hour)))
	m, err := r.reply()
	if err != nil || m.Error != nil {
		t.Fatal(err, m.Error)
	}
	var rep signaling.LoginReply
	if err := json.Unmarshal(m.Data, &rep); err != nil || rep.GraceMs != 2000 || rep.CallGraceMs != 30000 {
		t.Fatalf("login reply %s", m.Data)
	}
}
