package call

import (
	"errors"
	"time"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// onSignaling applies one event of the signaling client, on the loop.
func (e *Engine) onSignaling(ev signaling.Event) {
	switch ev := ev.(type) {
	case *signaling.Reply:
		e.onReply(ev)
	case *signaling.CallReceived:
		e.onCallReceived(ev)
	case *signaling.CallCancelled:
		if c := e.current(ev.CallID); c != nil {
			e.emit(&CallCancelled{CallID: ev.CallID, CallerID: ev.CallerID, Reason: ev.Reason})
			e.endCall()
		}
	case *signaling.CallBegin:
		e.onCallBegin(ev)
	case *signaling.CallEnd:
		if c := e.current(ev.CallID); c != nil {
			e.emit(&CallEnd{CallID: ev.CallID, RoomID: ev.RoomID, CallMediaType: ev.CallMediaType,
				CallRole: ev.CallRole, TotalTime: ev.TotalTime, Reason: ev.Reason})
			e.endCall()
		}
	case *signaling.UserReject:
		if e.current(ev.CallID) != nil {
			e.emit(&UserReject{CallID: ev.CallID, UserID: ev.UserID})
		}
	case *signaling.UserNoResponse:
		if e.current(ev.CallID) != nil {
			e.emit(&UserNoResponse{CallID: ev.CallID, UserID: ev.UserID})
		}
	case *signaling.UserLineBusy:
		if e.current(ev.CallID) != nil {
			e.emit(&UserLineBusy{CallID: ev.CallID, UserID: ev.UserID})
		}
	case *signaling.UserInviting:
		if e.current(ev.CallID) != nil {
			e.emit(&UserInviting{CallID: ev.CallID, UserID: ev.UserID})
		}
	case *signaling.UserJoin:
		if c := e.current(ev.CallID); c != nil {
			e.onMemberEntered(c, ev.UserID, ev.Offer)
		}
	case *signaling.UserLeave:
		if c := e.current(ev.CallID); c != nil {
			e.onMemberLeft(c, ev.UserID)
		}
	case *signaling.CallMediaTypeChanged:
		e.onMediaTypeChanged(ev)
	case *signaling.Relay:
		e.onRelay(ev)
	case *signaling.PresenceChanged:
		for _, u := range ev.Users {
			e.emit(presenceOf(u))
		}
	case *signaling.KickedOffline:
		e.abandonCall(signaling.ReasonOffline)
		e.emit(&KickedOffline{})
		e.dropClient()
		e.emit(&ConnectionChanged{State: Disconnected, Reason: "logged in elsewhere"})
	case *signaling.UserSigExpired:
		e.abandonCall(signaling.ReasonOffline)
		e.emit(&UserSigExpired{})
		e.dropClient()
		e.emit(&ConnectionChanged{State: Disconnected, Reason: "UserSig expired"})
	case *signaling.ServerClosing:
		e.emit(&ConnectionChanged{State: Reconnecting, Reason: "the server is restarting: " + ev.Message})
	case *signaling.Reconnecting:
		if ev.Attempt == 1 {
			e.emit(&ConnectionChanged{State: Reconnecting, Reason: ev.Err})
		}
	case *signaling.Resumed:
		e.emit(&ConnectionChanged{State: Connected})
	case *signaling.SessionLost:
		// The server has ended our part in any call; say so locally.
		e.abandonCall(signaling.ReasonOffline)
		e.emit(&ConnectionChanged{State: Connected, Reason: "new session: " + ev.Reason})
		if e.client != nil {
			for _, u := range e.client.LoginDirectory() {
				e.emit(presenceOf(u))
			}
		}
	case *signaling.Closed:
		e.abandonCall(signaling.ReasonOffline)
		reason := ""
		if ev.Err != nil {
			reason = ev.Err.Error()
		}
		e.dropClient()
		e.emit(&ConnectionChanged{State: Disconnected, Reason: reason})
	default:
		e.log.Debug("ignoring signaling event", "type", ev.EventType())
	}
}

// current returns the current call if id is its id.
func (e *Engine) current(id signaling.CallID) *callState {
	if e.call != nil && e.call.id == id && id != "" {
		return e.call
	}
	return nil
}

// onCallReceived reports an invitation before anything else: no device
// is touched until the user accepts (or the app asks for a preview).
func (e *Engine) onCallReceived(ev *signaling.CallReceived) {
	if e.call != nil {
		// The server counts a ringing or busy user out of new calls, so
		// this is a race at most: answer it as busy.
		e.log.Warn("invited while in a call: answering busy", "call", ev.CallID)
		e.send(signaling.ReqIgnore, signaling.CallRef{CallID: ev.CallID}, func(r *signaling.Reply) {
			if r.Err != nil {
				e.log.Warn("ignore", "call", ev.CallID, "err", r.Err)
			}
		})
		return
	}
	c := newCallState(signaling.RoleCallee, statusRinging)
	c.id, c.callerID, c.groupID, c.mediaType = ev.CallID, ev.CallerID, ev.GroupID, ev.CallMediaType
	e.call = c
	e.emit(&CallReceived{CallID: ev.CallID, CallerID: ev.CallerID, CalleeIDList: ev.CalleeIDList,
		GroupID: ev.GroupID, CallMediaType: ev.CallMediaType, UserData: ev.UserData})
}

func (e *Engine) onCallBegin(ev *signaling.CallBegin) {
	c := e.current(ev.CallID)
	if c == nil || c.status == statusConnected {
		return
	}
	c.status = statusConnected
	c.begun = time.Now()
	c.roomID, c.mediaType, c.role = ev.RoomID, ev.CallMediaType, ev.CallRole
	e.emit(&CallBegin{CallID: ev.CallID, RoomID: ev.RoomID, CallMediaType: ev.CallMediaType, CallRole: ev.CallRole})
}

// onMemberEntered sets up media with a user who entered the room. The one
// who entered later sends the offer, so no pair ever offers both ways.
func (e *Engine) onMemberEntered(c *callState, id signaling.UserID, offer bool) {
	if id == e.self || c.members[id] != nil {
		return
	}
	m := &member{id: id, offerer: offer}
	c.members[id] = m
	m.stopTimeout = e.after(e.cfg.ConnectTimeout, func() {
		if e.call == c && c.members[id] == m && !m.joined && !m.failed {
			e.memberFailed(c, m, errorf(signaling.CodeMediaNegotiation,
				"no media from %s after %v: a firewall may block the connection", id, e.cfg.ConnectTimeout))
		}
	})
	addPeer := func(err error) {
		if err != nil || e.call != c || c.members[id] != m {
			return
		}
		// The peer is there for the loop's purposes at once: what comes
		// next for it (signals, a sink, its removal) is queued after it.
		m.peer = true
		sink, encoded := e.remoteViews[id], e.remoteEncoded[id]
		c.media.do(func(s *media.Session) error {
			if err := s.AddPeer(media.PeerID(id), offer); err != nil {
				return err
			}
			if sink != nil {
				_ = s.SetRemoteSink(media.PeerID(id), sink)
			}
			if encoded != nil {
				_ = s.SetRemoteEncodedSink(media.PeerID(id), encoded)
			}
			return nil
		}, func(err error) {
			if err != nil && e.call == c && c.members[id] == m {
				m.peer = false
				e.memberFailed(c, m, err)
			}
		})
		for _, sig := range c.held[id] {
			e.handleSignal(c, m, sig)
		}
		delete(c.held, id)
	}
	if c.capturing {
		// Queued after StartAsync: the peer carries the tracks the
		// devices will feed, and connects while they open.
		addPeer(nil)
		return
	}
	c.whenStarted(addPeer)
}

func (e *Engine) onMemberLeft(c *callState, id signaling.UserID) {
	m := c.members[id]
	delete(c.members, id)
	delete(c.held, id)
	if m == nil {
		return
	}
	if m.stopTimeout != nil {
		m.stopTimeout()
	}
	if m.stopRestore != nil {
		m.stopRestore()
	}
	if m.peer {
		c.media.do(func(s *media.Session) error {
			if err := s.RemovePeer(media.PeerID(id)); err != nil {
				e.log.Debug("remove peer", "peer", id, "err", err)
			}
			return nil
		}, nil)
	}
	if m.joined {
		e.emit(&UserLeave{CallID: c.id, UserID: id})
	}
}

func (e *Engine) onMediaTypeChanged(ev *signaling.CallMediaTypeChanged) {
	c := e.current(ev.CallID)
	if c == nil {
		return
	}
	c.mediaType = ev.NewCallMediaType
	video := ev.NewCallMediaType == signaling.Video
	if !video {
		// Every member removes its video track now. What the media session
		// last said of it is stale until it reports the track gone; kept,
		// it would announce that old track on a quick switch back to video,
		// just before the track ends (and the indicator flickers).
		for _, m := range c.members {
			m.video = false
		}
	}
	e.withMedia(c, func(s *media.Session) error { return s.SetVideo(video) }, func(err error) {
		if err != nil && !errors.Is(err, errCallEnded) && e.call == c && c.startErr == nil {
			e.emit(errorOf("switch the call's media", err))
		}
	})
	e.emit(&CallMediaTypeChanged{CallID: ev.CallID, OldCallMediaType: ev.OldCallMediaType, NewCallMediaType: ev.NewCallMediaType})
	for _, m := range c.members {
		e.emitAvailability(c, m) // an audio call has no video: say so at once
	}
}

func (e *Engine) onRelay(ev *signaling.Relay) {
	c := e.current(ev.CallID)
	if c == nil {
		return
	}
	// The server checked the payload against the same schema; this can
	// only fail with a server that does not.
	p, err := signaling.DecodeRelayPayload(ev.Payload)
	if err != nil {
		e.log.Warn("unusable relay payload", "from", ev.From, "err", err)
		e.refuseSignal(c, ev.From, "", signaling.CodeInvalidParam, err.Error())
		return
	}
	m := c.members[ev.From]
	for _, w := range p.Signals {
		sig, ok := mediaSignal(w)
		if !ok {
			e.onSignalError(c, ev.From, w)
			continue
		}
		if m == nil {
			// The server sends a member's onUserJoin before its relays:
			// this one has left (or never was), and nothing can use it.
			e.log.Warn("media signal from a user not in the call", "from", ev.From, "kind", sig.Kind)
			e.refuseSignal(c, ev.From, w.Kind, signaling.CodeRequestRefused, "no media connection with you in this call")
			continue
		}
		if !m.peer {
			// The signals can overtake the media session's start: keep
			// them for the peer.
			c.held[ev.From] = append(c.held[ev.From], sig)
			continue
		}
		e.handleSignal(c, m, sig)
	}
}

// handleSignal gives a member's signal to the media session. One it
// cannot use (an SDP pion refuses, an offer from the pair's answerer)
// is logged and refused back to its sender, who would otherwise wait
// for an answer that never comes.
func (e *Engine) handleSignal(c *callState, m *member, sig media.Signal) {
	id := m.id
	c.media.do(func(s *media.Session) error {
		return s.HandleSignal(media.PeerID(id), sig)
	}, func(err error) {
		switch {
		case err == nil:
		case errors.Is(err, media.ErrClosed), errors.Is(err, media.ErrUnknownPeer), errors.Is(err, errNoSession):
			e.log.Debug("media signal for a peer that is gone", "from", id, "kind", sig.Kind, "err", err)
		default:
			e.log.Warn("media signal refused", "from", id, "kind", sig.Kind, "err", err)
			if e.call == c {
				e.refuseSignal(c, id, wireSignal(sig).Kind, signaling.CodeMediaNegotiation, err.Error())
			}
		}
	})
}

// maxRefusal bounds the message of an error signal.
const maxRefusal = 500

// refuseSignal tells member to that a signal of kind refused (empty: the
// whole payload) could not be used, with an error signal.
func (e *Engine) refuseSignal(c *callState, to signaling.UserID, refused signaling.SignalKind, code signaling.Code, msg string) {
	if len(msg) > maxRefusal {
		msg = msg[:maxRefusal]
	}
	e.relay.send(c.ctx, e.client, c.id, to, signaling.Signal{Kind: signaling.SignalError, Code: code, Message: msg, Refused: refused})
}

// onSignalError handles a member's error signal: one of ours it could
// not use. It is never answered with an error (no ping-pong). A refused
// offer, answer or renegotiation means the media with that member will
// not come up as things stand: onError says why at once, before the
// connect timeout would.
func (e *Engine) onSignalError(c *callState, from signaling.UserID, w signaling.Signal) {
	e.log.Warn("a member could not use our signal", "from", from, "refused", w.Refused, "code", w.Code, "message", w.Message)
	switch w.Refused {
	case signaling.SignalOffer, signaling.SignalAnswer, signaling.SignalRenegotiate, "":
		e.emit(errorf(signaling.CodeMediaNegotiation, "%s could not use our media setup (%s): %s", from, refusedName(w.Refused), w.Message))
	}
}

func refusedName(k signaling.SignalKind) string {
	if k == "" {
		return "relay payload"
	}
	return string(k)
}

func presenceOf(u signaling.DirectoryEntry) *PresenceChanged {
	return &PresenceChanged{UserID: u.UserID, Nickname: u.Nickname, AvatarURL: u.AvatarURL, Presence: u.Presence}
}

// dropClient closes the signaling client in the background and forgets
// it; the requests still on their way fail.
func (e *Engine) dropClient() {
	cl := e.client
	if cl == nil {
		return
	}
	e.client, e.clientEvents = nil, nil
	e.failReplies(signaling.ErrClosed)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		cl.Close()
	}()
}
