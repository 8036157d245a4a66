package gui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

func TestCallActions(t *testing.T) {
	video, audio := signaling.Video, signaling.Audio
	rows := []struct {
		name    string
		setup   func(r *rig)
		act     func(m *Model)
		methods string // the engine calls the action makes
		check   func(t *testing.T, r *rig)
	}{
		{
			name:    "calling a contact asks the engine to call and shows the outgoing screen with the dial tone",
			setup:   func(r *rig) { r.login() },
			act:     func(m *Model) { m.CallUser("bob", video) },
			methods: "Call",
			check: func(t *testing.T, r *rig) {
				c, _ := r.eng.Last("Call")
				want(t, "args", c.Args, "bob, video")
				want(t, "screen", r.m.Screen, ScreenOutgoing)
				want(t, "sound", r.sounds.Playing(), "dial")
				want(t, "status", r.m.OutgoingText(), "Waiting for Bob to answer…")
			},
		},
		{
			name:    "calling oneself is refused with a toast",
			setup:   func(r *rig) { r.login() },
			act:     func(m *Model) { m.CallUser("alice", video) },
			methods: "",
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "You cannot call yourself.")
			},
		},
		{
			name:    "calling during a call is refused with a toast",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.CallUser("carol", video) },
			methods: "",
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "You are already in a call. Hang up first.")
			},
		},
		{
			name:    "a group call of the picked contacts goes to the engine with a group ID and clears the picks",
			setup:   func(r *rig) { r.login(); r.m.TogglePick("carol"); r.m.TogglePick("bob") },
			act:     func(m *Model) { m.GroupCall(m.Contacts.Picked(), audio) },
			methods: "GroupCall",
			check: func(t *testing.T, r *rig) {
				c, _ := r.eng.Last("GroupCall")
				want(t, "args", c.Args, "g1, [carol bob], audio")
				want(t, "picks", len(r.m.Contacts.Picked()), 0)
				want(t, "status", r.m.OutgoingText(), "Calling carol, Bob…")
			},
		},
		{
			name: "a ninth pick is refused: a call has at most 9 people",
			setup: func(r *rig) {
				r.login()
				for _, id := range []signaling.UserID{"u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"} {
					r.m.TogglePick(id)
				}
			},
			act:     func(m *Model) { m.TogglePick("u9") },
			methods: "",
			check: func(t *testing.T, r *rig) {
				want(t, "picks", len(r.m.Contacts.Picked()), 8)
				want(t, "toast", r.lastToast(), "A call can have at most 9 people, you included.")
			},
		},
		{
			name:    "accept answers the ringing call and shows the call connecting",
			setup:   func(r *rig) { r.login().ringing(video, false) },
			act:     func(m *Model) { m.Accept() },
			methods: "Accept",
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseConnecting)
				want(t, "screen", r.m.Screen, ScreenInCall)
				want(t, "timer", r.m.TimerText(), "Connecting…")
				want(t, "sound", r.sounds.Playing(), "")
			},
		},
		{
			name:    "accept as audio answers a video call as a voice call with the camera off",
			setup:   func(r *rig) { r.login().ringing(video, false) },
			act:     func(m *Model) { m.AcceptAsAudio() },
			methods: "AcceptAsAudio",
			check: func(t *testing.T, r *rig) {
				want(t, "media", r.m.Call.MediaType, audio)
				want(t, "camera", r.m.Call.Local.VideoOn, false)
			},
		},
		{
			name:    "decline rejects the call, stops the ringtone and files a declined incoming call",
			setup:   func(r *rig) { r.login().ringing(video, false) },
			act:     func(m *Model) { m.Decline() },
			methods: "Reject",
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseIdle)
				want(t, "sound", r.sounds.Playing(), "")
				wantHistory(t, r, HistoryIncoming, OutcomeDeclined)
			},
		},
		{
			name:    "hang up during a call leaves it and returns to the contacts",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.Hangup() },
			methods: "Hangup",
			check: func(t *testing.T, r *rig) {
				want(t, "screen", r.m.Screen, ScreenContacts)
				want(t, "toast", r.lastToast(), "Call ended · 00:00")
			},
		},
		{
			name:    "hang up while dialing cancels the call",
			setup:   func(r *rig) { r.login().dialing(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.Hangup() },
			methods: "Hangup",
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "Call cancelled")
				wantHistory(t, r, HistoryOutgoing, OutcomeCancelled)
			},
		},
		{
			name:    "mute closes the microphone, and unmute opens it again",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.ToggleMic(); m.ToggleMic() },
			methods: "CloseMicrophone OpenMicrophone",
			check: func(t *testing.T, r *rig) {
				want(t, "mic", r.m.Call.Local.AudioOn, true)
			},
		},
		{
			name:    "camera off closes the camera",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.ToggleCamera() },
			methods: "CloseCamera",
			check: func(t *testing.T, r *rig) {
				want(t, "camera", r.m.Call.Local.VideoOn, false)
			},
		},
		{
			name:    "the camera toggle does nothing in a voice call",
			setup:   func(r *rig) { r.login().connected(audio, false); r.eng.Reset() },
			act:     func(m *Model) { m.ToggleCamera() },
			methods: "",
			check:   func(t *testing.T, r *rig) {},
		},
		{
			name: "a mute the engine refuses shows the microphone on again",
			setup: func(r *rig) {
				r.login().connected(video, false)
				r.eng.Reset()
				r.eng.Fail("CloseMicrophone", &signaling.Error{Code: signaling.CodeMicrophoneFailed, Message: "no"})
			},
			act:     func(m *Model) { m.ToggleMic() },
			methods: "CloseMicrophone",
			check: func(t *testing.T, r *rig) {
				want(t, "mic", r.m.Call.Local.AudioOn, true)
			},
		},
		{
			name:    "switch to audio asks the engine for a voice call and waits for its event",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.SwitchToAudio() },
			methods: "SwitchCallMediaType",
			check: func(t *testing.T, r *rig) {
				c, _ := r.eng.Last("SwitchCallMediaType")
				want(t, "args", c.Args, "audio")
				want(t, "media until the event", r.m.Call.MediaType, video)
			},
		},
		{
			name:    "switch to video asks the engine for a video call and waits for its event",
			setup:   func(r *rig) { r.login().connected(audio, false); r.eng.Reset() },
			act:     func(m *Model) { m.SwitchToVideo() },
			methods: "SwitchCallMediaType",
			check: func(t *testing.T, r *rig) {
				c, _ := r.eng.Last("SwitchCallMediaType")
				want(t, "args", c.Args, "video")
				want(t, "media until the event", r.m.Call.MediaType, audio)
			},
		},
		{
			name:    "switch to video in a video call asks nothing",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.SwitchToVideo() },
			methods: "",
			check:   func(t *testing.T, r *rig) {},
		},
		{
			name:    "invite asks the engine and shows spinners for the invitees",
			setup:   func(r *rig) { r.login().connected(video, true); r.eng.Reset() },
			act:     func(m *Model) { m.Invite([]signaling.UserID{"dave"}) },
			methods: "InviteUser",
			check: func(t *testing.T, r *rig) {
				want(t, "dave", r.m.Call.Member("dave").State, TileInviting)
			},
		},
		{
			name:    "a failed call request returns to the contacts and files a failed call",
			setup:   func(r *rig) { r.login(); r.eng.Fail("Call", errors.New("refused")) },
			act:     func(m *Model) { m.CallUser("bob", video) },
			methods: "Call",
			check: func(t *testing.T, r *rig) {
				want(t, "screen", r.m.Screen, ScreenContacts)
				want(t, "sound", r.sounds.Playing(), "")
				wantHistory(t, r, HistoryOutgoing, OutcomeFailed)
			},
		},
		{
			name:    "redial of a history entry calls the same person with the same media",
			setup:   func(r *rig) { r.login().dialing(audio, false); r.m.Hangup(); r.eng.Reset() },
			act:     func(m *Model) { m.Redial(m.History.Entries()[0]) },
			methods: "Call",
			check: func(t *testing.T, r *rig) {
				c, _ := r.eng.Last("Call")
				want(t, "args", c.Args, "bob, audio")
			},
		},
		{
			name:    "redial of a group entry starts a group call",
			setup:   func(r *rig) { r.login().dialing(video, true); r.m.Hangup(); r.eng.Reset() },
			act:     func(m *Model) { m.Redial(m.History.Entries()[0]) },
			methods: "GroupCall",
			check:   func(t *testing.T, r *rig) {},
		},
		{
			name:    "logout hangs up, signs out and shows the login form",
			setup:   func(r *rig) { r.login().connected(video, false); r.eng.Reset() },
			act:     func(m *Model) { m.Logout() },
			methods: "Hangup Logout",
			check: func(t *testing.T, r *rig) {
				want(t, "screen", r.m.Screen, ScreenLogin)
				want(t, "contacts", r.m.Contacts.Len(), 0)
			},
		},
		{
			name:    "picking a device selects it in the engine and keeps it in the settings",
			setup:   func(r *rig) { r.login() },
			act:     func(m *Model) { m.SelectDevice("microphone", "mic7") },
			methods: "SelectMicrophone",
			check: func(t *testing.T, r *rig) {
				want(t, "setting", r.m.settings.Microphone(), "mic7")
			},
		},
		{
			name:    "turning echo cancellation off turns it off in the engine and keeps it in the settings",
			setup:   func(r *rig) { r.login() },
			act:     func(m *Model) { m.SetEchoCancellation(false) },
			methods: "SetEchoCancellation",
			check: func(t *testing.T, r *rig) {
				want(t, "setting", r.m.settings.EchoCancellation(), false)
				c, _ := r.eng.Last("SetEchoCancellation")
				want(t, "engine call", c.String(), "SetEchoCancellation(false)")
			},
		},
		{
			name: "turning it back on turns it on in the engine",
			setup: func(r *rig) {
				r.login()
				r.m.SetEchoCancellation(false)
			},
			act:     func(m *Model) { m.SetEchoCancellation(true) },
			methods: "SetEchoCancellation",
			check: func(t *testing.T, r *rig) {
				want(t, "setting", r.m.settings.EchoCancellation(), true)
				c, _ := r.eng.Last("SetEchoCancellation")
				want(t, "engine call", c.String(), "SetEchoCancellation(true)")
			},
		},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := newRig(t)
			row.setup(r)
			r.eng.Reset()
			row.act(r.m)
			want(t, "engine calls", strings.Join(r.eng.Methods(), " "), row.methods)
			row.check(t, r)
		})
	}
}

