package media

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// localUfrag is s's current ICE username fragment with peer.
func localUfrag(t *testing.T, s *Session, peer PeerID) string {
	t.Helper()
	var u string
	if err := s.call(func() error {
		u = iceUfrag(s.peers[peer].pc.LocalDescription().SDP)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// A race of real outages, made certain: the offerer's own timer restarts ICE, and the
// answerer's request for the same restart, sent before his offer reached
// her, arrives while that offer is still out. One restart serves both.
func TestICERestartRequestsThatCrossMakeOneRestart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	a.wait(t, 0, 10*time.Second, "connected", isState("bob", PeerConnected))
	b.wait(t, 0, 10*time.Second, "connected", isState("alice", PeerConnected))
	before := localUfrag(t, b.s, "alice")
	mb := b.mark()
	if err := b.s.call(func() error {
		p := b.s.peers["alice"]
		b.s.negotiate(p, true) // what bob's restart timer does
		return b.s.handleSignal(p, Signal{Kind: SignalRenegotiate, ICERestart: true})
	}); err != nil {
		t.Fatal(err)
	}
	b.waitAt(t, mb, 10*time.Second, "connected after the restart", isState("alice", PeerConnected))
	frames := a.frameCount("bob")
	waitUntil(t, 10*time.Second, "frames after the restart", func() bool { return a.frameCount("bob") >= frames+5 })
	var offers int
	b.mu.Lock()
	for _, ev := range b.events[mb:] {
		if e, ok := ev.(SignalOut); ok && e.Signal.Kind == SignalOffer {
			offers++
		}
	}
	b.mu.Unlock()
	if offers != 1 {
		t.Errorf("bob made %d offers, want one ICE restart", offers)
	}
	if localUfrag(t, b.s, "alice") == before {
		t.Error("no new ICE credentials")
	}
}
