package call

import (
	"testing"
	"time"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// TestEchoCancellationAppliesFromTheNextCall checks the setting reaches
// the media session of the next call, and only the next: alice has a
// speaker (the null backend where there is no sound card), so her
// sessions have a canceller unless she turns it off.
func TestEchoCancellationAppliesFromTheNextCall(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", func(c *Config) { c.NoPlayback = false })
	bob := h.engine("bob", nil)

	alice.ring(bob)
	if !alice.callCancelsEcho() {
		t.Error("by default the call's session does not cancel echo")
	}
	if err := alice.SetEchoCancellation(ctxT(t), false); err != nil {
		t.Fatalf("SetEchoCancellation(false): %v", err)
	}
	if !alice.callCancelsEcho() {
		t.Error("turning echo cancellation off changed the call in progress")
	}
	alice.hangUp(bob)

	alice.ring(bob)
	if alice.callCancelsEcho() {
		t.Error("after SetEchoCancellation(false) the next call's session cancels echo")
	}
	alice.hangUp(bob)

	if err := alice.SetEchoCancellation(ctxT(t), true); err != nil {
		t.Fatalf("SetEchoCancellation(true): %v", err)
	}
	alice.ring(bob)
	if !alice.callCancelsEcho() {
		t.Error("after SetEchoCancellation(true) the next call's session does not cancel echo")
	}
	alice.hangUp(bob)

	carol := h.engine("carol", func(c *Config) { c.NoPlayback, c.NoEchoCancellation = false, true })
	carol.ring(bob)
	if carol.callCancelsEcho() {
		t.Error("with Config.NoEchoCancellation the call's session cancels echo")
	}
	carol.hangUp(bob)
}

// ring calls callee (audio) and waits until it rings there.
func (te *tengine) ring(callee *tengine) {
	te.t.Helper()
	from := callee.eventCount()
	if _, err := te.Call(ctxT(te.t), callee.user, signaling.Audio, Params{}); err != nil {
		te.t.Fatalf("%s: call %s: %v", te.user, callee.user, err)
	}
	callee.waitFrom(from, "onCallReceived", func(ev Event) bool { return ev.EventName() == "onCallReceived" }, 20*time.Second)
}

// hangUp cancels the ringing call and waits until both sides have seen
// it end (the caller's next Call is refused while its own end is still
// on its way).
func (te *tengine) hangUp(callee *tengine) {
	te.t.Helper()
	from, own := callee.eventCount(), te.eventCount()
	if err := te.Hangup(ctxT(te.t)); err != nil {
		te.t.Fatalf("%s: hang up: %v", te.user, err)
	}
	cancelled := func(ev Event) bool { return ev.EventName() == "onCallCancelled" }
	callee.waitFrom(from, "onCallCancelled", cancelled, 20*time.Second)
	te.waitFrom(own, "its own onCallCancelled", cancelled, 20*time.Second)
}

func (te *tengine) eventCount() int {
	te.mu.Lock()
	defer te.mu.Unlock()
	return len(te.events)
}

// callCancelsEcho reports, from the engine's loop, whether the current
// call's media session cancels echo.
func (te *tengine) callCancelsEcho() bool {
	te.t.Helper()
	var on, inCall bool
	err := te.do(ctxT(te.t), "inspect the call", func(done func(error)) {
		c := te.call
		if c == nil || c.media == nil {
			done(nil)
			return
		}
		c.media.do(func(s *media.Session) error {
			inCall, on = true, s.EchoCancellation()
			return nil
		}, done)
	})
	if err != nil || !inCall {
		te.t.Fatalf("%s: no call to inspect (%v)", te.user, err)
	}
	return on
}
