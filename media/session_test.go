package media

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestTwoPeersExchangeVideoAndAudio(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	// Alice plays what she receives (to the null backend on a machine
	// without a sound card); bob does not.
	withSpeaker := testConfig()
	withSpeaker.NoPlayback = false
	a := n.add("alice", withSpeaker)
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b)

	for _, m := range []*member{a, b} {
		other := PeerID("bob")
		if m == b {
			other = "alice"
		}
		m.wait(t, 0, 10*time.Second, "connected", isState(other, PeerConnected))
		m.wait(t, 0, 10*time.Second, "first frame", func(ev Event) bool { e, ok := ev.(FirstFrame); return ok && e.Peer == other })
		m.wait(t, 0, 10*time.Second, "remote video+audio", isRemoteMedia(other, true, true))
		waitUntil(t, 10*time.Second, string(m.id)+" reads 10 stamps", func() bool { return m.frameCount(other) >= 10 })
		waitUntil(t, 10*time.Second, string(m.id)+" decodes audio", func() bool { _, n := m.pcmRMS(other); return n >= 48000 })
		rms, _ := m.pcmRMS(other)
		if rms < 0.05 {
			t.Errorf("%s: decoded audio from %s has RMS %.4f, want the test tone (~0.177)", m.id, other, rms)
		}
		m.wait(t, 0, 5*time.Second, "volumes", func(ev Event) bool {
			e, ok := ev.(Volumes)
			return ok && e.Self > 10 && e.Peers[other] > 10
		})
		m.wait(t, 0, 10*time.Second, "excellent quality", func(ev Event) bool {
			e, ok := ev.(Qualities)
			return ok && e.Self == QualityExcellent && e.Peers[other] == QualityExcellent
		})
		if !m.s.IsTestSource(Camera) || !m.s.IsTestSource(Microphone) {
			t.Errorf("%s: not on the test source", m.id)
		}
	}
	rms, _ := b.pcmRMS("alice")
	t.Logf("bob read %d stamps from alice, audio RMS %.3f", b.frameCount("alice"), rms)
	// Stamps come back in order.
	l := b.frames["alice"]
	l.mu.Lock()
	for i := 1; i < len(l.stamps); i++ {
		if l.stamps[i].Frame <= l.stamps[i-1].Frame {
			t.Errorf("frame %d after %d", l.stamps[i].Frame, l.stamps[i-1].Frame)
		}
	}
	l.mu.Unlock()
}

func TestCameraMicAndVideoSwitchesAreSeenByThePeer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	b.wait(t, 0, 10*time.Second, "alice's video", isRemoteMedia("alice", true, true))
	a.wait(t, 0, 10*time.Second, "bob's video", isRemoteMedia("bob", true, true))

	// Camera off and on again, no renegotiation: bob sees availability
	// change, and alice's frames flow again afterwards.
	m := b.mark()
	if err := a.s.SetCamera(false); err != nil {
		t.Fatal(err)
	}
	b.wait(t, m, 5*time.Second, "alice's camera off", isRemoteMedia("alice", false, true))
	m = b.mark()
	before := b.frameCount("alice")
	if err := a.s.SetCamera(true); err != nil {
		t.Fatal(err)
	}
	b.wait(t, m, 5*time.Second, "alice's camera on", isRemoteMedia("alice", true, true))
	waitUntil(t, 5*time.Second, "frames after camera on", func() bool { return b.frameCount("alice") >= before+5 })

	// Microphone off and on.
	m = b.mark()
	if err := a.s.SetMicrophone(false); err != nil {
		t.Fatal(err)
	}
	b.wait(t, m, 5*time.Second, "alice's mic off", isRemoteMedia("alice", true, false))
	a.wait(t, a.mark(), 5*time.Second, "self volume 0 while muted", func(ev Event) bool {
		e, ok := ev.(Volumes)
		return ok && e.Self == 0
	})
	m = b.mark()
	if err := a.s.SetMicrophone(true); err != nil {
		t.Fatal(err)
	}
	b.wait(t, m, 5*time.Second, "alice's mic on", isRemoteMedia("alice", true, true))

	// Video -> audio on both sides, with renegotiation: the tracks end.
	ma, mb := a.mark(), b.mark()
	for _, x := range []*member{a, b} {
		if err := x.s.SetVideo(false); err != nil {
			t.Fatal(err)
		}
	}
	b.wait(t, mb, 5*time.Second, "alice audio-only", isRemoteMedia("alice", false, true))
	a.wait(t, ma, 5*time.Second, "bob audio-only", isRemoteMedia("bob", false, true))
	// Not only the mediaState flag: the video tracks themselves ended.
	waitUntil(t, 5*time.Second, "video tracks ended", func() bool {
		return remoteTracks(t, b.s, "alice") == 0 && remoteTracks(t, a.s, "bob") == 0
	})

	// Audio -> video, started by the answerer (alice) alone first: bob
	// sees her video come back before he turns his own on.
	mb = b.mark()
	before = b.frameCount("alice")
	if err := a.s.SetVideo(true); err != nil {
		t.Fatal(err)
	}
	b.wait(t, mb, 5*time.Second, "alice's video back", isRemoteMedia("alice", true, true))
	waitUntil(t, 5*time.Second, "a new video track", func() bool { return remoteTracks(t, b.s, "alice") == 1 })
	waitUntil(t, 5*time.Second, "alice's frames after the switch", func() bool { return b.frameCount("alice") >= before+5 })
	ma = a.mark()
	before = a.frameCount("bob")
	if err := b.s.SetVideo(true); err != nil {
		t.Fatal(err)
	}
	a.wait(t, ma, 5*time.Second, "bob's video back", isRemoteMedia("bob", true, true))
	waitUntil(t, 5*time.Second, "bob's frames after the switch", func() bool { return a.frameCount("bob") >= before+5 })
}

// remoteTracks is how many video tracks s receives from peer.
func remoteTracks(t *testing.T, s *Session, peer PeerID) int {
	t.Helper()
	var n int
	if err := s.call(func() error {
		if p := s.peers[peer]; p != nil {
			n = p.videoTracks
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestICERestartAskedByTheAnswererKeepsMediaFlowing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	a.wait(t, 0, 10*time.Second, "connected", isState("bob", PeerConnected))
	waitUntil(t, 10*time.Second, "frames", func() bool { return a.frameCount("bob") >= 3 })
	before := localUfrag(t, b.s, "alice")
	// What alice's loop does when her link stays disconnected: she is the
	// answerer, so she asks bob for an ICE-restart offer.
	mb := b.mark()
	if err := a.s.call(func() error { a.s.negotiate(a.s.peers["bob"], true); return nil }); err != nil {
		t.Fatal(err)
	}
	b.wait(t, mb, 5*time.Second, "the restart offer", func(ev Event) bool {
		e, ok := ev.(SignalOut)
		return ok && e.Signal.Kind == SignalOffer
	})
	waitUntil(t, 5*time.Second, "new ICE credentials", func() bool { return localUfrag(t, b.s, "alice") != before })
	frames := a.frameCount("bob")
	waitUntil(t, 5*time.Second, "frames after the restart", func() bool { return a.frameCount("bob") >= frames+5 })
}

// A reader that stops reading Events must not keep a goroutine of the
// session alive after Close. (Before the queue was shared, the
// event-stream goroutine waited for ever to hand over its next event.)
func TestCloseLeavesNoGoroutineWhenEventsAreNotRead(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := NewSession(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	// Start reported the microphone and the camera: read one, then stop.
	select {
	case <-s.Events():
	case <-time.After(10 * time.Second):
		t.Fatal("no event after Start")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
