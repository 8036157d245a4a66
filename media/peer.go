package media

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// peer is the connection to one remote member. Its fields are owned by
// the session loop, except the atomics, which receive goroutines use.
type peer struct {
	id      PeerID
	offerer bool
	pc      *webrtc.PeerConnection
	stats   stats.Getter
	bwe     cc.BandwidthEstimator

	audioSender *webrtc.RTPSender
	videoSender *webrtc.RTPSender

	pending        []webrtc.ICECandidateInit // candidates before the remote description
	buffered       int                       // how many candidates ever waited in pending
	awaitingAnswer bool
	needOffer      bool
	needRestart    bool
	restarting     bool // the offer awaiting its answer restarts ICE
	// restartOfferAt is when the last ICE-restart offer went out.
	restartOfferAt time.Time
	state          PeerState
	// Restoring the link (icerestart.go): down from the moment it is lost
	// or restarts until it is connected again.
	down         bool
	restartWait  time.Duration // the wait after the next restart
	restartTimer *time.Timer   // the next restart; nil when none is set

	// What the peer sends: tracks negotiated and its mediaState flags.
	videoTracks, audioTracks int
	// staleVideo is how many of videoTracks arrived before the last
	// switch to audio (videoEpoch counts those switches): the peer has
	// removed them, and they end as soon as a renegotiation says so.
	staleVideo, videoEpoch int
	remoteCam, remoteMic   bool
	remoteScreen           bool
	stateKnown             bool      // a mediaState signal arrived
	connectedAt            time.Time // when the link last came up
	reportedVideo          bool
	reportedAudio          bool
	reportedScreen         bool
	remoteVideoSSRC        uint32
	remoteAudioSSRC        uint32
	trackSince             time.Time

	// Quality bookkeeping (loop).
	linkQ  qualityScorer
	lastIn map[uint32]inboundSnap
	closed bool
	meter  levelMeter
	sink   atomic.Pointer[sinkBox]
	// encoded, when set, takes the peer's media as it arrives instead of
	// the decoders (SetRemoteEncodedSink).
	encoded atomic.Pointer[encodedBox]
}

type inboundSnap struct {
	received uint64
	lost     int64
}

func (s *Session) addPeer(id PeerID, offerer bool) error {
	if _, ok := s.peers[id]; ok {
		return fmt.Errorf("%w: %q", ErrPeerExists, id)
	}
	pa, err := s.newPeerAPI(id)
	if err != nil {
		return err
	}
	pcfg := webrtc.Configuration{ICEServers: s.cfg.ICEServers}
	if s.cfg.RelayOnly {
		pcfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := pa.api.NewPeerConnection(pcfg)
	if err != nil {
		return fmt.Errorf("media: new peer connection: %w", err)
	}
	p := &peer{id: id, offerer: offerer, pc: pc, stats: pa.stats, bwe: pa.bwe,
		remoteCam: true, remoteMic: true, lastIn: make(map[uint32]inboundSnap)}
	s.peers[id] = p
	if s.play != nil {
		s.play.addPeer(id)
	}
	// pion calls these on its own goroutines, in no particular order:
	// each one only queues work for the loop.
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return // end of gathering: trickle needs no marker
		}
		init := c.ToJSON()
		s.post(func() {
			if s.peers[id] == p {
				s.emit(SignalOut{Peer: id, Signal: Signal{Kind: SignalCandidate, Candidate: &init}})
			}
		})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		s.post(func() { s.onConnectionState(p, st) })
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		s.post(func() { s.onTrack(p, t, r) })
	})
	pc.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(*webrtc.ICECandidatePair) {
		s.post(func() {
			if s.peers[id] == p && !p.closed {
				s.emitPaths()
			}
		})
	})
	if p.audioSender, err = pc.AddTrack(s.audioOut); err != nil {
		s.dropPeer(p)
		return fmt.Errorf("media: add audio: %w", err)
	}
	s.readSenderRTCP(p, p.audioSender, false)
	if s.videoOn {
		if err := s.attachVideo(p); err != nil {
			s.dropPeer(p)
			return err
		}
	} else if offerer {
		// An audio offer still carries a receive-only video section, so
		// an answerer that turns video on has something to attach to.
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			s.dropPeer(p)
			return fmt.Errorf("media: video transceiver: %w", err)
		}
	}
	if offerer {
		s.negotiate(p, false)
	}
	s.applyVideoStep(0)
	return nil
}

func (s *Session) dropPeer(p *peer) {
	delete(s.peers, p.id)
	p.close()
}

// attachVideo adds the shared video track to p (reusing its video
// transceiver if it has one). The sender keeps the track even with the
// camera off: pion cannot start a sender without one (the negotiation
// fails, "Sender Track has been removed or replaced to nil"), and with no
// camera open nothing writes to the track, so nothing is sent.
func (s *Session) attachVideo(p *peer) error {
	if p.videoSender != nil {
		return nil
	}
	sender, err := p.pc.AddTrack(s.videoOut)
	if err != nil {
		return fmt.Errorf("media: add video: %w", err)
	}
	p.videoSender = sender
	s.readSenderRTCP(p, sender, true)
	return nil
}

