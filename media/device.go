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

// Device is a camera, microphone or speaker. IDs of cameras and
// microphones are valid for the life of the process (mediadevices assigns
// them when the devices are first listed); Label is stable across runs.
type Device struct {
	ID           string     `json:"id"`
	Label        string     `json:"label"`
	Kind         DeviceKind `json:"kind"`
	IsTestSource bool       `json:"isTestSource"`
	// IsNull marks ALSA's "null" pseudo-device: it opens and yields
	// silence. It is selectable by ID but never the default.
	IsNull bool `json:"isNull,omitempty"`
}

// ListDevices lists cameras and microphones (the test pattern and test
// tone included, marked IsTestSource) and speakers, sorted by kind, real
// devices first.
func ListDevices() ([]Device, error) {
	var out []Device
	seenTest := map[DeviceKind]bool{}
	for _, d := range allDrivers() {
		dev := deviceOf(d)
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
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.IsTestSource != b.IsTestSource {
			return !a.IsTestSource
		}
		if a.IsNull != b.IsNull {
			return !a.IsNull
		}
		return a.Label < b.Label
	})
	return out, nil
}

func deviceOf(d driver.Driver) Device {
	info := d.Info()
	dev := Device{ID: d.ID(), Label: info.Label}
	switch info.DeviceType {
	case driver.Camera:
		dev.Kind = Camera
		dev.IsTestSource = info.Label == TestPatternLabel
	case driver.Microphone:
		dev.Kind = Microphone
		dev.IsTestSource = info.Label == TestToneLabel
		// miniaudio labels are the hex of the backend's device ID.
		if raw, err := hex.DecodeString(info.Label); err == nil {
			name := strings.TrimRight(string(raw), "\x00")
			dev.IsNull = name == "null"
			if name != "" && isPrintable(name) {
				dev.Label = name
			}
		}
		if info.Name != "" && !dev.IsNull {
			dev.Label = info.Name
		}
	case driver.Screen:
		dev.Kind = Screen
		// mediadevices labels X screens X11Screen0, X11Screen1, ...
		if n, err := strconv.Atoi(strings.TrimPrefix(info.Label, "X11Screen")); err == nil {
			dev.Label = "Screen " + strconv.Itoa(n+1)
		}
	}
	return dev
}

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
// id is set, else the first real device (ALSA's "null" excluded), else
// the test source. Test-source instances are interchangeable: a busy one
// is swapped for a free one, and a new instance is registered when all
// are busy, so every session of a process gets its own. Callers hold
// openMu until the device is open.
func pickDevice(kind DeviceKind, id string) (Device, error) {
	var best *Device
	for _, d := range allDrivers() {
		dev := deviceOf(d)
		if dev.Kind != kind {
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
		if dev.IsNull || dev.IsTestSource {
			continue
		}
		if best == nil {
			best = &dev
		}
	}
	if id != "" {
		return Device{}, fmt.Errorf("%w: no %s with id %q", ErrUnknownDevice, kind, id)
	}
	if best != nil {
		return *best, nil
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
		if dev := deviceOf(d); dev.Kind == kind && dev.ID == id {
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
			dev := deviceOf(d)
			if dev.Kind == kind && dev.IsTestSource && d.Status() == driver.StateClosed {
				return dev
			}
		}
		registerTestSource(kind)
	}
	// Unreachable in practice: the instance just registered is closed.
	return Device{Kind: kind, IsTestSource: true}
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
	return &DeviceError{Kind: k, DeviceID: dev.ID, Label: dev.Label, Err: err}
}

// listSpeakers asks miniaudio for playback devices. A machine with no
// sound system lists none; the session then plays to the null backend.
func listSpeakers() []Device {
	ctx, err := malgo.InitContext(nil, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil
	}
	defer func() { _ = ctx.Uninit(); ctx.Free() }()
	infos, err := ctx.Devices(malgo.Playback)
	if err != nil {
		return nil
	}
	out := make([]Device, 0, len(infos))
	for _, in := range infos {
		out = append(out, Device{ID: in.ID.String(), Label: in.Name(), Kind: Speaker, IsNull: in.Name() == "null" || strings.HasPrefix(in.Name(), "Discard all samples")})
	}
	return out
}
