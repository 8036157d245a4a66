package gui

import (
	"errors"
	"fmt"
	"reflect"

	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// Apply turns one engine event into what the user sees.
func (m *Model) Apply(ev call.Event) {
	defer m.flush()
	m.apply(ev)
}

// ApplyBatch applies events in order and tells the views once.
func (m *Model) ApplyBatch(evs []call.Event) {
	defer m.flush()
	for _, ev := range evs {
		m.apply(ev)
	}
}

func (m *Model) apply(ev call.Event) {
	if v := reflect.ValueOf(ev); ev == nil || v.Kind() == reflect.Pointer && v.IsNil() {
		m.log.Error("nil event from the engine: ignored", "type", fmt.Sprintf("%T", ev))
		return
	}
	if _, ok := eventCallID(ev); ok && (m.Call.Phase == PhaseDialing || m.Call.Phase == PhaseConnecting) && m.Call.ID == "" {
		// The engine's events and Call's (or JoinInGroupCall's) result
		// come by different paths: an event of the call being placed or
		// joined can arrive before its ID. Keep it until the ID says
		// whether it is this call's.
		m.Call.held = append(m.Call.held, ev)
		return
	}
	switch e := ev.(type) {
	case *call.Error:
		m.showProblem(e)
	case *call.CallReceived:
		m.onCallReceived(e)
	case *call.CallCancelled:
		m.closed(e.CallID)
		m.onCallCancelled(e)
	case *call.CallBegin:
		m.onCallBegin(e)
	case *call.CallEnd:
		m.closed(e.CallID)
		m.onCallEnd(e)
	case *call.UserReject:
		m.onUserGone(e.CallID, e.UserID, OutcomeDeclined, lang.L("{{.Name}} declined", named(m.Name(e.UserID))))
	case *call.UserNoResponse:
		m.onUserGone(e.CallID, e.UserID, OutcomeNoAnswer, lang.L("{{.Name}} did not answer", named(m.Name(e.UserID))))
	case *call.UserLineBusy:
		m.onUserGone(e.CallID, e.UserID, OutcomeBusy, lang.L("{{.Name}} is busy", named(m.Name(e.UserID))))
	case *call.UserJoin:
		if mb := m.member(e.CallID, e.UserID); mb != nil {
			mb.State = TileJoined
			m.changed(PartCall)
		}
	case *call.UserLeave:
		m.onUserLeave(e)
	case *call.UserInviting:
		if m.ongoing(e.CallID) && e.UserID != m.Self {
			m.Call.addMember(e.UserID, TileInviting, m.Call.MediaType == signaling.Video)
			m.Call.IsGroup = true
			m.changed(PartCall)
		}
	case *call.CallMediaTypeChanged:
		m.onMediaTypeChanged(e)
	case *call.KickedOffline:
		m.sessionOver(&Alert{
			Title:   lang.L("Signed in elsewhere"),
			Message: lang.L("You signed in to Calla on another device, so this one was signed out."),
			Button:  lang.L("Sign in again"),
		})
	case *call.UserSigExpired:
		m.sessionOver(&Alert{
			Title:   lang.L("Sign-in expired"),
			Message: lang.L("Your sign-in (UserSig) has expired. Get a new UserSig and sign in again to keep making calls."),
			Button:  lang.L("Sign in again"),
		})
	case *call.UserVideoAvailable:
		if e.UserID == m.Self {
			return // our own camera is the toggle's business
		}
		if mb := m.member(e.CallID, e.UserID); mb != nil {
			mb.VideoOn = e.IsVideoAvailable
			m.changed(PartCall)
		}
	case *call.UserAudioAvailable:
		if e.UserID == m.Self {
			return
		}
		if mb := m.member(e.CallID, e.UserID); mb != nil {
			mb.AudioOn = e.IsAudioAvailable
			m.changed(PartCall)
		}
	case *call.UserScreenShareChanged:
		if !m.ongoing(e.CallID) {
			return
		}
		if e.UserID == m.Self {
			m.Call.Local.Sharing = e.IsSharing
		} else if mb := m.member(e.CallID, e.UserID); mb != nil {
			mb.Sharing = e.IsSharing
		}
		m.changed(PartCall)
	case *call.UserVoiceVolumeChanged:
		if !m.ongoing(e.CallID) {
			return
		}
		for id, v := range e.VolumeMap {
			if id == m.Self {
				m.Call.Local.Volume = v
			} else if mb := m.Call.Member(id); mb != nil {
				mb.Volume = v
			}
		}
		m.changed(PartCall)
	case *call.UserNetworkQualityChanged:
		if !m.ongoing(e.CallID) {
			return
		}
		for id, q := range e.NetworkQuality {
			if id == m.Self {
				m.Call.Local.Quality = q
			} else if mb := m.Call.Member(id); mb != nil {
				mb.Quality = q
			}
		}
		m.Call.updateBanner()
		m.changed(PartCall)
	case *call.NetworkPathChanged:
		if !m.ongoing(e.CallID) {
			return
		}
		for id, p := range e.Paths {
			if mb := m.Call.Member(id); mb != nil {
				p := p
				mb.Path = &p
			}
		}
		m.changed(PartCall)
	case *call.PresenceChanged:
		m.Contacts.apply(e)
		m.changed(PartContacts)
	case *call.ConnectionChanged:
		m.Connection = e.State
		m.changed(PartBanner)
	case *call.MediaSourceChanged:
		if m.Call.Phase == PhaseIdle {
			return // a late event of a call that ended: its devices are closed
		}
		switch e.Kind {
		case "camera":
			m.CameraTest = e.IsTestSource
		case "microphone":
			m.MicTest = e.IsTestSource
		case "speaker":
			return // named for the log and the headless clients; nothing to show
		default:
			m.log.Warn("media source of an unknown kind", "kind", e.Kind)
		}
		m.changed(PartBanner)
	default:
		m.log.Warn("event the GUI does not know", "event", ev.EventName())
	}
}

// showProblem tells the user about a failure in their language: on the
// sign-in form while it shows, else in a red toast. What the engine said,
// and the error under it, go to the log.
func (m *Model) showProblem(err error) {
	p := problemOf(err, m.scene)
	attrs := []any{"shown", p.What, "err", err}
	if cause := errors.Unwrap(err); cause != nil {
		attrs = append(attrs, "cause", cause)
	}
	m.log.Warn("error", attrs...)
	m.showProblemText(p)
}

// showProblemText shows a problem the app found itself, as showProblem
// does the engine's.
func (m *Model) showProblemText(p problem) {
	if m.Screen == ScreenLogin {
		m.LoginStatus = p.What + " " + p.Do
		m.changed(PartLogin)
		return
	}
	m.toasts.add(m.now(), Toast{Text: p.What, Detail: p.Do, Error: true})
	m.changed(PartToasts)
}

// ongoing reports whether an event of call id is for the current call.
func (m *Model) ongoing(id signaling.CallID) bool {
	return m.Call.Phase != PhaseIdle && m.Call.matches(id)
}

// placed names the call the user placed, once the engine has returned its
// ID, and applies the events held until then: those of this call, in
// order; the others were about another call.
func (m *Model) placed(id signaling.CallID) {
	m.Call.ID = id
	held := m.Call.held
	m.Call.held = nil
	for _, ev := range held {
		m.apply(ev)
	}
}

// eventCallID is the call an event is about; ok is false for events that
// are about no call (presence, connection, devices, errors).
func eventCallID(ev call.Event) (id signaling.CallID, ok bool) {
	switch e := ev.(type) {
	case *call.CallReceived:
		return e.CallID, true
	case *call.CallCancelled:
		return e.CallID, true
	case *call.CallBegin:
		return e.CallID, true
	case *call.CallEnd:
		return e.CallID, true
	case *call.UserReject:
		return e.CallID, true
	case *call.UserNoResponse:
		return e.CallID, true
	case *call.UserLineBusy:
		return e.CallID, true
	case *call.UserJoin:
		return e.CallID, true
	case *call.UserLeave:
		return e.CallID, true
	case *call.UserInviting:
		return e.CallID, true
	case *call.CallMediaTypeChanged:
		return e.CallID, true
	case *call.UserVideoAvailable:
		return e.CallID, true
	case *call.UserAudioAvailable:
		return e.CallID, true
	case *call.UserVoiceVolumeChanged:
		return e.CallID, true
	case *call.UserNetworkQualityChanged:
		return e.CallID, true
	}
	return "", false
}

// member is the member id of the current call, added (still connecting)
// when an event names someone the call did not know yet.
func (m *Model) member(callID signaling.CallID, id signaling.UserID) *Member {
	if !m.ongoing(callID) || id == "" || id == m.Self {
		return nil
	}
	return m.Call.addMember(id, TileConnecting, m.Call.MediaType == signaling.Video)
}

func (m *Model) onCallReceived(e *call.CallReceived) {
	if m.Call.Phase != PhaseIdle {
		// The server answers busy for us; an invite here means the
		// engine let one through. Ringing over a call would be wrong.
		m.log.Warn("invite while in a call: not shown", "callId", e.CallID, "callerId", e.CallerID)
		return
	}
	m.beginCall(PhaseRinging, e.CallMediaType)
	c := &m.Call
	c.ID, c.Role, c.Caller, c.Group, c.UserData = e.CallID, signaling.RoleCallee, e.CallerID, e.GroupID, e.UserData
	c.IsGroup = e.GroupID != "" || len(e.CalleeIDList) > 1
	c.addMember(e.CallerID, TileConnecting, e.CallMediaType == signaling.Video)
	for _, id := range e.CalleeIDList {
		if id != m.Self {
			c.addMember(id, TileInviting, e.CallMediaType == signaling.Video)
		}
	}
	m.History.start(HistoryEntry{
		At: m.now(), Kind: HistoryIncoming, Peers: c.Peers(),
		Group: c.Group, CallID: c.ID, IsGroup: c.IsGroup, MediaType: c.MediaType,
	})
	if m.settings.Ringtone() {
		m.sounds.StartRinging()
	}
	if !m.Focused {
		m.notify(m.IncomingTitle(), lang.L("{{.Name}} is calling you", named(m.Name(e.CallerID))))
	}
}

// IncomingTitle is the incoming call's kind in words: "Incoming video
// call", "Incoming group voice call", ...
func (m *Model) IncomingTitle() string {
	video := m.Call.MediaType == signaling.Video
	switch {
	case m.Call.IsGroup && video:
		return lang.L("Incoming group video call")
	case m.Call.IsGroup:
		return lang.L("Incoming group voice call")
	case video:
		return lang.L("Incoming video call")
	}
	return lang.L("Incoming voice call")
}

// IncomingText is the incoming dialog's line under the caller's name.
func (m *Model) IncomingText() string {
	video := m.Call.MediaType == signaling.Video
	switch {
	case m.Call.IsGroup && video:
		return lang.L("invites you to a group video call")
	case m.Call.IsGroup:
		return lang.L("invites you to a group voice call")
	case video:
		return lang.L("invites you to a video call")
	}
	return lang.L("invites you to a voice call")
}

// AlsoOnCall lists the other invitees of a group call ("Also on the call:
// bob, carol"); empty for a 1v1 call.
func (m *Model) AlsoOnCall() string {
	var others []signaling.UserID
	for _, mb := range m.Call.Members {
		if mb.ID != m.Call.Caller {
			others = append(others, mb.ID)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return lang.L("Also on the call: {{.Names}}", map[string]any{"Names": m.names(others)})
}

// OutgoingText is the outgoing screen's status line.
func (m *Model) OutgoingText() string {
	if m.Call.IsGroup {
		return lang.L("Calling {{.Names}}…", map[string]any{"Names": m.names(m.Call.Peers())})
	}
	if len(m.Call.Members) == 1 {
		return lang.L("Waiting for {{.Name}} to answer…", named(m.Name(m.Call.Members[0].ID)))
	}
	return lang.L("Calling…")
}

// TimerText is the call timer: mm:ss (hh:mm:ss after an hour) from
// onCallBegin, "Connecting…" before it.
func (m *Model) TimerText() string {
	switch m.Call.Phase {
	case PhaseConnected:
		return formatCallDuration(m.now().Sub(m.Call.BeganAt))
	case PhaseConnecting:
		return lang.L("Connecting…")
	case PhaseDialing:
		return lang.L("Calling…")
	}
	return ""
}

func (m *Model) onCallBegin(e *call.CallBegin) {
	switch m.Call.Phase {
	case PhaseDialing, PhaseRinging, PhaseConnecting:
	default:
		m.log.Warn("onCallBegin without a call under way: ignored", "callId", e.CallID)
		return
	}
	if !m.Call.matches(e.CallID) {
		m.log.Warn("onCallBegin for another call: ignored", "callId", e.CallID, "current", m.Call.ID)
		return
	}
	m.sounds.Stop()
	c := &m.Call
	c.ID = e.CallID
	c.Phase = PhaseConnected
	c.Role = e.CallRole
	c.BeganAt = m.now()
	if c.MediaType != e.CallMediaType {
		c.MediaType = e.CallMediaType
		c.Local.VideoOn = e.CallMediaType == signaling.Video
	}
	if !c.IsGroup {
		for _, mb := range c.Members {
			if mb.State == TileInviting {
				mb.State = TileConnecting // answered; media on its way
			}
		}
	}
	m.changed(PartCall | PartTimer)
	m.setScreen(ScreenInCall)
}

func (m *Model) onCallEnd(e *call.CallEnd) {
	if m.Call.Phase == PhaseIdle || !m.Call.matches(e.CallID) {
		m.log.Debug("onCallEnd for a call the UI has already ended", "callId", e.CallID)
		return
	}
	m.Call.total, m.Call.hasTotal = secondsToDuration(e.TotalTime), true
	total := formatCallDuration(m.Call.total)
	var text string
	switch e.Reason {
	case signaling.ReasonOffline:
		text = lang.L("{{.Name}} went offline · call ended", named(m.peerText()))
	case signaling.ReasonEndByServer:
		text = lang.L("The server ended the call")
	case signaling.ReasonConnectionFailed:
		text = lang.L("The call dropped: the connection failed. Check your network and call again.")
	default:
		text = lang.L("Call ended · {{.Duration}}", map[string]any{"Duration": total})
	}
	m.finishCall(OutcomeAnswered, text)
}

func (m *Model) onCallCancelled(e *call.CallCancelled) {
	if m.Call.Phase == PhaseIdle || !m.Call.matches(e.CallID) {
		m.log.Debug("onCallCancelled for a call the UI has already ended", "callId", e.CallID)
		return
	}
	if m.Call.Role == signaling.RoleCaller {
		o, text := OutcomeFailed, lang.L("The call could not be connected. Check your network and try again.")
		peer, group := named(m.peerText()), m.Call.IsGroup
		switch e.Reason {
		case signaling.ReasonReject:
			o, text = OutcomeDeclined, pick(group, lang.L("Nobody took the call"), lang.L("{{.Name}} declined", peer))
		case signaling.ReasonNoResponse:
			o, text = OutcomeNoAnswer, pick(group, lang.L("Nobody answered"), lang.L("{{.Name}} did not answer", peer))
		case signaling.ReasonLineBusy:
			o, text = OutcomeBusy, pick(group, lang.L("Nobody could take the call"), lang.L("{{.Name}} is busy", peer))
		case signaling.ReasonOffline:
			o, text = OutcomeNoAnswer, pick(group, lang.L("Nobody is online"), lang.L("{{.Name}} is offline", peer))
		case signaling.ReasonCanceled, signaling.ReasonHangup:
			o, text = OutcomeCancelled, lang.L("Call cancelled")
		}
		if m.Call.hasOutcome {
			o = m.Call.outcome
		}
		m.finishCall(o, text)
		return
	}
	caller := named(m.Name(m.Call.Caller))
	o, text := OutcomeCancelled, lang.L("{{.Name}} cancelled the call", caller)
	switch e.Reason {
	case signaling.ReasonNoResponse:
		o, text = OutcomeNoAnswer, lang.L("Missed call from {{.Name}}", caller)
	case signaling.ReasonOtherDeviceAccepted:
		o, text = OutcomeElsewhere, lang.L("Answered on another device")
	case signaling.ReasonReject:
		o, text = OutcomeDeclined, lang.L("Call declined")
	case signaling.ReasonEndByServer, signaling.ReasonConnectionFailed:
		o, text = OutcomeFailed, lang.L("The call from {{.Name}} could not be connected. Check your network.", caller)
	}
	m.finishCall(o, text)
}

// peerText names the other party of a 1v1 call.
func (m *Model) peerText() string {
	if !m.Call.IsGroup && len(m.Call.Members) == 1 {
		return m.Name(m.Call.Members[0].ID)
	}
	return lang.L("The other party")
}

// pick is group when the call is a group call, else one.
func pick(isGroup bool, group, one string) string {
	if isGroup {
		return group
	}
	return one
}

// onUserGone handles onUserReject, onUserNoResponse and onUserLineBusy:
// a toast, and the member's tile goes. In a 1v1 call that is the end: the
// engine's onCallCancelled or onCallEnd follows and the toast has said
// why already.
func (m *Model) onUserGone(callID signaling.CallID, id signaling.UserID, o Outcome, text string) {
	if !m.ongoing(callID) {
		m.log.Debug("user event for no current call", "userId", id)
		return
	}
	m.toast(text)
	m.Call.removeMember(id)
	if !m.Call.IsGroup {
		m.Call.endSaid = true
		m.Call.outcome, m.Call.hasOutcome = o, true
	}
	m.changed(PartCall)
}

func (m *Model) onUserLeave(e *call.UserLeave) {
	if !m.ongoing(e.CallID) || m.Call.Member(e.UserID) == nil {
		return
	}
	m.Call.removeMember(e.UserID)
	if m.Call.IsGroup {
		m.toast(lang.L("{{.Name}} left", named(m.Name(e.UserID))))
	} else {
		m.toast(lang.L("The other party hung up"))
		m.Call.endSaid = true
	}
	m.Call.updateBanner()
	m.changed(PartCall)
}

func (m *Model) onMediaTypeChanged(e *call.CallMediaTypeChanged) {
	if !m.ongoing(e.CallID) || m.Call.MediaType == e.NewCallMediaType {
		return
	}
	c := &m.Call
	c.MediaType = e.NewCallMediaType
	video := c.MediaType == signaling.Video
	c.Local.VideoOn = video
	for _, mb := range c.Members {
		mb.VideoOn = video
	}
	c.Swapped = false
	if video {
		m.toast(lang.L("Switched to a video call"))
	} else {
		m.toast(lang.L("Switched to a voice call"))
	}
	m.changed(PartCall)
}

// sessionOver ends everything after onKickedOffline or onUserSigExpired
// and shows the dialog that leads back to login.
func (m *Model) sessionOver(a *Alert) {
	if m.Call.Phase != PhaseIdle {
		m.Call.endSaid = true
		m.finishCall(OutcomeFailed, "")
	}
	m.sounds.Stop()
	m.endSession()
	m.Alert = a
	m.changed(PartAlert)
}
