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

// outgoingView is the screen while we wait for an answer: who we call,
// "waiting", the local camera behind it for a video call, and cancel.
type outgoingView struct {
	u        *ui
	obj      fyne.CanvasObject
	preview  *videoView
	shade    *canvas.Rectangle
	avatar   *avatar
	name     *canvas.Text
	status   *canvas.Text
	kind     *canvas.Text
	spinner  *widget.Activity
	mic      *widget.Button
	camera   *widget.Button
	cancel   *widget.Button
	controls *fyne.Container
	shown    bool
}

func newOutgoingView(u *ui) *outgoingView {
	v := &outgoingView{u: u, preview: newVideoView(u.videoDo)}
	bg := canvas.NewRectangle(colorTile)
	v.shade = canvas.NewRectangle(color.NRGBA{A: 0x80})
	v.avatar = newAvatar("", "", 112)
	v.name = canvas.NewText("", colorTileText)
	v.name.TextSize = theme.TextHeadingSize()
	v.name.TextStyle.Bold = true
	v.name.Alignment = fyne.TextAlignCenter
	v.status = canvas.NewText("", colorTileText)
	v.status.Alignment = fyne.TextAlignCenter
	v.kind = canvas.NewText("", colorTileText)
	v.kind.Alignment = fyne.TextAlignCenter
	v.kind.TextSize = theme.CaptionTextSize()
	v.spinner = widget.NewActivity()
	v.mic = widget.NewButtonWithIcon(lang.L("Mute"), iconMic, u.m.ToggleMic)
	v.camera = widget.NewButtonWithIcon(lang.L("Stop video"), iconCamera, u.m.ToggleCamera)
	v.cancel = widget.NewButtonWithIcon(lang.L("Cancel"), iconHangup, u.m.Hangup)
	v.cancel.Importance = widget.DangerImportance

	who := container.NewVBox(container.NewCenter(v.avatar), v.name, v.status, v.kind, container.NewCenter(v.spinner))
	v.controls = container.NewHBox(layout.NewSpacer(), v.mic, v.camera, v.cancel, layout.NewSpacer())
	v.obj = container.NewStack(bg, v.preview.Image, v.shade,
		container.NewBorder(nil, container.NewPadded(v.controls), nil, nil, container.NewCenter(who)))
	return v
}

func (v *outgoingView) object() fyne.CanvasObject { return v.obj }

func (v *outgoingView) setShown(on bool) {
	v.shown = on
	if !on {
		v.spinner.Stop()
	}
}

func (v *outgoingView) refresh(p Part) {
	if p&(PartCall|PartContacts) == 0 {
		return
	}
	m := v.u.m
	c := &m.Call
	if len(c.Members) > 0 {
		first := c.Members[0].ID
		v.avatar.set(string(first), m.Name(first), m.Avatar(first))
	}
	if c.IsGroup {
		v.name.Text = lang.L("Group call")
	} else if len(c.Members) == 1 {
		v.name.Text = m.Name(c.Members[0].ID)
	}
	v.status.Text = m.OutgoingText()
	video := c.MediaType == signaling.Video
	if video {
		v.kind.Text = lang.L("Video call")
	} else {
		v.kind.Text = lang.L("Voice call")
	}
	if c.Phase == PhaseDialing && v.shown {
		v.spinner.Start()
	} else {
		v.spinner.Stop()
	}
	setVisible(v.preview.Image, video && c.Local.VideoOn)
	if setVisible(v.camera, video) {
		relayout(v.controls)
	}
	micButton(v.mic, c.Local.AudioOn)
	cameraButton(v.camera, c.Local.VideoOn)
	v.name.Refresh()
	v.status.Refresh()
	v.kind.Refresh()
}

// micButton shows the microphone's state on its toggle button.
func micButton(b *widget.Button, on bool) {
	if (b.Text == lang.L("Mute")) == on {
		return // unchanged: volume events come several times a second
	}
	if on {
		b.SetText(lang.L("Mute"))
		b.SetIcon(iconMic)
		b.Importance = widget.MediumImportance
	} else {
		b.SetText(lang.L("Unmute"))
		b.SetIcon(iconMicOff)
		b.Importance = widget.WarningImportance
	}
	b.Refresh()
}

// cameraButton shows the camera's state on its toggle button.
func cameraButton(b *widget.Button, on bool) {
	if (b.Text == lang.L("Stop video")) == on {
		return
	}
	if on {
		b.SetText(lang.L("Stop video"))
		b.SetIcon(iconCamera)
		b.Importance = widget.MediumImportance
	} else {
		b.SetText(lang.L("Start video"))
		b.SetIcon(iconCameraOff)
		b.Importance = widget.WarningImportance
	}
	b.Refresh()
}
