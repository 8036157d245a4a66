package gui

import (
	"fmt"
	"slices"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/signaling"
)

// callView is the in-call screen: the tiles, the timer, the bad-network
// banner and the controls (mic, camera, devices, switch to audio or to
// video, invite, hang up).
type callView struct {
	u          *ui
	obj        fyne.CanvasObject
	title      *widget.Label
	timer      *widget.Label
	network    *widget.Label // how the call is connected: NetworkText
	banner     *fyne.Container
	bannerText *canvas.Text
	stage      *fyne.Container // the tiles, in one of the three layouts
	local      *tileView
	tiles      map[signaling.UserID]*tileView

	mic     *widget.Button
	camera  *widget.Button
	devices *widget.Button
	toAudio *widget.Button
	toVideo *widget.Button
	share   *widget.Button
	invite  *widget.Button
	hangup  *widget.Button

	devicesForm fyne.CanvasObject // made on first use, kept for the next
	picker      dialog.Dialog     // the screen picker while it shows
	stageSig    string            // what the stage shows now: layout and tiles
	shown       bool
	top         *fyne.Container
	controls    *fyne.Container
}

func newCallView(u *ui) *callView {
	v := &callView{u: u, tiles: map[signaling.UserID]*tileView{}}
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.timer = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.network = widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{})
	v.network.Truncation = fyne.TextTruncateEllipsis
	v.bannerText = canvas.NewText("", colorTileText)
	v.bannerText.TextStyle.Bold = true
	v.banner = container.NewStack(canvas.NewRectangle(colorDecline), container.NewCenter(v.bannerText))
	v.banner.Hide()
	v.local = newTileView("", true, u.videoDo, func() { u.m.FocusTile(u.m.Self) })
	v.stage = container.New(gridLayout{})

	v.mic = widget.NewButtonWithIcon(lang.L("Mute"), iconMic, u.m.ToggleMic)
	v.camera = widget.NewButtonWithIcon(lang.L("Stop video"), iconCamera, u.m.ToggleCamera)
	v.devices = widget.NewButtonWithIcon(lang.L("Devices"), theme.SettingsIcon(), v.showDevices)
	v.toAudio = widget.NewButtonWithIcon(lang.L("Voice only"), iconPhone, u.m.SwitchToAudio)
	v.toVideo = widget.NewButtonWithIcon(lang.L("Video"), iconCamera, u.m.SwitchToVideo)
	v.share = widget.NewButtonWithIcon(lang.L("Share screen"), theme.ComputerIcon(), u.m.ShareScreen)
	v.invite = widget.NewButtonWithIcon(lang.L("Invite"), theme.ContentAddIcon(), v.showInvite)
	v.hangup = widget.NewButtonWithIcon(lang.L("Hang up"), iconHangup, u.m.Hangup)
	v.hangup.Importance = widget.DangerImportance

	v.top = container.NewVBox(
		container.NewGridWithColumns(3, v.title, v.timer, v.network),
		v.banner,
	)
	v.controls = container.NewHBox(layout.NewSpacer(), v.mic, v.camera, v.devices, v.share, v.toAudio, v.toVideo, v.invite, v.hangup, layout.NewSpacer())
	v.obj = container.NewBorder(container.NewPadded(v.top), container.NewPadded(v.controls), nil, nil, container.NewPadded(v.stage))
	return v
}

func (v *callView) object() fyne.CanvasObject { return v.obj }

// setShown lets the tiles' spinners turn only while the call is on
// screen (its tiles exist from the first ring, as the engine's sinks).
func (v *callView) setShown(on bool) {
	v.shown = on
	for _, t := range v.tiles {
		t.setAnimated(on)
	}
}

