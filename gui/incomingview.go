package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/signaling"
)

// incomingView is the ringing dialog: the caller, the kind of call, the
// other members of a group call, the user's own camera for a video call
// (unless the settings turn it off), and Decline, Accept as audio, Accept.
type incomingView struct {
	u       *ui
	obj     fyne.CanvasObject
	preview *videoView
	frame   *fyne.Container // holds the preview at its size
	title   *widget.Label
	avatar  *avatar
	caller  *widget.Label
	text    *widget.Label
	also    *widget.Label
	decline *widget.Button
	asAudio *widget.Button
	accept  *widget.Button
	buttons *fyne.Container
	card    *fyne.Container
}

func newIncomingView(u *ui) *incomingView {
	v := &incomingView{u: u, preview: newVideoView(u.videoDo)}
	v.frame = container.NewGridWrap(fyne.NewSize(240, 180), container.NewStack(canvas.NewRectangle(colorTile), v.preview.Image))
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.avatar = newAvatar("", "", 96)
	v.caller = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	v.caller.SizeName = theme.SizeNameHeadingText
	v.text = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.also = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.also.Wrapping = fyne.TextWrapWord
	v.decline = widget.NewButtonWithIcon(lang.L("Decline"), iconHangup, u.m.Decline)
	v.decline.Importance = widget.DangerImportance
	v.asAudio = widget.NewButtonWithIcon(lang.L("Voice only"), iconPhone, u.m.AcceptAsAudio)
	v.accept = widget.NewButtonWithIcon(lang.L("Accept"), iconPhone, u.m.Accept)
	v.accept.Importance = widget.SuccessImportance
	v.buttons = container.NewGridWithRows(1, v.decline, v.asAudio, v.accept)
	v.card = container.NewVBox(v.title, container.NewCenter(v.avatar), v.caller, v.text, v.also, container.NewCenter(v.frame), v.buttons)
	v.obj = container.New(widthLayout{420}, container.NewPadded(v.card))
	return v
}

func (v *incomingView) object() fyne.CanvasObject { return v.obj }

func (v *incomingView) refresh() {
	m := v.u.m
	c := &m.Call
	v.title.SetText(m.IncomingTitle())
	v.avatar.set(string(c.Caller), m.Name(c.Caller), m.Avatar(c.Caller))
	v.caller.SetText(m.Name(c.Caller))
	v.text.SetText(m.IncomingText())
	also := m.AlsoOnCall()
	v.also.SetText(also)
	changed := setVisible(v.also, also != "")
	video := c.MediaType == signaling.Video
	changed = setVisible(v.asAudio, video) || changed
	changed = setVisible(v.frame, video && m.settings.RingPreview()) || changed
	if changed {
		relayout(v.buttons, v.card, v.obj)
	}
	if video {
		v.accept.SetIcon(iconCamera)
	} else {
		v.accept.SetIcon(iconPhone)
	}
}
