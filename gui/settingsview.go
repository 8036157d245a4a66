package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/call"
)

// Theme choices as the settings screen words them.
var themeLabels = map[ThemeChoice]string{ThemeSystem: "System", ThemeLight: "Light", ThemeDark: "Dark"}

// settingsView is the settings screen: server and user for the next
// sign-in, the devices and echo cancellation, the ringtone, the theme. Every change is kept at
// once in Fyne's preferences.
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
	v.echo = widget.NewCheck("Cancel echo", nil)
	v.echo.SetChecked(s.EchoCancellation())
	v.echo.OnChanged = u.m.SetEchoCancellation
	v.ringtone = widget.NewCheck("Ring for incoming calls", s.SetRingtone)
	v.ringtone.SetChecked(s.Ringtone())
	v.ringCamera = widget.NewCheck("Show my camera while a video call rings", s.SetRingPreview)
	v.ringCamera.SetChecked(s.RingPreview())
	v.theme = widget.NewRadioGroup([]string{"System", "Light", "Dark"}, func(label string) {
		for t, l := range themeLabels {
			if l == label {
				s.SetTheme(t)
				u.applyTheme(t)
			}
		}
	})
	v.theme.Horizontal = true
	v.theme.Required = true
	v.theme.SetSelected(themeLabels[s.Theme()])

	form := widget.NewForm(
		widget.NewFormItem("Server", v.server),
		widget.NewFormItem("User ID", v.user),
	)
	form.Items[0].HintText = "Used at the next sign-in"
	devices := v.devicesForm()
	devices.AppendItem(&widget.FormItem{Text: "Echo", Widget: v.echo, HintText: "Turn off with a headset; applies from the next call"})
	devices.AppendItem(&widget.FormItem{Text: "Preview", Widget: v.ringCamera, HintText: "Off: the camera stays off until you answer"})
	sections := container.NewVBox(
		widget.NewLabelWithStyle("Account", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), form,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Devices", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), devices,
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Sounds and look", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewForm(widget.NewFormItem("Ringtone", v.ringtone), widget.NewFormItem("Theme", v.theme)),
	)
	v.obj = container.NewBorder(header("Settings", u.m.Back), nil, nil, nil,
		container.NewVScroll(container.NewCenter(container.New(widthLayout{520}, container.NewPadded(sections)))))
	return v
}

// devicesForm is a form with a select per device kind, bound to the
// model's device list and the settings.
func (v *settingsView) devicesForm() *widget.Form {
	labels := map[string]string{"camera": "Camera", "microphone": "Microphone", "speaker": "Speaker"}
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
		p.sel.PlaceHolder = "Default"
		set[kind] = p
		form.Append(labels[kind], p.sel)
	}
	v.refreshDevices()
	return form
}

func deviceLabel(d call.Device) string {
	l := d.Label
	if l == "" {
		l = d.ID
	}
	if d.IsTestSource {
		switch d.Kind {
		case "camera":
			l += " (test pattern)"
		case "microphone":
			l += " (test tone)"
		}
	}
	return l
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
	}
}
