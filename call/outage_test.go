package call

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/netfault"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// recoveryBound is how soon after the network returns media must be back
// (issue 12). It is a correctness bound, not a speed figure: a restart's
// checks are still running whenever the network returns (icerestart.go),
// so media comes back at the next check, 200 ms apart, unless nothing
// is checking at all; before the fix it took 10 to 23 s. The figures are
// `calla bench outage`'s (median 40..180 ms). The bound leaves room for a
// loaded CI machine (2 s failed there) and stays well below the old
// failure, the next ICE-failed transition 13 s on.
const recoveryBound = 6 * time.Second

// Calls survive network outages of 4, 8, 20 and 30 s: every UDP packet
// of both sides is dropped at once (so both sides lose the link together,
// and restart ICE together), and the network returns at a random moment
// relative to the restart timers (up to a second either side of the
// nominal length). Each outage checks that no call ends, that quality says
// Down throughout, and that audio is back at both sides within
// recoveryBound of the network's return, measured from the return to the
// first volume event that carries the other side's decoded audio (they
// come every 100 ms). The four run at once, each its own server and pair
// of engines, so the test lasts about as long as the longest outage.
func TestCallsSurviveNetworkOutages(t *testing.T) {
	var wg sync.WaitGroup
	for _, d := range []time.Duration{4 * time.Second, 8 * time.Second, 20 * time.Second, 30 * time.Second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(fmt.Sprintf("%v outage", d), func(t *testing.T) { runCallOutage(t, d) })
		}()
	}
	wg.Wait()
}

func runCallOutage(t *testing.T, nominal time.Duration) {
	h := newHarness(t, nil)
	aNet, bNet := newFaultNet(t), newFaultNet(t)
	alice := h.engineWith("alice", nil, testHooks{net: aNet})
	bob := h.engineWith("bob", nil, testHooks{net: bNet})
	connect1v1(t, alice, bob, signaling.Audio)
	sides := []struct {
		te   *tengine
		peer signaling.UserID
	}{{alice, "bob"}, {bob, "alice"}}
	for _, s := range sides {
		s.te.waitFrom(0, "audio from "+string(s.peer), hears(s.peer), 20*time.Second)
	}

	outage := nominal + rand.N(2*time.Second) - time.Second
	marks := []int{len(alice.snapshot()), len(bob.snapshot())}
	aNet.Cut(true, true)
	bNet.Cut(true, true)
	select { // the outage itself: the test's input, not a wait for something
	case <-time.After(outage):
	case <-t.Context().Done():
		return
	}
	aNet.Heal()
	bNet.Heal()
	healAt := time.Now()
	if aNet.Dropped() == 0 || bNet.Dropped() == 0 {
		t.Fatalf("the outage dropped %d and %d packets", aNet.Dropped(), bNet.Dropped())
	}

	var back []time.Duration
	for i, s := range sides {
		at := s.te.firstAfter(t, healAt, 20*time.Second, "audio from "+string(s.peer)+" after the outage", hears(s.peer))
		back = append(back, at.Sub(healAt))
		if d := at.Sub(healAt); d > recoveryBound {
			t.Errorf("%s: audio from %s back %v after the network, want within %v", s.te.user, s.peer, d.Round(time.Millisecond), recoveryBound)
		}
		s.te.checkDownThroughout(t, marks[i], healAt, s.peer, outage >= 5*time.Second)
	}
	t.Logf("outage %v: media back %v (alice) and %v (bob) after the network", outage.Round(time.Millisecond),
		back[0].Round(time.Millisecond), back[1].Round(time.Millisecond))

	// No call ended, nobody left, nothing failed; the call goes on to a
	// normal hang-up.
	for _, s := range sides {
		for _, ev := range s.te.snapshot() {
			switch ev.(type) {
			case *CallEnd, *UserLeave, *Error:
				t.Errorf("%s: %s during the outage", s.te.user, describeEvent(ev))
			}
		}
	}
	must(t, "hang up", alice.Hangup(ctxT(t)))
	for _, s := range sides {
		end := s.te.waitEvent("onCallEnd", nil).(*CallEnd)
		if end.Reason != signaling.ReasonHangup {
			t.Errorf("%s: the call ended with %q, want hangup", s.te.user, end.Reason)
		}
	}
}

// hears matches a volume event that carries peer's decoded audio.
func hears(peer signaling.UserID) func(Event) bool {
	return func(ev Event) bool {
		v, ok := ev.(*UserVoiceVolumeChanged)
		return ok && v.VolumeMap[peer] > 0
	}
}

// firstAfter is when the first event read after t0 that matches was read.
func (te *tengine) firstAfter(t *testing.T, t0 time.Time, timeout time.Duration, what string, match func(Event) bool) time.Time {
	t.Helper()
	var at time.Time
	waitFor(t, timeout, string(te.user)+": "+what, func() bool {
		te.mu.Lock()
		defer te.mu.Unlock()
		for i, ev := range te.events {
			if te.at[i].After(t0) && match(ev) {
				at = te.at[i]
				return true
			}
		}
		return false
	})
	return at
}

// checkDownThroughout checks the quality events read after mark and
// before until: once they call peer Down, they keep calling peer and the
// local user Down (every link is down); with mustSee, they do call peer
// Down at some point.
func (te *tengine) checkDownThroughout(t *testing.T, mark int, until time.Time, peer signaling.UserID, mustSee bool) {
	t.Helper()
	te.mu.Lock()
	defer te.mu.Unlock()
	down := false
	for i := mark; i < len(te.events) && te.at[i].Before(until); i++ {
		q, ok := te.events[i].(*UserNetworkQualityChanged)
		if !ok {
			continue
		}
		if q.NetworkQuality[peer] == media.QualityDown {
			down = true
		}
		if down && (q.NetworkQuality[peer] != media.QualityDown || q.NetworkQuality[te.user] != media.QualityDown) {
			t.Errorf("%s: quality %v during the outage, want everyone Down", te.user, q.NetworkQuality)
		}
	}
	if mustSee && !down {
		t.Errorf("%s: no quality event said %s was Down during the outage", te.user, peer)
	}
}

// newFaultNet is a network under one engine's media that a test can cut.
func newFaultNet(t *testing.T) *netfault.Net {
	t.Helper()
	n, err := netfault.New()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A link that stays down is given up RestoreTimeout after it was lost:
// onError (-1409) and, in a 1v1 call, the end of the call for both.
func TestALinkThatStaysDownEndsTheCallAfterRestoreTimeout(t *testing.T) {
	h := newHarness(t, nil)
	aNet, bNet := newFaultNet(t), newFaultNet(t)
	short := func(c *Config) { c.RestoreTimeout = 2 * time.Second }
	alice := h.engineWith("alice", short, testHooks{net: aNet})
	bob := h.engineWith("bob", short, testHooks{net: bNet})
	connect1v1(t, alice, bob, signaling.Audio)
	aNet.Cut(true, true)
	bNet.Cut(true, true)
	for _, te := range []*tengine{alice, bob} {
		end := te.waitEvent("onCallEnd", nil).(*CallEnd)
		if end.Reason != signaling.ReasonConnectionFailed {
			t.Errorf("%s: the call ended with %q, want connectionFailed", te.user, end.Reason)
		}
	}
	reported := 0
	for _, te := range []*tengine{alice, bob} {
		for _, ev := range te.callEvents() {
			if ev == "onError(-1409)" {
				reported++
			}
		}
	}
	if reported == 0 {
		t.Error("nobody reported the lost link with onError(-1409)")
	}
}
