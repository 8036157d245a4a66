package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/signaling"
)

// contactsView is the home screen: the directory with presence, a search
// field, a voice and a video call button per contact, and check boxes to
// pick several people for a group call.
type contactsView struct {
	u       *ui
	obj     fyne.CanvasObject
	top     *fyne.Container
	me      *widget.Label
	search  *widget.Entry
	list    *widget.List
	empty   *widget.Label
	hint    *widget.Label
	group   *fyne.Container
	picked  *widget.Label
	shown   []Contact
	history *widget.Button
	// running lists the group calls the user can go back to.
	running *fyne.Container
	joinSig string
}

func newContactsView(u *ui) *contactsView {
	v := &contactsView{u: u}
	v.me = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder(lang.L("Search contacts"))
	v.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	v.search.OnChanged = u.m.SetFilter

	v.list = widget.NewList(
		func() int { return len(v.shown) },
		func() fyne.CanvasObject { return newContactRow(u) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(v.shown) {
				o.(*contactRow).set(v.shown[id], u.m.Contacts.IsPicked(v.shown[id].ID))
			}
		},
	)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() } // rows act through their buttons
	v.empty = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.empty.Wrapping = fyne.TextWrapWord
	v.hint = widget.NewLabelWithStyle(lang.L("Try a video call with Echo Test: it sends your own video and voice back."), fyne.TextAlignCenter, fyne.TextStyle{})
	v.hint.Wrapping = fyne.TextWrapWord

	v.picked = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	groupAudio := widget.NewButtonWithIcon(lang.L("Group voice call"), iconPhone, func() {
		u.m.GroupCall(u.m.Contacts.Picked(), signaling.Audio)
	})
	groupVideo := widget.NewButtonWithIcon(lang.L("Group video call"), iconCamera, func() {
		u.m.GroupCall(u.m.Contacts.Picked(), signaling.Video)
	})
	groupVideo.Importance = widget.HighImportance
	clearPicks := widget.NewButton(lang.L("Clear"), u.m.ClearPicks)
	clearPicks.Importance = widget.LowImportance
	v.group = container.NewVBox(widget.NewSeparator(), container.NewHBox(v.picked, layout.NewSpacer(), clearPicks, groupAudio, groupVideo))

	v.history = widget.NewButtonWithIcon(lang.L("History"), theme.HistoryIcon(), func() { u.m.ShowScreen(ScreenHistory) })
	settings := widget.NewButtonWithIcon("", theme.SettingsIcon(), func() { u.m.ShowScreen(ScreenSettings) })
	logout := widget.NewButtonWithIcon("", theme.LogoutIcon(), u.m.Logout)
	for _, b := range []*widget.Button{v.history, settings, logout} {
		b.Importance = widget.LowImportance
	}
	if u.m.Local {
		logout.Hide() // local mode has nobody else to sign in as
	}
	v.running = container.NewVBox()
	v.running.Hide()
	v.top = container.NewVBox(
		container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(theme.AccountIcon()), v.me), container.NewHBox(v.history, settings, logout)),
		widget.NewSeparator(),
		v.running,
		v.hint,
		v.search,
	)
	v.obj = container.NewBorder(v.top, v.group, nil, nil, container.NewStack(v.list, container.NewCenter(container.New(widthLayout{420}, v.empty))))
	return v
}

func (v *contactsView) object() fyne.CanvasObject { return v.obj }

func (v *contactsView) setShown(bool) {}

func (v *contactsView) refresh(p Part) {
	m := v.u.m
	if p&PartLogin != 0 || p&PartContacts != 0 {
		v.me.SetText(string(m.Self))
	}
	if p&(PartContacts|PartHistory|PartCall) != 0 && v.refreshRunning() {
		relayout(v.top, v.obj)
	}
	if p&PartContacts == 0 {
		return
	}
	v.shown = m.Contacts.Visible()
	v.list.Refresh()
	switch {
	case len(v.shown) > 0:
		v.empty.Hide()
	case m.Contacts.Filter() != "":
		v.empty.SetText(lang.L("Nobody matches “{{.Search}}”.", map[string]any{"Search": m.Contacts.Filter()}))
		v.empty.Show()
	default:
		v.empty.SetText(lang.L("No contacts yet. People who sign in to the same server appear here."))
		v.empty.Show()
	}
	changed := setVisible(v.hint, m.Local)
	n := len(m.Contacts.picked)
	v.picked.SetText(lang.N("{{.Count}} people picked", n, map[string]any{"Count": n}))
	changed = setVisible(v.group, n > 0) || changed
	if changed {
		relayout(v.top, v.obj)
	}
}

