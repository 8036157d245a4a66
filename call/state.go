package call

import (
	"context"
	"errors"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// callStatus is where the local user stands in the current call.
type callStatus int

const (
	statusDialing   callStatus = iota // we invited; nobody has answered yet
	statusRinging                     // we are invited
	statusAccepting                   // we accepted or joined; onCallBegin is on its way
	statusConnected                   // onCallBegin seen
)

var callStatusNames = [...]string{"dialing", "ringing", "accepting", "connected"}

func (s callStatus) String() string {
	if s >= 0 && int(s) < len(callStatusNames) {
		return callStatusNames[s]
	}
	return "callStatus(?)"
}

// callState is the current call, owned by the loop.
type callState struct {
	id        signaling.CallID
	role      signaling.CallRole
	mediaType signaling.MediaType
	roomID    signaling.RoomID
	groupID   signaling.GroupID
	callerID  signaling.UserID
	status    callStatus
	begun     time.Time
	// ctx is done once the call has ended (endCall): work still queued for
	// it (signals to relay) is dropped.
	ctx    context.Context
	cancel context.CancelFunc

	// media is the call's media session and its worker; nil until the
	// call needs media: at once for a call the user places or joins, at
	// Accept (or StartLocalPreview) for a call that rings.
	media *callMedia
	// capturing: Start was queued. started: it has finished, with
	// startErr. whenStarted queues work until then.
	capturing  bool
	started    bool
	startErr   error
	afterStart []func(error)
	preview    bool // the camera is open for a preview while the call rings
	// acceptReports: Accept has not answered yet, and reports a capture
	// failure itself (onError once, with the method's error).
	acceptReports bool
	accepted      bool // Accept or Join was sent
	members       map[signaling.UserID]*member
	held          map[signaling.UserID][]media.Signal // signals from members we have no peer for yet
}

// member is another user in the call's media room.
type member struct {
	id          signaling.UserID
	offerer     bool // we send the offer: we entered the room after them
	peer        bool // the media session has a peer for them
	joined      bool // onUserJoin emitted: media flows
	failed      bool
	video       bool
	audio       bool
	screen      bool // their video is a shared screen
	videoShown  shown
	audioShown  shown
	stopTimeout func()
	stopRestore func() // set while a lost connection has time to come back
}

func newCallState(role signaling.CallRole, status callStatus) *callState {
	c := &callState{
		role:    role,
		status:  status,
		members: map[signaling.UserID]*member{},
		held:    map[signaling.UserID][]media.Signal{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// whenStarted runs f once capture has started (at once if it has), with
// Start's result.
func (c *callState) whenStarted(f func(error)) {
	if c.started {
		f(c.startErr)
		return
	}
	c.afterStart = append(c.afterStart, f)
}

// withMedia runs f on c's session once capture has started, and then on
// the loop with f's result; with capture failed, or the call over, then
// gets that error and f does not run.
func (e *Engine) withMedia(c *callState, f func(*media.Session) error, then func(error)) {
	c.whenStarted(func(err error) {
		if err == nil && e.call != c {
			err = errCallEnded
		}
		if err != nil {
			if then != nil {
				then(err)
			}
			return
		}
		c.media.do(f, func(err error) {
			if then != nil {
				then(err)
			}
		})
	})
}

// sessionConfig is a new call's media setup: the engine's device choices
// and the server's ICE servers.
func (e *Engine) sessionConfig() media.Config {
	var ice []webrtc.ICEServer
	if e.client != nil {
		ice = toWebRTCICE(e.client.ICEServers())
	}
	return media.Config{
		ICEServers:         ice,
		LoopbackOnly:       e.cfg.LoopbackOnly,
		RelayOnly:          e.cfg.RelayOnly,
		Video:              e.dev.video,
		CameraID:           e.dev.cameraID,
		MicrophoneID:       e.dev.micID,
		SpeakerID:          e.dev.speakerID,
		VolumeInterval:     e.cfg.VolumeInterval,
		QualityInterval:    e.cfg.QualityInterval,
		NoPlayback:         e.cfg.NoPlayback,
		NoEchoCancellation: e.dev.noEchoCancellation,
		Logger:             e.cfg.Logger,
		Net:                e.hooks.net,
	}
}

// ensureMedia gives c its media session, made off the loop (it opens the
// speaker) once the previous call's session has let go of the devices.
func (e *Engine) ensureMedia(c *callState) {
	if c.media != nil {
		return
	}
	c.media = e.newCallMedia(e.lastSessionClosed)
	e.lastSessionClosed = c.media.closed
	e.media.Store(c.media)
	c.media.open(e.sessionConfig(), e.localView, func(events <-chan media.Event, err error) {
		if e.call != c {
			return
		}
		if err != nil {
			e.log.Warn("the call's media session could not be made", "call", c.id, "err", err)
			return // Start reports it
		}
		e.mediaEvents = events
	})
}

// startMedia starts c's capture off the loop: the microphone, and the
// camera when video; or, with a custom source, what the app sends.
func (e *Engine) startMedia(c *callState, video bool) {
	if c.capturing {
		return
	}
	c.capturing = true
	e.ensureMedia(c)
	if src := e.dev.custom; src != nil {
		cm := c.media
		c.media.do(func(s *media.Session) error {
			if err := s.StartCustom(video, src.KeyFrameRequested); err != nil {
				return err
			}
			if !cm.ended.Load() {
				cm.custom.Store(s)
			}
			return nil
		}, func(err error) { e.captureStarted(c, err) })
		return
	}
	camOn, micOn := !e.dev.cameraOff, !e.dev.micOff
	ctx := e.ctx
	c.media.do(func(s *media.Session) error {
		// A camera the user turned off never opens; a microphone the
		// user muted opens muted (so that unmuting is instant).
		if err := s.SetCamera(camOn); err != nil {
			return err
		}
		if err := s.SetMicrophone(micOn); err != nil {
			return err
		}
		// The worker goes on (peers, signals) while the devices open; a
		// goroutine of the engine's waits for them.
		opened := s.StartAsync(ctx, video)
		e.wg.Add(1) // the worker holds one: Close's Wait has not begun
		go func() {
			defer e.wg.Done()
			err := finishCapture(ctx, s, <-opened, video, func(err error) {
				e.post(func() {
					if e.call == c {
						e.emit(errorOf("start the camera", err))
					}
				})
			})
			e.post(func() { e.captureStarted(c, err) })
		}()
		return nil
	}, func(err error) {
		if err != nil { // no session
			e.captureStarted(c, err)
		}
	})
}

// captureStarted runs on the loop when c's Start has finished.
func (e *Engine) captureStarted(c *callState, err error) {
	c.started, c.startErr = true, err
	pending := c.afterStart
	c.afterStart = nil
	if err != nil && e.call == c && !c.acceptReports {
		e.emit(errorOf("start the microphone", err))
	}
	for _, f := range pending {
		f(err)
	}
}

// finishCapture follows StartAsync's result err: a camera that failed is
// reported through cameraErr and the call goes on without it; only a
// session that cannot capture at all fails.
func finishCapture(ctx context.Context, s *media.Session, err error, video bool, cameraErr func(error)) error {
	var de *media.DeviceError
	if err != nil && video && errors.As(err, &de) && de.Device == media.Camera {
		cameraErr(err)
		err = s.Start(ctx, false)
	}
	return err
}

// endCall forgets the current call: its media session closes off the loop
// (the next session waits for it to release the devices), and the
// members' timers stop. It emits nothing.
func (e *Engine) endCall() {
	c := e.call
	if c == nil {
		return
	}
	e.call = nil
	for _, m := range c.members {
		if m.stopTimeout != nil {
			m.stopTimeout()
		}
		if m.stopRestore != nil {
			m.stopRestore()
		}
	}
	for _, f := range c.afterStart {
		f(errCallEnded)
	}
	c.afterStart = nil
	c.cancel() // drops the signals still queued for the call
	e.mediaEvents = nil
	if c.media != nil {
		e.media.CompareAndSwap(c.media, nil)
		c.media.close() // the session's unread events go with it
	}
}

// abandonCall ends the current call on this side only, when the server can
// no longer be told (kicked, session lost): it emits the one terminal
// event the call still owes.
func (e *Engine) abandonCall(reason signaling.EndReason) {
	c := e.call
	if c == nil {
		return
	}
	e.emitTerminal(c, reason)
	e.endCall()
}

// emitTerminal emits onCallEnd for a connected call, else onCallCancelled
// with the local user as callerId (the seed's "callerId = self").
func (e *Engine) emitTerminal(c *callState, reason signaling.EndReason) {
	if c.status == statusConnected {
		e.emit(&CallEnd{CallID: c.id, RoomID: c.roomID, CallMediaType: c.mediaType, CallRole: c.role,
			TotalTime: int64(time.Since(c.begun) / time.Second), Reason: reason})
		return
	}
	e.emit(&CallCancelled{CallID: c.id, CallerID: e.self, Reason: reason})
}

// leaveCall ends the current call on this side at once, as Hangup does:
// the media closes, the call's one terminal event goes out with what the
// server would say (a caller nobody answered cancels, a ringing callee
// rejects, a connected member hangs up with reason), and the server is
// told in the background. Its own event for the call then finds no
// current call. So leaving takes no round trip, and works while the
// client reconnects (the request waits for the connection to come back).
func (e *Engine) leaveCall(reason signaling.EndReason) {
	c := e.call
	if c == nil {
		return
	}
	req, terminal := signaling.ReqHangup, reason
	switch {
	case c.status == statusRinging:
		req, terminal = signaling.ReqReject, signaling.ReasonReject
	case c.status == statusDialing:
		terminal = signaling.ReasonCanceled
	}
	e.leave(c, req, terminal)
}

// leave ends c on this side with the terminal reason and sends req (hang
// up, reject or ignore) for it. A call whose ID the server has not given
// yet is cancelled when its reply comes (see placeCall).
func (e *Engine) leave(c *callState, req signaling.RequestType, terminal signaling.EndReason) {
	if c.id != "" {
		id := c.id
		e.send(req, signaling.CallRef{CallID: id}, func(r *signaling.Reply) {
			var se *signaling.Error
			switch {
			case r.Err == nil:
			case errors.As(r.Err, &se) && se.Code == signaling.CodeRequestRefused:
				e.log.Debug("the call had ended on the server", "call", id)
			default:
				// The server ends our part when the session goes.
				e.log.Warn("could not tell the server the call ended", "call", id, "request", req, "err", r.Err)
			}
		})
	}
	e.emitTerminal(c, terminal)
	e.endCall()
}

// failCall ends c on this side because its devices failed (err), and
// tells the server, which ends it for the others with the reason
// connectionFailed (or cancels a call still ringing for us).
func (e *Engine) failCall(c *callState, err error) {
	e.send(signaling.ReqFail, signaling.FailRequest{CallID: c.id, Reason: "media: " + err.Error()}, func(r *signaling.Reply) {
		if r.Err != nil {
			e.log.Warn("could not tell the server the call failed", "call", c.id, "err", r.Err)
		}
	})
	e.emitTerminal(c, signaling.ReasonConnectionFailed)
	e.endCall()
}

func toWebRTCICE(in []signaling.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(in))
	for _, s := range in {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}
