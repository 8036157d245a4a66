package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/call"
)

// themeLabel is a theme choice as the settings screen words it.
func themeLabel(t ThemeChoice) string {
	switch t {
	case ThemeLight:
		return lang.L("Light")
	case ThemeDark:
		return lang.L("Dark")
	}
	return lang.L("System")
}

var themeChoices = []ThemeChoice{ThemeSystem, ThemeLight, ThemeDark}

// settingsView is the settings screen: server and user for the next
// sign-in, the devices and echo cancellation, the ringtone, the theme and
// the language. Every change is kept at once in Fyne's preferences.
type settingsView struct {
	u        *ui
	obj      fyne.CanvasObject
	server   *widget.Entry
	user     *widget.Entry
	echo     *widget.Check
	ringtone *widget.Check
	// ringCamera: the incoming dialog shows the camera's preview
	ringCamera *widget.Check
	theme      *widget.RadioGroup
	language   *widget.Select
	// The profile: nickname, and the avatar with its buttons.
	nickname  *widget.Entry
	saveName  *widget.Button
	picture   *avatar
	choosePic *widget.Button
	removePic *widget.Button
	// The ringtone: its name, preview, file and built-in buttons.
	ringName    *widget.Label
	ringPlay    *widget.Button
	ringChoose  *widget.Button
	ringBuiltIn *widget.Button
	// pickers are the device selects of each devicesForm made: the
	// settings screen's and the call's Devices dialog's.
	pickers []map[string]*deviceSelect
}

type deviceSelect struct {
	sel      *widget.Select
	ids      map[string]string // label → device ID
	updating bool
}

var deviceKinds = []string{"camera", "microphone", "speaker"}

