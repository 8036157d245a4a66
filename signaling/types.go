package signaling

import (
	"fmt"
	"strconv"
)

// UserID identifies a user: 1 to 32 characters of [a-zA-Z0-9_-], as
// TUICallKit's userID.
type UserID string

// CallID identifies one call from invite to its end; the server assigns it.
type CallID string

// GroupID names the group of a group call (TUICallKit's groupId). A call
// with an empty GroupID and one callee is a 1v1 call.
type GroupID string

// MediaType is the call's media: TUICallKit's callMediaType.
type MediaType int

// Media types, numbered as TUICallKit's callMediaType.
const (
	Audio MediaType = 0
	Video MediaType = 1
)

func (m MediaType) String() string {
	switch m {
	case Audio:
		return "audio"
	case Video:
		return "video"
	}
	return "MediaType(" + strconv.Itoa(int(m)) + ")"
}

// Valid reports whether m is Audio or Video.
func (m MediaType) Valid() bool { return m == Audio || m == Video }

// CallRole is the local user's role in a call: TUICallKit's callRole.
type CallRole int

// Call roles, numbered as TUICallKit's callRole.
const (
	RoleUnknown CallRole = 0
	RoleCaller  CallRole = 1
	RoleCallee  CallRole = 2
)

func (r CallRole) String() string {
	switch r {
	case RoleUnknown:
		return "unknown"
	case RoleCaller:
		return "caller"
	case RoleCallee:
		return "callee"
	}
	return "CallRole(" + strconv.Itoa(int(r)) + ")"
}

// RoomID is the media room of a call in both of TUICallKit's forms. The
// server fills both: IntRoomID in 1..2^31-1 and StrRoomID its decimal text.
type RoomID struct {
	IntRoomID int32  `json:"intRoomId"`
	StrRoomID string `json:"strRoomId"`
}

// EndReason says why a call ended or was not connected (newer TUICallKit
// versions' reason). It rides on onCallCancelled and onCallEnd.
type EndReason string

// End reasons, spelled as newer TUICallKit versions spell them.
const (
	ReasonHangup              EndReason = "hangup"
	ReasonReject              EndReason = "reject"
	ReasonNoResponse          EndReason = "noResponse"
	ReasonOffline             EndReason = "offline"
	ReasonLineBusy            EndReason = "lineBusy"
	ReasonCanceled            EndReason = "canceled"
	ReasonOtherDeviceAccepted EndReason = "otherDeviceAccepted"
	ReasonEndByServer         EndReason = "endByServer"
	ReasonConnectionFailed    EndReason = "connectionFailed"
)

// Presence is a user's state as the directory shows it.
type Presence string

// Presence states.
const (
	Offline Presence = "offline"
	Online  Presence = "online"
	InCall  Presence = "inCall"
)

// Code is an error code on the wire and in onError: TUICallKit's where one
// exists.
type Code int

// Error codes. The negative ones are TUICallDefine's; 6206 is the IM SDK's.
const (
	CodePermissionDenied  Code = -1101 // camera or microphone permission denied, or no such device
	CodeNotLoggedIn       Code = -1201 // init/login not done (TUICallKit ERROR_INIT_FAIL)
	CodeInvalidParam      Code = -1202 // a parameter is missing or wrong
	CodeRequestRefused    Code = -1203 // the request is not allowed in the current state
	CodeRequestRepeated   Code = -1204 // the same request is already done or under way
	CodeSceneNotSupported Code = -1205 // not supported in this call scene
	CodeCameraFailed      Code = -1301 // the camera could not be started
	CodeMicrophoneFailed  Code = -1302 // the microphone could not be started
	CodeScreenFailed      Code = -1303 // the screen could not be captured: Calla's own, next to -1301/-1302
	CodeSignalingSendFail Code = -1406 // a signaling message could not be sent
	CodeUserSigExpired    Code = 6206  // the UserSig has expired
	CodeUserSigInvalid    Code = -3320 // the UserSig is malformed, forged or for another user or app (TRTC's invalid-userSig)
	CodeRateLimited       Code = -1407 // too many messages: Calla's own, next to -1406
	CodeServerUnavailable Code = -1408 // the server is shutting down or full: Calla's own
	CodeMediaNegotiation  Code = -1409 // WebRTC negotiation or the media connection failed: Calla's own
	CodeInternal          Code = -1    // an unexpected failure; the message says what
)

func (c Code) String() string { return strconv.Itoa(int(c)) }

// Error is a failure with a TUICallKit code and a message a person can act
// on. It is what the server answers to a refused request and what the
// engine reports in onError.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("signaling: %s (code %d)", e.Message, e.Code) }

// Is makes errors.Is match any *Error with the same code, so callers can
// test errors.Is(err, &signaling.Error{Code: signaling.CodeRequestRefused}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with code c and a formatted message.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// maxIDLen is the longest UserID or GroupID.
const maxIDLen = 32

// IDRule says what Valid accepts, for messages.
const IDRule = "1 to 32 characters of a-z, A-Z, 0-9, _ and -"

// Valid reports whether u is 1 to 32 characters of [a-zA-Z0-9_-].
func (u UserID) Valid() bool { return validID(string(u)) }

// Valid reports whether g is 1 to 32 characters of [a-zA-Z0-9_-].
func (g GroupID) Valid() bool { return validID(string(g)) }

func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
