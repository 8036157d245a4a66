package call

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver/screen"

	"github.com/calla-rtc/calla/internal/xvfb"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// ownScreen starts a private Xvfb for the test and returns its screen's
// device ID (what Devices lists with kind "screen").
func ownScreen(t *testing.T, e *tengine) string {
	t.Helper()
	t.Setenv("DISPLAY", xvfb.Start(t, "320x240x24"))
	find := func() string {
		ds, _ := e.Devices()
		for _, d := range ds {
			if d.Kind == media.Screen.String() {
				return d.ID
			}
		}
		return ""
	}
	if id := find(); id != "" {
		return id
	}
	screen.Initialize() // no X display when the test started
	if id := find(); id != "" {
		return id
	}
	t.Fatal("no screen on the private X server")
	return ""
}

func sharing(u signaling.UserID, on bool) func(Event) bool {
	return func(ev Event) bool {
		e, ok := ev.(*UserScreenShareChanged)
		return ok && e.UserID == u && e.IsSharing == on
	}
}

// TestScreenShare: in a video call Alice shares her screen and stops;
// both engines say so with onUserScreenShareChanged, and Bob's
// onUserVideoAvailable for Alice stays true throughout. In a voice call
// the share is refused with -1205.
func TestScreenShare(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.engine("bob", nil)
	id := ownScreen(t, alice)
	if _, err := alice.Call(ctxT(t), "bob", signaling.Video, Params{}); err != nil {
		t.Fatal(err)
	}
	bob.waitEvent("onCallReceived", nil)
	if err := bob.Accept(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	bob.waitEvent("onUserVideoAvailable", videoOf("alice", true))
	alice.waitEvent("onUserJoin", isUser("bob"))

	bob.mu.Lock()
	from := len(bob.events)
	bob.mu.Unlock()
	if err := alice.StartScreenShare(ctxT(t), id); err != nil {
		t.Fatalf("StartScreenShare: %v", err)
	}
	alice.waitEvent("onUserScreenShareChanged", sharing("alice", true))
	bob.waitFrom(from, "alice's screen", sharing("alice", true), 20*time.Second)
	if err := alice.StopScreenShare(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	alice.waitEvent("onUserScreenShareChanged", sharing("alice", false))
	_, to := bob.waitFrom(from, "alice's camera again", sharing("alice", false), 20*time.Second)
	bob.mu.Lock()
	for _, ev := range bob.events[from:to] {
		if videoOf("alice", false)(ev) {
			t.Errorf("bob saw alice's video go off during the share")
		}
	}
	bob.mu.Unlock()

	if err := alice.SwitchCallMediaType(ctxT(t), signaling.Audio); err != nil {
		t.Fatal(err)
	}
	alice.waitEvent("onCallMediaTypeChanged", nil)
	err := alice.StartScreenShare(ctxT(t), id)
	if !errors.Is(err, &Error{Code: signaling.CodeSceneNotSupported}) {
		t.Fatalf("share in a voice call: %v, want -1205", err)
	}
}
