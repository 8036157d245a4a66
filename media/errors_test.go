package media

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"unsafe"

	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

func TestBadInputGetsClearErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := NewSession(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range s.Events() {
		}
	}()
	check := func(name string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
	}
	check("SetVideo before Start", s.SetVideo(true), ErrNotStarted)
	check("signal for an unknown peer", s.HandleSignal("nobody", Signal{Kind: SignalRenegotiate}), ErrUnknownPeer)
	check("malformed signal", s.HandleSignal("nobody", Signal{Kind: SignalOffer}), ErrBadSignal)
	check("empty peer id", s.AddPeer("", true), ErrBadConfig)
	check("remove unknown peer", s.RemovePeer("nobody"), ErrUnknownPeer)
	check("unknown camera", s.SwitchCamera("no-such-camera"), ErrUnknownDevice)
	check("bad speaker id", s.SetSpeaker("zz"), nil) // NoPlayback: nothing to reopen
	check("bad video params", s.SetVideoParams(VideoParams{Width: 10}), ErrBadConfig)

	if err := s.Start(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	check("second Start", s.Start(context.Background(), false), ErrAlreadyStarted)
	check("a custom source after Start", s.StartCustom(false, nil), ErrAlreadyStarted)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check("Start with a cancelled context", s.Start(ctx, false), context.Canceled)

	if err := s.AddPeer("offerer-of-mine", false); err != nil { // we answer it
		t.Fatal(err)
	}
	if err := s.AddPeer("answerer-of-mine", true); err != nil { // we offer to it
		t.Fatal(err)
	}
	check("duplicate peer", s.AddPeer("answerer-of-mine", true), ErrPeerExists)
	check("offer to the offerer", s.HandleSignal("answerer-of-mine", Signal{Kind: SignalOffer, SDP: "v=0"}), ErrBadSignal)
	check("answer to the answerer", s.HandleSignal("offerer-of-mine", Signal{Kind: SignalAnswer, SDP: "v=0"}), ErrBadSignal)
	check("renegotiate to the answerer", s.HandleSignal("offerer-of-mine", Signal{Kind: SignalRenegotiate}), ErrBadSignal)
	check("garbage offer", s.HandleSignal("offerer-of-mine", Signal{Kind: SignalOffer, SDP: "not an SDP"}), ErrBadSignal)
	check("garbage answer", s.HandleSignal("answerer-of-mine", Signal{Kind: SignalAnswer, SDP: "not an SDP"}), ErrBadSignal)
	// A candidate before any description is buffered, not refused.
	check("early candidate", s.HandleSignal("offerer-of-mine", Signal{Kind: SignalCandidate,
		Candidate: &webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"}}), nil)
	check("remove peer", s.RemovePeer("offerer-of-mine"), nil)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	check("after Close", s.AddPeer("late", true), ErrClosed)
	check("after Close", s.SetMicrophone(false), ErrClosed)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPlaybackFallsBackToTheNullBackend(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p, err := newPlayback("", defaultPlaybackLatency, slog.Default())
	if err != nil {
		t.Fatalf("no audio output at all: %v", err)
	}
	defer p.close()
	t.Logf("null backend in use: %v", p.null)
	if unsafe.Sizeof(uintptr(0)) == 8 && !p.direct {
		t.Error("the device was not attached to the mixer: its audio thread calls into Go")
	}
	// The device drains what a peer writes: real time passing.
	tone := make([]int16, 960)
	for i := range tone {
		tone[i] = 1000
	}
	p.write("x", tone) // unknown peer: ignored
	p.addPeer("x")
	for i := 0; i < 5; i++ {
		p.write("x", tone)
	}
	waitUntil(t, 2e9, "the device to consume samples", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.peers["x"].queued() < 5*960
	})
	// Moving to another output (here the same one again) keeps the
	// peers' buffers and attaches the new device to the same mixer.
	if err := p.setSpeaker(""); err != nil {
		t.Fatalf("reopening the output: %v", err)
	}
	if unsafe.Sizeof(uintptr(0)) == 8 && !p.direct {
		t.Error("the reopened device was not attached to the mixer")
	}
	for i := 0; i < 5; i++ {
		p.write("x", tone)
	}
	waitUntil(t, 2e9, "the reopened device to consume samples", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.peers["x"].queued() < 3*960
	})
	p.removePeer("x")
	p.write("x", tone) // after removal: ignored, no panic
}
