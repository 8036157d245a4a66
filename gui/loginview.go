package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// loginView is the sign-in form: server, user ID, UserSig. In local mode
// it only says that Calla is starting.
type loginView struct {
	u       *ui
	obj     fyne.CanvasObject
	server  *widget.Entry
	user    *widget.Entry
	usersig *widget.Entry
	status  *widget.Label
	signIn  *widget.Button
	form    *fyne.Container
	card    *fyne.Container
	busy    *widget.Activity
	shown   bool
}

func newLoginView(u *ui) *loginView {
	v := &loginView{u: u}
	v.server = widget.NewEntry()
	v.server.SetPlaceHolder("ws://192.168.1.10:8443/ws")
	v.user = widget.NewEntry()
	v.user.SetPlaceHolder("alice")
	v.usersig = widget.NewPasswordEntry()
	v.usersig.SetPlaceHolder(lang.L("only if the server asks for one"))
	v.server.SetText(u.m.settings.Server())
	v.user.SetText(u.m.settings.User())
	v.user.OnSubmitted = func(string) { v.submit() }
	v.usersig.OnSubmitted = func(string) { v.submit() }
	v.status = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	v.status.Wrapping = fyne.TextWrapWord
	v.signIn = widget.NewButtonWithIcon(lang.L("Sign in"), theme.LoginIcon(), v.submit)
	v.signIn.Importance = widget.HighImportance
	v.busy = widget.NewActivity()
	v.busy.Hide()

	logo := canvas.NewImageFromResource(Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(96))
	title := widget.NewLabelWithStyle("Calla", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	sub := widget.NewLabelWithStyle(lang.L("Audio and video calls"), fyne.TextAlignCenter, fyne.TextStyle{})

	form := widget.NewForm(
		widget.NewFormItem(lang.L("Server"), v.server),
		widget.NewFormItem(lang.L("User ID"), v.user),
		widget.NewFormItem(lang.L("UserSig"), v.usersig),
	)
	settings := widget.NewButtonWithIcon(lang.L("Settings"), theme.SettingsIcon(), func() { u.m.ShowScreen(ScreenSettings) })
	settings.Importance = widget.LowImportance
	v.form = container.NewVBox(form, v.signIn, settings)
	v.card = container.NewVBox(logo, title, sub, v.form, v.busy, v.status)
	v.obj = container.NewCenter(container.New(widthLayout{380}, v.card))
	return v
}

// prefill puts the command line's server and user into the form.
func (v *loginView) prefill(server, user, usersig string) {
	if server != "" {
		v.server.SetText(server)
	}
	if user != "" {
		v.user.SetText(user)
	}
	if usersig != "" {
		v.usersig.SetText(usersig)
	}
}

func (v *loginView) submit() {
	v.u.m.Login(call.LoginParams{
		Server:  v.server.Text,
		UserID:  signaling.UserID(v.user.Text),
		UserSig: v.usersig.Text,
	})
}

func (v *loginView) object() fyne.CanvasObject { return v.obj }

func (v *loginView) setShown(on bool) {
	v.shown = on
	if !on {
		v.busy.Stop()
	}
}

func (v *loginView) refresh(Part) {
	m := v.u.m
	changed := setVisible(v.form, !m.Local || !m.LoginBusy)
	if m.LoginBusy {
		v.signIn.Disable()
		if v.shown {
			v.busy.Start()
		}
	} else {
		v.signIn.Enable()
		v.busy.Stop()
	}
	status := m.LoginStatus
	if m.Local && m.LoginBusy {
		status = lang.L("Starting Calla…")
	}
	if m.eng == nil || isNoEngine(m.eng) {
		status = lang.L("This build of Calla has no call engine: it can show its screens but not sign in.")
	}
	v.status.SetText(status)
	changed = setVisible(v.status, status != "") || changed
	changed = setVisible(v.busy, m.LoginBusy) || changed
	if changed {
		relayout(v.card, v.obj)
	}
}
