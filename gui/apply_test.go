package gui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// TestEventsToScreen is the table of DESIGN §1's events (the 17 of the
// seed, onUserInviting, and Calla's presence, connection and media-source
// events): each row puts the app in a state, applies events, and checks
// what the user sees.
func TestEventsToScreen(t *testing.T) {
	video, audio := signaling.Video, signaling.Audio
	rows := []struct {
		name  string
		setup func(r *rig)
		evs   []call.Event
		check func(t *testing.T, r *rig)
	}{
		{
			name:  "onError -1101 tells the user Calla may not use the camera or microphone, and what to do",
			setup: func(r *rig) { r.login() },
			evs:   []call.Event{&call.Error{Code: signaling.CodePermissionDenied, Message: "camera: permission denied"}},
			check: func(t *testing.T, r *rig) {
				ts := r.m.Toasts()
				if len(ts) != 1 || !ts[0].Error || ts[0].Text != "Calla may not use your camera or microphone." ||
					ts[0].Detail != "Allow it in your system's privacy settings, and close other programs that use it." {
					t.Errorf("toasts = %+v", ts)
				}
			},
		},
		{
			name:  "onCallReceived for a video call rings, names the caller and the kind of call",
			setup: func(r *rig) { r.login() },
			evs:   []call.Event{&call.CallReceived{CallID: "c1", CallerID: "bob", CalleeIDList: []signaling.UserID{"alice"}, CallMediaType: video}},
			check: func(t *testing.T, r *rig) {
				m := r.m
				want(t, "phase", m.Call.Phase, PhaseRinging)
				want(t, "title", m.IncomingTitle(), "Incoming video call")
				want(t, "caller", m.Name(m.Call.Caller), "Bob")
				want(t, "text", m.IncomingText(), "invites you to a video call")
				want(t, "also", m.AlsoOnCall(), "")
				want(t, "sound", r.sounds.Playing(), "ring")
				want(t, "notifications while focused", len(r.notes), 0)
			},
		},
		{
			name:  "onCallReceived for a group call lists the other members",
			setup: func(r *rig) { r.login() },
			evs: []call.Event{&call.CallReceived{CallID: "c1", CallerID: "bob", GroupID: "g1",
				CalleeIDList: []signaling.UserID{"alice", "carol", "dave"}, CallMediaType: audio}},
			check: func(t *testing.T, r *rig) {
				want(t, "title", r.m.IncomingTitle(), "Incoming group voice call")
				want(t, "text", r.m.IncomingText(), "invites you to a group voice call")
				want(t, "also", r.m.AlsoOnCall(), "Also on the call: carol, dave")
			},
		},
		{
			name: "onCallReceived while the window is not focused sends a desktop notification",
			setup: func(r *rig) {
				r.login()
				r.m.SetFocused(false)
			},
			evs: []call.Event{&call.CallReceived{CallID: "c1", CallerID: "bob", CalleeIDList: []signaling.UserID{"alice"}, CallMediaType: video}},
			check: func(t *testing.T, r *rig) {
				want(t, "notifications", strings.Join(r.notes, "|"), "Incoming video call: Bob is calling you")
			},
		},
		{
			name: "onCallReceived with the ringtone turned off does not ring",
			setup: func(r *rig) {
				r.login()
				r.m.settings.SetRingtone(false)
			},
			evs: []call.Event{&call.CallReceived{CallID: "c1", CallerID: "bob", CalleeIDList: []signaling.UserID{"alice"}}},
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseRinging)
				want(t, "sound", r.sounds.Playing(), "")
			},
		},
		{
			name:  "onCallReceived during a call does not ring over it",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.CallReceived{CallID: "c2", CallerID: "carol", CalleeIDList: []signaling.UserID{"alice"}}},
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseConnected)
				want(t, "call", r.m.Call.ID, signaling.CallID("c1"))
			},
		},
		{
			name:  "onCallCancelled because the caller gave up stops the ringing, says so and files a missed call",
			setup: func(r *rig) { r.login().ringing(video, false) },
			evs:   []call.Event{&call.CallCancelled{CallID: "c1", CallerID: "bob", Reason: signaling.ReasonCanceled}},
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseIdle)
				want(t, "sound", r.sounds.Playing(), "")
				want(t, "toast", r.lastToast(), "Bob cancelled the call")
				wantHistory(t, r, HistoryMissed, OutcomeCancelled)
			},
		},
		{
			name:  "onCallCancelled because nobody answered in time files a missed call",
			setup: func(r *rig) { r.login().ringing(audio, false) },
			evs:   []call.Event{&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonNoResponse}},
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "Missed call from Bob")
				wantHistory(t, r, HistoryMissed, OutcomeNoAnswer)
			},
		},
		{
			name:  "onCallCancelled because another device answered is not a missed call",
			setup: func(r *rig) { r.login().ringing(video, false) },
			evs:   []call.Event{&call.CallCancelled{CallID: "c1", CallerID: "bob", Reason: signaling.ReasonOtherDeviceAccepted}},
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "Answered on another device")
				wantHistory(t, r, HistoryIncoming, OutcomeElsewhere)
			},
		},
		{
			name:  "onCallCancelled for the caller when the callee did not answer returns to the contacts",
			setup: func(r *rig) { r.login().dialing(video, false) },
			evs:   []call.Event{&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonNoResponse}},
			check: func(t *testing.T, r *rig) {
				want(t, "screen", r.m.Screen, ScreenContacts)
				want(t, "toast", r.lastToast(), "Bob did not answer")
				want(t, "sound", r.sounds.Playing(), "")
				wantHistory(t, r, HistoryOutgoing, OutcomeNoAnswer)
			},
		},
		{
			name:  "onCallCancelled for a group call nobody answered says so in words for a group",
			setup: func(r *rig) { r.login().dialing(video, true) },
			evs: []call.Event{
				&call.UserNoResponse{CallID: "c1", UserID: "bob"},
				&call.UserNoResponse{CallID: "c1", UserID: "carol"},
				&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonNoResponse},
			},
			check: func(t *testing.T, r *rig) {
				want(t, "toasts", strings.Join(r.toastTexts(), "|"), "Bob did not answer|carol did not answer|Nobody answered")
				wantHistory(t, r, HistoryOutgoing, OutcomeNoAnswer)
			},
		},
		{
			name:  "onCallBegin for the caller shows the call with the timer at zero and stops the dial tone",
			setup: func(r *rig) { r.login().dialing(video, false) },
			evs:   []call.Event{&call.CallBegin{CallID: "c1", CallMediaType: video, CallRole: signaling.RoleCaller}},
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseConnected)
				want(t, "screen", r.m.Screen, ScreenInCall)
				want(t, "timer", r.m.TimerText(), "00:00")
				want(t, "sound", r.sounds.Playing(), "")
				want(t, "bob's tile", r.m.Call.Member("bob").State, TileConnecting)
				want(t, "camera", r.m.Call.Local.VideoOn, true)
			},
		},
		{
			name: "onCallBegin for the callee after accepting shows the call",
			setup: func(r *rig) {
				r.login().ringing(video, false)
				r.m.Accept()
			},
			evs: []call.Event{&call.CallBegin{CallID: "c1", CallMediaType: video, CallRole: signaling.RoleCallee}},
			check: func(t *testing.T, r *rig) {
				want(t, "screen", r.m.Screen, ScreenInCall)
				want(t, "role", r.m.Call.Role, signaling.RoleCallee)
			},
		},
		{
			name: "onCallEnd after a hang-up returns to the contacts with the call's length, and files it",
			setup: func(r *rig) {
				r.login().connected(video, false)
				r.clock.advance(65 * time.Second)
			},
			evs: []call.Event{&call.CallEnd{CallID: "c1", CallMediaType: video, CallRole: signaling.RoleCaller, TotalTime: 65, Reason: signaling.ReasonHangup}},
			check: func(t *testing.T, r *rig) {
				want(t, "screen", r.m.Screen, ScreenContacts)
				want(t, "toast", r.lastToast(), "Call ended · 01:05")
				e := wantHistory(t, r, HistoryOutgoing, OutcomeAnswered)
				want(t, "duration", e.Duration, int64(65))
			},
		},
		{
			name:  "onCallEnd because the connection failed says so",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.CallEnd{CallID: "c1", TotalTime: 3, Reason: signaling.ReasonConnectionFailed}},
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "The call dropped: the connection failed. Check your network and call again.")
			},
		},
		{
			name:  "onUserReject in a 1v1 call says who declined, once, and files a declined call",
			setup: func(r *rig) { r.login().dialing(video, false) },
			evs: []call.Event{
				&call.UserReject{CallID: "c1", UserID: "bob"},
				&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonReject},
			},
			check: func(t *testing.T, r *rig) {
				want(t, "toasts", strings.Join(r.toastTexts(), "|"), "Bob declined")
				want(t, "screen", r.m.Screen, ScreenContacts)
				wantHistory(t, r, HistoryOutgoing, OutcomeDeclined)
			},
		},
		{
			name:  "onUserReject in a group call removes that member's tile and the call goes on",
			setup: func(r *rig) { r.login().connected(video, true) },
			evs:   []call.Event{&call.UserReject{CallID: "c1", UserID: "carol"}},
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "carol declined")
				want(t, "members", peers(r), "bob")
				want(t, "phase", r.m.Call.Phase, PhaseConnected)
			},
		},
		{
			name:  "onUserNoResponse in a group call says who did not answer and removes the tile",
			setup: func(r *rig) { r.login().connected(audio, true) },
			evs:   []call.Event{&call.UserNoResponse{CallID: "c1", UserID: "carol"}},
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "carol did not answer")
				want(t, "members", peers(r), "bob")
			},
		},
		{
			name:  "onUserLineBusy in a 1v1 call says the callee is busy and files a busy call",
			setup: func(r *rig) { r.login().dialing(audio, false) },
			evs: []call.Event{
				&call.UserLineBusy{CallID: "c1", UserID: "bob"},
				&call.CallCancelled{CallID: "c1", CallerID: "alice", Reason: signaling.ReasonLineBusy},
			},
			check: func(t *testing.T, r *rig) {
				want(t, "toasts", strings.Join(r.toastTexts(), "|"), "Bob is busy")
				wantHistory(t, r, HistoryOutgoing, OutcomeBusy)
			},
		},
		{
			name:  "onUserJoin turns a member's spinner into their video",
			setup: func(r *rig) { r.login().connected(video, true) },
			evs:   []call.Event{&call.UserJoin{CallID: "c1", UserID: "carol"}},
			check: func(t *testing.T, r *rig) {
				want(t, "carol", r.m.Call.Member("carol").State, TileJoined)
				want(t, "carol's video", r.m.Call.Member("carol").VideoOn, true)
			},
		},
		{
			name:  "onUserLeave in a group call removes the tile and says who left",
			setup: func(r *rig) { r.login().connected(video, true) },
			evs:   []call.Event{&call.UserLeave{CallID: "c1", UserID: "bob"}},
			check: func(t *testing.T, r *rig) {
				want(t, "toast", r.lastToast(), "Bob left")
				want(t, "members", peers(r), "carol")
			},
		},
		{
			name:  "onUserLeave in a 1v1 call says the other party hung up, and onCallEnd adds nothing",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs: []call.Event{
				&call.UserLeave{CallID: "c1", UserID: "bob"},
				&call.CallEnd{CallID: "c1", TotalTime: 12, Reason: signaling.ReasonHangup},
			},
			check: func(t *testing.T, r *rig) {
				want(t, "toasts", strings.Join(r.toastTexts(), "|"), "The other party hung up")
				want(t, "screen", r.m.Screen, ScreenContacts)
			},
		},
		{
			name:  "onUserInviting adds a tile with a spinner for the new invitee",
			setup: func(r *rig) { r.login().connected(video, true) },
			evs:   []call.Event{&call.UserInviting{CallID: "c1", UserID: "dave"}},
			check: func(t *testing.T, r *rig) {
				want(t, "members", peers(r), "bob,carol,dave")
				want(t, "dave", r.m.Call.Member("dave").State, TileInviting)
			},
		},
		{
			name:  "onCallMediaTypeChanged to audio switches the layout to avatars and turns the camera off",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.CallMediaTypeChanged{CallID: "c1", OldCallMediaType: video, NewCallMediaType: audio}},
			check: func(t *testing.T, r *rig) {
				want(t, "media", r.m.Call.MediaType, audio)
				want(t, "camera", r.m.Call.Local.VideoOn, false)
				want(t, "bob's video", r.m.Call.Member("bob").VideoOn, false)
				want(t, "toast", r.lastToast(), "Switched to a voice call")
			},
		},
		{
			name:  "onCallMediaTypeChanged to video switches the layout to video tiles and turns the camera on",
			setup: func(r *rig) { r.login().connected(audio, false) },
			evs:   []call.Event{&call.CallMediaTypeChanged{CallID: "c1", OldCallMediaType: audio, NewCallMediaType: video}},
			check: func(t *testing.T, r *rig) {
				want(t, "media", r.m.Call.MediaType, video)
				want(t, "camera", r.m.Call.Local.VideoOn, true)
				want(t, "bob's video", r.m.Call.Member("bob").VideoOn, true)
				want(t, "toast", r.lastToast(), "Switched to a video call")
			},
		},
		{
			name:  "onUserScreenShareChanged marks the member's tile as their screen, and one's own",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs: []call.Event{
				&call.UserScreenShareChanged{CallID: "c1", UserID: "bob", IsSharing: true},
				&call.UserScreenShareChanged{CallID: "c1", UserID: "alice", IsSharing: true},
			},
			check: func(t *testing.T, r *rig) {
				want(t, "bob sharing", r.m.Call.Member("bob").Sharing, true)
				want(t, "own share", r.m.Call.Local.Sharing, true)
				r.apply(&call.UserScreenShareChanged{CallID: "c1", UserID: "bob", IsSharing: false})
				want(t, "bob's share over", r.m.Call.Member("bob").Sharing, false)
				r.apply(&call.UserScreenShareChanged{CallID: "c0", UserID: "carol", IsSharing: true})
				want(t, "another call's event", r.m.Call.Member("carol") == nil, true)
			},
		},
		{
			name:  "onKickedOffline ends the call and opens a dialog that leads back to login",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.KickedOffline{}},
			check: func(t *testing.T, r *rig) {
				want(t, "phase", r.m.Call.Phase, PhaseIdle)
				if r.m.Alert == nil || r.m.Alert.Title != "Signed in elsewhere" {
					t.Fatalf("alert = %+v", r.m.Alert)
				}
				want(t, "logged in", r.m.LoggedIn, false)
				r.m.DismissAlert()
				want(t, "screen after the dialog", r.m.Screen, ScreenLogin)
			},
		},
		{
			name:  "onUserSigExpired opens a dialog that leads back to login",
			setup: func(r *rig) { r.login() },
			evs:   []call.Event{&call.UserSigExpired{}},
			check: func(t *testing.T, r *rig) {
				if r.m.Alert == nil || r.m.Alert.Title != "Sign-in expired" || r.m.Alert.Button != "Sign in again" {
					t.Fatalf("alert = %+v", r.m.Alert)
				}
				want(t, "screen", r.m.Screen, ScreenLogin)
			},
		},
		{
			name:  "onUserVideoAvailable false shows the avatar in that member's tile",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.UserVideoAvailable{CallID: "c1", UserID: "bob", IsVideoAvailable: false}},
			check: func(t *testing.T, r *rig) {
				want(t, "bob's video", r.m.Call.Member("bob").VideoOn, false)
			},
		},
		{
			name:  "onUserAudioAvailable false shows the mic-off icon on that member's tile",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.UserAudioAvailable{CallID: "c1", UserID: "bob", IsAudioAvailable: false}},
			check: func(t *testing.T, r *rig) {
				want(t, "bob's mic", r.m.Call.Member("bob").AudioOn, false)
			},
		},
		{
			name:  "onUserVoiceVolumeChanged marks those above 10 as speaking, the local user included",
			setup: func(r *rig) { r.login().connected(video, true) },
			evs: []call.Event{&call.UserVoiceVolumeChanged{CallID: "c1", VolumeMap: map[signaling.UserID]int{
				"alice": 11, "bob": 10, "carol": 80, "stranger": 50,
			}}},
			check: func(t *testing.T, r *rig) {
				want(t, "alice speaking", r.m.Call.Local.Speaking(), true)
				want(t, "bob speaking at 10", r.m.Call.Member("bob").Speaking(), false)
				want(t, "carol speaking", r.m.Call.Member("carol").Speaking(), true)
				want(t, "no tile for a stranger", r.m.Call.Member("stranger") == nil, true)
			},
		},
		{
			name:  "onUserNetworkQualityChanged with the other party Bad shows bars and the remote banner",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs: []call.Event{&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{
				"alice": media.QualityExcellent, "bob": media.QualityBad,
			}}},
			check: func(t *testing.T, r *rig) {
				want(t, "alice's bars", r.m.Call.Local.QualityBars(), 5)
				want(t, "bob's bars", r.m.Call.Member("bob").QualityBars(), 2)
				want(t, "banner", r.m.Call.Banner, "The other party's network connection is poor")
			},
		},
		{
			name:  "onUserNetworkQualityChanged with the local network Down shows the local banner first",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs: []call.Event{&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{
				"alice": media.QualityDown, "bob": media.QualityVbad,
			}}},
			check: func(t *testing.T, r *rig) {
				want(t, "alice's bars", r.m.Call.Local.QualityBars(), 0)
				want(t, "bob's bars", r.m.Call.Member("bob").QualityBars(), 1)
				want(t, "banner", r.m.Call.Banner, "Your network connection is poor")
			},
		},
		{
			name: "onUserNetworkQualityChanged back to Good takes the banner away",
			setup: func(r *rig) {
				r.login().connected(video, false)
				r.apply(&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{"bob": media.QualityBad}})
			},
			evs: []call.Event{&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{"bob": media.QualityGood}}},
			check: func(t *testing.T, r *rig) {
				want(t, "banner", r.m.Call.Banner, "")
			},
		},
		{
			name:  "onPresenceChanged fills the contact list: online first, then in a call, then offline, each by name",
			setup: func(r *rig) { r.login() },
			evs: []call.Event{
				&call.PresenceChanged{UserID: "bob", Nickname: "Bob", Presence: signaling.Offline},
				&call.PresenceChanged{UserID: "erin", Nickname: "Erin", Presence: signaling.Online},
				&call.PresenceChanged{UserID: "alice", Presence: signaling.Online}, // self: not a contact
			},
			check: func(t *testing.T, r *rig) {
				var got []string
				for _, c := range r.m.Contacts.Visible() {
					got = append(got, c.Name()+" "+c.PresenceText())
				}
				want(t, "list", strings.Join(got, ", "), "carol Online, Erin Online, dave In a call, Bob Offline")
			},
		},
		{
			name:  "onConnectionChanged to reconnecting shows the Reconnecting banner",
			setup: func(r *rig) { r.login() },
			evs:   []call.Event{&call.ConnectionChanged{State: call.Reconnecting, Reason: "read: EOF"}},
			check: func(t *testing.T, r *rig) {
				want(t, "banner", r.m.ConnectionBanner(), "Reconnecting…")
				r.apply(&call.ConnectionChanged{State: call.Connected})
				want(t, "banner once connected", r.m.ConnectionBanner(), "")
			},
		},
		{
			name:  "onNetworkPathChanged says how the call is connected, with the round trip",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs: []call.Event{&call.NetworkPathChanged{CallID: "c1", Paths: map[signaling.UserID]call.NetworkPath{
				"bob": {Via: call.ViaDirect, Local: media.CandidateSrflx, Remote: media.CandidatePrflx, RTTMs: 23},
			}}},
			check: func(t *testing.T, r *rig) {
				want(t, "1v1 direct", r.m.Call.NetworkText(), "Direct · 23 ms")
				r.apply(&call.NetworkPathChanged{CallID: "c1", Paths: map[signaling.UserID]call.NetworkPath{
					"bob": {Via: call.ViaRelay, Local: media.CandidateRelay, Remote: media.CandidateSrflx, Protocol: "tcp", RTTMs: 81},
				}})
				want(t, "1v1 through a relay over TCP", r.m.Call.NetworkText(), "Via relay (TCP) · 81 ms")
				r.apply(&call.NetworkPathChanged{CallID: "other", Paths: map[signaling.UserID]call.NetworkPath{"bob": {Via: call.ViaDirect}}})
				want(t, "another call's path is ignored", r.m.Call.NetworkText(), "Via relay (TCP) · 81 ms")
			},
		},
		{
			name:  "onMediaSourceChanged to a test pattern says no camera was found, until the call ends",
			setup: func(r *rig) { r.login().connected(video, false) },
			evs:   []call.Event{&call.MediaSourceChanged{Kind: "camera", DeviceID: "videotest", Label: "Test pattern", IsTestSource: true}},
			check: func(t *testing.T, r *rig) {
				want(t, "note", r.m.SourceNote(), "Test pattern — no camera found")
				r.apply(&call.MediaSourceChanged{Kind: "microphone", IsTestSource: true})
				want(t, "note with both", r.m.SourceNote(), "Test pattern and tone — no camera or microphone found")
				r.parts = 0
				r.apply(&call.CallEnd{CallID: "c1", TotalTime: 3, Reason: signaling.ReasonHangup})
				want(t, "note after the call", r.m.SourceNote(), "")
				want(t, "banner part refreshed", r.parts&PartBanner != 0, true)
				// An event of the ended call, late, brings no note back.
				r.apply(&call.MediaSourceChanged{Kind: "camera", IsTestSource: true})
				want(t, "note after a late event", r.m.SourceNote(), "")
				r.m.CallUser("bob", audio)
				want(t, "note in the next call, before its devices say", r.m.SourceNote(), "")
			},
		},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := newRig(t)
			row.setup(r)
			r.apply(row.evs...)
			row.check(t, r)
		})
	}
}

