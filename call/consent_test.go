package call

import (
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// sources are the kinds of the onMediaSourceChanged events from index
// from on.
func (te *tengine) sources(from int) []string {
	var out []string
	for _, ev := range te.snapshot()[from:] {
		if s, ok := ev.(*MediaSourceChanged); ok {
			out = append(out, s.Kind)
		}
	}
	return out
}

// TestNoDeviceOpensBeforeTheCalleeAccepts: while a video call rings, the
// callee opens no camera and no microphone (and no speaker: the ringtone
// is the app's); they open when it accepts.
func TestNoDeviceOpensBeforeTheCalleeAccepts(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", func(c *Config) { c.NoPlayback = false })
	must(t, "call", noID(alice.Call(ctxT(t), "bob", signaling.Video, Params{})))
	_, rang := bob.waitFrom(0, "onCallReceived", func(ev Event) bool { _, ok := ev.(*CallReceived); return ok }, 20*time.Second)
	// Ringing for a while, as a user takes time to answer: the caller's
	// camera is up by now, the callee's is not.
	alice.waitEvent("onMediaSourceChanged", func(ev Event) bool { return ev.(*MediaSourceChanged).Kind == "camera" })
	time.Sleep(500 * time.Millisecond)
	if got := bob.sources(0); len(got) != 0 {
		t.Fatalf("bob's devices opened while the call rang: %q", got)
	}
	must(t, "accept", bob.Accept(ctxT(t)))
	for _, kind := range []string{"speaker", "microphone", "camera"} {
		bob.waitFrom(rang, "bob's "+kind, func(ev Event) bool {
			s, ok := ev.(*MediaSourceChanged)
			return ok && s.Kind == kind
		}, 20*time.Second)
	}
	bob.waitEvent("onUserJoin", isUser("alice"))
}

// TestAPreviewWhileItRingsOpensTheCameraOnly: the app asks for the
// callee's preview while a video call rings: the camera opens and its
// frames reach the preview; no microphone opens until Accept, and a
// callee who then accepts as audio closes the camera again.
func TestAPreviewWhileItRingsOpensTheCameraOnly(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	preview := newStampSink()
	must(t, "call", noID(alice.Call(ctxT(t), "bob", signaling.Video, Params{})))
	bob.waitEvent("onCallReceived", nil)
	bob.StartLocalPreview(preview)
	bob.waitEvent("onMediaSourceChanged", func(ev Event) bool { return ev.(*MediaSourceChanged).Kind == "camera" })
	preview.waitStamps(t, "bob's preview", 3)
	if got := bob.sources(0); len(got) != 1 {
		t.Errorf("a preview while ringing opened %q, want the camera alone", got)
	}
	from := len(bob.snapshot())
	must(t, "accept as audio", bob.AcceptAsAudio(ctxT(t)))
	bob.waitEvent("onCallMediaTypeChanged", nil)
	bob.waitFrom(from, "bob's microphone", func(ev Event) bool {
		s, ok := ev.(*MediaSourceChanged)
		return ok && s.Kind == "microphone"
	}, 20*time.Second)
	// The camera is closed: no more preview frames.
	time.Sleep(300 * time.Millisecond)
	preview.reset()
	time.Sleep(500 * time.Millisecond)
	preview.mu.Lock()
	n := preview.frames
	preview.mu.Unlock()
	if n != 0 {
		t.Errorf("the camera still sends %d preview frames in a call taken as audio", n)
	}
}

// TestACameraTurnedOffNeverOpens: a user who turned the camera off
// (CloseCamera) accepts a video call: the call connects (it did not: pion
// refused to negotiate the video sender the camera's state had emptied),
// the microphone opens, the camera does not (not even for a moment, its
// light would show), and the caller sees no video. Turned on in the call,
// the camera opens and is sent.
func TestACameraTurnedOffNeverOpens(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	aliceSees := newStampSink()
	alice.StartRemoteView("bob", aliceSees)
	must(t, "close the camera", bob.CloseCamera(ctxT(t)))
	must(t, "call", noID(alice.Call(ctxT(t), "bob", signaling.Video, Params{})))
	bob.waitEvent("onCallReceived", nil)
	must(t, "accept", bob.Accept(ctxT(t)))
	bob.waitEvent("onMediaSourceChanged", func(ev Event) bool { return ev.(*MediaSourceChanged).Kind == "microphone" })
	alice.waitEvent("onUserAudioAvailable", audioOf("bob", true))
	time.Sleep(500 * time.Millisecond)
	for _, kind := range bob.sources(0) {
		if kind == "camera" {
			t.Fatalf("bob's camera opened, turned off: %q", bob.sources(0))
		}
	}
	for _, ev := range alice.snapshot() {
		if videoOf("bob", true)(ev) {
			t.Fatal("alice was told bob's video is available, his camera off")
		}
	}
	from := len(bob.snapshot())
	must(t, "open the camera", bob.OpenCamera(ctxT(t)))
	bob.waitFrom(from, "bob's camera", func(ev Event) bool {
		s, ok := ev.(*MediaSourceChanged)
		return ok && s.Kind == "camera"
	}, 20*time.Second)
	alice.waitEvent("onUserVideoAvailable", videoOf("bob", true))
	aliceSees.waitStamps(t, "alice", 3)
}

// TestAMicrophoneMutedBeforeTheCallIsNeverAnnouncedOn: a user who muted
// (CloseMicrophone) accepts a call: the caller never sees their audio as
// available, not even for a moment, until they unmute.
func TestAMicrophoneMutedBeforeTheCallIsNeverAnnouncedOn(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	must(t, "mute", bob.CloseMicrophone(ctxT(t)))
	must(t, "call", noID(alice.Call(ctxT(t), "bob", signaling.Video, Params{})))
	bob.waitEvent("onCallReceived", nil)
	must(t, "accept", bob.Accept(ctxT(t)))
	alice.waitEvent("onUserVideoAvailable", videoOf("bob", true))
	time.Sleep(500 * time.Millisecond)
	for _, ev := range alice.snapshot() {
		if audioOf("bob", true)(ev) {
			t.Fatal("alice was told bob's audio is available, his microphone muted")
		}
	}
	must(t, "unmute", bob.OpenMicrophone(ctxT(t)))
	alice.waitEvent("onUserAudioAvailable", audioOf("bob", true))
}
