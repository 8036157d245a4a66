package call

import (
	"errors"
	"time"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// onMedia applies one event of the current call's media session, on the
// loop.
func (e *Engine) onMedia(ev media.Event) {
	c := e.call
	if c == nil {
		return
	}
	switch ev := ev.(type) {
	case media.SignalOut:
		if e.hooks.dropSignal != nil && e.hooks.dropSignal(ev.Signal) {
			return
		}
		if c.id != "" {
			e.relay.send(c.ctx, e.client, c.id, signaling.UserID(ev.Peer), wireSignal(ev.Signal))
		}
	case media.PeerStateChanged:
		m := c.members[signaling.UserID(ev.Peer)]
		if m == nil {
			return
		}
		switch ev.State {
		case media.PeerConnected:
			if m.stopRestore != nil {
				m.stopRestore()
				m.stopRestore = nil
			}
			e.memberConnected(c, m)
		case media.PeerDisconnected, media.PeerFailed:
			// The media session restarts ICE until the link is back;
			// give it the restore timeout before giving up on the member.
			if m.stopRestore == nil && !m.failed {
				m.stopRestore = e.after(e.cfg.RestoreTimeout, func() {
					if e.call == c && c.members[m.id] == m && m.stopRestore != nil {
						m.stopRestore = nil
						e.memberFailed(c, m, errorf(signaling.CodeMediaNegotiation,
							"the media connection with %s was lost and could not be restored in %v", m.id, e.cfg.RestoreTimeout))
					}
				})
			}
		}
	case media.PeerError:
		if m := c.members[signaling.UserID(ev.Peer)]; m != nil {
			e.memberFailed(c, m, ev.Err)
		}
	case media.RemoteMedia:
		m := c.members[signaling.UserID(ev.Peer)]
		if m == nil {
			return
		}
		m.video, m.audio = ev.Video, ev.Audio
		e.emitAvailability(c, m)
		if ev.Screen != m.screen {
			m.screen = ev.Screen
			e.emit(&UserScreenShareChanged{CallID: c.id, UserID: m.id, IsSharing: ev.Screen})
		}
	case media.ScreenShare:
		e.emit(&UserScreenShareChanged{CallID: c.id, UserID: e.self, IsSharing: ev.On})
	case media.Volumes:
		if c.status != statusConnected {
			return
		}
		vm := map[signaling.UserID]int{e.self: ev.Self}
		for _, m := range c.members {
			if m.joined {
				vm[m.id] = ev.Peers[media.PeerID(m.id)]
			}
		}
		e.emit(&UserVoiceVolumeChanged{CallID: c.id, VolumeMap: vm})
	case media.Qualities:
		if c.status != statusConnected {
			return
		}
		// A member whose connection the other side closed is not rated
		// (it hung up, and the server's event saying so is on its way):
		// with nobody left to rate, there is no quality to tell.
		qm := map[signaling.UserID]media.Quality{e.self: ev.Self}
		gone := 0
		for _, m := range c.members {
			if !m.joined {
				continue
			}
			if q, ok := ev.Peers[media.PeerID(m.id)]; ok {
				qm[m.id] = q
			} else {
				gone++
			}
		}
		if gone > 0 && len(qm) == 1 {
			return
		}
		e.emit(&UserNetworkQualityChanged{CallID: c.id, NetworkQuality: qm})
	case media.Paths:
		if c.status != statusConnected {
			return
		}
		out := &NetworkPathChanged{CallID: c.id, Paths: map[signaling.UserID]NetworkPath{}}
		for id, p := range ev.Peers {
			if m := c.members[signaling.UserID(id)]; m != nil && m.joined {
				out.Paths[m.id] = networkPath(p)
			}
		}
		if len(out.Paths) > 0 {
			e.emit(out)
		}
	case media.LocalSource:
		e.emit(&MediaSourceChanged{Kind: ev.Kind.String(), DeviceID: ev.DeviceID, Label: ev.Label, IsTestSource: ev.IsTestSource})
	case media.DeviceFailed:
		e.emit(errorOf("keep the device running", ev.Err))
	case media.FirstFrame:
		e.log.Debug("first frame", "peer", ev.Peer)
	}
}

// memberConnected emits onUserJoin the first time media flows with m,
// then m's camera and microphone state.
func (e *Engine) memberConnected(c *callState, m *member) {
	if m.joined || m.failed {
		return
	}
	m.joined = true
	if m.stopTimeout != nil {
		m.stopTimeout()
		m.stopTimeout = nil
	}
	e.emit(&UserJoin{CallID: c.id, UserID: m.id})
	e.emitAvailability(c, m)
}

// availabilityHold is how long a member's camera or microphone must stay
// off before onUser*Available(false) goes out: renegotiation briefly
// removes and re-adds tracks, and an indicator that flickers is one that
// does not tell the truth.
const availabilityHold = 300 * time.Millisecond

// emitAvailability emits onUserVideoAvailable / onUserAudioAvailable for
// what changed since the last ones, once m has joined. Off is every
// member's state until told otherwise, so the first events only say on.
// A change to off waits availabilityHold, unless it is certain (the call
// became an audio call).
func (e *Engine) emitAvailability(c *callState, m *member) {
	if !m.joined {
		return
	}
	video := m.video && c.mediaType == signaling.Video
	e.emitOne(c, m, &m.audioShown, m.audio, false, func(v bool) Event {
		return &UserAudioAvailable{CallID: c.id, UserID: m.id, IsAudioAvailable: v}
	})
	e.emitOne(c, m, &m.videoShown, video, c.mediaType != signaling.Video, func(v bool) Event {
		return &UserVideoAvailable{CallID: c.id, UserID: m.id, IsVideoAvailable: v}
	})
}

// shown is what the events last said of one of a member's devices.
type shown struct {
	told     bool // an event was emitted
	on       bool // what it said
	offSince time.Time
}

func (e *Engine) emitOne(c *callState, m *member, sh *shown, on, certain bool, mk func(bool) Event) {
	if (!sh.told && !on) || (sh.told && sh.on == on) {
		sh.offSince = time.Time{} // nothing new, or a flicker that ended
		return
	}
	if !on && !certain {
		if sh.offSince.IsZero() {
			sh.offSince = time.Now()
			e.after(availabilityHold, func() {
				if e.call == c && c.members[m.id] == m {
					e.emitAvailability(c, m)
				}
			})
			return
		}
		if time.Since(sh.offSince) < availabilityHold {
			return // the timer set for this off will look again
		}
	}
	sh.told, sh.on, sh.offSince = true, on, time.Time{}
	e.emit(mk(on))
}

// memberFailed handles media that could not be set up or restored with m:
// onError, and then a 1v1 call, or a group call left with nobody to talk
// to, ends for everyone.
func (e *Engine) memberFailed(c *callState, m *member, err error) {
	if m.failed {
		return
	}
	m.failed = true
	if m.stopTimeout != nil {
		m.stopTimeout()
		m.stopTimeout = nil
	}
	if m.stopRestore != nil {
		m.stopRestore()
		m.stopRestore = nil
	}
	ce := errorOf("connect media", err)
	if !errors.Is(ce, &Error{Code: signaling.CodeMediaNegotiation}) {
		ce = errorf(signaling.CodeMediaNegotiation, "the media connection with %s failed: %s", m.id, ce.Message)
	}
	e.emit(ce)
	if m.peer {
		id := media.PeerID(m.id)
		c.media.do(func(s *media.Session) error { return s.RemovePeer(id) }, nil)
		m.peer = false
	}
	if m.joined {
		m.joined = false
		e.emit(&UserLeave{CallID: c.id, UserID: m.id})
	}
	for _, o := range c.members {
		if !o.failed {
			return // someone is still there or still connecting
		}
	}
	e.log.Warn("no media connection left: leaving the call", "call", c.id)
	// The server ends the call for everyone (its event ends it here);
	// if it cannot be told, the call ends on this side.
	e.send(signaling.ReqFail, signaling.FailRequest{CallID: c.id, Reason: ce.Message}, func(r *signaling.Reply) {
		if r.Err != nil && e.call == c {
			e.abandonCall(signaling.ReasonConnectionFailed)
		}
	})
}

// networkPath is a media path as the event tells it.
func networkPath(p media.Path) NetworkPath {
	n := NetworkPath{Via: ViaDirect, Local: p.Local, Remote: p.Remote, Protocol: p.RelayProtocol,
		LocalAddr: p.LocalAddr, RemoteAddr: p.RemoteAddr, RTTMs: p.RTT.Milliseconds()}
	if p.Relayed() {
		n.Via = ViaRelay
	}
	return n
}
