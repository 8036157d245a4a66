package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// SignalKind says what a relayed Signal carries.
type SignalKind string

// Signal kinds: the WebRTC negotiation between two members of a call,
// their camera and microphone states, and the refusal of a signal.
const (
	SignalOffer       SignalKind = "offer"       // SDP offer; only the offerer of a pair sends it
	SignalAnswer      SignalKind = "answer"      // SDP answer; only the answerer sends it
	SignalCandidate   SignalKind = "candidate"   // one trickled ICE candidate
	SignalRenegotiate SignalKind = "renegotiate" // answerer -> offerer: please send a new offer
	SignalMediaState  SignalKind = "mediaState"  // the sender's camera and microphone: on or off; a shared screen
	SignalError       SignalKind = "error"       // a signal the receiver could not use, and why
)

// RelayPayload is the one schema of a relay's payload (docs/protocol.md,
// "Relay payload"): the signals for one member, in order. A sender may
// batch what queued up while its last relay was on its way.
type RelayPayload struct {
	Signals []Signal `json:"signals"`
}

// Signal is one relayed signal. Which fields it carries depends on Kind
// (signalFields); the others stay empty.
type Signal struct {
	Kind SignalKind `json:"kind"`
	// SDP is the session description of an offer or answer.
	SDP string `json:"sdp,omitempty"`
	// Candidate is the ICE candidate of a candidate signal.
	Candidate *Candidate `json:"candidate,omitempty"`
	// ICERestart on renegotiate asks for an offer that restarts ICE.
	ICERestart bool `json:"iceRestart,omitempty"`
	// Camera and Microphone are a mediaState's states, both required.
	Camera     *bool `json:"camera,omitempty"`
	Microphone *bool `json:"microphone,omitempty"`
	// Screen, on a mediaState, is true while the video ("camera") is a
	// shared screen rather than the camera; optional, false if absent.
	Screen bool `json:"screen,omitempty"`
	// Code, Message and Refused describe an error: why the receiver
	// could not use a signal of kind Refused.
	Code    Code       `json:"code,omitempty"`
	Message string     `json:"message,omitempty"`
	Refused SignalKind `json:"refused,omitempty"`
}

// Candidate is an ICE candidate in the browser's RTCIceCandidateInit
// form (what RTCIceCandidate.toJSON() gives).
type Candidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// signalFields lists the fields each kind may carry besides "kind";
// the required ones are checked in Signal.validate.
var signalFields = map[SignalKind][]string{
	SignalOffer:       {"sdp"},
	SignalAnswer:      {"sdp"},
	SignalCandidate:   {"candidate"},
	SignalRenegotiate: {"iceRestart"},
	SignalMediaState:  {"camera", "microphone", "screen"},
	SignalError:       {"code", "message", "refused"},
}

// signalKeys are a Signal's keys, for checkKeys.
var signalKeys = keysOf(reflect.TypeFor[Signal]())

// candidateFields are the fields of a candidate object.
var candidateFields = []string{"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}

// relayDoc points a refused sender at the schema.
const relayDoc = "see docs/protocol.md, \"Relay payload\""

// DecodeRelayPayload reads a relay payload and checks it against the
// schema: an object with a non-empty "signals" array, each signal of a
// known kind with the fields that kind requires and no others. The error
// says what is wrong, for the sender: the server refuses such a relay
// with CodeInvalidParam and this message.
func DecodeRelayPayload(raw []byte) (RelayPayload, error) {
	var p RelayPayload
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return p, fmt.Errorf("relay payload must be a JSON object {\"signals\":[...]}; %s", relayDoc)
	}
	if u := unknownFields(top, "signals"); u != "" {
		return p, fmt.Errorf("relay payload has %s: it is {\"signals\":[...]}; %s", u, relayDoc)
	}
	var sigs []json.RawMessage
	if err := json.Unmarshal(top["signals"], &sigs); err != nil || len(sigs) == 0 {
		return p, fmt.Errorf("relay payload needs \"signals\": a non-empty array of signals; %s", relayDoc)
	}
	p.Signals = make([]Signal, len(sigs))
	for i, raw := range sigs {
		s, err := decodeSignal(raw)
		if err != nil {
			return RelayPayload{}, fmt.Errorf("relay payload: signal %d: %w; %s", i, err, relayDoc)
		}
		p.Signals[i] = s
	}
	return p, nil
}

// EncodeRelayPayload checks signals against the schema and returns the
// payload's JSON. A sender that validates with the same rules as the
// server never has a relay refused for its shape.
func EncodeRelayPayload(signals ...Signal) ([]byte, error) {
	if len(signals) == 0 {
		return nil, fmt.Errorf("signaling: a relay payload needs at least one signal")
	}
	for i, s := range signals {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("signaling: relay payload: signal %d: %w", i, err)
		}
	}
	return json.Marshal(RelayPayload{Signals: signals})
}

