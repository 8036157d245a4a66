package call

import (
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
	"github.com/pion/webrtc/v4"
)

// The relay schema (docs/protocol.md, "Relay payload") is
// signaling.RelayPayload; the media session speaks media.Signal. These
// two functions are the only place that maps one to the other.

// wireSignal is a media session's signal in the relay schema.
func wireSignal(s media.Signal) signaling.Signal {
	w := signaling.Signal{SDP: s.SDP}
	switch s.Kind {
	case media.SignalOffer:
		w.Kind = signaling.SignalOffer
	case media.SignalAnswer:
		w.Kind = signaling.SignalAnswer
	case media.SignalCandidate:
		w.Kind = signaling.SignalCandidate
		if c := s.Candidate; c != nil {
			w.Candidate = &signaling.Candidate{Candidate: c.Candidate, SDPMid: c.SDPMid,
				SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
		}
	case media.SignalRenegotiate:
		w.Kind, w.ICERestart = signaling.SignalRenegotiate, s.ICERestart
	case media.SignalMediaState:
		cam, mic := s.Camera, s.Microphone
		w.Kind, w.Camera, w.Microphone, w.Screen = signaling.SignalMediaState, &cam, &mic, s.Screen
	}
	return w
}

// mediaSignal is a relayed signal in the media session's form; false for
// a kind the media session does not take (error).
func mediaSignal(w signaling.Signal) (media.Signal, bool) {
	s := media.Signal{SDP: w.SDP}
	switch w.Kind {
	case signaling.SignalOffer:
		s.Kind = media.SignalOffer
	case signaling.SignalAnswer:
		s.Kind = media.SignalAnswer
	case signaling.SignalCandidate:
		s.Kind = media.SignalCandidate
		if c := w.Candidate; c != nil {
			s.Candidate = &webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid,
				SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
		}
	case signaling.SignalRenegotiate:
		s.Kind, s.ICERestart = media.SignalRenegotiate, w.ICERestart
	case signaling.SignalMediaState:
		s.Kind = media.SignalMediaState
		s.Camera = w.Camera != nil && *w.Camera
		s.Microphone = w.Microphone != nil && *w.Microphone
		s.Screen = w.Screen
	default:
		return media.Signal{}, false
	}
	return s, true
}
