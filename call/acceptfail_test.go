package call

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// Accept sends the answer while the devices open. A callee whose
// microphone cannot open then fails the call it accepted: the error says
// which device (Accept returns it when it comes before the server's
// reply, and onError carries it either way, once), and the call ends at
// once on both sides with the reason connectionFailed. Before, the
// caller learned only at its timeout (noResponse).
func TestAcceptWithAMicrophoneThatCannotOpenFailsTheCall(t *testing.T) {
	for _, mt := range []signaling.MediaType{signaling.Audio, signaling.Video} {
		t.Run(mt.String(), func(t *testing.T) {
			h := newHarness(t, nil)
			alice := h.engine("alice", nil)
			bob := h.engine("bob", func(c *Config) { c.MicrophoneID = "no such microphone" })
			if _, err := alice.Call(ctxT(t), "bob", mt, Params{}); err != nil {
				t.Fatalf("call: %v", err)
			}
			bob.waitEvent("onCallReceived", nil)
			err := bob.Accept(ctxT(t))
			var ce *Error
			if err != nil && (!errors.As(err, &ce) || ce.Code != signaling.CodeMicrophoneFailed) {
				t.Fatalf("Accept: %v, want nil or the microphone's error", err)
			}
			bob.waitEvent("onError", func(ev Event) bool { return ev.(*Error).Code == signaling.CodeMicrophoneFailed })
			bob.waitFrom(0, "bob's call over (connectionFailed)", func(ev Event) bool {
				switch e := ev.(type) {
				case *CallEnd:
					return e.Reason == signaling.ReasonConnectionFailed
				case *CallCancelled:
					return e.Reason == signaling.ReasonConnectionFailed
				}
				return false
			}, 20*time.Second)
			alice.waitEvent("onCallEnd", func(ev Event) bool { return ev.(*CallEnd).Reason == signaling.ReasonConnectionFailed })
			errs := 0
			for _, name := range bob.callEvents() {
				if strings.HasPrefix(name, "onError") {
					errs++
				}
			}
			if errs != 1 {
				t.Errorf("bob got %d onError, want 1:\n%s", errs, bob.dump())
			}
		})
	}
}
