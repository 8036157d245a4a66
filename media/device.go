package media

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/driver"

	// Real cameras (v4l2/AVFoundation/DirectShow) register themselves with
	// the driver manager; on Linux that init only lists /dev/video*.
	// Microphones register on first use (microphone.go).
	_ "github.com/pion/mediadevices/pkg/driver/camera"
)

// DeviceKind is what a device does.
type DeviceKind int

// Device kinds.
const (
	Camera DeviceKind = iota + 1
	Microphone
	Speaker
	Screen // a screen to share (X11)
)

func (k DeviceKind) String() string {
	switch k {
	case Camera:
		return "camera"
	case Microphone:
		return "microphone"
	case Speaker:
		return "speaker"
	case Screen:
		return "screen"
	}
	return "DeviceKind(" + strconv.Itoa(int(k)) + ")"
}

// Device is a camera, microphone or speaker. ID is stable across runs, so
// a choice saved in the settings still names the same device after a
// restart: it is the sound system's own device id (hex, as miniaudio
// gives it: PulseAudio's source or sink name, CoreAudio's UID, WASAPI's
// endpoint id) for microphones and speakers, the camera driver's label
// (the device's path) for cameras, and the label for the test sources.
type Device struct {
	ID           string     `json:"id"`
	Label        string     `json:"label"`
	Kind         DeviceKind `json:"kind"`
	IsTestSource bool       `json:"isTestSource"`
	// IsNull marks ALSA's "null" pseudo-device: it opens and yields
	// silence. It is selectable by ID but never the default.
	IsNull bool `json:"isNull,omitempty"`
	// IsDefault marks the system's default microphone or speaker
	// (PulseAudio/PipeWire, CoreAudio and WASAPI each name one), the one
	// used when the user has not picked another.
	IsDefault bool `json:"isDefault,omitempty"`

	// driverID is mediadevices' id of the driver, valid in this process
	// only (cameras and microphones).
	driverID string
}

// ListDevices lists cameras and microphones (the test pattern and test
// tone included, marked IsTestSource) and speakers, sorted by kind, real
// devices first, the system's default first among them. A PulseAudio or
// PipeWire monitor source (what a speaker plays) is not a microphone and
// is not listed.
func ListDevices() ([]Device, error) {
	var out []Device
	seenTest := map[DeviceKind]bool{}
	defMic := systemDefault(Microphone)
	for _, d := range allDrivers() {
		dev, ok := deviceOf(d, defMic)
		if !ok {
			continue
		}
		// The test source may have several interchangeable instances
		// (one per session in a process); list it once.
		if dev.IsTestSource {
			if seenTest[dev.Kind] {
				continue
			}
			seenTest[dev.Kind] = true
		}
		out = append(out, dev)
	}
	out = append(out, listSpeakers()...)
	sort.SliceStable(out, func(i, j int) bool { return deviceLess(out[i], out[j]) })
	return out, nil
}

// deviceLess orders devices by kind; within a kind real devices come
// before the null device and the test source, the default first, then by
// label, so that the order (and the fallback choice) is the same every
// run.
func deviceLess(a, b Device) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.IsTestSource != b.IsTestSource {
		return !a.IsTestSource
	}
	if a.IsNull != b.IsNull {
		return !a.IsNull
	}
	if a.IsDefault != b.IsDefault {
		return a.IsDefault
	}
	if a.Label != b.Label {
		return a.Label < b.Label
	}
	return a.ID < b.ID
}

// deviceOf describes a driver; ok is false for a monitor source, which is
// no microphone. defMic is the system's default microphone's ID ("" when
// the sound system did not say).
func deviceOf(d driver.Driver, defMic string) (dev Device, ok bool) {
	info := d.Info()
	dev = Device{ID: info.Label, Label: info.Label, driverID: d.ID()}
	switch info.DeviceType {
	case driver.Camera:
		dev.Kind = Camera
		dev.IsTestSource = info.Label == TestPatternLabel
	case driver.Microphone:
		dev.Kind = Microphone
		dev.IsTestSource = info.Label == TestToneLabel
		if dev.IsTestSource {
			break
		}
		// miniaudio labels are the hex of the backend's device ID.
		if raw, err := hex.DecodeString(info.Label); err == nil {
			name := strings.TrimRight(string(raw), "\x00")
			if isMonitor(name) {
				return Device{}, false
			}
			dev.IsNull = name == "null"
			if name != "" && isPrintable(name) {
				dev.Label = name
			}
		}
		if info.Name != "" && !dev.IsNull {
			dev.Label = info.Name
		}
		if defMic != "" {
			dev.IsDefault = !dev.IsNull && info.Label == defMic
		} else {
			// mediadevices marks the default it saw at start.
			dev.IsDefault = !dev.IsNull && info.Priority == driver.PriorityHigh
		}
	case driver.Screen:
		dev.Kind = Screen
		// mediadevices labels X screens X11Screen0, X11Screen1, ...
		if n, err := strconv.Atoi(strings.TrimPrefix(info.Label, "X11Screen")); err == nil {
			dev.Label = "Screen " + strconv.Itoa(n+1)
		}
	}
	return dev, true
}

