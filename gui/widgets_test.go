package gui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// find returns the first object under o (overlays included when o is a
// canvas's) of type T that ok accepts.
func find[T fyne.CanvasObject](t *testing.T, c fyne.Canvas, ok func(T) bool) T {
	t.Helper()
	roots := []fyne.CanvasObject{c.Content()}
	roots = append(roots, c.Overlays().List()...)
	for _, root := range roots {
		for _, o := range test.LaidOutObjects(root) {
			if x, is := o.(T); is && o.Visible() && (ok == nil || ok(x)) {
				return x
			}
		}
	}
	var zero T
	t.Fatalf("no visible %T on the canvas matches", zero)
	return zero
}

// dialogButton is a button of the dialog on top.
func dialogButton(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(c.Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no %q button in the dialog", text)
	return nil
}

func button(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	return find(t, c, func(b *widget.Button) bool { return b.Text == text })
}

func contactRowOf(t *testing.T, r *uiRig, id signaling.UserID) *contactRow {
	t.Helper()
	return find(t, r.win.Canvas(), func(row *contactRow) bool { return row.c.ID == id })
}

// tapCheck taps a check box on its box (a check ignores taps beside it).
func tapCheck(c *widget.Check) {
	test.TapAt(c, fyne.NewPos(8, c.Size().Height/2))
}

func typeKey(r *uiRig, k fyne.KeyName) {
	r.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
}

func TestTaps(t *testing.T) {
	video := signaling.Video
	rows := []struct {
		name    string
		setup   func(r *uiRig)
		tap     func(t *testing.T, r *uiRig)
		methods string
	}{
		{"tapping Accept on the ringing dialog accepts the call",
			func(r *uiRig) { r.screenContacts(); r.ringing(video, false) },
			func(t *testing.T, r *uiRig) { test.Tap(r.ui.incoming.accept) }, "Accept"},
		{"tapping Decline on the ringing dialog rejects the call",
			func(r *uiRig) { r.screenContacts(); r.ringing(video, false) },
			func(t *testing.T, r *uiRig) { test.Tap(r.ui.incoming.decline) }, "Reject"},
		{"tapping Voice only on the ringing dialog accepts the video call as audio",
			func(r *uiRig) { r.screenContacts(); r.ringing(video, false) },
			func(t *testing.T, r *uiRig) { test.Tap(r.ui.incoming.asAudio) }, "AcceptAsAudio"},
		{"tapping Cancel on the outgoing screen hangs up",
			func(r *uiRig) { r.screenOutgoing() },
			func(t *testing.T, r *uiRig) { test.Tap(button(t, r.win.Canvas(), "Cancel")) }, "Hangup"},
		{"tapping Hang up in a call hangs up",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) { test.Tap(button(t, r.win.Canvas(), "Hang up")) }, "Hangup"},
		{"tapping Mute and then Unmute closes and opens the microphone",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) {
				test.Tap(button(t, r.win.Canvas(), "Mute"))
				test.Tap(button(t, r.win.Canvas(), "Unmute"))
			}, "CloseMicrophone OpenMicrophone"},
		{"tapping Stop video and then Start video closes and opens the camera",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) {
				test.Tap(button(t, r.win.Canvas(), "Stop video"))
				test.Tap(button(t, r.win.Canvas(), "Start video"))
			}, "CloseCamera OpenCamera"},
		{"tapping Voice only in a video call asks to switch to audio",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) { test.Tap(r.ui.inCall.toAudio) }, "SwitchCallMediaType"},
		{"inviting dave from the Invite dialog invites him",
			func(r *uiRig) { r.screenGroup4(); r.apply(&call.UserLeave{CallID: "c1", UserID: "dave"}) },
			func(t *testing.T, r *uiRig) {
				test.Tap(r.ui.inCall.invite)
				c := r.win.Canvas()
				group := find(t, c, func(g *widget.CheckGroup) bool { return len(g.Options) > 0 })
				group.SetSelected([]string{"dave (dave)"})
				test.Tap(dialogButton(t, c, "Invite"))
			}, "InviteUser"},
		{"tapping a contact's phone button makes a voice call",
			func(r *uiRig) { r.screenContacts() },
			func(t *testing.T, r *uiRig) { test.Tap(contactRowOf(t, r, "carol").audio) }, "Call"},
		{"tapping a contact's camera button makes a video call",
			func(r *uiRig) { r.screenContacts() },
			func(t *testing.T, r *uiRig) { test.Tap(contactRowOf(t, r, "bob").video) }, "Call"},
		{"picking two contacts and tapping Group video call makes a group call",
			func(r *uiRig) { r.screenContacts() },
			func(t *testing.T, r *uiRig) {
				tapCheck(contactRowOf(t, r, "bob").pick)
				tapCheck(contactRowOf(t, r, "erin").pick)
				test.Tap(button(t, r.win.Canvas(), "Group video call"))
			}, "GroupCall"},
		{"tapping redial in the history calls again",
			func(r *uiRig) { r.screenHistory() },
			func(t *testing.T, r *uiRig) {
				row := find(t, r.win.Canvas(), func(h *historyRow) bool { return h.e.Kind == HistoryMissed })
				test.Tap(row.redial)
			}, "Call"},
		{"typing M in a call mutes",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyM) }, "CloseMicrophone"},
		{"typing V in a call turns the camera off",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyV) }, "CloseCamera"},
		{"tapping Video in a voice call asks to switch to video",
			func(r *uiRig) { r.screenContacts(); r.connected(signaling.Audio, false) },
			func(t *testing.T, r *uiRig) { test.Tap(button(t, r.win.Canvas(), "Video")) }, "SwitchCallMediaType"},
		{"typing V in a voice call asks to switch to video",
			func(r *uiRig) { r.screenContacts(); r.connected(signaling.Audio, false) },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyV) }, "SwitchCallMediaType"},
		{"tapping Share screen with one screen shares it",
			func(r *uiRig) { r.screenCall1v1(); r.eng.SetDevices(screens(1)) },
			func(t *testing.T, r *uiRig) { test.Tap(button(t, r.win.Canvas(), "Share screen")) }, "StartScreenShare"},
		{"typing S in a video call shares the screen",
			func(r *uiRig) { r.screenCall1v1(); r.eng.SetDevices(screens(1)) },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyS) }, "StartScreenShare"},
		{"picking the second of two screens shares that one",
			func(r *uiRig) { r.screenCall1v1(); r.eng.SetDevices(screens(2)) },
			func(t *testing.T, r *uiRig) {
				test.Tap(button(t, r.win.Canvas(), "Share screen"))
				c := r.win.Canvas()
				find(t, c, func(g *widget.RadioGroup) bool { return len(g.Options) == 2 }).SetSelected("Screen 2")
				test.Tap(dialogButton(t, c, "Share"))
				if call, _ := r.eng.Last("StartScreenShare"); call.Args != "scr2" {
					t.Errorf("shared %q, want scr2", call.Args)
				}
			}, "StartScreenShare"},
		{"tapping Stop sharing while sharing stops",
			func(r *uiRig) {
				r.screenCall1v1()
				r.apply(&call.UserScreenShareChanged{CallID: "c1", UserID: "alice", IsSharing: true})
			},
			func(t *testing.T, r *uiRig) { test.Tap(button(t, r.win.Canvas(), "Stop sharing")) }, "StopScreenShare"},
		{"typing Enter while ringing accepts",
			func(r *uiRig) { r.screenContacts(); r.ringing(video, false) },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyReturn) }, "Accept"},
		{"typing Esc while ringing declines",
			func(r *uiRig) { r.screenContacts(); r.ringing(video, false) },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyEscape) }, "Reject"},
		{"typing Esc in a call hangs up",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyEscape) }, "Hangup"},
		{"typing M on the contact list does nothing",
			func(r *uiRig) { r.screenContacts() },
			func(t *testing.T, r *uiRig) { typeKey(r, fyne.KeyM) }, ""},
		{"signing in from the form logs in with what was typed",
			func(r *uiRig) {},
			func(t *testing.T, r *uiRig) {
				test.Type(r.ui.login.server, "ws://127.0.0.1:8443/ws")
				test.Type(r.ui.login.user, "alice")
				test.Tap(r.ui.login.signIn)
			}, "Login"},
		{"picking a camera in the call's Devices dialog switches the camera",
			func(r *uiRig) { r.screenCall1v1() },
			func(t *testing.T, r *uiRig) {
				test.Tap(r.ui.inCall.devices)
				var sel *widget.Select
				for _, o := range test.LaidOutObjects(r.win.Canvas().Overlays().Top()) {
					if s, ok := o.(*widget.Select); ok && len(s.Options) > 0 && strings.Contains(s.Options[0], "pattern") {
						sel = s
					}
				}
				if sel == nil {
					t.Fatal("no camera picker in the Devices dialog")
				}
				sel.SetSelected(sel.Options[0])
			}, "SwitchCamera"},
		{"picking a microphone in the settings selects it",
			func(r *uiRig) { r.screenSettings() },
			func(t *testing.T, r *uiRig) {
				sel := find(t, r.win.Canvas(), func(s *widget.Select) bool { return len(s.Options) > 0 && strings.Contains(s.Options[0], "tone") })
				sel.SetSelected(sel.Options[0])
			}, "SelectMicrophone"},
		{"unticking Cancel echo in the settings turns echo cancellation off",
			func(r *uiRig) { r.screenSettings() },
			func(t *testing.T, r *uiRig) {
				c := find(t, r.win.Canvas(), func(c *widget.Check) bool { return c.Text == "Cancel echo" })
				if !c.Checked {
					t.Fatal("Cancel echo is not ticked by default")
				}
				test.Tap(c)
				if r.ui.m.settings.EchoCancellation() {
					t.Error("the setting is still on")
				}
			}, "SetEchoCancellation"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := newUIRig(t)
			row.setup(r)
			r.eng.Reset()
			row.tap(t, r)
			want(t, "engine calls", strings.Join(r.eng.Methods(), " "), row.methods)
		})
	}
}

