package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// beginCall resets the call state for a new call.
func (m *Model) beginCall(phase CallPhase, mt signaling.MediaType) {
	if m.Previewing {
		m.Previewing = false // the call's sound takes the speaker
		m.changed(PartRingtone)
	}
	attempt := m.Call.attempt + 1
	m.Call = CallState{Phase: phase, MediaType: mt, attempt: attempt}
	m.scene.Joining = false
	m.Call.Local = Member{ID: m.Self, State: TileJoined, AudioOn: true, VideoOn: mt == signaling.Video}
	m.changed(PartCall | PartTimer | PartBanner)
}

// CallUser calls one contact.
func (m *Model) CallUser(id signaling.UserID, mt signaling.MediaType) {
	defer m.flush()
	if !m.canCall() {
		return
	}
	if id == m.Self {
		m.toast(lang.L("You cannot call yourself."))
		return
	}
	m.beginCall(PhaseDialing, mt)
	m.Call.Role = signaling.RoleCaller
	m.Call.Caller = m.Self
	m.Call.addMember(id, TileInviting, mt == signaling.Video)
	m.dial(func(ctx context.Context) (signaling.CallID, error) { return m.eng.Call(ctx, id, mt, call.Params{}) })
}

// GroupCall calls several contacts in one group call.
func (m *Model) GroupCall(ids []signaling.UserID, mt signaling.MediaType) {
	defer m.flush()
	if !m.canCall() {
		return
	}
	users := make([]signaling.UserID, 0, len(ids))
	for _, id := range ids {
		if id != m.Self && !containsUser(users, id) {
			users = append(users, id)
		}
	}
	switch {
	case len(users) == 0:
		m.toast(lang.L("Pick the people to call first."))
		return
	case len(users) > maxGroupMembers-1:
		m.toast(tooMany())
		return
	}
	group := m.newGroup()
	m.beginCall(PhaseDialing, mt)
	m.Call.Role = signaling.RoleCaller
	m.Call.Caller = m.Self
	m.Call.IsGroup = true
	m.Call.Group = group
	for _, id := range users {
		m.Call.addMember(id, TileInviting, mt == signaling.Video)
	}
	m.Contacts.picked = nil
	m.changed(PartContacts)
	m.dial(func(ctx context.Context) (signaling.CallID, error) {
		return m.eng.GroupCall(ctx, group, users, mt, call.Params{})
	})
}

// tooMany says that a call has a limit: TUICallKit's 9 people.
func tooMany() string {
	return lang.L("A call can have at most {{.Count}} people, you included.", map[string]any{"Count": maxGroupMembers})
}

