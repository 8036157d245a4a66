package cli

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"

	"github.com/calla-rtc/calla/internal/syncbuf"
)

// fakeHeadless is a headless client whose events the test feeds. Its
// engine is not logged in, so a hang-up fails and says so on stderr:
// that is how the test sees one attempted.
func fakeHeadless(t *testing.T) (*headless, *syncbuf.Buffer) {
	t.Helper()
	stderr := &syncbuf.Buffer{}
	e := call.New(call.Config{NoPlayback: true, Logger: quietLogger()})
	t.Cleanup(func() { _ = e.Close() })
	return &headless{env: &Env{Stderr: stderr}, engine: e, events: make(chan call.Event, 16)}, stderr
}

var begin = &call.CallBegin{CallID: "c1", CallMediaType: signaling.Video, CallRole: signaling.RoleCaller}

// The exit status says whether media connected, not only how the call
// ended (issue 16): a call that began on the server but whose media never
// connected did not connect.
func TestFollowCallExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		evs  []call.Event
		want int
	}{
		{"media connected, then a hang-up: 0", []call.Event{begin, &call.UserJoin{CallID: "c1", UserID: "bob"}, &call.CallEnd{CallID: "c1", Reason: signaling.ReasonHangup}}, ExitOK},
		{"a hang-up before media ever connected: 1", []call.Event{begin, &call.CallEnd{CallID: "c1", Reason: signaling.ReasonHangup}}, ExitNotConnected},
		{"media that could not be set up (-1409): 3", []call.Event{begin, &call.Error{Code: signaling.CodeMediaNegotiation}, &call.CallEnd{CallID: "c1", Reason: signaling.ReasonConnectionFailed}}, ExitFailure},
		{"rejected: 1", []call.Event{&call.CallCancelled{CallID: "c1", Reason: signaling.ReasonReject}}, ExitNotConnected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := fakeHeadless(t)
			for _, ev := range tc.evs {
				h.events <- ev
			}
			if got := followCall(context.Background(), h, 0); got != tc.want {
				t.Fatalf("exit %d, want %d", got, tc.want)
			}
		})
	}
}

// --hangup-after counts from media connected (onUserJoin), not from
// onCallBegin: a call whose media takes long to connect is not hung up
// before it has had its time.
func TestHangupAfterCountsFromMediaConnected(t *testing.T) {
	h, stderr := fakeHeadless(t)
	const after = 300 * time.Millisecond
	status := make(chan int, 1)
	go func() { status <- followCall(context.Background(), h, after) }()
	h.events <- begin
	time.Sleep(3 * after) // media still connecting: no hang-up may come
	if strings.Contains(stderr.String(), "hang up") {
		t.Fatalf("hung up before media connected: %q", stderr.String())
	}
	h.events <- &call.UserJoin{CallID: "c1", UserID: "bob"}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "hang up") {
		if time.Now().After(deadline) {
			t.Fatal("no hang-up after media connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.events <- &call.CallEnd{CallID: "c1", Reason: signaling.ReasonHangup}
	if got := <-status; got != ExitOK {
		t.Fatalf("exit %d, want 0", got)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
