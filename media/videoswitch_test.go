package media

import (
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestVideoComesBackWithTheNewTrackNotTheOldOne: the call goes to audio
// and straight back to video while the descriptions that end the old
// video track are still on their way (held here). The peer's mediaState
// says camera on again at once, and its old track is still open, until a
// description stops it. The video must come back with the new track, not
// before (counting the old one showed it early, then flickered it off as
// the old track ended: TestOneToOneVideoCall in call failed so under load).
func TestVideoComesBackWithTheNewTrackNotTheOldOne(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	a.wait(t, 0, 10*time.Second, "bob's video", isRemoteMedia("bob", true, true))
	b.wait(t, 0, 10*time.Second, "alice's video", isRemoteMedia("alice", true, true))

	n.mu.Lock()
	n.hold = func(_, _ PeerID, sig Signal) time.Duration {
		if sig.Kind == SignalMediaState || sig.Kind == SignalCandidate {
			return 0
		}
		return time.Second // the offer, answer and renegotiate requests
	}
	n.mu.Unlock()
	ma := a.mark()
	for _, step := range []struct {
		m  *member
		on bool
	}{{a, false}, {b, false}, {b, true}, {a, true}} {
		if err := step.m.s.SetVideo(step.on); err != nil {
			t.Fatal(err)
		}
	}
	// Alice answers bob's first offer after the switch, the one without
	// his old track, once the hold lets it through: no new track can
	// have come before that.
	answered := a.waitAt(t, ma, 20*time.Second, "alice's first answer after the switch", func(ev Event) bool {
		e, ok := ev.(SignalOut)
		return ok && e.Peer == "bob" && e.Signal.Kind == SignalAnswer
	})
	a.wait(t, ma, 20*time.Second, "bob's video back", isRemoteMedia("bob", true, true))
	frames := a.frameCount("bob")
	waitUntil(t, 10*time.Second, "bob's frames on the new track", func() bool { return a.frameCount("bob") >= frames+5 })
	waitUntil(t, 10*time.Second, "the old track ended", func() bool { return remoteTracks(t, a.s, "bob") == 1 })

	var seen []bool
	a.mu.Lock()
	for i, ev := range a.events[ma:] {
		if e, ok := ev.(RemoteMedia); ok && e.Peer == "bob" {
			if e.Video && ma+i < answered {
				t.Errorf("bob's video was on again while his old track was still open")
			}
			seen = append(seen, e.Video)
		}
	}
	a.mu.Unlock()
	if seen = slices.Compact(seen); !slices.Equal(seen, []bool{false, true}) {
		t.Errorf("bob's video as alice saw it: %v, want off once, then on once", seen)
	}
}