func containsUser(ids []signaling.UserID, id signaling.UserID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (m *Model) canCall() bool {
	if !m.LoggedIn {
		return false
	}
	if m.Call.Phase != PhaseIdle {
		m.toast(lang.L("You are already in a call. Hang up first."))
		return false
	}
	return true
}

// dial shows the outgoing screen and queues the invite. Its result names
// the call (see placed); a failed invite (the engine says why in onError)
// ends the attempt.
func (m *Model) dial(invite func(context.Context) (signaling.CallID, error)) {
	m.History.start(HistoryEntry{
		At: m.now(), Kind: HistoryOutgoing, Peers: m.Call.Peers(),
		Group: m.Call.Group, IsGroup: m.Call.IsGroup, MediaType: m.Call.MediaType,
	})
	m.setScreen(ScreenOutgoing)
	m.sounds.StartDialing()
	attempt := m.Call.attempt
	finished := false
	var id signaling.CallID // written by the runner before done runs
	cancel := m.run.Go("call", func(ctx context.Context) error {
		var err error
		id, err = invite(ctx)
		return err
	}, func(err error) {
		defer m.flush()
		finished = true
		if m.Call.attempt != attempt {
			return
		}
		m.Call.cancelDial = nil
		// ErrStopped: Hangup dropped the request and ends the call itself.
		if err != nil && !errors.Is(err, ErrStopped) && m.Call.Phase == PhaseDialing {
			m.finishCall(OutcomeFailed, "")
			return
		}
		if err == nil {
			m.placed(id)
		}
	})
	if !finished && m.Call.attempt == attempt {
		m.Call.cancelDial = cancel
	}
}

// Accept answers the ringing call with its media type.
func (m *Model) Accept() { m.accept(false) }

// AcceptAsAudio answers a ringing video call as a voice call.
func (m *Model) AcceptAsAudio() { m.accept(true) }

func (m *Model) accept(asAudio bool) {
	defer m.flush()
	if m.Call.Phase != PhaseRinging {
		return
	}
	m.sounds.Stop()
	m.Call.Phase = PhaseConnecting
	if asAudio {
		m.Call.MediaType = signaling.Audio
		for _, mb := range m.Call.Members {
			mb.VideoOn = false
		}
	}
	m.Call.Local.VideoOn = m.Call.MediaType == signaling.Video
	m.changed(PartCall | PartTimer)
	m.setScreen(ScreenInCall)
	attempt := m.Call.attempt
	name, fn := "accept", m.eng.Accept
	if asAudio {
		name, fn = "accept as audio", m.eng.AcceptAsAudio
	}
	m.run.Go(name, fn, func(err error) {
		defer m.flush()
		if err == nil || m.Call.attempt != attempt || m.Call.Phase != PhaseConnecting {
			return
		}
		m.finishCall(OutcomeFailed, "")
	})
}

// Decline rejects the ringing call.
func (m *Model) Decline() {
	defer m.flush()
	if m.Call.Phase != PhaseRinging {
		return
	}
	m.engineAction("reject", m.eng.Reject)
	m.closing(m.Call.ID)
	m.finishCall(OutcomeDeclined, "")
}

// Hangup ends the call: it cancels an outgoing call not yet answered,
// leaves a connected one, and declines a ringing one. The UI returns to
// the contacts at once; the engine's events for the ended call are then
// ignored.
func (m *Model) Hangup() {
	defer m.flush()
	switch m.Call.Phase {
	case PhaseRinging:
		m.Decline()
	case PhaseDialing:
		if m.Call.cancelDial != nil && m.Call.cancelDial() {
			// The invite never left: nothing to cancel at the server.
			m.finishCall(OutcomeCancelled, lang.L("Call cancelled"))
			return
		}
		m.engineAction("hangup", m.eng.Hangup)
		m.closing(m.Call.ID)
		m.finishCall(OutcomeCancelled, lang.L("Call cancelled"))
	case PhaseConnecting:
		m.engineAction("hangup", m.eng.Hangup)
		m.closing(m.Call.ID)
		m.finishCall(OutcomeFailed, lang.L("Call ended"))
	case PhaseConnected:
		m.engineAction("hangup", m.eng.Hangup)
		m.closing(m.Call.ID)
		m.finishCall(OutcomeAnswered, lang.L("Call ended · {{.Duration}}", map[string]any{"Duration": formatCallDuration(m.now().Sub(m.Call.BeganAt))}))
	}
}

// finishCall ends the call in the UI: sounds off, the history filed, the
// contacts back, and toast (when not empty and nothing said it before).
func (m *Model) finishCall(o Outcome, toast string) {
	if m.Call.Phase == PhaseIdle {
		return
	}
	m.sounds.Stop()
	missed := m.Call.Role == signaling.RoleCallee && o != OutcomeAnswered && o != OutcomeDeclined && o != OutcomeElsewhere
	var d time.Duration
	switch {
	case m.Call.hasTotal:
		d = m.Call.total
	case m.Call.Phase == PhaseConnected:
		d = m.now().Sub(m.Call.BeganAt)
	}
	if m.History.finish(m.Call.ID, o, missed, d) {
		m.saveHistory()
	}
	if toast != "" && !m.Call.endSaid {
		m.toast(toast)
	}
	attempt := m.Call.attempt
	m.Call = CallState{attempt: attempt}
	m.ScreenChoices = nil
	// The call's devices close with it; the next call says again what
	// it captures from.
	m.CameraTest, m.MicTest = false, false
	m.changed(PartCall | PartTimer | PartBanner)
	if m.Screen == ScreenOutgoing || m.Screen == ScreenInCall {
		m.setScreen(ScreenContacts)
	}
}

func (m *Model) saveHistory() {
	m.changed(PartHistory)
	if m.save == nil {
		return
	}
	snap := m.History.snapshot()
	m.engineAction("save history", func(context.Context) error { return m.save(snap) })
}

// ToggleMic mutes or unmutes the microphone.
func (m *Model) ToggleMic() {
	defer m.flush()
	if !m.inCallControls() {
		return
	}
	m.toggleDevice(&m.Call.Local.AudioOn, "microphone", m.eng.OpenMicrophone, m.eng.CloseMicrophone)
}

// ToggleCamera turns the camera off or on in a video call.
func (m *Model) ToggleCamera() {
	defer m.flush()
	if !m.inCallControls() || m.Call.MediaType != signaling.Video {
		return
	}
	m.toggleDevice(&m.Call.Local.VideoOn, "camera", m.eng.OpenCamera, m.eng.CloseCamera)
}

// toggleDevice flips *on at once and asks the engine to follow; if the
// engine fails (it said why in onError) and the call is still the same,
// *on flips back.
func (m *Model) toggleDevice(on *bool, device string, open, close func(context.Context) error) {
	want := !*on
	*on = want
	m.changed(PartCall)
	name, fn := "close "+device, close
	if want {
		name, fn = "open "+device, open
	}
	attempt := m.Call.attempt
	m.run.Go(name, fn, func(err error) {
		defer m.flush()
		if err != nil && m.Call.attempt == attempt {
			*on = !want
			m.changed(PartCall)
		}
	})
}

func (m *Model) inCallControls() bool {
	switch m.Call.Phase {
	case PhaseDialing, PhaseConnecting, PhaseConnected:
		return true
	}
	return false
}

// SwitchToAudio asks to turn the video call into a voice call; the layout
// follows onCallMediaTypeChanged.
func (m *Model) SwitchToAudio() { m.switchMedia(signaling.Audio) }

// SwitchToVideo asks to turn the voice call into a video call: every
// member's camera comes on. The layout follows onCallMediaTypeChanged.
func (m *Model) SwitchToVideo() { m.switchMedia(signaling.Video) }

func (m *Model) switchMedia(mt signaling.MediaType) {
	defer m.flush()
	if m.Call.Phase != PhaseConnected || m.Call.MediaType == mt {
		return
	}
	m.engineAction("switch to "+mt.String(), func(ctx context.Context) error {
		return m.eng.SwitchCallMediaType(ctx, mt)
	})
}

// VideoKey is the V key: the camera on or off in a video call, and a
// voice call becomes a video call.
func (m *Model) VideoKey() {
	if m.Call.Phase == PhaseConnected && m.Call.MediaType == signaling.Audio {
		m.SwitchToVideo()
		return
	}
	m.ToggleCamera()
}

// ShareScreen shares the screen the user picks: with one screen, that
// one; with several, ScreenChoices lists them for ShareScreenID. Where
// there is none (no X11 session), it says so.
func (m *Model) ShareScreen() {
	defer m.flush()
	if m.Call.Phase != PhaseConnected || m.Call.MediaType != signaling.Video {
		return
	}
	if m.Call.Local.Sharing {
		m.engineAction("stop sharing", m.eng.StopScreenShare)
		return
	}
	var ds []call.Device
	attempt := m.Call.attempt
	m.run.Go("list screens", func(context.Context) error {
		var err error
		ds, err = m.eng.Devices()
		return err
	}, func(err error) {
		defer m.flush()
		if m.Call.attempt != attempt || err != nil {
			return
		}
		var screens []call.Device
		for _, d := range ds {
			if d.Kind == "screen" {
				screens = append(screens, d)
			}
		}
		switch len(screens) {
		case 0:
			m.showProblemText(problem{
				lang.L("There is no screen Calla can share."),
				lang.L("Calla shares the screens of an X11 session; under Wayland, start Calla in an X11 session."),
			})
		case 1:
			m.ShareScreenID(screens[0].ID)
		default:
			m.ScreenChoices = screens
			m.changed(PartCall)
		}
	})
}

// CancelScreenChoice closes the screen picker without a share.
func (m *Model) CancelScreenChoice() {
	defer m.flush()
	if m.ScreenChoices != nil {
		m.ScreenChoices = nil
		m.changed(PartCall)
	}
}

// ShareScreenID shares the screen id (one of ScreenChoices).
func (m *Model) ShareScreenID(id string) {
	defer m.flush()
	m.ScreenChoices = nil
	m.changed(PartCall)
	if m.Call.Phase != PhaseConnected {
		return
	}
	m.engineAction("share screen", func(ctx context.Context) error { return m.eng.StartScreenShare(ctx, id) })
}

// Invitable are the contacts that can be invited into the running call:
// online or in a call (busy ones will say so), not already in it.
func (m *Model) Invitable() []Contact {
	var out []Contact
	for _, c := range m.Contacts.Visible() {
		if c.Presence == signaling.Offline || c.IsEcho || m.Call.Member(c.ID) != nil {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Invite asks users into the running call; their tiles show a spinner
// until they join.
func (m *Model) Invite(users []signaling.UserID) {
	defer m.flush()
	if m.Call.Phase != PhaseConnected || len(users) == 0 {
		return
	}
	if len(m.Call.Members)+1+len(users) > maxGroupMembers {
		m.toast(tooMany())
		return
	}
	users = append([]signaling.UserID(nil), users...)
	attempt := m.Call.attempt
	m.run.Go("invite", func(ctx context.Context) error {
		return m.eng.InviteUser(ctx, users, call.Params{})
	}, func(err error) {
		defer m.flush()
		if err != nil || m.Call.attempt != attempt || m.Call.Phase != PhaseConnected {
			return
		}
		for _, u := range users {
			m.Call.addMember(u, TileInviting, m.Call.MediaType == signaling.Video)
		}
		m.Call.IsGroup = true
		m.changed(PartCall)
	})
}

// FocusTile handles a click on a tile: in a 1v1 video call it swaps the
// large and small videos; in a group call it enlarges the tile, or
// returns to the grid when the tile is already enlarged.
func (m *Model) FocusTile(id signaling.UserID) {
	defer m.flush()
	if m.Call.Phase == PhaseIdle {
		return
	}
	if !m.Call.IsGroup {
		m.Call.Swapped = !m.Call.Swapped
	} else if m.Call.Focus == id {
		m.Call.Focus = ""
	} else {
		m.Call.Focus = id
	}
	m.changed(PartCall)
}

// Redial calls the peers of a history entry again, with its media type.
func (m *Model) Redial(e HistoryEntry) {
	if len(e.Peers) == 1 && !e.IsGroup {
		m.CallUser(e.Peers[0], e.MediaType)
		return
	}
	m.GroupCall(e.Peers, e.MediaType)
}

// ---- devices ---------------------------------------------------------------

// LoadDevices asks the engine for the cameras, microphones and speakers;
// Devices fills in when it answers.
func (m *Model) LoadDevices() {
	var ds []call.Device
	m.run.Go("list devices", func(context.Context) error {
		var err error
		ds, err = m.eng.Devices()
		return err
	}, func(err error) {
		defer m.flush()
		if err != nil {
			return
		}
		m.Devices = ds
		m.changed(PartDevices)
	})
}

// DevicesOf are the devices of one kind: "camera", "microphone" or
// "speaker".
func (m *Model) DevicesOf(kind string) []call.Device {
	var out []call.Device
	for _, d := range m.Devices {
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

// SelectDevice makes the device with id the one of its kind, now and
// (through the settings) after the next start.
func (m *Model) SelectDevice(kind, id string) {
	defer m.flush()
	switch kind {
	case "camera":
		m.settings.SetCamera(id)
		m.engineAction("switch camera", func(ctx context.Context) error { return m.eng.SwitchCamera(ctx, id) })
	case "microphone":
		m.settings.SetMicrophone(id)
		m.engineAction("select microphone", func(ctx context.Context) error { return m.eng.SelectMicrophone(ctx, id) })
	case "speaker":
		m.settings.SetSpeaker(id)
		m.engineAction("select speaker", func(ctx context.Context) error { return m.eng.SelectAudioPlaybackDevice(ctx, id) })
	default:
		return
	}
	m.changed(PartDevices)
}

// SetEchoCancellation turns the echo canceller on or off, kept in the
// settings. The engine applies it from the next call.
func (m *Model) SetEchoCancellation(on bool) {
	m.settings.SetEchoCancellation(on)
	m.engineAction("set echo cancellation", func(ctx context.Context) error { return m.eng.SetEchoCancellation(ctx, on) })
}
