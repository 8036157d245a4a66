package media

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"
)

// negotiate starts an offer/answer round with p. Only an offerer makes
// offers; an answerer asks its offerer with a renegotiate signal. An
// offerer with a round in flight remembers the request and makes the
// offer when the answer is in, so rounds never overlap (no glare).
//
// One outage makes both sides' restart timers fire at about the same
// time, so an offerer asked to restart while its own restart offer is
// out ignores the request: the request crossed that offer, which gives
// both sides new credentials, and queueing a second restart behind it
// would discard the first one's connectivity checks just as they start.
// (Only a failed agent queues one: see onConnectionState.)
func (s *Session) negotiate(p *peer, iceRestart bool) {
	if !p.offerer {
		s.emit(SignalOut{Peer: p.id, Signal: Signal{Kind: SignalRenegotiate, ICERestart: iceRestart}})
		if iceRestart {
			s.restartStarted(p)
		}
		return
	}
	if iceRestart && p.awaitingAnswer && p.restarting {
		return
	}
	if p.awaitingAnswer || p.pc.SignalingState() != webrtc.SignalingStateStable {
		p.needOffer = true
		p.needRestart = p.needRestart || iceRestart
		return
	}
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		s.emit(PeerError{Peer: p.id, Err: fmt.Errorf("media: create offer: %w", err)})
		return
	}
	p.awaitingAnswer, p.restarting = true, iceRestart
	if iceRestart {
		p.restartOfferAt = time.Now()
		s.restartStarted(p)
	}
	s.emit(SignalOut{Peer: p.id, Signal: Signal{Kind: SignalOffer, SDP: offer.SDP}})
}

func (s *Session) handleSignal(p *peer, sig Signal) error {
	switch sig.Kind {
	case SignalOffer:
		if p.offerer {
			return fmt.Errorf("%w: offer from %q, which is the answerer", ErrBadSignal, p.id)
		}
		if old := p.pc.RemoteDescription(); old != nil && iceUfrag(old.SDP) != iceUfrag(sig.SDP) {
			// The offerer restarts ICE: that answers our own request
			// (sent, or due), and our next one waits an interval.
			s.restartStarted(p)
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sig.SDP}); err != nil {
			return fmt.Errorf("%w: offer from %q: %w", ErrBadSignal, p.id, err)
		}
		s.flushCandidates(p)
		answer, err := p.pc.CreateAnswer(nil)
		if err == nil {
			err = p.pc.SetLocalDescription(answer)
		}
		if err != nil {
			return fmt.Errorf("media: answer %q: %w", p.id, err)
		}
		s.emit(SignalOut{Peer: p.id, Signal: Signal{Kind: SignalAnswer, SDP: answer.SDP}})
	case SignalAnswer:
		if !p.offerer || !p.awaitingAnswer {
			return fmt.Errorf("%w: unexpected answer from %q", ErrBadSignal, p.id)
		}
		if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sig.SDP}); err != nil {
			return fmt.Errorf("%w: answer from %q: %w", ErrBadSignal, p.id, err)
		}
		p.awaitingAnswer, p.restarting = false, false
		s.flushCandidates(p)
		if p.needOffer {
			restart := p.needRestart
			p.needOffer, p.needRestart = false, false
			s.negotiate(p, restart)
		}
	case SignalCandidate:
		if p.pc.RemoteDescription() == nil {
			// Trickled candidates can overtake the description they
			// belong to: keep them until it is set.
			p.pending = append(p.pending, *sig.Candidate)
			p.buffered++
			return nil
		}
		if err := p.pc.AddICECandidate(*sig.Candidate); err != nil {
			return fmt.Errorf("%w: candidate from %q: %w", ErrBadSignal, p.id, err)
		}
	case SignalRenegotiate:
		if !p.offerer {
			return fmt.Errorf("%w: renegotiate from %q, which is the offerer", ErrBadSignal, p.id)
		}
		if sig.ICERestart && !p.restartOfferAt.IsZero() && time.Since(p.restartOfferAt) < iceRestartFirst/2 {
			// On loopback the answer to our restart can come back
			// before a request that crossed it: the request is answered
			// all the same, and a second restart would throw the first
			// one's checks away (two offers 4 ms apart in
			// TestICERestartAfterAFailedLinkRestoresMedia). The restart
			// loop's own tries are further apart.
			return nil
		}
		s.negotiate(p, sig.ICERestart)
	case SignalMediaState:
		p.remoteCam, p.remoteMic, p.remoteScreen, p.stateKnown = sig.Camera, sig.Microphone, sig.Screen, true
		s.reportRemoteMedia(p)
	}
	return nil
}

func (s *Session) flushCandidates(p *peer) {
	for _, c := range p.pending {
		if err := p.pc.AddICECandidate(c); err != nil {
			s.log.Warn("buffered ICE candidate refused", "peer", p.id, "err", err)
		}
	}
	p.pending = nil
}

// iceUfrag is an SDP's ICE username fragment: the last a=ice-ufrag
// line (pion repeats one fragment in every media section). An offer
// with a new one restarts ICE.
func iceUfrag(sdp string) string {
	var u string
	for _, l := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(l, "a=ice-ufrag:"); ok {
			u = strings.TrimSpace(v)
		}
	}
	return u
}
