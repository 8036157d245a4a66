package media

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/driver"

	// Real devices: v4l2/AVFoundation/DirectShow cameras and miniaudio
	// microphones register themselves with the driver manager.
	_ "github.com/pion/mediadevices/pkg/driver/camera"
	_ "github.com/pion/mediadevices/pkg/driver/microphone"
)

// DeviceKind is what a device does.
type DeviceKind int

// Device kinds.
const (
	Camera DeviceKind = iota + 1
	Microphone
	Speaker
)

func (k DeviceKind) String() string {
	switch k {
	case Camera:
		return "camera"
	case Microphone:
		return "microphone"
	case Speaker:
		return "speaker"
	}
	return "DeviceKind(" + strconv.Itoa(int(k)) + ")"
}

// Device is a camera, microphone or speaker. IDs of cameras and
// microphones are valid for the life of the process (mediadevices assigns
// them at start); Label is stable across runs.
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
	for _, d := range driver.GetManager().Query(func(driver.Driver) bool { return true }) {
		out = append(out, deviceOf(d))
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

// pickDevice returns the device to open for kind: the one with ID id when
// id is set, else the first real device, else the test source.
func pickDevice(kind DeviceKind, id string) (Device, error) {
	devs, _ := ListDevices()
	var best *Device
	for i := range devs {
		d := &devs[i]
		if d.Kind != kind {
			continue
		}
		if id != "" {
			if d.ID == id {
				return *d, nil
			}
			continue
		}
		if d.IsNull {
			continue
		}
		if best == nil || (best.IsTestSource && !d.IsTestSource) {
			best = d
		}
	}
	if id != "" {
		return Device{}, fmt.Errorf("%w: no %s with id %q", ErrUnknownDevice, kind, id)
	}
	if best == nil {
		return Device{}, fmt.Errorf("%w: no %s at all", ErrUnknownDevice, kind)
	}
	return *best, nil
}

// deviceError wraps an open failure into a DeviceError of the right kind:
// an access refusal is ErrPermissionDenied, anything else the device's
// failure.
func deviceError(kind DeviceKind, dev Device, err error) error {
	k := ErrCameraFailed
	if kind == Microphone {
		k = ErrMicrophoneFailed
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