func newSettingsView(u *ui) *settingsView {
	v := &settingsView{u: u}
	s := u.m.settings
	v.server = widget.NewEntry()
	v.server.SetText(s.Server())
	v.server.SetPlaceHolder("ws://192.168.1.10:8443/ws")
	v.server.OnChanged = s.SetServer
	v.user = widget.NewEntry()
	v.user.SetText(s.User())
	v.user.OnChanged = s.SetUser
	// Ticked before OnChanged is set: opening the screen calls nothing.
	v.echo = widget.NewCheck(lang.L("Cancel echo"), nil)
	v.echo.SetChecked(s.EchoCancellation())
	v.echo.OnChanged = u.m.SetEchoCancellation
	v.ringtone = widget.NewCheck(lang.L("Ring for incoming calls"), s.SetRingtone)
	v.ringtone.SetChecked(s.Ringtone())
	v.ringCamera = widget.NewCheck(lang.L("Show my camera while a video call rings"), s.SetRingPreview)
	v.ringCamera.SetChecked(s.RingPreview())
	var themeLabels []string
	for _, t := range themeChoices {
		themeLabels = append(themeLabels, themeLabel(t))
	}
	v.theme = widget.NewRadioGroup(themeLabels, func(label string) {
		for _, t := range themeChoices {
			if themeLabel(t) == label {
				s.SetTheme(t)
				u.applyTheme(t)
			}
		}
	})
	v.theme.Horizontal = true
	v.theme.Required = true
	v.theme.SetSelected(themeLabel(s.Theme()))
	var langLabels []string
	for _, l := range languages {
		langLabels = append(langLabels, l.label())
	}
	v.language = widget.NewSelect(langLabels, nil)
	v.language.SetSelected(s.Language().label())
	v.language.OnChanged = func(string) {
		i := v.language.SelectedIndex()
		if i < 0 || languages[i] == s.Language() {
			return
		}
		s.SetLanguage(languages[i])
		u.relocalize(languages[i])
	}

	v.nickname = widget.NewEntry()
	v.nickname.SetText(s.Nickname())
	v.nickname.SetPlaceHolder(lang.L("The name others see"))
	v.nickname.OnSubmitted = func(string) { v.saveNickname() }
	v.saveName = widget.NewButton(lang.L("Save"), v.saveNickname)
	v.picture = newAvatar("", "", 56)
	v.choosePic = widget.NewButtonWithIcon(lang.L("Choose picture…"), theme.FolderOpenIcon(), v.choosePicture)
	v.removePic = widget.NewButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
		u.m.SetProfile(s.Nickname(), "")
	})
	profile := widget.NewForm(
		widget.NewFormItem(lang.L("Nickname"), container.NewBorder(nil, nil, nil, v.saveName, v.nickname)),
		&widget.FormItem{Text: lang.L("Picture"), Widget: container.NewHBox(v.picture, container.NewCenter(container.NewHBox(v.choosePic, v.removePic))),
			HintText: lang.L("Sent as a tiny picture: the server keeps 500 bytes for it")},
	)
	v.refreshProfile()

	v.ringName = widget.NewLabel("")
	v.ringName.Truncation = fyne.TextTruncateEllipsis
	v.ringPlay = widget.NewButtonWithIcon(lang.L("Play"), theme.MediaPlayIcon(), u.m.ToggleRingtonePreview)
	v.ringChoose = widget.NewButtonWithIcon(lang.L("Choose WAV…"), theme.FolderOpenIcon(), v.chooseRingtone)
	v.ringBuiltIn = widget.NewButton(lang.L("Built-in"), u.m.UseBuiltInRingtone)
	ringtone := container.NewVBox(v.ringtone,
		container.NewBorder(nil, nil, nil, container.NewHBox(v.ringPlay, v.ringChoose, v.ringBuiltIn), v.ringName))
	v.refreshRingtone()

	form := widget.NewForm(
		widget.NewFormItem(lang.L("Server"), v.server),
		widget.NewFormItem(lang.L("User ID"), v.user),
	)
	form.Items[0].HintText = lang.L("Used at the next sign-in")
	devices := v.devicesForm()
	devices.AppendItem(&widget.FormItem{Text: lang.L("Echo"), Widget: v.echo, HintText: lang.L("Turn off with a headset; applies from the next call")})
	devices.AppendItem(&widget.FormItem{Text: lang.L("Preview"), Widget: v.ringCamera, HintText: lang.L("Off: the camera stays off until you answer")})
	sections := container.NewVBox(
		widget.NewLabelWithStyle(lang.L("Profile"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), profile,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(lang.L("Account"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), form,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(lang.L("Devices"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), devices,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(lang.L("Sounds and look"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewForm(
			&widget.FormItem{Text: lang.L("Ringtone"), Widget: ringtone,
				HintText: lang.L("A WAV file; Calla plays its first 30 seconds")},
			widget.NewFormItem(lang.L("Theme"), v.theme),
			widget.NewFormItem(lang.L("Language"), v.language),
		),
	)
	v.obj = container.NewBorder(header(lang.L("Settings"), u.m.Back), nil, nil, nil,
		container.NewVScroll(container.NewCenter(container.New(widthLayout{520}, container.NewPadded(sections)))))
	return v
}

func (v *settingsView) saveNickname() {
	v.u.m.SetProfile(v.nickname.Text, v.u.m.settings.Avatar())
}

// choosePicture opens a file dialog for the avatar's picture.
func (v *settingsView) choosePicture() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return // cancelled, or the dialog could not list the folder
		}
		v.u.m.SetAvatarPicture(r)
	}, v.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".gif"}))
	d.Show()
}

// chooseRingtone opens a file dialog for a WAV ringtone.
func (v *settingsView) chooseRingtone() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		v.u.m.ChooseRingtone(r.URI().Name(), r)
	}, v.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".wav", ".WAV"}))
	d.Show()
}

