package server

import (
	"errors"
	"strings"

	"github.com/calla-rtc/calla/signaling"
)

var (
	// ErrNotLoggedIn indicates a request before login.
	ErrNotLoggedIn = errors.New("server: not logged in")
	// ErrInvalidParam indicates a request with a missing or wrong value.
	ErrInvalidParam = errors.New("server: invalid parameter")
	// ErrRefused indicates a request not allowed in the current state.
	ErrRefused = errors.New("server: refused in this state")
	// ErrRepeated indicates a request that was already done.
	ErrRepeated = errors.New("server: repeated request")
	// ErrSceneNotSupported indicates a request a 1v1 call cannot do.
	ErrSceneNotSupported = errors.New("server: not supported in this call scene")
	// ErrRateLimited indicates a connection sending faster than allowed.
	ErrRateLimited = errors.New("server: too many messages")
	// ErrUnavailable indicates a server that is full or shutting down.
	ErrUnavailable = errors.New("server: unavailable")
	// ErrSessionGone indicates a resume of a session that no longer exists.
	ErrSessionGone = errors.New("server: session is gone")
	// ErrClosed indicates a Server that has been shut down.
	ErrClosed = errors.New("server: closed")
	// ErrDamagedStore indicates a directory database that cannot be read
	// back safely (a *DamagedStoreError says which and why).
	ErrDamagedStore = errors.New("server: directory database is damaged")
	// ErrStoreBusy indicates a directory database that another process
	// (another calla serve on the same data dir) holds (a *StoreBusyError
	// names it).
	ErrStoreBusy = errors.New("server: directory database is in use")
	// ErrStoreWrite indicates directory entries that could not be written
	// to disk (yet).
	ErrStoreWrite = errors.New("server: directory writes are failing")
)

// wireError maps any error a request can fail with to its code on the
// wire and a message a person can act on. It is the only place that
// chooses codes.
func wireError(err error) *signaling.Error {
	var se *signaling.Error
	if errors.As(err, &se) {
		return se
	}
	code := signaling.CodeInternal
	switch {
	case errors.Is(err, signaling.ErrUserSigExpired):
		code = signaling.CodeUserSigExpired
	case errors.Is(err, signaling.ErrUserSigMalformed), errors.Is(err, signaling.ErrUserSigForged),
		errors.Is(err, signaling.ErrUserSigWrongUser), errors.Is(err, signaling.ErrUserSigWrongApp):
		code = signaling.CodeUserSigInvalid
	case errors.Is(err, ErrNotLoggedIn), errors.Is(err, ErrSessionGone):
		code = signaling.CodeNotLoggedIn
	case errors.Is(err, ErrInvalidParam):
		code = signaling.CodeInvalidParam
	case errors.Is(err, ErrRefused):
		code = signaling.CodeRequestRefused
	case errors.Is(err, ErrRepeated):
		code = signaling.CodeRequestRepeated
	case errors.Is(err, ErrSceneNotSupported):
		code = signaling.CodeSceneNotSupported
	case errors.Is(err, ErrRateLimited):
		code = signaling.CodeRateLimited
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrClosed):
		code = signaling.CodeServerUnavailable
	}
	return &signaling.Error{Code: code, Message: strings.TrimPrefix(strings.TrimPrefix(err.Error(), "server: "), "signaling: ")}
}