func decodeSignal(raw json.RawMessage) (Signal, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Signal{}, fmt.Errorf("a signal must be a JSON object")
	}
	var kind SignalKind
	if err := json.Unmarshal(fields["kind"], &kind); err != nil || kind == "" {
		return Signal{}, fmt.Errorf("a signal needs \"kind\", a string: one of %s", kindList())
	}
	allowed, ok := signalFields[kind]
	if !ok {
		return Signal{}, fmt.Errorf("unknown kind %q: one of %s", kind, kindList())
	}
	if u := unknownFields(fields, append([]string{"kind"}, allowed...)...); u != "" {
		return Signal{}, fmt.Errorf("%s has %s (it has %s)", kind, u, strings.Join(allowed, ", "))
	}
	if c, ok := fields["candidate"]; ok && kind == SignalCandidate {
		var cf map[string]json.RawMessage
		if err := json.Unmarshal(c, &cf); err != nil || cf == nil {
			return Signal{}, fmt.Errorf("candidate: \"candidate\" must be an object {candidate, sdpMid, sdpMLineIndex}")
		}
		if u := unknownFields(cf, candidateFields...); u != "" {
			return Signal{}, fmt.Errorf("candidate: the candidate object has %s (it has %s)", u, strings.Join(candidateFields, ", "))
		}
	}
	// A key given twice: encoding/json would keep the last one.
	if err := checkKeys(raw, signalKeys, ""); err != nil {
		return Signal{}, errors.New(err.Message)
	}
	var s Signal
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&s); err != nil {
		return Signal{}, fmt.Errorf("%s: %s", kind, typeError(err))
	}
	if err := s.validate(); err != nil {
		return Signal{}, err
	}
	return s, nil
}

// unknownFields names, sorted, the fields of obj that are not known:
// `an unknown field "x"` or `unknown fields "x", "y"`; "" when none.
func unknownFields(obj map[string]json.RawMessage, known ...string) string {
	var u []string
	for k := range obj {
		if !slices.Contains(known, k) {
			u = append(u, strconv.Quote(k))
		}
	}
	switch len(u) {
	case 0:
		return ""
	case 1:
		return "an unknown field " + u[0]
	}
	slices.Sort(u)
	return "unknown fields " + strings.Join(u, ", ")
}

// typeError says which field has the wrong JSON type.
func typeError(err error) string {
	var ute *json.UnmarshalTypeError
	if !errors.As(err, &ute) {
		return err.Error()
	}
	return fmt.Sprintf("field %q must be a JSON %s, not %s", ute.Field, jsonKind(ute.Type.Kind().String()), ute.Value)
}

// validate checks that s carries what its kind requires.
func (s Signal) validate() error {
	if s.Screen && s.Kind != SignalMediaState {
		return fmt.Errorf("%s has \"screen\": only a mediaState carries it", s.Kind)
	}
	switch s.Kind {
	case SignalOffer, SignalAnswer:
		if !strings.HasPrefix(s.SDP, "v=0") {
			return fmt.Errorf("%s needs \"sdp\", a session description starting with v=0", s.Kind)
		}
	case SignalCandidate:
		c := s.Candidate
		switch {
		case c == nil:
			return fmt.Errorf("candidate needs \"candidate\", an object {candidate, sdpMid, sdpMLineIndex}")
		case !strings.HasPrefix(c.Candidate, "candidate:"):
			return fmt.Errorf("candidate: \"candidate.candidate\" must be an a=candidate line's value (\"candidate:...\"); the end of candidates is not sent")
		case c.SDPMid == nil && c.SDPMLineIndex == nil:
			return fmt.Errorf("candidate needs \"sdpMid\" or \"sdpMLineIndex\" to say which media section it belongs to")
		}
	case SignalRenegotiate:
	case SignalMediaState:
		if s.Camera == nil || s.Microphone == nil {
			return fmt.Errorf("mediaState needs both \"camera\" and \"microphone\", true or false")
		}
	case SignalError:
		if s.Code == 0 || s.Message == "" {
			return fmt.Errorf("error needs \"code\" (non-zero) and \"message\"")
		}
		if _, ok := signalFields[s.Refused]; s.Refused != "" && !ok {
			return fmt.Errorf("error: \"refused\" %q is not a signal kind", s.Refused)
		}
	default:
		return fmt.Errorf("unknown kind %q: one of %s", s.Kind, kindList())
	}
	return nil
}

func kindList() string {
	return "offer, answer, candidate, renegotiate, mediaState, error"
}
