package server

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

var turnSecret = []byte("turn-secret-0123456789abcdef0123")

// turnServerOf finds the entry with TURN URLs.
func turnServerOf(t *testing.T, ice []signaling.ICEServer) signaling.ICEServer {
	t.Helper()
	for _, s := range ice {
		if strings.HasPrefix(s.URLs[0], "turn:") {
			return s
		}
	}
	t.Fatalf("no TURN server in %+v", ice)
	return signaling.ICEServer{}
}

func TestLoginAndResumeHandOutFreshTURNCredentials(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	urls := []string{"stun:203.0.113.9:3478", "turn:203.0.113.9:3478?transport=udp", "turn:203.0.113.9:3478?transport=tcp"}
	e := newEnv(t, func(c *Config) {
		c.Grace = 5 * time.Second
		c.Now = now
		c.TURN = TURNConfig{URLs: urls, Secret: turnSecret, TTL: 10 * time.Minute}
	})
	p := newProxy(t, strings.TrimPrefix(e.hs.URL, "http://"))
	t.Cleanup(p.close)
	al := e.loginWith(signaling.ClientConfig{UserID: "alice", UserSig: sig(t, "alice", time.Hour)}, p)

	ice := al.ICEServers()
	if len(ice) != 3 || ice[0].URLs[0] != "stun:127.0.0.1:3478" || ice[1].URLs[0] != urls[0] {
		t.Fatalf("ICE servers %+v: want the configured STUN, the relay's STUN, then its TURN URLs", ice)
	}
	ts := turnServerOf(t, ice)
	if strings.Join(ts.URLs, " ") != strings.Join(urls[1:], " ") {
		t.Errorf("TURN URLs %v, want %v", ts.URLs, urls[1:])
	}
	wantUser, wantPass := turn.Credential(turnSecret, "alice", now().Add(10*time.Minute))
	if ts.Username != wantUser || ts.Credential != wantPass {
		t.Errorf("login credential %q/%q, want %q/%q (expiry = login + TTL)", ts.Username, ts.Credential, wantUser, wantPass)
	}
	if u, err := turn.CheckUsername(ts.Username, now()); err != nil || u != "alice" {
		t.Errorf("username %q: user %q, %v", ts.Username, u, err)
	}

	// Five minutes on, the connection drops and resumes: new credentials.
	clock.Add(int64(5 * time.Minute))
	p.cut(true)
	time.Sleep(50 * time.Millisecond)
	p.resume()
	al.waitFor(signaling.EvResumed)
	ts2 := turnServerOf(t, al.ICEServers())
	wantUser, wantPass = turn.Credential(turnSecret, "alice", now().Add(10*time.Minute))
	if ts2.Username != wantUser || ts2.Credential != wantPass {
		t.Errorf("resume credential %q/%q, want fresh %q/%q", ts2.Username, ts2.Credential, wantUser, wantPass)
	}
	if ts2.Username == ts.Username {
		t.Error("the resumed session kept its old credential")
	}
}

func TestTURNCredentialsLastAsLongAsTheUserSigByDefault(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.TURN = TURNConfig{URLs: []string{"turn:203.0.113.9:3478"}, Secret: turnSecret}
	})
	sigAt := time.Now()
	bob := e.loginWith(signaling.ClientConfig{UserID: "bob", UserSig: sig(t, "bob", 2*time.Hour)})
	ts := turnServerOf(t, bob.ICEServers())
	exp, _, _ := strings.Cut(ts.Username, ":")
	want := sigAt.Add(2 * time.Hour).Unix()
	if exp != itoa64(want) && exp != itoa64(want+1) {
		t.Errorf("username %q: want expiry %d, the UserSig's", ts.Username, want)
	}
	// The other user's credential is the other user's.
	carol := e.login("carol")
	if tc := turnServerOf(t, carol.ICEServers()); !strings.HasSuffix(tc.Username, ":carol") || tc.Credential == ts.Credential {
		t.Errorf("carol got %q/%q", tc.Username, tc.Credential)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
