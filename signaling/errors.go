package signaling

import "errors"

var (
	// ErrUnknownEvent indicates a server message whose type this client
	// does not know.
	ErrUnknownEvent = errors.New("signaling: unknown event type")
	// ErrClosed indicates a request on a client that has been closed or
	// has stopped for good (kicked, UserSig expired).
	ErrClosed = errors.New("signaling: client closed")
	// ErrNotConnected indicates a request made while the client is
	// reconnecting; the caller may retry after the Resumed event.
	ErrNotConnected = errors.New("signaling: not connected to the server")
	// ErrUserSigMalformed indicates a UserSig that is not valid base64,
	// zlib or JSON, or lacks a field.
	ErrUserSigMalformed = errors.New("signaling: UserSig is malformed")
	// ErrUserSigForged indicates a UserSig whose signature does not match
	// its content under this server's secret.
	ErrUserSigForged = errors.New("signaling: UserSig signature does not match")
	// ErrUserSigWrongUser indicates a UserSig made for another user.
	ErrUserSigWrongUser = errors.New("signaling: UserSig belongs to another user")
	// ErrUserSigWrongApp indicates a UserSig made for another app id.
	ErrUserSigWrongApp = errors.New("signaling: UserSig belongs to another app")
	// ErrUserSigExpired indicates a UserSig past its expiry.
	ErrUserSigExpired = errors.New("signaling: UserSig has expired")
	// ErrBadSecret indicates a secret that is missing or too short.
	ErrBadSecret = errors.New("signaling: secret is missing or too short")
)

// ErrKicked indicates a client stopped because its user logged in elsewhere.
var ErrKicked = errors.New("signaling: kicked offline")