func TestLogin(t *testing.T) {
	t.Run("a server address that is not ws:// or wss:// is refused on the form", func(t *testing.T) {
		r := newRig(t)
		r.m.Login(call.LoginParams{Server: "http://x", UserID: "alice"})
		want(t, "status", r.m.LoginStatus, "Enter the server's address, e.g. ws://192.168.1.10:8443/ws")
		want(t, "engine calls", len(r.eng.Calls()), 0)
	})
	t.Run("a cluster's nodes separated by commas are one server setting", func(t *testing.T) {
		r := newRig(t)
		r.m.Login(call.LoginParams{Server: "ws://a:1/ws, ws://b:1/ws", UserID: "alice"})
		want(t, "screen", r.m.Screen, ScreenContacts)
		want(t, "server", r.m.settings.Server(), "ws://a:1/ws, ws://b:1/ws")
	})
	t.Run("a user ID with a space is refused on the form", func(t *testing.T) {
		r := newRig(t)
		r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "al ice"})
		want(t, "status", r.m.LoginStatus, "A user ID is 1 to 32 letters, digits, '_' or '-'.")
	})
	t.Run("a login the engine refuses stays on the form", func(t *testing.T) {
		r := newRig(t)
		r.eng.Fail("Login", &signaling.Error{Code: signaling.CodeUserSigInvalid, Message: "bad sig"})
		r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "alice"})
		want(t, "screen", r.m.Screen, ScreenLogin)
		want(t, "status", r.m.LoginStatus, "This UserSig is not valid for alice. Check the user ID, or get a UserSig made for alice with this server's secret (calla usersig).")
		want(t, "busy", r.m.LoginBusy, false)
	})
	t.Run("a good login remembers server and user and shows the contacts", func(t *testing.T) {
		r := newRig(t)
		r.m.Login(call.LoginParams{Server: " ws://h:1/ws ", UserID: "alice"})
		want(t, "screen", r.m.Screen, ScreenContacts)
		want(t, "server", r.m.settings.Server(), "ws://h:1/ws")
		want(t, "user", r.m.settings.User(), "alice")
	})
	t.Run("after login the devices from the settings are selected", func(t *testing.T) {
		r := newRig(t)
		r.m.settings.SetCamera("cam2")
		r.m.settings.SetSpeaker("spk3")
		r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "alice"})
		want(t, "engine calls", strings.Join(r.eng.Methods(), " "), "Login SwitchCamera SelectAudioPlaybackDevice")
	})
	t.Run("after login echo cancellation turned off in the settings is turned off", func(t *testing.T) {
		r := newRig(t)
		r.m.settings.SetEchoCancellation(false)
		r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "alice"})
		want(t, "engine calls", strings.Join(r.eng.Methods(), " "), "Login SetEchoCancellation")
		c, _ := r.eng.Last("SetEchoCancellation")
		want(t, "engine call", c.String(), "SetEchoCancellation(false)")
	})
	t.Run("given a server, user and UserSig on the command line it signs in by itself", func(t *testing.T) {
		r := newRig(t, func(c *modelConfig) {
			c.AutoLogin = true
			c.LocalLogin = call.LoginParams{Server: "ws://h:1/ws", UserID: "bob", UserSig: "sig"}
		})
		r.m.Start()
		want(t, "screen", r.m.Screen, ScreenContacts)
		want(t, "engine calls", r.eng.Methods()[0], "Login")
	})
	t.Run("without them it waits on the login form", func(t *testing.T) {
		r := newRig(t)
		r.m.Start()
		want(t, "screen", r.m.Screen, ScreenLogin)
		want(t, "engine calls", len(r.eng.Calls()), 0)
	})
	t.Run("local mode signs in by itself and shows Echo Test first", func(t *testing.T) {
		r := newRig(t, localMode("echo"))
		r.m.Start()
		want(t, "screen", r.m.Screen, ScreenContacts)
		r.apply(&call.PresenceChanged{UserID: "echo", Presence: signaling.Online},
			&call.PresenceChanged{UserID: "aaron", Presence: signaling.Online})
		v := r.m.Contacts.Visible()
		want(t, "first contact", v[0].Name(), "Echo Test")
		want(t, "presence", v[0].PresenceText(), "Online · sends your video back")
	})
}