func (v *callView) refresh(p Part) {
	m := v.u.m
	c := &m.Call
	if p&PartTimer != 0 {
		v.timer.SetText(m.TimerText())
	}
	if p&(PartCall|PartContacts) == 0 {
		return
	}
	video := c.MediaType == signaling.Video

	title := lang.L("Call")
	switch {
	case c.IsGroup:
		n := len(c.Members) + 1
		title = lang.N("Group call · {{.Count}} people", n, map[string]any{"Count": n})
	case len(c.Members) == 1:
		title = m.Name(c.Members[0].ID)
	}
	if v.title.Text != title {
		v.title.SetText(title)
	}
	if nt := c.NetworkText(); v.network.Text != nt {
		v.network.SetText(nt)
	}
	if v.bannerText.Text != c.Banner {
		v.bannerText.Text = c.Banner
		v.bannerText.Refresh()
	}
	changed := setVisible(v.banner, c.Banner != "")

	v.syncTiles(video)

	micButton(v.mic, c.Local.AudioOn)
	cameraButton(v.camera, c.Local.VideoOn)
	changed = setVisible(v.camera, video) || changed
	changed = setVisible(v.toAudio, video && c.Phase == PhaseConnected) || changed
	changed = setVisible(v.toVideo, !video && c.Phase == PhaseConnected) || changed
	changed = setVisible(v.share, video && c.Phase == PhaseConnected) || changed
	shareButton(v.share, c.Local.Sharing)
	v.refreshScreenPicker()
	changed = setVisible(v.invite, c.IsGroup && c.Phase == PhaseConnected) || changed
	if changed {
		relayout(v.top, v.controls, v.obj)
	}
}

// syncTiles makes one tile per member (starting its remote view) and
// drops the tiles of members who left (stopping theirs), then lays the
// tiles out: a grid, a grid with one tile enlarged, or for a 1v1 call
// one tile large and the local one small.
func (v *callView) syncTiles(video bool) {
	m := v.u.m
	c := &m.Call
	keep := map[signaling.UserID]bool{}
	for _, mb := range c.Members {
		keep[mb.ID] = true
		t := v.tiles[mb.ID]
		if t == nil {
			id := mb.ID
			t = newTileView(id, false, v.u.videoDo, func() { m.FocusTile(id) })
			t.animated = v.shown
			v.tiles[id] = t
			v.u.eng.StartRemoteView(id, t.vid)
		}
		name := m.Name(mb.ID)
		if mb.Sharing {
			name = lang.L("{{.Name}}'s screen", named(name))
		}
		t.update(name, m.Avatar(mb.ID), *mb, video)
	}
	for id, t := range v.tiles {
		if !keep[id] {
			v.u.eng.StopRemoteView(id)
			t.vid.clear()
			delete(v.tiles, id)
		}
	}
	local := c.Local
	local.ID = m.Self
	local.VideoOn = local.VideoOn || local.Sharing // the preview shows the shared screen
	v.local.id = m.Self
	you := lang.L("You")
	if local.Sharing {
		you = lang.L("Your screen")
	}
	v.local.update(you, m.Avatar(m.Self), local, video)

	ordered := make([]fyne.CanvasObject, 0, len(c.Members)+1)
	var lay fyne.Layout
	switch {
	case !c.IsGroup && len(c.Members) == 1:
		remote := v.tiles[c.Members[0].ID]
		big, small := fyne.CanvasObject(remote), fyne.CanvasObject(v.local)
		remote.small, v.local.small = false, true
		if c.Swapped {
			big, small = small, big
			remote.small, v.local.small = true, false
		}
		ordered = append(ordered, big, small)
		lay = pipLayout{}
	case c.Focus != "":
		lay = focusLayout{}
		if c.Focus == m.Self {
			ordered = append(ordered, v.local)
		} else if t := v.tiles[c.Focus]; t != nil {
			ordered = append(ordered, t)
		}
		if c.Focus != m.Self {
			ordered = append(ordered, v.local)
		}
		for _, mb := range c.Members {
			if mb.ID != c.Focus {
				ordered = append(ordered, v.tiles[mb.ID])
			}
		}
	default:
		lay = gridLayout{}
		v.local.small = false
		ordered = append(ordered, v.local)
		for _, mb := range c.Members {
			v.tiles[mb.ID].small = false
			ordered = append(ordered, v.tiles[mb.ID])
		}
	}
	// Volume and quality events come several times a second; the stage
	// is laid out again only when its tiles or their places change (a
	// container's Refresh refreshes every tile, video included).
	sig := fmt.Sprintf("%T", lay)
	for _, o := range ordered {
		t := o.(*tileView)
		sig += "|" + string(t.id) + strconv.FormatBool(t.small)
	}
	if sig == v.stageSig {
		return
	}
	v.stageSig = sig
	v.stage.Layout = lay
	v.stage.Objects = ordered
	v.stage.Refresh()
	if len(v.u.toastBox.Objects) > 0 {
		v.u.toastBox.Refresh() // the floating tile may have come, gone or moved
	}
}