// TestEveryEventHasARow checks that the table above covers every event
// type of package call.
func TestEveryEventHasARow(t *testing.T) {
	src := readFile(t, "apply_test.go")
	all := []call.Event{
		&call.Error{}, &call.CallReceived{}, &call.CallCancelled{}, &call.CallBegin{}, &call.CallEnd{},
		&call.UserReject{}, &call.UserNoResponse{}, &call.UserLineBusy{}, &call.UserJoin{}, &call.UserLeave{},
		&call.UserInviting{}, &call.CallMediaTypeChanged{}, &call.KickedOffline{}, &call.UserSigExpired{},
		&call.UserVideoAvailable{}, &call.UserAudioAvailable{}, &call.UserVoiceVolumeChanged{},
		&call.UserNetworkQualityChanged{}, &call.PresenceChanged{}, &call.ConnectionChanged{}, &call.MediaSourceChanged{},
		&call.UserScreenShareChanged{},
		&call.NetworkPathChanged{},
	}
	for _, ev := range all {
		if !strings.Contains(src, `name: "`+ev.EventName()+" ") && !strings.Contains(src, `name:  "`+ev.EventName()+" ") {
			t.Errorf("no row of TestEventsToScreen starts with %s", ev.EventName())
		}
	}
}

func peers(r *rig) string {
	var ids []string
	for _, id := range r.m.Call.Peers() {
		ids = append(ids, string(id))
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

func wantHistory(t *testing.T, r *rig, k HistoryKind, o Outcome) HistoryEntry {
	t.Helper()
	es := r.m.History.Entries()
	if len(es) == 0 {
		t.Fatalf("history is empty, want a %s call (%s)", k, o)
	}
	if es[0].Kind != k || es[0].Outcome != o {
		t.Errorf("newest history entry is %s/%s, want %s/%s", es[0].Kind, es[0].Outcome, k, o)
	}
	if r.saved == 0 {
		t.Errorf("history was not saved")
	}
	return es[0]
}

func want[T comparable](t *testing.T, what string, got, wantV T) {
	t.Helper()
	if got != wantV {
		t.Errorf("%s = %v, want %v", what, got, wantV)
	}
}

func TestNilEventsAreIgnored(t *testing.T) {
	r := newRig(t).login()
	r.m.log = quiet
	r.apply(nil, (*call.UserJoin)(nil), (*call.CallReceived)(nil))
	want(t, "phase", r.m.Call.Phase, PhaseIdle)
}