func TestContactSearchFiltersTheList(t *testing.T) {
	r := newUIRig(t)
	r.screenContacts()
	test.Type(r.ui.list.search, "wal")
	want(t, "shown", len(r.ui.list.shown), 1)
	want(t, "who", r.ui.list.shown[0].Name(), "Erin Walsh")
	r.ui.list.search.SetText("nobody")
	want(t, "empty text", r.ui.list.empty.Text, "Nobody matches \u201cnobody\u201d.")
}

func TestTapOnTiles(t *testing.T) {
	t.Run("a tap on the remote video of a 1v1 call swaps it with the local preview", func(t *testing.T) {
		r := newUIRig(t)
		r.screenCall1v1()
		test.Tap(r.ui.inCall.tiles["bob"])
		want(t, "swapped", r.m.Call.Swapped, true)
		want(t, "large tile", r.ui.inCall.stage.Objects[0].(*tileView).local, true)
	})
	t.Run("a tap on a group tile enlarges it, a second tap returns to the grid", func(t *testing.T) {
		r := newUIRig(t)
		r.screenGroup4()
		test.Tap(r.ui.inCall.tiles["carol"])
		if _, ok := r.ui.inCall.stage.Layout.(focusLayout); !ok {
			t.Fatalf("layout is %T, want focusLayout", r.ui.inCall.stage.Layout)
		}
		want(t, "large tile", r.ui.inCall.stage.Objects[0].(*tileView).id, signaling.UserID("carol"))
		test.Tap(r.ui.inCall.tiles["carol"])
		if _, ok := r.ui.inCall.stage.Layout.(gridLayout); !ok {
			t.Fatalf("layout is %T, want gridLayout", r.ui.inCall.stage.Layout)
		}
	})
}

