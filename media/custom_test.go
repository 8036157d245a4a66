package media

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"go.uber.org/goleak"
)

// A session with a custom source and an encoded sink forwards what a peer
// sends straight back to it, with no decoding or encoding: how the echo
// bot and the media bench's echo peers are made. The RTP it sends keeps
// the user's timing, on the bot's own clock.
func TestACustomSourceForwardsAPeersOwnMediaBack(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	rec := &rtpRecorder{sent: map[string][]sentPacket{}}
	bot := n.addWith("bot", testConfig(), testHooks{interceptor: func(PeerID) interceptor.Factory { return rec }})
	u := n.add("user", testConfig())
	defer n.close()
	if err := bot.s.StartCustom(true, func() { bot.s.RequestKeyFrame("user") }); err != nil {
		t.Fatal(err)
	}
	if err := bot.s.SetCustomMedia(true, true); err != nil {
		t.Fatal(err)
	}
	if err := bot.s.Start(t.Context(), true); err == nil {
		t.Error("Start after StartCustom succeeded")
	}
	start(t, true, u)
	n.connect(bot, u) // the user joined later: the user offers
	u.wait(t, 0, 10*time.Second, "bot connected", isState("bot", PeerConnected))
	if err := bot.s.SetRemoteEncodedSink("user", EncodedSinkFunc(func(f EncodedFrame) {
		_ = bot.s.WriteEncoded(f)
	})); err != nil {
		t.Fatal(err)
	}
	decodedBefore := bot.frameCount("user")
	waitUntil(t, 10*time.Second, "forwarded frames", func() bool { return u.frameCount("bot") >= 10 })
	waitUntil(t, 10*time.Second, "forwarded audio", func() bool { _, n := u.pcmRMS("bot"); return n >= 48000 })
	if rms, _ := u.pcmRMS("bot"); rms < 0.05 {
		t.Errorf("forwarded audio RMS %.4f, want the user's tone back", rms)
	}
	l := u.frames["bot"]
	l.mu.Lock()
	for i, st := range l.stamps {
		// The stamps are the user's own: their capture times, back soon.
		if lat := l.at[i].Sub(st.Captured); lat < 0 || lat > 2*time.Second {
			t.Errorf("forwarded frame %d came back after %v", st.Frame, lat)
		}
	}
	l.mu.Unlock()
	if got := bot.frameCount("user"); got != decodedBefore {
		t.Errorf("the bot decoded %d frames it should only forward", got-decodedBefore)
	}
	// What goes back keeps the user's timing on the bot's own clock:
	// one Opus frame a packet, and both following real time.
	checkRTPClock(t, "audio", rec.packets("audio"), 48000, 960, nil, 500*time.Millisecond)
	checkRTPClock(t, "video", rec.packets("video"), 90000, 0, nil, 500*time.Millisecond)
	// The user's receiver asked the bot for a keyframe; the bot has no
	// encoder and passed the request up to the user.
	if n := bot.s.keys.count(); n == 0 {
		t.Error("no keyframe request reached the custom source")
	}
}
