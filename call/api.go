package call

import (
	"context"
	"errors"

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
		e.logout(func() { done(nil) })
	})
}

// logout leaves any call, tells the server (after the hang-up, in order),
// and drops the client once the server has answered or given up; then
// runs on the loop.
func (e *Engine) logout(then func()) {
	if e.client == nil {
		then()
		return
	}
	e.leaveCall(signaling.ReasonHangup)
	e.send(signaling.ReqLogout, nil, func(r *signaling.Reply) {
		if r.Err != nil {
			e.log.Debug("logout", "err", r.Err)
		}
		if e.client != nil {
			e.dropClient()
			e.emit(&ConnectionChanged{State: Disconnected, Reason: "logged out"})
		}
		then()
	})
}

// SetSelfInfo sets the local user's nickname and avatar URL (each at most
// 500 bytes, as TUICallKit's).
func (e *Engine) SetSelfInfo(ctx context.Context, nickname, avatarURL string) error {
	return e.do(ctx, "set your profile", func(done func(error)) {
		if len(nickname) > 500 || len(avatarURL) > 500 {
			done(errorf(signaling.CodeInvalidParam, "nickname and avatar URL may have at most 500 bytes each"))
			return
		}
		e.send(signaling.ReqSetProfile, signaling.SetProfileRequest{Nickname: nickname, AvatarURL: avatarURL},
			func(r *signaling.Reply) { done(r.Err) })
	})
}

// Call invites user to a 1v1 call and returns its ID once the server has
// placed it. Every event of the call carries that ID; none comes before
// Call returns it.
func (e *Engine) Call(ctx context.Context, user signaling.UserID, mt signaling.MediaType, p Params) (signaling.CallID, error) {
	return e.placeCall(ctx, "", []signaling.UserID{user}, mt, p)
}

// GroupCall invites users to a group call of group (at most 9 members, the
// caller included) and returns its ID, as Call does. An empty group with
// several users is a multi-party call without a group.
func (e *Engine) GroupCall(ctx context.Context, group signaling.GroupID, users []signaling.UserID, mt signaling.MediaType, p Params) (signaling.CallID, error) {
	if group != "" {
		if err := group.Check(); err != nil {
			return "", e.reportNow(errorOf("call", err))
		}
	}
	return e.placeCall(ctx, group, users, mt, p)
}

// reportNow emits err as onError (on the loop, in order) and returns it.
func (e *Engine) reportNow(err *Error) error {
	_ = e.do(context.Background(), "", func(done func(error)) { done(err) })
	return err
}

// placeCall opens the caller's devices (the user asked for the call) and
// sends the invitation at once; the call's ID comes with the reply.
func (e *Engine) placeCall(ctx context.Context, group signaling.GroupID, users []signaling.UserID, mt signaling.MediaType, p Params) (signaling.CallID, error) {
	var id signaling.CallID
	err := e.do(ctx, "call", func(done func(error)) {
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
		c.groupID, c.callerID, c.mediaType = group, e.self, mt
		e.call = c
		e.startMedia(c, mt == signaling.Video)
		e.send(signaling.ReqCall, signaling.CallRequest{
			CalleeIDList: users, GroupID: group, CallMediaType: mt,
			Timeout: timeoutSeconds(p), UserData: p.UserData, RoomID: p.RoomID,
		}, func(r *signaling.Reply) {
			rep, ok := e.placed(c, r, done)
			if !ok {
				return
			}
			c.id, c.roomID = rep.CallID, rep.RoomID
			id = c.id
			done(nil)
		})
	})
	return id, err
}