// isMonitor reports whether a sound-system device name is a PulseAudio
// (or PipeWire-pulse) monitor source: every sink has one, named after it
// with ".monitor", and it records what the sink plays. Taking it for a
// microphone sends the call's own sound back.
func isMonitor(name string) bool { return strings.HasSuffix(name, ".monitor") }

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// allDrivers lists the registered drivers in a stable order, registering
// the microphones first if this is the first look.
func allDrivers() []driver.Driver {
	registerMicrophones()
	ds := driver.GetManager().Query(func(driver.Driver) bool { return true })
	sort.Slice(ds, func(i, j int) bool { return ds[i].ID() < ds[j].ID() })
	return ds
}

// openMu serialises choosing and opening devices across sessions, so two
// sessions never pick the same free test-source instance.
var openMu sync.Mutex

// pickDevice returns the device to open for kind: the one with ID id when
// id is set, else the system's default, else the first real device in
// deviceLess order (ALSA's "null" excluded), else the test source.
// Test-source instances are interchangeable: a busy one is swapped for a
// free one, and a new instance is registered when all are busy, so every
// session of a process gets its own. Callers hold openMu until the device
// is open.
func pickDevice(kind DeviceKind, id string) (Device, error) {
	def := ""
	if kind == Microphone && id == "" {
		def = systemDefault(Microphone)
	}
	var cands []Device
	for _, d := range allDrivers() {
		dev, ok := deviceOf(d, def)
		if !ok || dev.Kind != kind {
			continue
		}
		if id != "" {
			if dev.ID == id {
				if dev.IsTestSource {
					return freeTestSource(kind), nil
				}
				return dev, nil
			}
			continue
		}
		if !dev.IsNull && !dev.IsTestSource {
			cands = append(cands, dev)
		}
	}
	if id != "" {
		return Device{}, fmt.Errorf("%w: no %s with id %q", ErrUnknownDevice, kind, id)
	}
	if len(cands) > 0 {
		sort.SliceStable(cands, func(i, j int) bool { return deviceLess(cands[i], cands[j]) })
		return cands[0], nil
	}
	return freeTestSource(kind), nil
}

// knownDevice reports ErrUnknownDevice unless id names a device of kind
// (empty id means the default, which always exists).
func knownDevice(kind DeviceKind, id string) error {
	if id == "" {
		return nil
	}
	for _, d := range allDrivers() {
		if dev, ok := deviceOf(d, ""); ok && dev.Kind == kind && dev.ID == id {
			return nil
		}
	}
	return fmt.Errorf("%w: no %s with id %q", ErrUnknownDevice, kind, id)
}

// freeTestSource returns a closed test-source instance of kind,
// registering a new one if every instance is in use.
func freeTestSource(kind DeviceKind) Device {
	for attempt := 0; attempt < 2; attempt++ {
		for _, d := range allDrivers() {
			dev, _ := deviceOf(d, "")
			if dev.Kind == kind && dev.IsTestSource && d.Status() == driver.StateClosed {
				return dev
			}
		}
		registerTestSource(kind)
	}
	// Unreachable in practice: the instance just registered is closed.
	return Device{Kind: kind, IsTestSource: true}
}

// systemDefault asks the sound system, now, for its default device of kind
// (Microphone or Speaker) and returns its ID, or "" if it names none.
// Asking at each open, rather than once at start, is what makes a change
// of the default in the system's settings reach the next call.
func systemDefault(kind DeviceKind) string {
	for _, d := range soundDevices(kind) {
		if d.IsDefault {
			return d.ID
		}
	}
	return ""
}

// soundDevices lists the sound system's devices of kind (Microphone or
// Speaker) as miniaudio's first working backend sees them: PulseAudio
// (PipeWire's too), CoreAudio, WASAPI, else ALSA. A machine with no sound
// system lists none.
func soundDevices(kind DeviceKind) []Device {
	ctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil
	}
	defer func() { _ = ctx.Uninit(); ctx.Free() }()
	t := malgo.Playback
	if kind == Microphone {
		t = malgo.Capture
	}
	infos, err := ctx.Devices(t)
	if err != nil {
		return nil
	}
	out := make([]Device, 0, len(infos))
	for _, in := range infos {
		name := strings.TrimRight(string(in.ID[:]), "\x00")
		if kind == Microphone && isMonitor(name) {
			continue
		}
		null := name == "null" || in.Name() == "null" || strings.HasPrefix(in.Name(), "Discard all samples")
		out = append(out, Device{ID: in.ID.String(), Label: in.Name(), Kind: kind, IsNull: null, IsDefault: in.IsDefault != 0 && !null})
	}
	return out
}

// deviceError wraps an open failure into a DeviceError of the right kind:
// an access refusal is ErrPermissionDenied, anything else the device's
// failure.
func deviceError(kind DeviceKind, dev Device, err error) error {
	k := ErrCameraFailed
	switch kind {
	case Microphone:
		k = ErrMicrophoneFailed
	case Screen:
		k = ErrScreenFailed
	}
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) ||
		strings.Contains(strings.ToLower(err.Error()), "permission denied") {
		k = ErrPermissionDenied
	}
	return &DeviceError{Kind: k, Device: kind, DeviceID: dev.ID, Label: dev.Label, Err: err}
}

// listSpeakers asks miniaudio for playback devices. A machine with no
// sound system lists none; the session then plays to the null backend.
func listSpeakers() []Device { return soundDevices(Speaker) }
