package media

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestFourPeerMeshEncodesOnceAndEveryoneSeesEveryone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	var ms []*member
	for i := 0; i < 4; i++ {
		ms = append(ms, n.add(PeerID(fmt.Sprintf("m%d", i)), testConfig()))
	}
	defer n.close()
	before := encodersBuilt.Load()
	start(t, true, ms...)
	n.connect(ms...)
	for _, m := range ms {
		for _, o := range ms {
			if o == m {
				continue
			}
			m.wait(t, 0, 15*time.Second, "connected to "+string(o.id), isState(o.id, PeerConnected))
			waitUntil(t, 15*time.Second, fmt.Sprintf("%s reads stamps from %s", m.id, o.id), func() bool { return m.frameCount(o.id) >= 5 })
			waitUntil(t, 10*time.Second, fmt.Sprintf("%s decodes audio from %s", m.id, o.id), func() bool { _, n := m.pcmRMS(o.id); return n >= 24000 })
			if rms, _ := m.pcmRMS(o.id); rms < 0.05 {
				t.Errorf("%s: audio from %s has RMS %.4f", m.id, o.id, rms)
			}
		}
		m.wait(t, 0, 5*time.Second, "volumes of all three", func(ev Event) bool {
			e, ok := ev.(Volumes)
			if !ok || len(e.Peers) != 3 || e.Self <= 10 {
				return false
			}
			for _, v := range e.Peers {
				if v <= 10 {
					return false
				}
			}
			return true
		})
		// Levels are measured for every link and for self. (Which level
		// depends on the machine: four sessions under the race detector
		// on two shared cores lose packets for real, because receivers
		// fall behind; the level itself is tested in the loss test.)
		m.wait(t, 0, 10*time.Second, "qualities of all three", func(ev Event) bool {
			e, ok := ev.(Qualities)
			if !ok || len(e.Peers) != 3 || e.Self == QualityUnknown || e.Self == QualityDown {
				return false
			}
			for _, q := range e.Peers {
				if q == QualityUnknown || q == QualityDown {
					return false
				}
			}
			return true
		})
	}
	// Encode once: four members, one camera and one microphone each, so
	// eight encoders, not the 4*3*2 = 24 of an encoder per peer.
	if got := encodersBuilt.Load() - before; got != 8 {
		t.Errorf("encoders built for a 4-member mesh = %d, want 8", got)
	}
}

func TestCandidatesBeforeTheDescriptionAreBuffered(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	// Offers and answers are late; candidates overtake them.
	n.hold = func(_, _ PeerID, sig Signal) time.Duration {
		if sig.Kind == SignalOffer || sig.Kind == SignalAnswer {
			return 300 * time.Millisecond
		}
		return 0
	}
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, false, a, b)
	n.connect(a, b)
	a.wait(t, 0, 10*time.Second, "connected", isState("bob", PeerConnected))
	b.wait(t, 0, 10*time.Second, "connected", isState("alice", PeerConnected))
	waitUntil(t, 10*time.Second, "audio", func() bool { _, n := a.pcmRMS("bob"); return n >= 9600 })
	var buffered int
	_ = a.s.call(func() error { buffered = a.s.peers["bob"].buffered; return nil })
	var bufferedB int
	_ = b.s.call(func() error { bufferedB = b.s.peers["alice"].buffered; return nil })
	if buffered == 0 && bufferedB == 0 {
		t.Errorf("no candidate was buffered (alice %d, bob %d): the test did not exercise the path", buffered, bufferedB)
	}
	t.Logf("buffered candidates: alice %d, bob %d", buffered, bufferedB)
}
