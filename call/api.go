package call

import (
	"context"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// Login connects to the server in p and logs in. The directory follows as
// onPresenceChanged events when Config.Presence is set.
func (e *Engine) Login(ctx context.Context, p LoginParams) error {
	return e.do(ctx, "log in", func(done func(error)) {
		if e.client != nil {
			if e.self == p.UserID {
				done(errorf(signaling.CodeRequestRepeated, "already logged in as %s", e.self))
			} else {
				done(errorf(signaling.CodeRequestRefused, "logged in as %s: log out first", e.self))
			}
			return
		}
		if err := p.UserID.Check(); err != nil {
			done(err)
			return
		}
		e.emit(&ConnectionChanged{State: Connecting})
		var cl *signaling.Client
		e.spawn(func(ctx context.Context) error {
			var err error
			cl, err = signaling.Dial(ctx, signaling.ClientConfig{
				URL: p.Server, UserID: p.UserID, UserSig: p.UserSig,
				Nickname: p.Nickname, AvatarURL: p.AvatarURL,
				Presence: e.cfg.Presence, Logger: e.cfg.Logger,
			})
			return err
		}, func(err error) {
			if err != nil {
				e.emit(&ConnectionChanged{State: Disconnected, Reason: err.Error()})
				done(err)
				return
			}
			if e.client != nil { // a second Login won the race
				cl.Close()
				done(errorf(signaling.CodeRequestRepeated, "already logged in as %s", e.self))
				return
			}
			e.client, e.clientEvents, e.self = cl, cl.Events(), p.UserID
			e.log.Info("logged in", "user", p.UserID, "server", p.Server)
			e.emit(&ConnectionChanged{State: Connected})
			for _, u := range cl.LoginDirectory() {
				e.emit(presenceOf(u))
			}
			done(nil)
		})
	})
}

// Logout hangs up any call and logs out.
func (e *Engine) Logout(ctx context.Context) error {
	return e.do(ctx, "log out", func(done func(error)) {
		if e.client == nil {
			done(errNotLoggedIn())
			return
		}
		e.logout(ctx)
		done(nil)
	})
}

func (e *Engine) logout(ctx context.Context) {
	if e.client == nil {
		return
	}
	e.leaveCall(signaling.ReasonHangup)
	// The server's answer to the hang-up may still be queued: end the
	// call here, since nothing will be read from the server any more.
	e.abandonCall(signaling.ReasonHangup)
	if err := e.client.Logout(ctx); err != nil {
		e.log.Debug("logout", "err", err)
	}
	e.dropClient()
	e.emit(&ConnectionChanged{State: Disconnected, Reason: "logged out"})
}

// SetSelfInfo sets the local user's nickname and avatar URL (each at most
// 500 bytes, as TUICallKit's).
func (e *Engine) SetSelfInfo(ctx context.Context, nickname, avatarURL string) error {
	return e.do(ctx, "set your profile", func(done func(error)) {
		if len(nickname) > 500 || len(avatarURL) > 500 {
			done(errorf(signaling.CodeInvalidParam, "nickname and avatar URL may have at most 500 bytes each"))
			return
		}
		done(e.request(func(ctx context.Context, cl *signaling.Client) error {
			return cl.SetProfile(ctx, nickname, avatarURL)
		}))
	})
}

// Call invites user to a 1v1 call.
func (e *Engine) Call(ctx context.Context, user signaling.UserID, mt signaling.MediaType, p Params) error {
	return e.placeCall(ctx, "", []signaling.UserID{user}, mt, p)
}

// GroupCall invites users to a group call of group (at most 9 members, the
// caller included). An empty group with several users is a multi-party
// call without a group.
func (e *Engine) GroupCall(ctx context.Context, group signaling.GroupID, users []signaling.UserID, mt signaling.MediaType, p Params) error {
	if group != "" {
		if err := group.Check(); err != nil {
			return e.reportNow(errorOf("call", err))
		}
	}
	return e.placeCall(ctx, group, users, mt, p)
}

// reportNow emits err as onError (on the loop, in order) and returns it.
func (e *Engine) reportNow(err *Error) error {
	_ = e.do(context.Background(), "", func(done func(error)) { done(err) })
	return err
}

func (e *Engine) placeCall(ctx context.Context, group signaling.GroupID, users []signaling.UserID, mt signaling.MediaType, p Params) error {
	return e.do(ctx, "call", func(done func(error)) {
		if e.client == nil {
			done(errNotLoggedIn())
			return
		}
		if e.call != nil {
			if e.call.role == signaling.RoleCaller && e.call.status == statusDialing {
				done(errorf(signaling.CodeRequestRepeated, "already calling: wait for an answer or hang up"))
			} else {
				done(errBusy())
			}
			return
		}
		if err := e.checkInvitees(users, 1); err != nil {
			done(err)
			return
		}
		if !mt.Valid() {
			done(errorf(signaling.CodeInvalidParam, "media type %d is neither audio (0) nor video (1)", mt))
			return
		}
		if p.Timeout < 0 {
			done(errorf(signaling.CodeInvalidParam, "timeout %v is negative", p.Timeout))
			return
		}
		c := newCallState(signaling.RoleCaller, statusDialing)
		c.groupID, c.callerID = group, e.self
		if err := e.beginCall(c, mt == signaling.Video); err != nil {
			done(err)
			return
		}
		c.mediaType = mt
		var rep signaling.CallReply
		err := e.request(func(ctx context.Context, cl *signaling.Client) error {
			var err error
			rep, err = cl.Call(ctx, signaling.CallRequest{
				CalleeIDList: users, GroupID: group, CallMediaType: mt,
				Timeout: timeoutSeconds(p), UserData: p.UserData, RoomID: p.RoomID,
			})
			return err
		})
		if err != nil {
			e.endCall()
			done(err)
			return
		}
		c.id, c.roomID = rep.CallID, rep.RoomID
		done(nil)
	})
}

// checkInvitees refuses what the server would refuse anyway, before
// anything is set up: the shared rule (signaling.CheckInvitees). already
// is how many members the call has besides the invitees.
func (e *Engine) checkInvitees(users []signaling.UserID, already int) *Error {
	if err := signaling.CheckInvitees(e.self, users, already); err != nil {
		return errorOf("call", err)
	}
	return nil
}

func timeoutSeconds(p Params) int {
	if p.Timeout <= 0 {
		return 0
	}
	return max(1, int((p.Timeout+500_000_000)/1_000_000_000))
}

// JoinInGroupCall joins the running call of group.
func (e *Engine) JoinInGroupCall(ctx context.Context, group signaling.GroupID, mt signaling.MediaType) error {
	return e.do(ctx, "join the group call", func(done func(error)) {
		if e.client == nil {
			done(errNotLoggedIn())
			return
		}
		if e.call != nil {
			done(errBusy())
			return
		}
		if err := group.Check(); err != nil {
			done(err)
			return
		}
		c := newCallState(signaling.RoleCallee, statusAccepting)
		c.groupID, c.accepted = group, true
		if err := e.beginCall(c, mt == signaling.Video); err != nil {
			done(err)
			return
		}
		var rep signaling.CallReply
		err := e.request(func(ctx context.Context, cl *signaling.Client) error {
			var err error
			rep, err = cl.Join(ctx, signaling.JoinRequest{GroupID: group})
			return err
		})
		if err != nil {
			e.endCall()
			done(err)
			return
		}
		c.id, c.roomID, c.mediaType = rep.CallID, rep.RoomID, rep.CallMediaType
		if rep.CallMediaType != mt {
			e.onMediaTypeChanged(&signaling.CallMediaTypeChanged{CallID: c.id, OldCallMediaType: mt, NewCallMediaType: rep.CallMediaType})
		}
		done(nil)
	})
}

// Accept answers the incoming call.
func (e *Engine) Accept(ctx context.Context) error {
	return e.do(ctx, "accept", func(done func(error)) { e.acceptOp(false, done) })
}

// AcceptAsAudio answers the incoming call and switches it to audio: for a
// user who does not want to be seen.
func (e *Engine) AcceptAsAudio(ctx context.Context) error {
	return e.do(ctx, "accept", func(done func(error)) { e.acceptOp(true, done) })
}

func (e *Engine) acceptOp(asAudio bool, done func(error)) {
	c := e.call
	switch {
	case e.client == nil:
		done(errNotLoggedIn())
	case c == nil || c.role != signaling.RoleCallee:
		done(errNoCall("accept"))
	case c.accepted || c.status != statusRinging:
		done(errorf(signaling.CodeRequestRepeated, "the call is already accepted"))
	default:
		e.accept(c, asAudio, done)
	}
}

// accept sends the answer once capture runs, so the offers we make as the
// later joiner carry our tracks.
func (e *Engine) accept(c *callState, asAudio bool, done func(error)) {
	c.accepted = true
	c.status = statusAccepting
	if asAudio && c.mediaType == signaling.Video && !e.cfg.Echo {
		c.whenStarted(func(err error) {
			if err == nil && e.call == c {
				_ = c.session.SetVideo(false)
			}
		})
	}
	c.whenStarted(func(err error) {
		if e.call != c {
			done(errorf(signaling.CodeRequestRefused, "the call ended before it could be accepted"))
			return
		}
		if err != nil {
			// The callee cannot take the call: the seed's abnormal case.
			_ = e.request(func(ctx context.Context, cl *signaling.Client) error {
				return cl.Fail(ctx, c.id, "media: "+err.Error())
			})
			done(err)
			return
		}
		err = e.request(func(ctx context.Context, cl *signaling.Client) error {
			_, err := cl.Accept(ctx, c.id)
			return err
		})
		if err != nil {
			if e.call == c {
				c.status, c.accepted = statusRinging, false
			}
			done(err)
			return
		}
		if asAudio && c.mediaType == signaling.Video {
			err = e.request(func(ctx context.Context, cl *signaling.Client) error {
				return cl.SwitchMediaType(ctx, c.id, signaling.Audio)
			})
		}
		done(err)
	})
}

// Reject declines the incoming call.
func (e *Engine) Reject(ctx context.Context) error {
	return e.do(ctx, "reject", func(done func(error)) {
		c, err := e.ringing("reject")
		if err != nil {
			done(err)
			return
		}
		done(e.request(func(ctx context.Context, cl *signaling.Client) error { return cl.Reject(ctx, c.id) }))
	})
}

// Ignore leaves the incoming call unanswered; the caller sees the line
// busy.
func (e *Engine) Ignore(ctx context.Context) error {
	return e.do(ctx, "ignore", func(done func(error)) {
		c, err := e.ringing("ignore")
		if err != nil {
			done(err)
			return
		}
		done(e.request(func(ctx context.Context, cl *signaling.Client) error { return cl.Ignore(ctx, c.id) }))
	})
}

func (e *Engine) ringing(what string) (*callState, error) {
	c := e.call
	switch {
	case e.client == nil:
		return nil, errNotLoggedIn()
	case c == nil || c.role != signaling.RoleCallee || c.status == statusConnected:
		return nil, errNoCall(what)
	case c.accepted:
		return nil, errorf(signaling.CodeRequestRefused, "the call is already accepted: hang up instead")
	}
	return c, nil
}

// Hangup leaves the current call: it cancels an outgoing call nobody has
// answered, declines a ringing one, and ends or leaves a connected one.
func (e *Engine) Hangup(ctx context.Context) error {
	return e.do(ctx, "hang up", func(done func(error)) {
		if e.client == nil {
			done(errNotLoggedIn())
			return
		}
		if e.call == nil {
			done(errNoCall("hang up"))
			return
		}
		e.leaveCall(signaling.ReasonHangup)
		done(nil)
	})
}

// InviteUser invites users into the current group call.
func (e *Engine) InviteUser(ctx context.Context, users []signaling.UserID, p Params) error {
	return e.do(ctx, "invite", func(done func(error)) {
		c := e.call
		switch {
		case e.client == nil:
			done(errNotLoggedIn())
			return
		case c == nil || c.id == "" || c.status == statusRinging:
			done(errNoCall("invite people to"))
			return
		}
		if err := e.checkInvitees(users, 1+len(c.members)); err != nil {
			done(err)
			return
		}
		done(e.request(func(ctx context.Context, cl *signaling.Client) error {
			_, err := cl.Invite(ctx, c.id, users, timeoutSeconds(p))
			return err
		}))
	})
}

// SwitchCallMediaType switches the current call to mt for everyone.
func (e *Engine) SwitchCallMediaType(ctx context.Context, mt signaling.MediaType) error {
	return e.do(ctx, "switch the call's media", func(done func(error)) {
		c := e.call
		switch {
		case e.client == nil:
			done(errNotLoggedIn())
		case c == nil || c.status != statusConnected:
			done(errNoCall("switch"))
		case !mt.Valid():
			done(errorf(signaling.CodeInvalidParam, "media type %d is neither audio (0) nor video (1)", mt))
		case c.mediaType == mt:
			done(errorf(signaling.CodeRequestRepeated, "the call is already an %s call", mt))
		default:
			done(e.request(func(ctx context.Context, cl *signaling.Client) error {
				return cl.SwitchMediaType(ctx, c.id, mt)
			}))
		}
	})
}

// OpenCamera turns the local camera on (in the current call, and for the
// calls to come).
func (e *Engine) OpenCamera(ctx context.Context) error {
	return e.do(ctx, "open the camera", func(done func(error)) {
		e.dev.cameraOff = false
		e.withSession(done, func(s *media.Session) error {
			if e.call.mediaType != signaling.Video {
				return nil // an audio call: the camera comes on if it switches to video
			}
			return s.SetCamera(true)
		})
	})
}

// CloseCamera turns the local camera off; the others see an avatar.
func (e *Engine) CloseCamera(ctx context.Context) error {
	return e.do(ctx, "close the camera", func(done func(error)) {
		e.dev.cameraOff = true
		e.withSession(done, func(s *media.Session) error {
			if e.call.mediaType != signaling.Video {
				return nil
			}
			return s.SetCamera(false)
		})
	})
}

// SwitchCamera captures from the camera deviceID (see Devices).
func (e *Engine) SwitchCamera(ctx context.Context, deviceID string) error {
	return e.do(ctx, "switch the camera", func(done func(error)) {
		e.dev.cameraID = deviceID
		e.withSession(done, func(s *media.Session) error { return s.SwitchCamera(deviceID) })
	})
}

// OpenMicrophone unmutes the local microphone.
func (e *Engine) OpenMicrophone(ctx context.Context) error {
	return e.do(ctx, "open the microphone", func(done func(error)) {
		e.dev.micOff = false
		e.withSession(done, func(s *media.Session) error { return s.SetMicrophone(true) })
	})
}

// CloseMicrophone mutes the local microphone; the others see it muted.
func (e *Engine) CloseMicrophone(ctx context.Context) error {
	return e.do(ctx, "close the microphone", func(done func(error)) {
		e.dev.micOff = true
		e.withSession(done, func(s *media.Session) error { return s.SetMicrophone(false) })
	})
}

// SelectMicrophone captures from the microphone deviceID.
func (e *Engine) SelectMicrophone(ctx context.Context, deviceID string) error {
	return e.do(ctx, "switch the microphone", func(done func(error)) {
		e.dev.micID = deviceID
		e.withSession(done, func(s *media.Session) error { return s.SwitchMicrophone(deviceID) })
	})
}

// SelectAudioPlaybackDevice plays the call through the speaker deviceID.
func (e *Engine) SelectAudioPlaybackDevice(ctx context.Context, deviceID string) error {
	return e.do(ctx, "switch the speaker", func(done func(error)) {
		e.dev.speakerID = deviceID
		e.withSession(done, func(s *media.Session) error { return s.SetSpeaker(deviceID) })
	})
}

// SetEchoCancellation turns the acoustic echo canceller on or off. It
// takes effect from the next call: a call in progress keeps the setting
// it began with, because the canceller is fixed when the call's media
// session opens the speaker.
func (e *Engine) SetEchoCancellation(ctx context.Context, on bool) error {
	return e.do(ctx, "set echo cancellation", func(done func(error)) {
		e.dev.noEchoCancellation = !on
		done(nil)
	})
}

// SetVideoEncoderParams sets the camera's resolution, frame rate and
// bitrate (zero fields keep their value).
func (e *Engine) SetVideoEncoderParams(ctx context.Context, p VideoEncoderParams) error {
	return e.do(ctx, "set the video encoder", func(done func(error)) {
		next := p.over(e.dev.video)
		if err := next.Validate(); err != nil {
			done(err)
			return
		}
		e.dev.video = next
		e.withSession(done, func(s *media.Session) error { return s.SetVideoParams(next) })
	})
}

// withSession runs f on the current call's session once it has started,
// and reports f's result; with no call it reports success (the setting
// applies to the next call).
func (e *Engine) withSession(done func(error), f func(*media.Session) error) {
	c := e.call
	if c == nil || e.cfg.Echo {
		done(nil)
		return
	}
	c.whenStarted(func(err error) {
		if err != nil || e.call != c {
			done(nil) // nothing runs to apply it to; the next call will
			return
		}
		done(f(c.session))
	})
}

// Devices lists the cameras, microphones and speakers.
func (e *Engine) Devices() ([]Device, error) {
	ds, err := media.ListDevices()
	if err != nil {
		return nil, errorOf("list devices", err)
	}
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, Device{ID: d.ID, Label: d.Label, Kind: d.Kind.String(), IsTestSource: d.IsTestSource, IsDefault: d.IsDefault})
	}
	return out, nil
}

// StartRemoteView shows user's video in sink.
func (e *Engine) StartRemoteView(user signaling.UserID, sink VideoSink) {
	e.post(func() {
		e.remoteViews[user] = sink
		if c := e.call; c != nil {
			if m := c.members[user]; m != nil && m.peer {
				_ = c.session.SetRemoteSink(media.PeerID(user), sink)
			}
		}
	})
}

// StopRemoteView stops showing user's video.
func (e *Engine) StopRemoteView(user signaling.UserID) {
	e.post(func() {
		delete(e.remoteViews, user)
		if c := e.call; c != nil {
			if m := c.members[user]; m != nil && m.peer {
				_ = c.session.SetRemoteSink(media.PeerID(user), nil)
			}
		}
	})
}

// StartLocalPreview shows the local camera in sink.
func (e *Engine) StartLocalPreview(sink VideoSink) {
	e.post(func() {
		e.localView = sink
		if c := e.call; c != nil {
			c.session.SetLocalSink(sink)
		}
	})
}

// StopLocalPreview stops the local preview.
func (e *Engine) StopLocalPreview() {
	e.post(func() {
		e.localView = nil
		if c := e.call; c != nil {
			c.session.SetLocalSink(nil)
		}
	})
}