// floating is the small tile that floats over the big one in a 1v1
// call, or nil.
func (v *callView) floating() *tileView {
	if _, ok := v.stage.Layout.(pipLayout); !ok || len(v.stage.Objects) < 2 {
		return nil
	}
	t, _ := v.stage.Objects[1].(*tileView)
	return t
}

// shareButton shows whether a screen is shared on its toggle.
func shareButton(b *widget.Button, sharing bool) {
	text, imp := lang.L("Share screen"), widget.MediumImportance
	if sharing {
		text, imp = lang.L("Stop sharing"), widget.WarningImportance
	}
	if b.Text != text {
		b.SetText(text)
		b.Importance = imp
		b.Refresh()
	}
}

// refreshScreenPicker shows the screens to pick from while the model
// offers a choice, and closes the picker when it no longer does.
func (v *callView) refreshScreenPicker() {
	choices := v.u.m.ScreenChoices
	if choices == nil {
		if v.picker != nil {
			v.picker.Hide()
			v.picker = nil
		}
		return
	}
	if v.picker != nil {
		return
	}
	labels := make([]string, len(choices))
	for i := range choices {
		labels[i] = lang.L("Screen {{.Number}}", map[string]any{"Number": i + 1})
	}
	radio := widget.NewRadioGroup(labels, nil)
	radio.Required = true
	radio.SetSelected(labels[0])
	d := dialog.NewCustomConfirm(lang.L("Share which screen?"), lang.L("Share"), lang.L("Cancel"), radio, func(ok bool) {
		v.picker = nil
		i := slices.Index(labels, radio.Selected)
		if !ok || i < 0 {
			v.u.m.CancelScreenChoice()
			return
		}
		v.u.m.ShareScreenID(choices[i].ID)
	}, v.u.win)
	v.picker = d
	d.Show()
}

// showDevices opens the device pickers over the call.
func (v *callView) showDevices() {
	v.u.m.LoadDevices()
	if v.devicesForm == nil {
		v.devicesForm = v.u.set.devicesForm()
	}
	d := dialog.NewCustom(lang.L("Devices"), lang.L("Done"), v.devicesForm, v.u.win)
	d.Resize(fyne.NewSize(420, 260))
	d.Show()
}

// showInvite opens the list of people who can be invited into the call.
func (v *callView) showInvite() {
	m := v.u.m
	cands := m.Invitable()
	if len(cands) == 0 {
		dialog.ShowInformation(lang.L("Invite"), lang.L("Nobody else is online to invite."), v.u.win)
		return
	}
	names := make([]string, len(cands))
	byName := map[string]signaling.UserID{}
	for i, c := range cands {
		names[i] = c.Name() + " (" + string(c.ID) + ")"
		byName[names[i]] = c.ID
	}
	group := widget.NewCheckGroup(names, nil)
	scroll := container.NewVScroll(group)
	scroll.SetMinSize(fyne.NewSize(320, 200))
	dialog.ShowCustomConfirm(lang.L("Invite to the call"), lang.L("Invite"), lang.L("Cancel"), scroll, func(ok bool) {
		if !ok {
			return
		}
		var users []signaling.UserID
		for _, n := range group.Selected {
			users = append(users, byName[n])
		}
		m.Invite(users)
	}, v.u.win)
}
