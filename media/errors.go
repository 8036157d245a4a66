package media

import (
	"errors"
	"fmt"
)

var (
	// ErrCameraFailed indicates that the camera could not be started: it is
	// missing, busy or failed while opening (TUICallKit -1301).
	ErrCameraFailed = errors.New("media: the camera could not be started")
	// ErrMicrophoneFailed indicates that the microphone could not be
	// started (TUICallKit -1302).
	ErrMicrophoneFailed = errors.New("media: the microphone could not be started")
	// ErrPermissionDenied indicates that the system refused access to a
	// camera or microphone (TUICallKit -1101).
	ErrPermissionDenied = errors.New("media: permission to use the device was denied")
	// ErrClosed indicates that the session is closed.
	ErrClosed = errors.New("media: session closed")
	// ErrNotStarted indicates a call that needs Start first.
	ErrNotStarted = errors.New("media: session not started")
	// ErrAlreadyStarted indicates a second Start.
	ErrAlreadyStarted = errors.New("media: session already started")
	// ErrUnknownPeer indicates a peer ID that was never added or was removed.
	ErrUnknownPeer = errors.New("media: unknown peer")
	// ErrPeerExists indicates AddPeer for a peer that is already there.
	ErrPeerExists = errors.New("media: peer already added")
	// ErrBadSignal indicates a signal that is malformed or does not fit the
	// peer's negotiation state (an offer sent to an offerer, an answer
	// nobody asked for, an unparsable SDP or candidate).
	ErrBadSignal = errors.New("media: bad signal")
	// ErrBadConfig indicates a Config or VideoParams value out of range.
	ErrBadConfig = errors.New("media: bad configuration")
	// ErrUnknownDevice indicates a device ID that ListDevices does not know.
	ErrUnknownDevice = errors.New("media: unknown device")
	// ErrCustomSource indicates a capture call (sharing a screen) on a
	// session whose app writes what it sends (StartCustom).
	ErrCustomSource = errors.New("media: the session sends a custom source")
	// ErrScreenFailed indicates that a screen could not be captured.
	ErrScreenFailed = errors.New("media: the screen could not be captured")
	// ErrNoVideo indicates a video-only operation (sharing a screen) in an
	// audio call.
	ErrNoVideo = errors.New("media: the call has no video")
)

// DeviceError is a failure to open or run a capture device. Its Kind is
// one of ErrCameraFailed, ErrMicrophoneFailed or ErrPermissionDenied, which
// errors.Is matches; the engine maps Kind to a TUICallKit code in one
// place.
type DeviceError struct {
	Kind     error      // ErrCameraFailed, ErrMicrophoneFailed or ErrPermissionDenied
	Device   DeviceKind // the device that failed, which a refused permission's Kind does not say
	DeviceID string     // empty when no device was found at all
	Label    string
	Err      error // the underlying cause
}

func (e *DeviceError) Error() string {
	what := e.Kind.Error()
	if e.Label != "" {
		what += fmt.Sprintf(" (%s)", e.Label)
	}
	if e.Err != nil {
		what += ": " + e.Err.Error()
	}
	return what
}

// Is matches the error's Kind.
func (e *DeviceError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *DeviceError) Unwrap() error { return e.Err }
