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

// MarshalText writes the kind's name.
func (k SignalKind) MarshalText() ([]byte, error) {
	if k <= 0 || int(k) >= len(signalKindNames) {
		return nil, fmt.Errorf("%w: signal kind %d", ErrBadSignal, int(k))
	}
	return []byte(signalKindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *SignalKind) UnmarshalText(b []byte) error {
	for i, n := range signalKindNames {
		if i > 0 && n == string(b) {
			*k = SignalKind(i)
			return nil
		}
	}
	return fmt.Errorf("%w: unknown signal kind %q", ErrBadSignal, b)
}

// Signal is one negotiation message between two sessions. It is
// transport-agnostic and JSON-serialisable: the engine relays it over
// signaling and the receiving engine passes it to HandleSignal.
type Signal struct {
	Kind SignalKind `json:"kind"`
	// SDP is the session description of an offer or answer.
	SDP string `json:"sdp,omitempty"`
	// Candidate is the ICE candidate of a candidate signal.
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
	// ICERestart on a renegotiate signal asks for an ICE restart.
	ICERestart bool `json:"iceRestart,omitempty"`
	// Camera and Microphone are the sender's devices' state on a
	// mediaState signal: whether it sends video / audio.
	Camera     bool `json:"camera,omitempty"`
	Microphone bool `json:"microphone,omitempty"`
	// Screen, with Camera, says the video is a shared screen.
	Screen bool `json:"screen,omitempty"`
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
