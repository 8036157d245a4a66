package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/signaling"
)

// view is one screen: its canvas object and how it shows the model.
type view interface {
	object() fyne.CanvasObject
	refresh(p Part)
	// setShown says whether the view is on screen: a view off screen
	// stops its spinners, whose animations would otherwise repaint the
	// window 60 times a second for nothing.
	setShown(on bool)
}

// ui is the window's content: the screens, the banners at the top, the
// toasts at the bottom, and the dialogs. It shows the Model and turns
// clicks and keys into the Model's actions.
//
// Concurrency: everything here runs on Fyne's UI goroutine, except the
// video views' OfferFrame (see videoView).
type ui struct {
	app fyne.App
	win fyne.Window
	m   *Model
	eng Engine
	do  func(func())
	// videoDo batches the video views' redraws into one paint per frame.
	videoDo func(func())

	screens map[Screen]view
	login   *loginView
	list    *contactsView
	out     *outgoingView
	inCall  *callView
	hist    *historyView
	set     *settingsView

	incoming *incomingView
	ringing  *widget.PopUp
	alert    dialog.Dialog

	holder     *fyne.Container // the current screen
	connBanner *fyne.Container
	connText   *canvas.Text
	sourceNote *widget.Label
	toastBox   *fyne.Container
	top        *fyne.Container
	main       *fyne.Container

	// preview is the sink of the local preview the engine writes to now,
	// nil when the preview is stopped.
	preview *videoView

	shown Screen
	// rebuilt, when set, is told of the ui that replaced this one (a new
	// language).
	rebuilt func(*ui)
}

func newUI(a fyne.App, w fyne.Window, m *Model, eng Engine, do func(func())) *ui {
	u := &ui{app: a, win: w, m: m, eng: eng, do: do, shown: -1}
	u.videoDo = newFrameBatcher(do, videoFramePeriod).run
	u.login = newLoginView(u)
	u.list = newContactsView(u)
	u.out = newOutgoingView(u)
	u.inCall = newCallView(u)
	u.hist = newHistoryView(u)
	u.set = newSettingsView(u)
	u.incoming = newIncomingView(u)
	u.screens = map[Screen]view{
		ScreenLogin: u.login, ScreenContacts: u.list, ScreenOutgoing: u.out,
		ScreenInCall: u.inCall, ScreenHistory: u.hist, ScreenSettings: u.set,
	}

	u.connText = canvas.NewText("", color.White)
	u.connText.TextStyle.Bold = true
	connBg := canvas.NewRectangle(colorWarning)
	u.connBanner = container.NewStack(connBg, container.NewCenter(u.connText))
	u.sourceNote = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	u.holder = container.NewStack()
	u.toastBox = container.New(&toastLayout{avoid: u.floatingTile})

	u.top = container.NewVBox(u.connBanner, u.sourceNote)
	u.main = container.NewBorder(u.top, nil, nil, nil, u.holder)
	w.SetContent(container.NewStack(u.main, u.toastBox))
	w.Canvas().SetOnTypedKey(u.typedKey)

	m.SetOnChange(u.refresh)
	u.refresh(^Part(0))
	return u
}

// refresh shows the parts of the model that changed.
func (u *ui) refresh(p Part) {
	if p&PartScreen != 0 || u.shown != u.m.Screen {
		u.showScreen()
		p = ^Part(0)
	}
	u.screens[u.m.Screen].refresh(p)
	if p&PartCall != 0 && u.m.Screen != ScreenInCall {
		// The call's tiles own the remote views: a call that ended (or
		// not yet shown) still starts and stops them.
		u.inCall.refresh(PartCall)
	}
	if p&(PartCall|PartTimer) != 0 {
		u.refreshRinging()
		u.syncPreview()
	}
	if p&PartBanner != 0 {
		u.refreshBanners()
	}
	if p&PartToasts != 0 {
		u.refreshToasts()
	}
	if p&PartAlert != 0 {
		u.refreshAlert()
	}
	if p&PartDevices != 0 {
		u.set.refreshDevices()
	}
}

func (u *ui) showScreen() {
	u.shown = u.m.Screen
	for s, v := range u.screens {
		v.setShown(s == u.m.Screen)
	}
	u.holder.Objects = []fyne.CanvasObject{u.screens[u.m.Screen].object()}
	u.holder.Refresh()
	u.refreshBanners()
}

func (u *ui) refreshBanners() {
	text := u.m.ConnectionBanner()
	u.connText.Text = text
	u.connText.Refresh()
	changed := setVisible(u.connBanner, text != "")
	note := u.m.SourceNote()
	u.sourceNote.SetText(note)
	changed = setVisible(u.sourceNote, note != "" && u.m.Screen != ScreenLogin) || changed
	if changed {
		relayout(u.top, u.main)
	}
}

// refreshRinging shows or hides the incoming-call dialog.
func (u *ui) refreshRinging() {
	ringing := u.m.Call.Phase == PhaseRinging
	if ringing {
		u.incoming.refresh()
		if u.ringing == nil {
			u.ringing = widget.NewModalPopUp(u.incoming.object(), u.win.Canvas())
			u.ringing.Show()
		}
		return
	}
	if u.ringing != nil {
		u.ringing.Hide()
		u.ringing = nil
	}
}