// TestDialCancelledBeforeTheInviteLeft: a hang-up while the Call request
// still waits in the queue drops the request and sends no Hangup.
func TestDialCancelledBeforeTheInviteLeft(t *testing.T) {
	h := &heldRunner{}
	r := newRig(t, withRunner(h))
	r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "alice"})
	h.release()
	r.eng.Reset()
	r.m.CallUser("bob", signaling.Video)
	r.m.Hangup()
	h.release()
	want(t, "engine calls", strings.Join(r.eng.Methods(), " "), "")
	want(t, "screen", r.m.Screen, ScreenContacts)
	want(t, "toast", r.lastToast(), "Call cancelled")
}

// TestLateResultOfAnOldCall: the failure of a call request that arrives
// after the user started another call does not end the new one.
func TestLateResultOfAnOldCall(t *testing.T) {
	h := &heldRunner{}
	r := newRig(t, withRunner(h))
	r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "alice"})
	h.release()
	r.eng.Fail("Call", errors.New("server gone"))
	r.m.CallUser("bob", signaling.Video)
	first := h.items[0]
	h.items = nil
	// The first request started (so Hangup must go to the engine) ...
	first.ran = true
	r.m.Hangup()
	// ... and a second call is placed before the first one's result.
	r.eng.Fail("Call", nil)
	r.m.CallUser("carol", signaling.Audio)
	first.done(errors.New("server gone"))
	want(t, "phase", r.m.Call.Phase, PhaseDialing)
	want(t, "callee", r.m.Call.Members[0].ID, signaling.UserID("carol"))
}

