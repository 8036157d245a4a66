package media

import (
	"fmt"
	"strconv"

	"github.com/pion/webrtc/v4"
)

// SignalKind says what a Signal carries.
type SignalKind int

// Signal kinds.
const (
	SignalOffer       SignalKind = iota + 1 // SDP offer; only an offerer sends it
	SignalAnswer                            // SDP answer; only an answerer sends it
	SignalCandidate                         // one trickled ICE candidate
	SignalRenegotiate                       // answerer -> offerer: please send a new offer
	SignalMediaState                        // camera / microphone on or off
)

var signalKindNames = [...]string{"", "offer", "answer", "candidate", "renegotiate", "mediaState"}

func (k SignalKind) String() string {
	if k > 0 && int(k) < len(signalKindNames) {
		return signalKindNames[k]
	}
	return "SignalKind(" + strconv.Itoa(int(k)) + ")"
}

// Signal is one negotiation message between two sessions. It is
// transport-agnostic: the engine maps it to the relay schema
// (signaling.Signal, docs/protocol.md), relays it, and the receiving
// engine passes it to HandleSignal.
type Signal struct {
	Kind SignalKind
	// SDP is the session description of an offer or answer.
	SDP string
	// Candidate is the ICE candidate of a candidate signal.
	Candidate *webrtc.ICECandidateInit
	// ICERestart on a renegotiate signal asks for an ICE restart.
	ICERestart bool
	// Camera and Microphone are the sender's devices' state on a
	// mediaState signal: whether it sends video / audio.
	Camera, Microphone bool
	// Screen, with Camera, says the video is a shared screen.
	Screen bool
}

func (s Signal) validate() error {
	switch s.Kind {
	case SignalOffer, SignalAnswer:
		if s.SDP == "" {
			return fmt.Errorf("%w: %s without SDP", ErrBadSignal, s.Kind)
		}
	case SignalCandidate:
		if s.Candidate == nil || s.Candidate.Candidate == "" {
			return fmt.Errorf("%w: candidate signal without a candidate", ErrBadSignal)
		}
	case SignalRenegotiate, SignalMediaState:
	default:
		return fmt.Errorf("%w: unknown kind %d", ErrBadSignal, int(s.Kind))
	}
	return nil
}
