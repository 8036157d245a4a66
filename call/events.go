package call

import (
	"encoding/json"
	"fmt"

	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// Event is one of the engine's events: the 17 of TUICallEvent, the extras
// of newer TUICallKit versions (onUserInviting), and Calla's own
// (presence, connection state, media source). Consumers switch on the
// concrete type:
//
//	switch e := ev.(type) {
//	case *call.CallBegin:
//		...
//	}
type Event interface {
	// EventName is the seed's name for the event, e.g. "onCallBegin".
	EventName() string
	isEvent()
}

// Error is onError: a failure of an API call or of the media pipeline.
// Unwrap gives the failure it was made from, when there was one (a
// network error of the login, a device error), so that an app can tell
// the user more than the code says; the JSON form is code and message.
type Error struct {
	Code    signaling.Code `json:"code"`
	Message string         `json:"message"`
	cause   error
}

// CallReceived is onCallReceived: the local user is invited to a call.
type CallReceived struct {
	CallID        signaling.CallID    `json:"callId"`
	CallerID      signaling.UserID    `json:"callerId"`
	CalleeIDList  []signaling.UserID  `json:"calleeIdList"`
	GroupID       signaling.GroupID   `json:"groupId"`
	CallMediaType signaling.MediaType `json:"callMediaType"`
	UserData      string              `json:"userData"`
}

// CallCancelled is onCallCancelled: a call that never connected on this
// side is over. Who receives it, and with which callerId, follows the
// seed's scenario table (DESIGN §1).
type CallCancelled struct {
	CallID   signaling.CallID    `json:"callId"`
	CallerID signaling.UserID    `json:"callerId"`
	Reason   signaling.EndReason `json:"reason"`
}

// CallBegin is onCallBegin: the call is connected for the local user.
type CallBegin struct {
	CallID        signaling.CallID    `json:"callId"`
	RoomID        signaling.RoomID    `json:"roomId"`
	CallMediaType signaling.MediaType `json:"callMediaType"`
	CallRole      signaling.CallRole  `json:"callRole"`
}

// CallEnd is onCallEnd: a connected call ended for the local user.
type CallEnd struct {
	CallID        signaling.CallID    `json:"callId"`
	RoomID        signaling.RoomID    `json:"roomId"`
	CallMediaType signaling.MediaType `json:"callMediaType"`
	CallRole      signaling.CallRole  `json:"callRole"`
	TotalTime     int64               `json:"totalTime"` // seconds
	Reason        signaling.EndReason `json:"reason"`
}

// UserReject is onUserReject: an invitee declined.
type UserReject struct {
	CallID signaling.CallID `json:"callId"`
	UserID signaling.UserID `json:"userId"`
}

// UserNoResponse is onUserNoResponse: an invitee did not answer in time.
type UserNoResponse struct {
	CallID signaling.CallID `json:"callId"`
	UserID signaling.UserID `json:"userId"`
}

// UserLineBusy is onUserLineBusy: an invitee is busy or ignored the call.
type UserLineBusy struct {
	CallID signaling.CallID `json:"callId"`
	UserID signaling.UserID `json:"userId"`
}

// UserJoin is onUserJoin: a remote user entered the call's media room.
type UserJoin struct {
	CallID signaling.CallID `json:"callId"`
	UserID signaling.UserID `json:"userId"`
}

// UserLeave is onUserLeave: a remote user left the call.
type UserLeave struct {
	CallID signaling.CallID `json:"callId"`
	UserID signaling.UserID `json:"userId"`
}

// UserInviting is onUserInviting: a member invited UserID into the running
// group call.
type UserInviting struct {
	CallID signaling.CallID `json:"callId"`
	UserID signaling.UserID `json:"userId"`
}

// CallMediaTypeChanged is onCallMediaTypeChanged: the call switched between
// audio and video.
type CallMediaTypeChanged struct {
	CallID           signaling.CallID    `json:"callId"`
	OldCallMediaType signaling.MediaType `json:"oldCallMediaType"`
	NewCallMediaType signaling.MediaType `json:"newCallMediaType"`
}

// KickedOffline is onKickedOffline: the same user logged in elsewhere and
// this session is over.
type KickedOffline struct{}

// UserSigExpired is onUserSigExpired: the session's UserSig expired and the
// session is over until the user logs in with a new one.
type UserSigExpired struct{}

// UserVideoAvailable is onUserVideoAvailable: a remote camera went on or off.
type UserVideoAvailable struct {
	CallID           signaling.CallID `json:"callId"`
	UserID           signaling.UserID `json:"userId"`
	IsVideoAvailable bool             `json:"isVideoAvailable"`
}

// UserAudioAvailable is onUserAudioAvailable: a remote microphone went on
// or off.
type UserAudioAvailable struct {
	CallID           signaling.CallID `json:"callId"`
	UserID           signaling.UserID `json:"userId"`
	IsAudioAvailable bool             `json:"isAudioAvailable"`
}

// UserVoiceVolumeChanged is onUserVoiceVolumeChanged: every member's volume,
// 0..100, the local user's included.
type UserVoiceVolumeChanged struct {
	CallID    signaling.CallID         `json:"callId"`
	VolumeMap map[signaling.UserID]int `json:"volumeMap"`
}

// UserNetworkQualityChanged is onUserNetworkQualityChanged: every member's
// network quality, the local user's included.
type UserNetworkQualityChanged struct {
	CallID         signaling.CallID                   `json:"callId"`
	NetworkQuality map[signaling.UserID]media.Quality `json:"networkQuality"`
}

// PresenceChanged is Calla's own: a contact's presence or profile changed.
// The engine emits one for every directory entry after login.
type PresenceChanged struct {
	UserID    signaling.UserID   `json:"userId"`
	Nickname  string             `json:"nickname"`
	AvatarURL string             `json:"avatarUrl"`
	Presence  signaling.Presence `json:"presence"`
}

// ConnectionState is the engine's link to the signaling server.
type ConnectionState string

// Connection states.
const (
	Disconnected ConnectionState = "disconnected"
	Connecting   ConnectionState = "connecting"
	Connected    ConnectionState = "connected"
	Reconnecting ConnectionState = "reconnecting"
)

// ConnectionChanged is Calla's own: the link to the server changed state.
type ConnectionChanged struct {
	State  ConnectionState `json:"state"`
	Reason string          `json:"reason,omitempty"`
}

// MediaSourceChanged is Calla's own: which devices a call opened, named:
// the camera and microphone that capture, and the speaker that plays.
// IsTestSource is true where a test pattern or tone stands in for a
// missing camera or microphone, so the UI can say so.
type MediaSourceChanged struct {
	Kind         string `json:"kind"` // "camera", "microphone" or "speaker"
	DeviceID     string `json:"deviceId"`
	Label        string `json:"label"`
	IsTestSource bool   `json:"isTestSource"`
}

// UserScreenShareChanged is Calla's own: a member (the local user
// included) started or stopped showing a screen instead of their camera.
// Their video stays available (onUserVideoAvailable) throughout.
type UserScreenShareChanged struct {
	CallID    signaling.CallID `json:"callId"`
	UserID    signaling.UserID `json:"userId"`
	IsSharing bool             `json:"isSharing"`
}

// NetworkPath is how the media link with one member is carried, from the
// ICE candidate pair in use (pion's stats), not a guess.
type NetworkPath struct {
	// Via is "direct" or "relay" (through a TURN relay).
	Via string `json:"via"`
	// Local and Remote are the pair's candidate kinds: host, srflx,
	// prflx or relay.
	Local  media.CandidateKind `json:"local"`
	Remote media.CandidateKind `json:"remote"`
	// Protocol is how the local side reaches its TURN relay (udp, tcp or
	// tls) when Local is relay; empty otherwise.
	Protocol string `json:"protocol,omitempty"`
	// LocalAddr and RemoteAddr are the pair's addresses.
	LocalAddr  string `json:"localAddress"`
	RemoteAddr string `json:"remoteAddress"`
	// RTTMs is the pair's round-trip time in milliseconds (ICE checks);
	// 0 until measured.
	RTTMs int64 `json:"rttMs"`
}

// Network path kinds (NetworkPath.Via).
const (
	ViaDirect = "direct"
	ViaRelay  = "relay"
)

// NetworkPathChanged is Calla's own: how each joined member's media link
// is carried. It comes when a link's candidate pair is selected (at
// connect, and after an ICE restart) and with every quality update (2 s).
type NetworkPathChanged struct {
	CallID signaling.CallID                 `json:"callId"`
	Paths  map[signaling.UserID]NetworkPath `json:"paths"`
}

func (*Error) EventName() string                     { return "onError" }
func (*CallReceived) EventName() string              { return "onCallReceived" }
func (*CallCancelled) EventName() string             { return "onCallCancelled" }
func (*CallBegin) EventName() string                 { return "onCallBegin" }
func (*CallEnd) EventName() string                   { return "onCallEnd" }
func (*UserReject) EventName() string                { return "onUserReject" }
func (*UserNoResponse) EventName() string            { return "onUserNoResponse" }
func (*UserLineBusy) EventName() string              { return "onUserLineBusy" }
func (*UserJoin) EventName() string                  { return "onUserJoin" }
func (*UserLeave) EventName() string                 { return "onUserLeave" }
func (*UserInviting) EventName() string              { return "onUserInviting" }
func (*CallMediaTypeChanged) EventName() string      { return "onCallMediaTypeChanged" }
func (*KickedOffline) EventName() string             { return "onKickedOffline" }
func (*UserSigExpired) EventName() string            { return "onUserSigExpired" }
func (*UserVideoAvailable) EventName() string        { return "onUserVideoAvailable" }
func (*UserAudioAvailable) EventName() string        { return "onUserAudioAvailable" }
func (*UserVoiceVolumeChanged) EventName() string    { return "onUserVoiceVolumeChanged" }
func (*UserNetworkQualityChanged) EventName() string { return "onUserNetworkQualityChanged" }
func (*PresenceChanged) EventName() string           { return "onPresenceChanged" }
func (*ConnectionChanged) EventName() string         { return "onConnectionChanged" }
func (*MediaSourceChanged) EventName() string        { return "onMediaSourceChanged" }
func (*UserScreenShareChanged) EventName() string    { return "onUserScreenShareChanged" }
func (*NetworkPathChanged) EventName() string        { return "onNetworkPathChanged" }

func (*Error) isEvent()                     {}
func (*CallReceived) isEvent()              {}
func (*CallCancelled) isEvent()             {}
func (*CallBegin) isEvent()                 {}
func (*CallEnd) isEvent()                   {}
func (*UserReject) isEvent()                {}
func (*UserNoResponse) isEvent()            {}
func (*UserLineBusy) isEvent()              {}
func (*UserJoin) isEvent()                  {}
func (*UserLeave) isEvent()                 {}
func (*UserInviting) isEvent()              {}
func (*CallMediaTypeChanged) isEvent()      {}
func (*KickedOffline) isEvent()             {}
func (*UserSigExpired) isEvent()            {}
func (*UserVideoAvailable) isEvent()        {}
func (*UserAudioAvailable) isEvent()        {}
func (*UserVoiceVolumeChanged) isEvent()    {}
func (*UserNetworkQualityChanged) isEvent() {}
func (*PresenceChanged) isEvent()           {}
func (*ConnectionChanged) isEvent()         {}
func (*MediaSourceChanged) isEvent()        {}
func (*UserScreenShareChanged) isEvent()    {}
func (*NetworkPathChanged) isEvent()        {}

// MarshalEvent returns ev's JSON form: its fields with the seed's names,
// led by "event": the seed's event name, e.g.
//
//	{"event":"onCallBegin","callId":"c1","roomId":{"intRoomId":1234,"strRoomId":"1234"},"callMediaType":1,"callRole":1}
func MarshalEvent(ev Event) ([]byte, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("call: marshal %s: %w", ev.EventName(), err)
	}
	out := make([]byte, 0, len(body)+len(ev.EventName())+12)
	out = append(out, `{"event":"`...)
	out = append(out, ev.EventName()...)
	out = append(out, '"')
	if len(body) > 2 { // not "{}"
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}