// refreshRunning shows a card per group call the user can join (at most
// two) and reports whether the cards changed.
func (v *contactsView) refreshRunning() bool {
	m := v.u.m
	js := m.Joinable()
	if len(js) > 2 {
		js = js[:2]
	}
	sig := ""
	for _, o := range js {
		sig += string(o.Entry.Group) + o.Entry.At.String() + m.names(o.Entry.Peers) + o.GroupName + "|"
	}
	if sig == v.joinSig {
		return false
	}
	v.joinSig = sig
	v.running.Objects = nil
	for _, o := range js {
		e := o.Entry
		join := widget.NewButtonWithIcon(lang.L("Join"), iconPhone, func() { m.JoinCall(e) })
		if e.MediaType == signaling.Video {
			join.SetIcon(iconCamera)
		}
		join.Importance = widget.SuccessImportance
		what := lang.L("A group call with {{.Names}} is going on", map[string]any{"Names": m.names(e.Peers)})
		if o.GroupName != "" {
			what = lang.L("{{.Group}} has a call going on", map[string]any{"Group": o.GroupName})
		}
		text := widget.NewLabel(what)
		text.Truncation = fyne.TextTruncateEllipsis
		v.running.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), join, text))
	}
	setVisible(v.running, len(js) > 0)
	return true
}

// contactRow is one line of the contact list.
type contactRow struct {
	widget.BaseWidget
	u        *ui
	c        Contact
	pick     *widget.Check
	avatar   *avatar
	name     *widget.Label
	dot      *canvas.Circle
	presence *widget.Label
	audio    *widget.Button
	video    *widget.Button
	content  fyne.CanvasObject
	updating bool
}

func newContactRow(u *ui) *contactRow {
	r := &contactRow{u: u}
	r.pick = widget.NewCheck("", func(bool) {
		if !r.updating {
			u.m.TogglePick(r.c.ID)
		}
	})
	r.avatar = newAvatar("", "", 36)
	r.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.dot = canvas.NewCircle(color.Transparent)
	r.presence = widget.NewLabel("")
	r.presence.SizeName = theme.SizeNameCaptionText
	r.audio = widget.NewButtonWithIcon("", iconPhone, func() { u.m.CallUser(r.c.ID, signaling.Audio) })
	r.video = widget.NewButtonWithIcon("", iconCamera, func() { u.m.CallUser(r.c.ID, signaling.Video) })
	r.video.Importance = widget.HighImportance
	dot := container.New(fixedSize{fyne.NewSquareSize(10)}, r.dot)
	text := container.NewVBox(r.name, container.NewHBox(container.NewCenter(dot), r.presence))
	text.Objects[0].(*widget.Label).Truncation = fyne.TextTruncateEllipsis
	r.content = container.NewBorder(nil, nil,
		container.NewHBox(r.pick, container.NewCenter(r.avatar)),
		container.NewHBox(container.NewCenter(r.audio), container.NewCenter(r.video)),
		text)
	r.ExtendBaseWidget(r)
	return r
}

func (r *contactRow) set(c Contact, picked bool) {
	r.c = c
	r.updating = true
	r.pick.SetChecked(picked)
	r.updating = false
	r.avatar.set(string(c.ID), c.Name(), c.AvatarURL)
	r.name.SetText(c.Name())
	r.presence.SetText(c.PresenceText())
	switch c.Presence {
	case signaling.Online:
		r.dot.FillColor = colorAccept
	case signaling.InCall:
		r.dot.FillColor = colorWarning
	default:
		r.dot.FillColor = colorBarOff
	}
	r.dot.Refresh()
	if c.IsEcho {
		r.pick.Hide() // the bot answers 1v1 calls only
	} else {
		r.pick.Show()
	}
}

func (r *contactRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.content)
}

// fixedSize gives its objects one fixed size.
type fixedSize struct{ size fyne.Size }

func (l fixedSize) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	for _, o := range objs {
		o.Resize(l.size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (l fixedSize) MinSize([]fyne.CanvasObject) fyne.Size { return l.size }
