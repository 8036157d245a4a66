package call

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// rawPeer is a member that speaks the protocol by hand, as a client
// written from docs/protocol.md would.
type rawPeer struct {
	t  *testing.T
	cl *signaling.Client
}

func (h *harness) rawPeer(user signaling.UserID) *rawPeer {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := signaling.Dial(ctx, signaling.ClientConfig{URL: h.url, UserID: user, UserSig: h.sig(user, time.Hour), Logger: testLogger()})
	if err != nil {
		h.t.Fatalf("%s: dial: %v", user, err)
	}
	h.t.Cleanup(func() { _ = cl.Close() })
	return &rawPeer{t: h.t, cl: cl}
}

// next returns the next event of type T, failing after 15 s.
func rawNext[T signaling.Event](p *rawPeer, what string) T {
	p.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev := <-p.cl.Events():
			if e, ok := ev.(T); ok {
				return e
			}
		case <-deadline:
			p.t.Fatalf("no %s within 15s", what)
		}
	}
}

// nextSignal returns the next relayed signal of kind k from the engine.
func (p *rawPeer) nextSignal(k signaling.SignalKind) signaling.Signal {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r := rawNext[*signaling.Relay](p, "onRelay "+string(k))
		pl, err := signaling.DecodeRelayPayload(r.Payload)
		if err != nil {
			p.t.Fatalf("the engine relayed a payload off the schema: %v\n%s", err, r.Payload)
		}
		for _, s := range pl.Signals {
			if s.Kind == k {
				return s
			}
		}
	}
	p.t.Fatalf("no %s signal within 15s", k)
	return signaling.Signal{}
}

// TestUnusableSignalsAreRefusedToTheirSender: a signal the engine cannot
// apply is answered with an error signal to its sender (and a warning in
// the log); an error signal from a member about our offer is reported
// with onError. Nothing is dropped in silence.
func TestUnusableSignalsAreRefusedToTheirSender(t *testing.T) {
	h := newHarness(t, nil)
	alice := h.engine("alice", nil)
	bob := h.rawPeer("bob")
	if _, err := alice.Call(ctxT(t), "bob", signaling.Audio, Params{}); err != nil {
		t.Fatal(err)
	}
	rc := rawNext[*signaling.CallReceived](bob, "onCallReceived")
	if _, err := bob.cl.Accept(ctxT(t), rc.CallID); err != nil {
		t.Fatal(err)
	}
	// Bob entered the room later, so bob is the offerer: an answer from
	// him is out of turn, and an offer pion cannot parse is unusable.
	for _, tc := range []struct {
		payload string
		refused signaling.SignalKind
	}{
		{`{"signals":[{"kind":"offer","sdp":"v=0\r\nthis is not SDP\r\n"}]}`, signaling.SignalOffer},
		{`{"signals":[{"kind":"answer","sdp":"v=0\r\n"}]}`, signaling.SignalAnswer},
	} {
		if err := bob.cl.Relay(ctxT(t), rc.CallID, "alice", json.RawMessage(tc.payload)); err != nil {
			t.Fatalf("relay %s: %v", tc.refused, err)
		}
		e := bob.nextSignal(signaling.SignalError)
		if e.Refused != tc.refused || e.Code != signaling.CodeMediaNegotiation || e.Message == "" {
			t.Errorf("alice refused bob's %s with %+v, want refused %q, code -1409 and a message", tc.refused, e, tc.refused)
		}
		t.Logf("alice refused bob's %s: %s", tc.refused, e.Message)
	}
	// And the other way: bob cannot use alice's answer to his offer.
	if err := bob.cl.Relay(ctxT(t), rc.CallID, "alice",
		json.RawMessage(`{"signals":[{"kind":"error","code":-1409,"message":"no common codec","refused":"answer"}]}`)); err != nil {
		t.Fatal(err)
	}
	alice.waitEvent("onError", func(ev Event) bool {
		e := ev.(*Error)
		return e.Code == signaling.CodeMediaNegotiation && containsAll(e.Message, "bob", "answer", "no common codec")
	})
	// The server refuses what does not fit the schema, to its sender.
	err := bob.cl.Relay(ctxT(t), rc.CallID, "alice", json.RawMessage(`{"type":"offer","sdp":"v=0"}`))
	if !errorsIsSignalingCode(err, signaling.CodeInvalidParam) {
		t.Errorf("a relay of another shape: %v, want -1202", err)
	}
}

func errorsIsSignalingCode(err error, code signaling.Code) bool {
	se, ok := err.(*signaling.Error)
	return ok && se.Code == code && se.Message != ""
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