// readSenderRTCP drains a sender's RTCP (the interceptors only see what
// is read) and turns picture-loss requests into a shared keyframe.
func (s *Session) readSenderRTCP(p *peer, sender *webrtc.RTPSender, video bool) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			if !video {
				continue
			}
			for _, pkt := range pkts {
				switch pkt.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					s.keys.request()
				}
			}
		}
	}()
}

// readReceiverRTCP drains a receiver's RTCP, without which its report
// interceptor never answers sender reports and the sender gets no RTT.
func (s *Session) readReceiverRTCP(r *webrtc.RTPReceiver) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			if _, _, err := r.ReadRTCP(); err != nil {
				return
			}
		}
	}()
}

func (s *Session) onConnectionState(p *peer, st webrtc.PeerConnectionState) {
	if s.peers[p.id] != p {
		return
	}
	var ps PeerState
	switch st {
	case webrtc.PeerConnectionStateNew:
		ps = PeerNew
	case webrtc.PeerConnectionStateConnecting:
		ps = PeerConnecting
	case webrtc.PeerConnectionStateConnected:
		ps = PeerConnected
	case webrtc.PeerConnectionStateDisconnected:
		ps = PeerDisconnected
	case webrtc.PeerConnectionStateFailed:
		ps = PeerFailed
	case webrtc.PeerConnectionStateClosed:
		ps = PeerClosed
	default:
		return
	}
	if ps == p.state {
		return
	}
	p.state = ps
	s.emit(PeerStateChanged{Peer: p.id, State: ps})
	switch ps {
	case PeerConnecting:
		if p.connectedAt.IsZero() && !p.down {
			s.linkDown(p, iceSetupRestartAfter)
		}
	case PeerConnected:
		p.linkUp()
		if p.connectedAt.IsZero() {
			s.sendMediaStateTo(p)
		}
		p.connectedAt = time.Now()
		if p.videoSender != nil {
			// A new receiver needs a keyframe; ask before its PLI does.
			s.keys.request()
		}
		s.emitPaths()
	case PeerDisconnected:
		s.linkDown(p, iceRestartFirst)
	case PeerFailed:
		// A failed agent checks nothing more, not even the candidates of
		// a restart we offered before it failed: that restart is lost,
		// so another follows as soon as its answer is in.
		if p.offerer && p.awaitingAnswer && p.restarting {
			p.needOffer, p.needRestart = true, true
		}
		s.linkDown(p, 0)
	case PeerClosed:
		// The other side closed the connection (DTLS close_notify): it
		// left the call, and signaling will say so.
		p.linkUp()
	}
	if ps != PeerConnecting && ps != PeerNew {
		s.emitQualities() // quality changes with the link at once
	}
}

func (s *Session) onTrack(p *peer, t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	if s.peers[p.id] != p || p.closed {
		return
	}
	s.readReceiverRTCP(r)
	p.trackSince = time.Now()
	kind, epoch := t.Kind(), p.videoEpoch
	if kind == webrtc.RTPCodecTypeVideo {
		p.videoTracks++
		p.remoteVideoSSRC = uint32(t.SSRC())
	} else {
		p.audioTracks++
		p.remoteAudioSSRC = uint32(t.SSRC())
	}
	s.reportRemoteMedia(p)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if kind == webrtc.RTPCodecTypeVideo {
			s.receiveVideo(p, t)
		} else {
			s.receiveAudio(p, t)
		}
		s.post(func() {
			if kind == webrtc.RTPCodecTypeVideo {
				p.videoTracks--
				if epoch != p.videoEpoch {
					p.staleVideo--
				}
				if p.remoteVideoSSRC == uint32(t.SSRC()) {
					p.remoteVideoSSRC = 0
				}
			} else {
				p.audioTracks--
			}
			if s.peers[p.id] == p {
				s.reportRemoteMedia(p)
			}
		})
	}()
}

// reportRemoteMedia emits RemoteMedia when what p sends changed.
func (s *Session) reportRemoteMedia(p *peer) {
	v := p.videoTracks > p.staleVideo && p.remoteCam
	a := p.audioTracks > 0 && p.remoteMic
	sc := v && p.remoteScreen
	if v == p.reportedVideo && a == p.reportedAudio && sc == p.reportedScreen {
		return
	}
	p.reportedVideo, p.reportedAudio, p.reportedScreen = v, a, sc
	s.emit(RemoteMedia{Peer: p.id, Video: v, Audio: a, Screen: sc})
}

// close ends the connection; receive and RTCP goroutines then see EOF.
func (p *peer) close() {
	if p.closed {
		return
	}
	p.closed = true
	p.cancelRestart()
	_ = p.pc.Close()
}