// syncPreview starts the local preview into the view that shows it now
// (the incoming dialog, the outgoing screen or the local tile) and stops
// it when nothing does. Moving to another view hands the engine the new
// sink without stopping: the camera of a call that rang with a preview
// stays open into the call. While a call rings, the preview is what
// makes the engine open the camera before Accept, so it asks only when
// the settings allow it.
func (u *ui) syncPreview() {
	var want *videoView
	c := &u.m.Call
	if c.MediaType == signaling.Video && (c.Local.VideoOn || c.Local.Sharing) {
		switch c.Phase {
		case PhaseRinging:
			if u.m.settings.RingPreview() {
				want = u.incoming.preview
			}
		case PhaseDialing:
			want = u.out.preview
		case PhaseConnecting, PhaseConnected:
			want = u.inCall.local.vid
		}
	}
	if want == u.preview {
		return
	}
	old := u.preview
	u.preview = want
	if want != nil {
		u.eng.StartLocalPreview(want)
	} else {
		u.eng.StopLocalPreview()
	}
	if old != nil {
		old.clear()
	}
}

func (u *ui) refreshToasts() {
	items := u.m.Toasts()
	objs := make([]fyne.CanvasObject, 0, len(items))
	for _, t := range items {
		objs = append(objs, newToastObject(t))
	}
	u.toastBox.Objects = objs
	u.toastBox.Refresh()
}

// relocalize shows the window in language l. The texts are set when the
// views are made, so the views are made again from the model; the old
// ones let go of the engine's sinks and their dialogs first.
func (u *ui) relocalize(l Language) {
	useLanguage(l)
	if u.ringing != nil {
		u.ringing.Hide()
		u.ringing = nil
	}
	if u.alert != nil {
		u.alert.SetOnClosed(nil) // not dismissed: the new ui shows it again
		u.alert.Hide()
		u.alert = nil
	}
	if u.preview != nil {
		u.eng.StopLocalPreview()
		u.preview = nil
	}
	n := newUI(u.app, u.win, u.m, u.eng, u.do)
	n.login.prefill(u.login.server.Text, u.login.user.Text, u.login.usersig.Text)
	n.rebuilt = u.rebuilt
	if n.rebuilt != nil {
		n.rebuilt(n)
	}
}

// floatingTile is where the small tile of a 1v1 call floats over the big
// one, in the toast box's coordinates; toasts keep clear of it.
func (u *ui) floatingTile() (fyne.Position, fyne.Size, bool) {
	if u.m.Screen != ScreenInCall {
		return fyne.Position{}, fyne.Size{}, false
	}
	small := u.inCall.floating()
	if small == nil {
		return fyne.Position{}, fyne.Size{}, false
	}
	d := u.app.Driver()
	pos := d.AbsolutePositionForObject(small).Subtract(d.AbsolutePositionForObject(u.toastBox))
	return pos, small.Size(), true
}

func (u *ui) refreshAlert() {
	a := u.m.Alert
	if a == nil {
		if u.alert != nil {
			u.alert.Hide()
			u.alert = nil
		}
		return
	}
	if u.alert != nil {
		return
	}
	msg := widget.NewLabel(a.Message)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(a.Title, a.Button, container.NewGridWrap(fyne.NewSize(360, 80), msg), u.win)
	d.SetOnClosed(func() {
		u.alert = nil
		u.m.DismissAlert()
	})
	u.alert = d
	d.Show()
}

// typedKey is the keyboard shortcuts: M mute, V camera (or video, in a
// voice call), S share the screen or stop, Enter accept,
// Esc decline or hang up. Keys typed into a text field go to the field,
// not here.
func (u *ui) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyM:
		u.m.ToggleMic()
	case fyne.KeyV:
		u.m.VideoKey()
	case fyne.KeyS:
		u.m.ShareScreen()
	case fyne.KeyReturn, fyne.KeyEnter:
		if u.m.Call.Phase == PhaseRinging {
			u.m.Accept()
		}
	case fyne.KeyEscape:
		switch u.m.Call.Phase {
		case PhaseRinging:
			u.m.Decline()
		case PhaseDialing, PhaseConnecting, PhaseConnected:
			u.m.Hangup()
		}
	}
}

// applyTheme sets the theme the user chose.
func (u *ui) applyTheme(t ThemeChoice) {
	u.app.Settings().SetTheme(callaTheme{choice: t})
}

// header is a screen's title bar: an optional back button, the title, and
// buttons on the right.
func header(title string, back func(), right ...fyne.CanvasObject) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var left fyne.CanvasObject = t
	if back != nil {
		b := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), back)
		b.Importance = widget.LowImportance
		left = container.NewHBox(b, t)
	}
	return container.NewVBox(
		container.NewBorder(nil, nil, left, container.NewHBox(right...)),
		widget.NewSeparator(),
	)
}
