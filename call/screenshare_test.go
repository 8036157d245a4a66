package call

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver/screen"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// ownScreen starts a private Xvfb for the test and returns its screen's
// device ID (what Devices lists with kind "screen").
func ownScreen(t *testing.T, e *tengine) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "320x240x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v (run scripts/setup.sh)", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not say its display: %v", err)
	}
	t.Setenv("DISPLAY", ":"+strings.TrimSpace(line))
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