// placed reads the server's reply to a call or join request made for c,
// on the loop. ok false: c was hung up before the reply came (the call
// is left on the server too, if it was placed) or the server refused it
// (c ends); done has been called either way.
func (e *Engine) placed(c *callState, r *signaling.Reply, done func(error)) (rep signaling.CallReply, ok bool) {
	err := r.Err
	if err == nil {
		err = r.Decode(&rep)
	}
	if e.call != c {
		if err == nil {
			e.send(signaling.ReqHangup, signaling.CallRef{CallID: rep.CallID}, func(*signaling.Reply) {})
		}
		done(errHungUpEarly)
		return rep, false
	}
	if err != nil {
		e.endCall()
		done(err)
		return rep, false
	}
	return rep, true
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

// JoinInGroupCall joins the running call of group and returns its ID.
func (e *Engine) JoinInGroupCall(ctx context.Context, group signaling.GroupID, mt signaling.MediaType) (signaling.CallID, error) {
	var id signaling.CallID
	err := e.do(ctx, "join the group call", func(done func(error)) {
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
		c.groupID, c.accepted, c.mediaType = group, true, mt
		e.call = c
		e.startMedia(c, mt == signaling.Video)
		e.send(signaling.ReqJoin, signaling.JoinRequest{GroupID: group}, func(r *signaling.Reply) {
			rep, ok := e.placed(c, r, done)
			if !ok {
				return
			}
			c.id, c.roomID, c.mediaType = rep.CallID, rep.RoomID, rep.CallMediaType
			id = c.id
			if rep.CallMediaType != mt {
				e.onMediaTypeChanged(&signaling.CallMediaTypeChanged{CallID: c.id, OldCallMediaType: mt, NewCallMediaType: rep.CallMediaType})
			}
			done(nil)
		})
	})
	return id, err
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

// accept opens the devices (the user said yes) and, at the same time,
// sends the answer: the media link is negotiated and connected while the
// camera opens (media.Session.StartAsync), so the first frame leaves on
// a link that is up. Accepted as audio, the camera stays closed. If the
// devices fail, the call fails (failCall): Accept returns the device's
// error when it is known before the server's reply, else it comes as an
// onError.
func (e *Engine) accept(c *callState, asAudio bool, done func(error)) {
	c.accepted = true
	c.status = statusAccepting
	c.acceptReports = true
	e.startMedia(c, c.mediaType == signaling.Video && !asAudio)
	c.whenStarted(func(err error) {
		if err != nil && e.call == c {
			e.failCall(c, err)
		}
	})
	e.send(signaling.ReqAccept, signaling.CallRef{CallID: c.id}, func(r *signaling.Reply) {
		c.acceptReports = false
		switch {
		case c.startErr != nil:
			done(c.startErr)
			return
		case r.Err != nil:
			if e.call == c && c.status == statusAccepting {
				c.status, c.accepted = statusRinging, false
			}
			done(r.Err)
			return
		case e.call != c:
			done(errorf(signaling.CodeRequestRefused, "the call ended before it could be accepted"))
			return
		case !asAudio || c.mediaType != signaling.Video:
			done(nil)
			return
		}
		e.send(signaling.ReqSwitchMediaType, signaling.SwitchMediaTypeRequest{CallID: c.id, CallMediaType: signaling.Audio},
			func(r *signaling.Reply) { done(r.Err) })
	})
}

// Reject declines the incoming call. The call ends on this side at once
// (onCallCancelled, reason reject); the server is told in the background.
func (e *Engine) Reject(ctx context.Context) error {
	return e.do(ctx, "reject", func(done func(error)) {
		c, err := e.ringing("reject")
		if err != nil {
			done(err)
			return
		}
		e.leave(c, signaling.ReqReject, signaling.ReasonReject)
		done(nil)
	})
}

// Ignore leaves the incoming call unanswered; the caller sees the line
// busy. The call ends on this side at once (onCallCancelled, reason
// lineBusy); the server is told in the background.
func (e *Engine) Ignore(ctx context.Context) error {
	return e.do(ctx, "ignore", func(done func(error)) {
		c, err := e.ringing("ignore")
		if err != nil {
			done(err)
			return
		}
		e.leave(c, signaling.ReqIgnore, signaling.ReasonLineBusy)
		done(nil)
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
// The call ends on this side at once, with its terminal event and its
// devices closed, whether or not the server can be reached; the server is
// told in the background.
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
		e.send(signaling.ReqInvite, signaling.InviteRequest{CallID: c.id, UserIDList: users, Timeout: timeoutSeconds(p)},
			func(r *signaling.Reply) { done(r.Err) })
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
			e.send(signaling.ReqSwitchMediaType, signaling.SwitchMediaTypeRequest{CallID: c.id, CallMediaType: mt},
				func(r *signaling.Reply) { done(r.Err) })
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

// withSession runs f on the current call's session once capture has
// started, and reports f's result; with no call, or none capturing yet,
// it reports success at once (the setting applies when capture starts).
func (e *Engine) withSession(done func(error), f func(*media.Session) error) {
	c := e.call
	if c == nil || !c.capturing {
		done(nil)
		return
	}
	e.withMedia(c, f, func(err error) {
		if errors.Is(err, errCallEnded) || (err != nil && c.startErr != nil) {
			err = nil // nothing runs to apply it to; the next call will
		}
		done(err)
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
		e.setRemoteSink(user, sink)
	})
}

// StopRemoteView stops showing user's video.
func (e *Engine) StopRemoteView(user signaling.UserID) {
	e.post(func() {
		delete(e.remoteViews, user)
		e.setRemoteSink(user, nil)
	})
}

func (e *Engine) setRemoteSink(user signaling.UserID, sink VideoSink) {
	c := e.call
	if c == nil {
		return
	}
	if m := c.members[user]; m != nil && m.peer {
		c.media.do(func(s *media.Session) error {
			var fs media.FrameSink
			if sink != nil {
				fs = sink
			}
			return s.SetRemoteSink(media.PeerID(user), fs)
		}, nil)
	}
}

// StartLocalPreview shows the local camera in sink: in the call, and for
// the calls to come. While a video call rings it opens the camera for
// the preview alone (nothing is sent before Accept): the one way a device
// opens before the user answers, and only because the app asked.
func (e *Engine) StartLocalPreview(sink VideoSink) {
	e.post(func() {
		e.localView = sink
		c := e.call
		if c == nil {
			return
		}
		if c.status == statusRinging && !c.accepted && !c.preview && c.mediaType == signaling.Video && !e.dev.cameraOff && e.dev.custom == nil {
			c.preview = true
			e.ensureMedia(c)
			ctx := e.ctx
			c.media.do(func(s *media.Session) error {
				s.SetLocalSink(sink)
				return s.Preview(ctx)
			}, func(err error) {
				if err != nil && e.call == c && !errors.Is(err, errNoSession) {
					e.emit(errorOf("start the camera", err))
				}
			})
			return
		}
		if c.media != nil {
			c.media.do(func(s *media.Session) error { s.SetLocalSink(sink); return nil }, nil)
		}
	})
}

// StopLocalPreview stops the local preview; a camera opened for the
// preview of a ringing call closes.
func (e *Engine) StopLocalPreview() {
	e.post(func() {
		e.localView = nil
		c := e.call
		if c == nil || c.media == nil {
			return
		}
		stop := c.preview && !c.accepted
		c.preview = false
		c.media.do(func(s *media.Session) error {
			s.SetLocalSink(nil)
			if stop {
				return s.StopPreview()
			}
			return nil
		}, nil)
	})
}