func TestVideoViews(t *testing.T) {
	r := newUIRig(t)
	r.screenContacts()
	r.m.CallUser("bob", signaling.Video)
	if r.eng.LocalSink() != r.ui.out.preview {
		t.Fatalf("the outgoing screen's preview is not the local preview's sink")
	}
	r.apply(&call.CallBegin{CallID: "c1", CallMediaType: signaling.Video, CallRole: signaling.RoleCaller})
	if r.eng.LocalSink() != r.ui.inCall.local.vid {
		t.Fatalf("in the call, the local tile is not the local preview's sink")
	}
	if r.eng.RemoteSink("bob") == nil {
		t.Fatal("no remote view started for bob")
	}
	tile := r.ui.inCall.tiles["bob"]
	tr := test.WidgetRenderer(tile).(*tileRenderer)
	if tile.vid.Image.Visible() || !tr.spinnerBox.Visible() {
		t.Fatal("before bob joins or sends video, his tile shows video or no spinner")
	}
	r.eng.SendRemoteFrame("bob", 64, 48, [4]uint8{255, 0, 0, 255})
	if !tile.vid.HasFrame() || !tile.vid.Image.Visible() || tr.spinnerBox.Visible() {
		t.Fatal("bob's first frame does not replace the spinner and avatar in his tile")
	}
	r.apply(&call.UserJoin{CallID: "c1", UserID: "bob"})
	r.apply(&call.UserVideoAvailable{CallID: "c1", UserID: "bob", IsVideoAvailable: false})
	if tile.vid.Image.Visible() {
		t.Fatal("bob's camera is off but his tile shows video, not the avatar")
	}
	r.apply(&call.CallEnd{CallID: "c1", TotalTime: 1, Reason: signaling.ReasonHangup})
	if r.eng.RemoteSink("bob") != nil || r.eng.LocalSink() != nil {
		t.Fatal("views still started after the call ended")
	}
	want(t, "StopRemoteView calls", r.eng.Count("StopRemoteView"), 1)
}

