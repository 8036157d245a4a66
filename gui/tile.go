package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// tileView is one person's tile in a call: their video, or their avatar
// when the camera is off or the call is a voice call, with the name, a
// mic-off icon, a speaking outline (volume above 10), network-quality bars
// and, while they are still being invited or connecting, or while their
// lost connection is being restored, a spinner and what is going on.
// Tapping it calls onTap (swap or enlarge).
type tileView struct {
	widget.BaseWidget

	id     signaling.UserID
	name   string
	avatar string // the avatar's URL
	local  bool
	member Member
	video  bool // the call is a video call
	small  bool // the small local preview of a 1v1 call: fewer overlays
	// animated lets the spinner turn: the tile is on screen.
	animated bool
	vid      *videoView
	onTap    func()
}

func newTileView(id signaling.UserID, local bool, do func(func()), onTap func()) *tileView {
	t := &tileView{id: id, local: local, vid: newVideoView(do), onTap: onTap}
	t.vid.onFirstFrame = t.Refresh
	t.ExtendBaseWidget(t)
	return t
}

// update shows m; on the UI goroutine. It refreshes only when something
// the tile shows changed (volume events come every 300 ms per member).
func (t *tileView) update(name, avatar string, m Member, video bool) {
	if t.name == name && t.avatar == avatar && t.member == m && t.video == video {
		return
	}
	if (t.member.VideoOn && !m.VideoOn) || (t.video && !video) {
		t.vid.clear() // no stale frame when the camera comes back
	}
	t.name, t.avatar, t.member, t.video = name, avatar, m, video
	t.Refresh()
}

// setAnimated lets the spinner turn (the tile is on screen) or stops it.
func (t *tileView) setAnimated(on bool) {
	if t.animated != on {
		t.animated = on
		t.Refresh()
	}
}

// Tapped implements fyne.Tappable.
func (t *tileView) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

// showsVideo reports whether the tile shows video rather than the avatar:
// in a video call, with the camera on, once the member joined or their
// frames arrive (media can flow before the engine's onUserJoin does).
func (t *tileView) showsVideo() bool {
	return t.video && t.member.VideoOn && (t.local || t.member.State == TileJoined || t.vid.HasFrame())
}

func (t *tileView) CreateRenderer() fyne.WidgetRenderer {
	r := &tileRenderer{
		t:        t,
		bg:       canvas.NewRectangle(colorTile),
		outline:  canvas.NewRectangle(color.Transparent),
		avatar:   newAvatar(string(t.id), t.name, 72),
		spinner:  widget.NewActivity(),
		status:   canvas.NewText("", colorTileText),
		nameBack: canvas.NewRectangle(color.NRGBA{A: 0x99}),
		name:     canvas.NewText("", colorTileText),
		micOff:   canvas.NewImageFromResource(iconMicOffAlert),
	}
	// The tile is dark in both themes: its spinner uses the dark theme's
	// light foreground.
	r.spinnerBox = container.NewThemeOverride(r.spinner, callaTheme{choice: ThemeDark})
	// Square: a rounded rectangle costs a shader pass over its whole
	// area on every repaint, and a tile repaints with every frame (under
	// Xvfb's software GL, rounding took a 1v1 call from 47 % to 65 % of
	// a core).
	r.outline.StrokeWidth = 3
	r.nameBack.CornerRadius = 4
	r.status.Alignment = fyne.TextAlignCenter
	r.status.TextSize = theme.CaptionTextSize()
	r.name.TextSize = theme.CaptionTextSize() + 1
	r.micOff.FillMode = canvas.ImageFillContain
	for i := range r.bars {
		r.bars[i] = canvas.NewRectangle(colorBarOff)
	}
	r.Refresh()
	return r
}

type tileRenderer struct {
	t          *tileView
	bg         *canvas.Rectangle
	outline    *canvas.Rectangle
	avatar     *avatar
	spinner    *widget.Activity
	spinnerBox *container.ThemeOverride
	status     *canvas.Text
	nameBack   *canvas.Rectangle
	name       *canvas.Text
	micOff     *canvas.Image
	bars       [5]*canvas.Rectangle
}

func (r *tileRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.t.vid.Image, r.avatar, r.spinnerBox, r.status, r.nameBack, r.name, r.micOff}
	for _, b := range r.bars {
		objs = append(objs, b)
	}
	return append(objs, r.outline)
}

func (r *tileRenderer) MinSize() fyne.Size {
	if r.t.small {
		return fyne.NewSize(120, 90)
	}
	return fyne.NewSize(160, 120)
}

