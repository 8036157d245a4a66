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
	// ending: the local user left (Hangup); the server's event that ends
	// the call is on its way, and volume and quality are no longer told.
	ending bool

	session *media.Session
	// started is closed when session.Start has finished; startErr is then
	// its result. whenStarted queues work until then.
	started    bool
	startErr   error
	afterStart []func(error)
	accepted   bool // Accept or Join was sent
	members    map[signaling.UserID]*member
	held       map[signaling.UserID][]media.Signal // signals from members we have no peer for yet
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
	return &callState{
		role:    role,
		status:  status,
		members: map[signaling.UserID]*member{},
		held:    map[signaling.UserID][]media.Signal{},
	}
}

// whenStarted runs f once the session's Start has finished (at once if it
// has), with Start's result.
func (c *callState) whenStarted(f func(error)) {
	if c.started {
		f(c.startErr)
		return
	}
	c.afterStart = append(c.afterStart, f)
}

// newSession makes the media session of a new call, with the engine's
// device choices and the server's ICE servers.
func (e *Engine) newSession() (*media.Session, error) {
	var ice []webrtc.ICEServer
	if e.client != nil {
		ice = toWebRTCICE(e.client.ICEServers())
	}
	cfg := media.Config{
		ICEServers:         ice,
		LoopbackOnly:       e.cfg.LoopbackOnly,
		Video:              e.videoParams(),
		CameraID:           e.dev.cameraID,
		MicrophoneID:       e.dev.micID,
		SpeakerID:          e.dev.speakerID,
		VolumeInterval:     e.cfg.VolumeInterval,
		QualityInterval:    e.cfg.QualityInterval,
		NoPlayback:         e.cfg.NoPlayback || e.cfg.Echo,
		NoEchoCancellation: e.dev.noEchoCancellation,
		Logger:             e.cfg.Logger,
		Net:                e.cfg.testNet,
	}
	s, err := media.NewSession(cfg)
	if err != nil {
		return nil, err
	}
	if e.localView != nil {
		s.SetLocalSink(e.localView)
	}
	return s, nil
}

// videoParams turns the engine's encoder setting into the media package's,
// filling zero fields from its defaults.
func (e *Engine) videoParams() media.VideoParams {
	p := media.DefaultVideoParams
	v := e.dev.video
	if v.Width > 0 {
		p.Width = v.Width
	}
	if v.Height > 0 {
		p.Height = v.Height
	}
	if v.FrameRate > 0 {
		p.FrameRate = v.FrameRate
	}
	if v.BitrateKbps > 0 {
		p.MaxBitrate = v.BitrateKbps * 1000
		p.MinBitrate = min(p.MinBitrate, p.MaxBitrate)
	}
	return p
}

// beginCall makes c the current call with a new media session and starts
// capture in the background (the camera too when video). In echo mode
// nothing is captured.
func (e *Engine) beginCall(c *callState, video bool) error {
	s, err := e.newSession()
	if err != nil {
		return err
	}
	c.session = s
	c.mediaType = map[bool]signaling.MediaType{true: signaling.Video, false: signaling.Audio}[video]
	e.call = c
	e.mediaEvents = s.Events()
	if e.cfg.Echo {
		c.started = true
		return nil
	}
	camOn, micOn := !e.dev.cameraOff, !e.dev.micOff
	prev := e.lastSessionClosed
	e.spawn(func(ctx context.Context) error {
		// The previous call's session may still hold the devices.
		select {
		case <-prev:
		case <-ctx.Done():
			return ctx.Err()
		}
		return startCapture(ctx, s, video, camOn, micOn, func(err error) {
			e.post(func() {
				if e.call == c {
					e.emit(errorOf("start the camera", err))
				}
			})
		})
	}, func(err error) {
		c.started, c.startErr = true, err
		pending := c.afterStart
		c.afterStart = nil
		if err != nil && e.call == c {
			e.emit(errorOf("start the microphone", err))
		}
		for _, f := range pending {
			f(err)
		}
	})
	return nil
}

// startCapture opens the microphone, and the camera when video. A camera
// that fails is reported through cameraErr and the call goes on without
// it; only a session that cannot capture at all fails.
func startCapture(ctx context.Context, s *media.Session, video, camOn, micOn bool, cameraErr func(error)) error {
	err := s.Start(ctx, video)
	if err != nil && video {
		cameraErr(err)
		err = s.Start(ctx, false)
	}
	if err != nil {
		return err
	}
	if video && !camOn {
		if err := s.SetCamera(false); err != nil {
			return err
		}
	}
	if !micOn {
		return s.SetMicrophone(false)
	}
	return nil
}

// endCall forgets the current call: it closes the media session in the
// background (the next session waits for it to release the devices) and
// cancels the members' timers. It emits nothing.
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
	e.relay.forget(c.id)
	if c.session == nil {
		return
	}
	s := c.session
	events := e.mediaEvents
	e.mediaEvents = nil
	closed := make(chan struct{})
	e.lastSessionClosed = closed
	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		defer close(closed)
		if err := s.Close(); err != nil {
			e.log.Warn("closing the media session", "err", err)
		}
	}()
	go func() { // what the session still reports is about a call that is over
		defer e.wg.Done()
		for range events {
		}
	}()
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

// leaveCall tells the server the local user leaves the current call, as
// Hangup does; if the server cannot be told, the call ends locally.
func (e *Engine) leaveCall(reason signaling.EndReason) {
	c := e.call
	if c == nil {
		return
	}
	c.ending = true
	var err error
	switch {
	case c.id == "":
		// The call request never got an answer.
	case c.status == statusRinging:
		err = e.request(func(ctx context.Context, cl *signaling.Client) error { return cl.Reject(ctx, c.id) })
	default:
		err = e.request(func(ctx context.Context, cl *signaling.Client) error { return cl.Hangup(ctx, c.id) })
	}
	if err != nil || c.id == "" {
		var se *signaling.Error
		switch {
		case errors.As(err, &se) && se.Code == signaling.CodeRequestRefused:
			// The server has ended it already; its event is on the way.
			e.log.Debug("the call had ended on the server", "call", c.id)
		case err != nil:
			e.log.Warn("could not tell the server the call ended", "call", c.id, "err", err)
		}
		if e.call == c {
			e.abandonCall(reason)
		}
	}
	// Otherwise the server's onCallEnd / onCallCancelled ends it.
}

func toWebRTCICE(in []signaling.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(in))
	for _, s := range in {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}
