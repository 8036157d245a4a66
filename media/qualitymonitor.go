package media

import (
	"math"
	"time"
)

// noMediaAfter is how long media a peer says it sends may be missing
// before its link counts as Down.
const noMediaAfter = 4 * time.Second

// linkView is one quality update's raw view of a peer link.
type linkView struct {
	link   linkSample // both directions, as we see the peer
	uplink linkSample // what the peer reports of our stream
	// hasLink / hasUplink: there is something to judge (media arrived, or
	// RTCP about our stream did); without it the level stays Unknown
	// rather than a guess of Excellent.
	hasLink, hasUplink bool
}

// observe reads p's interceptor stats: the receiver reports the peer
// sent about our streams (RTT, fraction lost), and our own counters of
// what it sends us (loss since the last update, jitter, last arrival).
func (s *Session) observe(p *peer, now time.Time) linkView {
	v := linkView{}
	connected := p.state == PeerConnected
	v.link.Connected, v.uplink.Connected = connected, connected
	v.link.Video, v.uplink.Video = s.videoOn, s.videoOn
	if p.stats == nil {
		return v
	}
	var rtt time.Duration
	var upLoss float64
	for _, ssrc := range p.sendSSRCs() {
		st := p.stats.Get(ssrc)
		if st == nil {
			continue
		}
		ri := st.RemoteInboundRTPStreamStats
		if ri.RoundTripTimeMeasurements > 0 {
			rtt = max(rtt, ri.RoundTripTime)
			v.hasUplink = true
		}
		upLoss = math.Max(upLoss, ri.FractionLost)
	}
	v.uplink.RTT, v.uplink.Loss = rtt, upLoss
	v.link.RTT = rtt
	var downLoss float64
	var jitter time.Duration
	expect := map[uint32]bool{}
	if p.remoteAudioSSRC != 0 && p.audioTracks > 0 {
		expect[p.remoteAudioSSRC] = p.remoteMic
	}
	if p.remoteVideoSSRC != 0 && p.videoTracks > 0 {
		expect[p.remoteVideoSSRC] = p.remoteCam
	}
	for ssrc, expected := range expect {
		st := p.stats.Get(ssrc)
		if st == nil {
			continue
		}
		in := st.InboundRTPStreamStats
		prev := p.lastIn[ssrc]
		dr := in.PacketsReceived - prev.received
		dl := in.PacketsLost - prev.lost
		if in.PacketsReceived < prev.received {
			dr = 0
		}
		if dl > 0 && dr+uint64(dl) > 0 {
			downLoss = math.Max(downLoss, float64(dl)/float64(dr+uint64(dl)))
		}
		p.lastIn[ssrc] = inboundSnap{received: in.PacketsReceived, lost: in.PacketsLost}
		if in.PacketsReceived > 0 {
			v.hasLink = true
		}
		jitter = max(jitter, time.Duration(in.Jitter*float64(time.Second)))
		if expected && connected {
			last := in.LastPacketReceivedTimestamp
			if last.IsZero() {
				last = p.trackSince
			}
			if now.Sub(last) > s.noMediaAfter() {
				v.link.NoMedia = true
			}
		}
	}
	// Media the peer says it sends that never arrived at all.
	if connected && p.stateKnown && !p.connectedAt.IsZero() && now.Sub(p.connectedAt) > s.noMediaAfter() &&
		((p.remoteMic && p.audioTracks == 0) || (p.remoteCam && p.videoTracks == 0)) {
		v.link.NoMedia = true
	}
	v.hasLink = v.hasLink || v.hasUplink
	v.link.Loss = math.Max(upLoss, downLoss)
	v.link.Jitter = jitter
	return v
}

func (s *Session) noMediaAfter() time.Duration {
	if s.hooks.noMediaAfter > 0 {
		return s.hooks.noMediaAfter
	}
	return noMediaAfter
}

// sendSSRCs are the SSRCs of what we send p.
func (p *peer) sendSSRCs() []uint32 {
	var out []uint32
	if p.audioSender != nil {
		for _, e := range p.audioSender.GetParameters().Encodings {
			out = append(out, uint32(e.SSRC))
		}
	}
	if p.videoSender != nil {
		for _, e := range p.videoSender.GetParameters().Encodings {
			out = append(out, uint32(e.SSRC))
		}
	}
	return out
}

// emitQualities updates every link's level and emits Qualities. Self is
// the local uplink: the worst of what the peers report about the stream
// we send them (loss in their receiver reports, RTT). It is Unknown until
// some peer reported, and Down when every link is down. A link the other
// side closed is not rated at all: that peer left the call (it hung up),
// which is no network trouble of anyone's.
func (s *Session) emitQualities() {
	now := time.Now()
	q := Qualities{Self: QualityUnknown, Peers: make(map[PeerID]Quality, len(s.peers))}
	var worst linkSample
	reported, down, seen := false, 0, 0
	for id, p := range s.peers {
		if p.state == PeerClosed {
			continue
		}
		if p.state == PeerNew || (p.state == PeerConnecting && !p.linkQ.seen) {
			q.Peers[id] = QualityUnknown
			continue
		}
		seen++
		v := s.observe(p, now)
		if !v.link.Connected {
			down++
		}
		if !v.hasLink && v.link.Connected && !v.link.NoMedia {
			q.Peers[id] = QualityUnknown
			continue
		}
		q.Peers[id] = p.linkQ.update(v.link)
		if v.uplink.Connected && v.hasUplink {
			worst.Loss = math.Max(worst.Loss, v.uplink.Loss)
			worst.RTT = max(worst.RTT, v.uplink.RTT)
			worst.Video = v.uplink.Video
			worst.Connected = true
			reported = true
		}
	}
	switch {
	case seen > 0 && down == seen:
		q.Self = s.selfQ.update(linkSample{})
	case reported:
		q.Self = s.selfQ.update(worst)
		s.protectAudio(worst.Loss)
	}
	s.emit(q)
}

// protectAudio sizes the microphone encoder's FEC for the uplink's loss:
// the worst peer's report, which falls back slowly (a fifth per report)
// so that FEC is not dropped between two bursts. Called on the loop.
func (s *Session) protectAudio(fractionLost float64) {
	s.uplinkLoss = math.Max(fractionLost, 0.8*s.uplinkLoss)
	if s.audioCap == nil {
		return
	}
	pct := fecLossPct(s.uplinkLoss)
	if pct == s.audioFECPct {
		return
	}
	if e, ok := s.audioCap.ctrl.(packetLossSetter); ok {
		if err := e.SetPacketLoss(pct); err != nil {
			s.log.Debug("opus FEC", "err", err)
			return
		}
		s.audioFECPct = pct
	}
}