func TestTileShowsTheMember(t *testing.T) {
	r := newUIRig(t)
	r.screenGroup4()
	carol := r.ui.inCall.tiles["carol"]
	rr := test.WidgetRenderer(carol).(*tileRenderer)
	want(t, "carol's mic-off icon", rr.micOff.Visible(), true)
	want(t, "carol's avatar", rr.avatar.Visible(), true)
	dave := test.WidgetRenderer(r.ui.inCall.tiles["dave"]).(*tileRenderer)
	want(t, "dave's spinner", dave.spinnerBox.Visible(), true)
	want(t, "dave's status", dave.status.Text, "Calling…")
	bob := test.WidgetRenderer(r.ui.inCall.tiles["bob"]).(*tileRenderer)
	want(t, "bob speaking", bob.outline.StrokeColor == colorAccept, true)
	want(t, "bob's video", bob.t.vid.Image.Visible(), true)
	want(t, "carol's bars lit", rr.bars[1].FillColor == colorDecline && rr.bars[2].FillColor == colorBarOff, true)
	want(t, "banner", r.ui.inCall.bannerText.Text, "The other party's network connection is poor")
	want(t, "timer", r.ui.inCall.timer.Text, "05:07")
	want(t, "title", r.ui.inCall.title.Text, "Group call · 4 people")
}

