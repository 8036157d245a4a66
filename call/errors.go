package call

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// Error is both onError and the error every Engine method returns: a
// TUICallKit code and a message a person can act on. errors.Is matches any
// *Error with the same code:
//
//	if errors.Is(err, &call.Error{Code: signaling.CodeRequestRefused}) { ... }
func (e *Error) Error() string { return fmt.Sprintf("call: %s (code %d)", e.Message, e.Code) }

// Unwrap returns the failure e was made from, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func errorf(code signaling.Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Errors the engine reports itself, before asking the server.
var (
	errNotLoggedIn = func() *Error {
		return errorf(signaling.CodeNotLoggedIn, "not logged in: log in first")
	}
	errNoCall = func(what string) *Error {
		return errorf(signaling.CodeRequestRefused, "there is no call to %s", what)
	}
	errBusy = func() *Error {
		return errorf(signaling.CodeRequestRefused, "already in a call: hang up first")
	}
	// errCallEnded tells work that waited for the media session that the
	// call is over.
	errCallEnded = errorf(signaling.CodeRequestRefused, "the call has ended")
	// errHungUpEarly is what Call and JoinInGroupCall return when the user
	// hung up before the server answered: the call ended on this side
	// already, so it is not reported as onError.
	errHungUpEarly = errorf(signaling.CodeRequestRefused, "the call was hung up before the server placed it")
)

// errorOf maps any failure to the code and message onError carries. It is
// the one place where errors of signaling, media and the engine become
// TUICallKit codes. The *Error it makes unwraps to err.
func errorOf(op string, err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	e := codeOf(op, err)
	e.cause = err
	return e
}

func codeOf(op string, err error) *Error {
	var se *signaling.Error
	if errors.As(err, &se) {
		return &Error{Code: se.Code, Message: se.Message}
	}
	var de *media.DeviceError
	if errors.As(err, &de) {
		switch {
		case errors.Is(de, media.ErrPermissionDenied):
			return errorf(signaling.CodePermissionDenied, "Calla may not use %s: allow it in the system's privacy settings", deviceName(de))
		case errors.Is(de, media.ErrCameraFailed):
			return errorf(signaling.CodeCameraFailed, "the camera could not be started (%v): check that it is connected and not used by another program", de)
		case errors.Is(de, media.ErrMicrophoneFailed):
			return errorf(signaling.CodeMicrophoneFailed, "the microphone could not be started (%v): check that it is connected and not used by another program", de)
		case errors.Is(de, media.ErrScreenFailed):
			return errorf(signaling.CodeScreenFailed, "the screen could not be captured (%v): screens are shared from an X11 session", de)
		}
	}
	switch {
	case errors.Is(err, signaling.ErrNotConnected), errors.Is(err, signaling.ErrClosed), isNetError(err):
		return errorf(signaling.CodeSignalingSendFail, "could not %s: the server cannot be reached (%v)", op, err)
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(signaling.CodeSignalingSendFail, "could not %s: the server did not answer in time", op)
	case errors.Is(err, media.ErrUnknownDevice):
		return errorf(signaling.CodeInvalidParam, "could not %s: no such device (%v)", op, err)
	case errors.Is(err, media.ErrBadConfig):
		return errorf(signaling.CodeInvalidParam, "could not %s: %v", op, err)
	case errors.Is(err, media.ErrNoVideo):
		return errorf(signaling.CodeSceneNotSupported, "could not %s: the call has no video", op)
	case errors.Is(err, media.ErrCustomSource):
		return errorf(signaling.CodeSceneNotSupported, "could not %s: a custom source sends its own video", op)
	case errors.Is(err, media.ErrBadSignal):
		return errorf(signaling.CodeMediaNegotiation, "media negotiation failed: %v", err)
	}
	return errorf(signaling.CodeInternal, "could not %s: %v", op, err)
}

// isNetError reports whether err is the network's: a refused or timed out
// connection, a name that does not resolve, a TLS handshake that failed.
func isNetError(err error) bool {
	var ne net.Error
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	return errors.As(err, &ne) || errors.As(err, &cv) || errors.As(err, &rh)
}

func deviceName(de *media.DeviceError) string {
	if de.Label != "" {
		return "the device " + de.Label
	}
	return "the camera or microphone"
}
