package media

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestTwoPeersExchangeVideoAndAudio(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
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