// While a member's media connection is lost, the engine rates them (and
// us) Down until it is restored: their tile says so, with a spinner,
// over the last frame, and stops saying so when the link is back.
func TestTileSaysReconnectingWhileTheLinkIsRestored(t *testing.T) {
	r := newUIRig(t)
	r.screenCall1v1()
	bob := test.WidgetRenderer(r.ui.inCall.tiles["bob"]).(*tileRenderer)
	local := test.WidgetRenderer(r.ui.inCall.local).(*tileRenderer)
	want(t, "bob's status before", bob.status.Visible(), false)
	want(t, "bob's spinner before", bob.spinnerBox.Visible(), false)

	r.apply(&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{
		"alice": media.QualityDown, "bob": media.QualityDown,
	}})
	want(t, "bob's spinner while down", bob.spinnerBox.Visible(), true)
	want(t, "bob's status while down", bob.status.Visible(), true)
	want(t, "bob's status text while down", bob.status.Text, "Reconnecting…")
	want(t, "bob's last frame while down", bob.t.vid.Image.Visible(), true)
	want(t, "our own tile while down", local.status.Visible(), false)
	find(t, r.win.Canvas(), func(x *canvas.Text) bool { return x.Text == "Reconnecting…" })

	r.apply(&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: map[signaling.UserID]media.Quality{
		"alice": media.QualityGood, "bob": media.QualityGood,
	}})
	want(t, "bob's spinner once back", bob.spinnerBox.Visible(), false)
	want(t, "bob's status once back", bob.status.Visible(), false)
}

func TestSessionEndedDialogLeadsToLogin(t *testing.T) {
	r := newUIRig(t)
	r.screenCall1v1()
	r.apply(&call.KickedOffline{})
	c := r.win.Canvas()
	test.Tap(button(t, c, "Sign in again"))
	want(t, "screen", r.m.Screen, ScreenLogin)
	want(t, "dialog gone", r.m.Alert == nil, true)
	if c.Overlays().Top() != nil {
		t.Fatal("a dialog is still open")
	}
}

func TestSettingsAreKept(t *testing.T) {
	r := newUIRig(t)
	r.screenSettings()
	test.Tap(r.ui.set.ringtone)
	want(t, "ringtone", r.m.settings.Ringtone(), false)
	r.ui.set.theme.SetSelected("Dark")
	want(t, "theme", r.m.settings.Theme(), ThemeDark)
	if th, ok := r.app.Settings().Theme().(callaTheme); !ok || th.choice != ThemeDark {
		t.Fatalf("theme applied = %#v, want callaTheme dark", r.app.Settings().Theme())
	}
	r.ui.set.server.SetText("ws://10.0.0.1:1/ws")
	want(t, "server", r.m.settings.Server(), "ws://10.0.0.1:1/ws")
}

func TestToastsShowAndGo(t *testing.T) {
	r := newUIRig(t)
	r.screenContacts()
	r.apply(&call.Error{Code: signaling.CodeSignalingSendFail, Message: "dial tcp: refused"})
	want(t, "toasts shown", len(r.ui.toastBox.Objects), 1)
	md := test.RenderObjectToMarkup(r.ui.toastBox)
	if !strings.Contains(md, "Calla could not reach the server.") || !strings.Contains(md, "Check your network connection") {
		t.Fatalf("toast markup lacks the message:\n%s", md)
	}
	r.clock.advance(errorToastLife)
	r.m.Tick()
	want(t, "toasts after their time", len(r.ui.toastBox.Objects), 0)
}

func TestSpinnersTurnOnlyOnScreen(t *testing.T) {
	r := newUIRig(t)
	r.screenContacts()
	r.ringing(signaling.Video, false)
	bob := r.ui.inCall.tiles["bob"]
	if bob == nil || bob.animated {
		t.Fatalf("while ringing, bob's tile is %v: want it made (the engine's sink) but not animated", bob)
	}
	r.m.Accept()
	want(t, "animated in the call", bob.animated, true)
	r.m.Hangup()
	want(t, "animated after the call", bob.animated, false)
}