// refreshRingtone shows the ringtone's name and whether it plays.
func (v *settingsView) refreshRingtone() {
	m := v.u.m
	name := m.settings.RingtoneName()
	if name == "" {
		v.ringName.SetText(lang.L("Calla's own"))
		v.ringBuiltIn.Disable()
	} else {
		v.ringName.SetText(name)
		v.ringBuiltIn.Enable()
	}
	if m.Previewing {
		v.ringPlay.SetText(lang.L("Stop"))
		v.ringPlay.SetIcon(theme.MediaStopIcon())
	} else {
		v.ringPlay.SetText(lang.L("Play"))
		v.ringPlay.SetIcon(theme.MediaPlayIcon())
	}
}

// refreshProfile shows the stored nickname and avatar.
func (v *settingsView) refreshProfile() {
	s := v.u.m.settings
	name := s.Nickname()
	if name == "" {
		name = s.User()
	}
	v.picture.set(s.User(), name, s.Avatar())
	if s.Avatar() == "" {
		v.removePic.Disable()
	} else {
		v.removePic.Enable()
	}
}

// devicesForm is a form with a select per device kind, bound to the
// model's device list and the settings.
func (v *settingsView) devicesForm() *widget.Form {
	labels := map[string]string{"camera": lang.L("Camera"), "microphone": lang.L("Microphone"), "speaker": lang.L("Speaker")}
	form := widget.NewForm()
	set := map[string]*deviceSelect{}
	v.pickers = append(v.pickers, set)
	for _, kind := range deviceKinds {
		kind := kind
		p := &deviceSelect{ids: map[string]string{}}
		p.sel = widget.NewSelect(nil, func(label string) {
			if p.updating {
				return
			}
			if id, ok := p.ids[label]; ok {
				v.u.m.SelectDevice(kind, id)
			}
		})
		p.sel.PlaceHolder = lang.L("Default")
		set[kind] = p
		form.Append(labels[kind], p.sel)
	}
	v.refreshDevices()
	return form
}

// deviceLabel is a device as the pickers name it: its own label, or
// for the test sources, what they are in the user's language.
func deviceLabel(d call.Device) string {
	if d.IsTestSource {
		switch d.Kind {
		case "camera":
			return lang.L("Test pattern (no camera)")
		case "microphone":
			return lang.L("Test tone (no microphone)")
		}
	}
	if d.Label == "" {
		return d.ID
	}
	return d.Label
}

func (v *settingsView) refreshDevices() {
	m := v.u.m
	chosen := map[string]string{
		"camera": m.settings.Camera(), "microphone": m.settings.Microphone(), "speaker": m.settings.Speaker(),
	}
	for _, set := range v.pickers {
		for _, kind := range deviceKinds {
			v.refreshSelect(set[kind], m.DevicesOf(kind), chosen[kind])
		}
	}
}

func (v *settingsView) refreshSelect(p *deviceSelect, devs []call.Device, chosen string) {
	{
		var opts []string
		clear(p.ids)
		sel := ""
		for _, d := range devs {
			l := deviceLabel(d)
			opts = append(opts, l)
			p.ids[l] = d.ID
			if d.ID == chosen {
				sel = l
			}
		}
		p.updating = true
		p.sel.SetOptions(opts)
		if sel != "" {
			p.sel.SetSelected(sel)
		} else {
			p.sel.ClearSelected()
		}
		if len(opts) == 0 {
			p.sel.Disable()
		} else {
			p.sel.Enable()
		}
		p.updating = false
	}
}

func (v *settingsView) object() fyne.CanvasObject { return v.obj }

func (v *settingsView) setShown(bool) {}

// refresh shows the stored server and user when the screen opens (a
// sign-in may have changed them). The ui refreshes the device pickers on
// every screen, since the call's Devices dialog shows them too.
func (v *settingsView) refresh(p Part) {
	if p&PartScreen != 0 {
		s := v.u.m.settings
		v.server.SetText(s.Server())
		v.user.SetText(s.User())
		v.nickname.SetText(s.Nickname())
	}
	if p&(PartScreen|PartProfile) != 0 {
		v.refreshProfile()
	}
	if p&(PartScreen|PartRingtone) != 0 {
		v.refreshRingtone()
	}
}