func (r *tileRenderer) Destroy() { r.spinner.Stop() }

func (r *tileRenderer) Layout(s fyne.Size) {
	pad := theme.Padding()
	r.bg.Resize(s)
	r.outline.Resize(s)
	r.t.vid.Image.Move(fyne.NewPos(0, 0))
	r.t.vid.Image.Resize(s)

	ad := min(max(min(s.Width, s.Height)*0.4, 24), 120)
	r.avatar.Move(fyne.NewPos((s.Width-ad)/2, (s.Height-ad)/2-ad*0.15))
	r.avatar.Resize(fyne.NewSquareSize(ad))
	sp := r.spinner.MinSize()
	r.spinnerBox.Move(fyne.NewPos((s.Width-sp.Width)/2, (s.Height+ad)/2-ad*0.15+pad))
	r.spinnerBox.Resize(sp)
	st := r.status.MinSize()
	r.status.Move(fyne.NewPos((s.Width-st.Width)/2, (s.Height+ad)/2-ad*0.15+pad+sp.Height))
	r.status.Resize(st)

	ns := r.name.MinSize()
	icon := ns.Height
	x := 2 * pad
	y := s.Height - ns.Height - 2*pad
	w := ns.Width + 2*pad
	if r.micOff.Visible() {
		w += icon + pad
	}
	r.nameBack.Move(fyne.NewPos(x-pad, y-pad/2))
	r.nameBack.Resize(fyne.NewSize(w, ns.Height+pad))
	r.micOff.Move(fyne.NewPos(x, y))
	r.micOff.Resize(fyne.NewSquareSize(icon))
	nx := x
	if r.micOff.Visible() {
		nx += icon + pad
	}
	r.name.Move(fyne.NewPos(nx, y))
	r.name.Resize(ns)

	const barW, gap = 3, 2
	bx := s.Width - 2*pad - 5*barW - 4*gap
	for i, b := range r.bars {
		h := float32(4 + 3*i)
		b.Move(fyne.NewPos(bx+float32(i)*(barW+gap), 2*pad+16-h))
		b.Resize(fyne.NewSize(barW, h))
	}
}

func (r *tileRenderer) Refresh() {
	t := r.t
	m := t.member
	video := t.showsVideo()
	setVisible(t.vid.Image, video)
	setVisible(r.avatar, !video)
	r.avatar.set(string(t.id), t.name, t.avatar)

	waiting := !t.local && m.State != TileJoined && !t.vid.HasFrame()
	reconnecting := !t.local && m.Reconnecting()
	busy := waiting || reconnecting
	setVisible(r.spinnerBox, busy)
	setVisible(r.status, busy)
	if busy && t.animated {
		r.spinner.Start()
	} else {
		r.spinner.Stop()
	}
	switch {
	case reconnecting:
		r.status.Text = lang.L("Reconnecting…")
	case waiting && m.State == TileInviting:
		r.status.Text = lang.L("Calling…")
	case waiting:
		r.status.Text = lang.L("Connecting…")
	default:
		r.status.Text = ""
	}

	r.name.Text = t.name
	setVisible(r.micOff, !m.AudioOn)

	// Hidden rather than transparent when silent: see the background.
	speaking := m.Speaking() && m.AudioOn
	r.outline.StrokeColor = colorAccept
	r.outline.Hidden = !speaking

	lit := m.QualityBars()
	showBars := !t.small && m.Quality != media.QualityUnknown
	for i, b := range r.bars {
		b.Hidden = !showBars
		switch {
		case m.Quality == media.QualityDown:
			b.FillColor = colorDecline
		case i < lit && lit >= 4:
			b.FillColor = colorAccept
		case i < lit && lit == 3:
			b.FillColor = colorWarning
		case i < lit:
			b.FillColor = colorDecline
		default:
			b.FillColor = colorBarOff
		}
	}
	r.Layout(t.Size())
	canvas.Refresh(t)
}

// setVisible shows or hides o and reports whether that changed anything;
// the container holding o then needs a Refresh to lay out again.
func setVisible(o fyne.CanvasObject, v bool) bool {
	if o.Visible() == v {
		return false
	}
	if v {
		o.Show()
	} else {
		o.Hide()
	}
	return true
}

// relayout refreshes containers, innermost first, so that they lay out
// again after a child was shown or hidden.
func relayout(objs ...fyne.CanvasObject) {
	for _, o := range objs {
		o.Refresh()
	}
}