// TestToastsKeepClearOfTheFloatingTile: in a 1v1 call the small tile
// floats over the big one at the bottom right, where the toasts are; no
// toast may lie under or over it, whatever the window's size, the number
// of toasts, the swap, or the kind of call.
func TestToastsKeepClearOfTheFloatingTile(t *testing.T) {
	long := "Switched to a voice call, and this toast is long enough to wrap onto a second line at the narrowest width"
	for _, size := range []fyne.Size{windowSize, fyne.NewSize(1280, 800), fyne.NewSize(700, 500), fyne.NewSize(560, 420)} {
		t.Run(fmt.Sprintf("%vx%v", size.Width, size.Height), func(t *testing.T) {
			r := newUIRig(t)
			r.win.Resize(size)
			r.screenCall1v1()
			r.m.toast("Bob is busy")
			r.m.toast("Carol left")
			r.m.toast(long)
			r.m.flush()
			for _, step := range []struct {
				name string
				do   func()
			}{
				{"video", func() {}},
				{"swapped", func() { r.m.FocusTile("bob") }},
				{"voice", func() {
					r.apply(&call.CallMediaTypeChanged{CallID: "c1", OldCallMediaType: signaling.Video, NewCallMediaType: signaling.Audio})
				}},
			} {
				step.do()
				tile := r.ui.inCall.floating()
				if tile == nil {
					t.Fatalf("%s: no floating tile in a 1v1 call", step.name)
				}
				d := r.app.Driver()
				tp, ts := d.AbsolutePositionForObject(tile), tile.Size()
				if len(r.ui.toastBox.Objects) != 3 {
					t.Fatalf("%s: %d toasts shown, want 3", step.name, len(r.ui.toastBox.Objects))
				}
				for i, o := range r.ui.toastBox.Objects {
					op := d.AbsolutePositionForObject(o)
					if overlaps(op.X, op.Y, o.Size().Width, o.Size().Height, tp, ts) {
						t.Errorf("%s: toast %d at %v size %v overlaps the floating tile at %v size %v", step.name, i, op, o.Size(), tp, ts)
					}
					if op.X < 0 || op.Y < 0 || op.X+o.Size().Width > size.Width {
						t.Errorf("%s: toast %d at %v size %v is outside the %v window", step.name, i, op, o.Size(), size)
					}
				}
			}
		})
	}
}

// TestSourceNoteGoesWithTheCall: the "Test pattern and tone" line shows
// over the call while test sources stand in, and is gone from the contact
// list once the call has ended.
func TestSourceNoteGoesWithTheCall(t *testing.T) {
	r := newUIRig(t)
	r.screenCall1v1()
	r.apply(&call.MediaSourceChanged{Kind: "camera", IsTestSource: true}, &call.MediaSourceChanged{Kind: "microphone", IsTestSource: true})
	if !r.ui.sourceNote.Visible() || r.ui.sourceNote.Text != "Test pattern and tone — no camera or microphone found" {
		t.Fatalf("in the call: note visible %v, %q", r.ui.sourceNote.Visible(), r.ui.sourceNote.Text)
	}
	r.apply(&call.CallEnd{CallID: "c1", TotalTime: 83, Reason: signaling.ReasonHangup})
	want(t, "screen", r.m.Screen, ScreenContacts)
	if r.ui.sourceNote.Visible() {
		t.Fatalf("after the call the contact list still shows %q", r.ui.sourceNote.Text)
	}
}

