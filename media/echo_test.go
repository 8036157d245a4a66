package media

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestEchoReturnsTheUsersOwnStampedFrames(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	bot := n.add("bot", testConfig())
	u := n.add("user", testConfig())
	defer n.close()
	const delay = 150 * time.Millisecond
	if err := bot.s.EchoFrom("user", delay); err != nil {
		t.Fatal(err)
	}
	if err := bot.s.Start(t.Context(), true); err == nil {
		t.Error("Start in echo mode succeeded")
	}
	start(t, true, u)
	n.connect(bot, u) // the user joined later: the user offers
	u.wait(t, 0, 10*time.Second, "bot connected", isState("bot", PeerConnected))
	waitUntil(t, 10*time.Second, "echoed frames", func() bool { return u.frameCount("bot") >= 10 })
	waitUntil(t, 10*time.Second, "echoed audio", func() bool { _, n := u.pcmRMS("bot"); return n >= 48000 })
	if rms, _ := u.pcmRMS("bot"); rms < 0.05 {
		t.Errorf("echoed audio RMS %.4f, want the user's tone back", rms)
	}
	l := u.frames["bot"]
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, st := range l.stamps {
		// The stamps are the user's own capture times, back after at
		// least the delay.
		if lat := l.at[i].Sub(st.Captured); lat < delay || lat > 2*time.Second {
			t.Errorf("echoed frame %d came back after %v, want >= %v", st.Frame, lat, delay)
		}
	}
	if bot.frameCount("user") != 0 {
		t.Error("the bot decoded video it should only forward")
	}
	// The user's receiver asked the bot for a keyframe; the bot has no
	// encoder and passed the request up to the user.
	if n := bot.s.keys.count(); n == 0 {
		t.Error("no keyframe request was forwarded upstream")
	}
}
