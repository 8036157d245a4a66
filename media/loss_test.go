package media

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

// dropEvery is an interceptor (nearest the network) that drops every
// n-th outgoing RTP packet: n = 10 is 10% loss on the wire.
type dropEvery struct {
	interceptor.NoOp
	n       uint64
	count   atomic.Uint64
	dropped atomic.Uint64
}

func (d *dropEvery) NewInterceptor(string) (interceptor.Interceptor, error) { return d, nil }

func (d *dropEvery) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if d.count.Add(1)%d.n == 0 {
			d.dropped.Add(1)
			return len(payload), nil
		}
		return w.Write(h, payload, a)
	})
}

func TestLossyPeerIsPoorWhileHealthyPeerIsExcellent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	drop := &dropEvery{n: 10}
	a := n.addWith("alice", testConfig(), testHooks{interceptor: func(p PeerID) interceptor.Factory {
		if p == "carol" {
			return drop
		}
		return nil
	}})
	b := n.add("bob", testConfig())
	c := n.add("carol", testConfig())
	defer n.close()
	start(t, true, a, b, c)
	n.connect(a, b, c)
	a.wait(t, 0, 10*time.Second, "carol connected", isState("carol", PeerConnected))
	a.wait(t, 0, 10*time.Second, "bob connected", isState("bob", PeerConnected))
	ev := a.wait(t, 0, 15*time.Second, "carol poor or worse while bob excellent", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["carol"] >= QualityPoor && e.Peers["carol"] <= QualityVbad && e.Peers["bob"] == QualityExcellent
	})
	t.Logf("alice sees %v (dropped %d packets to carol)", ev, drop.dropped.Load())
	// Carol sees the loss on what alice sends her too.
	c.wait(t, 0, 15*time.Second, "alice poor or worse at carol", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["alice"] >= QualityPoor && e.Peers["alice"] <= QualityVbad
	})
	// Bob's link is clean both ways.
	b.wait(t, 0, 15*time.Second, "alice excellent at bob", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["alice"] == QualityExcellent
	})
	// Alice's own uplink is as bad as her worst link.
	a.wait(t, 0, 15*time.Second, "alice's self quality degraded", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Self >= QualityPoor && e.Self <= QualityVbad
	})
	// ... and her Opus FEC is sized for that loss (10% on the wire to
	// carol: 5% margin + about 10), more than bob's clean link needs.
	fec := func(m *member) int {
		var pct int
		if err := m.s.call(func() error {
			if e, ok := m.s.audioCap.ctrl.(*opusEncoder); ok {
				pct = e.packetLoss()
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return pct
	}
	waitUntil(t, 10*time.Second, "alice's FEC sized for the loss", func() bool { return fec(a) >= 12 })
	waitUntil(t, 10*time.Second, "bob's FEC at the floor", func() bool { return fec(b) == 5 })
	t.Logf("FEC sized for %d%% loss at alice, %d%% at bob", fec(a), fec(b))
}

func TestFECLossPct(t *testing.T) {
	for _, c := range []struct {
		lost float64
		want int
	}{{0, 5}, {0.004, 5}, {0.1, 15}, {0.25, 30}, {0.9, 30}} {
		if got := fecLossPct(c.lost); got != c.want {
			t.Errorf("fecLossPct(%v) = %d, want %d", c.lost, got, c.want)
		}
	}
}