// TestVoiceToVideoAndBack: a voice call shows Video (not Voice only or the
// camera); once onCallMediaTypeChanged says video, the local tile starts
// the preview and the controls are a video call's; back to voice, they
// are a voice call's again.
func TestVoiceToVideoAndBack(t *testing.T) {
	r := newUIRig(t)
	r.screenContacts()
	r.connected(signaling.Audio, false)
	v := r.ui.inCall
	shown := func() string {
		var out []string
		for _, b := range []*widget.Button{v.camera, v.toAudio, v.toVideo} {
			if b.Visible() {
				out = append(out, b.Text)
			}
		}
		return strings.Join(out, ",")
	}
	want(t, "voice call's buttons", shown(), "Video")
	want(t, "preview in a voice call", r.eng.LocalSink() == nil, true)

	r.apply(&call.CallMediaTypeChanged{CallID: "c1", OldCallMediaType: signaling.Audio, NewCallMediaType: signaling.Video})
	want(t, "video call's buttons", shown(), "Stop video,Voice only")
	if r.eng.LocalSink() != call.VideoSink(v.local.vid) {
		t.Fatal("the local tile did not start the preview")
	}
	r.eng.RemoteSink("bob").OfferFrame(testPattern(64, 48, 0), func() {})
	r.eng.LocalSink().OfferFrame(testPattern(64, 48, 0), func() {})
	want(t, "bob's tile shows video", v.tiles["bob"].showsVideo(), true)
	want(t, "own tile shows video", v.local.showsVideo(), true)

	r.apply(&call.CallMediaTypeChanged{CallID: "c1", OldCallMediaType: signaling.Video, NewCallMediaType: signaling.Audio})
	want(t, "voice call's buttons again", shown(), "Video")
	want(t, "preview stopped", r.eng.LocalSink() == nil, true)
	want(t, "bob's tile shows his avatar", v.tiles["bob"].showsVideo(), false)
}

// screens are n screens to share, as Devices lists them.
func screens(n int) []call.Device {
	var ds []call.Device
	for i := 1; i <= n; i++ {
		ds = append(ds, call.Device{ID: fmt.Sprintf("scr%d", i), Label: fmt.Sprintf("Screen %d", i), Kind: "screen"})
	}
	return ds
}

// TestScreenShareOnScreen: a member's shared screen shows in their tile,
// named as their screen; one's own share names one's tile and shows the
// preview even with the camera off; no screen to share says why.
func TestScreenShareOnScreen(t *testing.T) {
	r := newUIRig(t)
	r.screenCall1v1()
	r.apply(&call.UserScreenShareChanged{CallID: "c1", UserID: "bob", IsSharing: true})
	want(t, "bob's tile", r.ui.inCall.tiles["bob"].name, "Bob's screen")
	r.m.ToggleCamera() // camera off
	r.apply(&call.UserScreenShareChanged{CallID: "c1", UserID: "alice", IsSharing: true})
	want(t, "own tile", r.ui.inCall.local.name, "Your screen")
	if r.eng.LocalSink() == nil {
		t.Error("no preview of the shared screen with the camera off")
	}
	r.apply(&call.UserScreenShareChanged{CallID: "c1", UserID: "alice", IsSharing: false})
	want(t, "own tile after", r.ui.inCall.local.name, "You")

	r.eng.SetDevices(nil)
	r.m.ShareScreen()
	want(t, "toast", r.lastToast(), "There is no screen Calla can share.")
}

// TestTheIncomingDialogShowsTheCameraUnlessTheSettingsSayNo: a ringing
// video call's dialog asks the engine for the local preview (the one way
// the camera opens before Accept); with the setting off it does not, and
// a voice call never does.
func TestTheIncomingDialogShowsTheCameraUnlessTheSettingsSayNo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		preview bool
		mt      signaling.MediaType
		want    int
	}{
		{"a video call with the preview on shows the camera", true, signaling.Video, 1},
		{"a video call with the preview off leaves the camera off", false, signaling.Video, 0},
		{"a voice call has no preview", true, signaling.Audio, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newUIRig(t)
			r.screenContacts()
			r.m.settings.SetRingPreview(tc.preview)
			r.ringing(tc.mt, false)
			if got := r.eng.Count("StartLocalPreview"); got != tc.want {
				t.Fatalf("StartLocalPreview called %d times while ringing, want %d", got, tc.want)
			}
			// Accepting moves the preview to the call's own tile, without
			// closing the camera in between.
			r.m.Accept()
			if tc.want > 0 && r.eng.Count("StopLocalPreview") != 0 {
				t.Error("the preview stopped between the dialog and the call")
			}
		})
	}
}
