package media

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// A peer that hangs up closes its connection (DTLS close_notify), and
// pion closes ours at once, before signaling says the call ended. That
// is a peer leaving, not a network going down: neither its link nor our
// own uplink may be rated Down for it. (Before, the close rated both
// Down at once: the "Down 13 ms before onCallEnd" of issue 12.)
func TestAPeerThatHangsUpIsNotRatedDown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	c := n.add("carol", testConfig())
	defer n.close()
	start(t, false, a, b, c)
	n.connect(a, b, c)
	excellent := func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Self == QualityExcellent && e.Peers["bob"] == QualityExcellent && e.Peers["carol"] == QualityExcellent
	}
	a.wait(t, 0, 15*time.Second, "everyone excellent", excellent)
	m := a.mark()

	// Bob hangs up: his session closes, and with it his connections.
	if err := b.s.Close(); err != nil {
		t.Fatal(err)
	}
	closed := a.waitAt(t, m, 10*time.Second, "bob's connection closed", isState("bob", PeerClosed))
	// Two quality updates after the close (they come every 500 ms and
	// at once on a state change): carol is still rated, bob no more.
	var after []Qualities
	waitUntil(t, 10*time.Second, "two quality updates after bob left", func() bool {
		after = after[:0]
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, ev := range a.events[closed:] {
			if q, ok := ev.(Qualities); ok {
				after = append(after, q)
			}
		}
		return len(after) >= 2
	})
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ev := range a.events[m:] {
		q, ok := ev.(Qualities)
		if !ok {
			continue
		}
		if q.Self == QualityDown || q.Peers["bob"] == QualityDown || q.Peers["carol"] == QualityDown {
			t.Errorf("bob's hang-up rated someone Down: %+v", q)
		}
	}
	for _, q := range after {
		if _, ok := q.Peers["bob"]; ok {
			t.Errorf("bob is still rated after his connection closed: %+v", q)
		}
		if _, ok := q.Peers["carol"]; !ok {
			t.Errorf("carol is no longer rated: %+v", q)
		}
	}
}