func TestTimerAndToastsFollowTheClock(t *testing.T) {
	r := newRig(t).login().connected(signaling.Video, false)
	r.m.toast("hello")
	r.clock.advance(59 * time.Second)
	r.m.Tick()
	want(t, "timer", r.m.TimerText(), "00:59")
	want(t, "toasts after 59 s", len(r.m.Toasts()), 0)
	r.clock.advance(time.Hour + time.Second)
	want(t, "timer after an hour", r.m.TimerText(), "01:01:00")
}

// TestEventsOfTheCallBeingPlacedWaitForItsID: the engine's events and
// Call's result come by different paths, so an event of the call being
// placed can come before its ID. It is held until Call returns the ID and
// then applied, in order; an event of another call that came meanwhile is
// not taken for this call's.
func TestEventsOfTheCallBeingPlacedWaitForItsID(t *testing.T) {
	h := &heldRunner{}
	r := newRig(t, withRunner(h))
	r.m.Login(call.LoginParams{Server: "ws://h/ws", UserID: "alice"})
	h.release()
	r.eng.SetCallID("c7")
	r.m.CallUser("bob", signaling.Video)
	// Before Call returns: the end of an older call, then bob's answer.
	r.m.Apply(&call.CallEnd{CallID: "c6", TotalTime: 3, Reason: signaling.ReasonHangup})
	r.m.Apply(&call.CallBegin{CallID: "c7", CallMediaType: signaling.Video, CallRole: signaling.RoleCaller})
	want(t, "phase while the ID is unknown", r.m.Call.Phase, PhaseDialing)
	h.release()
	want(t, "call ID", r.m.Call.ID, signaling.CallID("c7"))
	want(t, "phase once the ID is known", r.m.Call.Phase, PhaseConnected)
	want(t, "screen", r.m.Screen, ScreenInCall)
}
