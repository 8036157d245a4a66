package call

import (
	"context"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// actBound is how soon a user's action must take effect while the server
// does not answer. It is a functional bound, not a speed figure (they
// act within a millisecond: `calla bench call` measures it): the engine
// once waited on its loop for the server, up to RequestTimeout, here a
// minute, and this bound is generous for a loaded CI machine.
const actBound = 5 * time.Second

// TestAServerThatNeverAnswersHoldsNothingUp: alice's connection drops
// and the server then takes her reconnects without ever answering. A
// request of hers waits for the server meanwhile; yet mute and hang-up
// act at once, the call ends on her side with its one terminal event,
// and when the server answers again she is connected and bob's call
// ends too.
func TestAServerThatNeverAnswersHoldsNothingUp(t *testing.T) {
	h := newHarness(t, func(c *server.Config) { c.Grace = time.Minute })
	alice, proxy := h.engineViaWith("alice", func(c *Config) { c.RequestTimeout = time.Minute })
	bob := h.engine("bob", nil)
	connect1v1(t, alice, bob, signaling.Video)

	proxy.hang(true)
	proxy.cut()
	alice.waitEvent("onConnectionChanged", func(ev Event) bool { return ev.(*ConnectionChanged).State == Reconnecting })

	// A request that waits for the server, as a switch to audio does.
	switched := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		switched <- alice.SwitchCallMediaType(ctx, signaling.Audio)
	}()
	time.Sleep(100 * time.Millisecond) // the switch is on its way (no wait for an event: none comes)

	start := time.Now()
	must(t, "mute", alice.CloseMicrophone(ctxT(t)))
	if d := time.Since(start); d > actBound {
		t.Errorf("mute took %v while the server did not answer, want within %v", d, actBound)
	}
	start = time.Now()
	must(t, "hang up", alice.Hangup(ctxT(t)))
	if d := time.Since(start); d > actBound {
		t.Errorf("hang-up took %v while the server did not answer, want within %v", d, actBound)
	}
	_, i := alice.waitFrom(0, "onCallEnd", func(ev Event) bool { _, ok := ev.(*CallEnd); return ok }, actBound)
	alice.mu.Lock()
	at := alice.at[i]
	alice.mu.Unlock()
	if got := at.Sub(start); got > actBound {
		t.Errorf("onCallEnd came %v after Hangup, want within %v", got, actBound)
	}

	// The server answers again: alice's session resumes, the hang-up
	// reaches it, and bob's call ends.
	proxy.hang(false)
	proxy.cut()
	alice.waitEvent("onConnectionChanged", func(ev Event) bool {
		c := ev.(*ConnectionChanged)
		return c.State == Connected && c.Reason == ""
	})
	bob.waitEvent("onCallEnd", nil)
	<-switched
	want := []string{"onCallBegin", "onUserJoin(bob)", "onCallEnd(hangup)"}
	if got := withoutAvailability(alice.callEvents()); !equal(got, want) {
		t.Errorf("alice saw %q, want %q\n%s", got, want, alice.dump())
	}
}
