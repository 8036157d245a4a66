package signaling

import (
	"encoding/json"
	"strconv"
)

// ProtocolVersion is the "v" of every envelope. A peer that sees another
// version refuses the message with CodeInvalidParam.
const ProtocolVersion = 1

// RequestType names what a client asks of the server.
type RequestType string

// Request types. Each is answered by exactly one reply.
const (
	ReqLogin           RequestType = "login"
	ReqResume          RequestType = "resume"
	ReqLogout          RequestType = "logout"
	ReqCall            RequestType = "call"
	ReqAccept          RequestType = "accept"
	ReqReject          RequestType = "reject"
	ReqIgnore          RequestType = "ignore"
	ReqFail            RequestType = "fail"
	ReqHangup          RequestType = "hangup"
	ReqInvite          RequestType = "invite"
	ReqJoin            RequestType = "join"
	ReqSwitchMediaType RequestType = "switchMediaType"
	ReqRelay           RequestType = "relay"
	ReqDirectory       RequestType = "directory"
	ReqSetProfile      RequestType = "setProfile"

	ReqCreateGroup        RequestType = "createGroup"
	ReqGroups             RequestType = "groups"
	ReqAddGroupMembers    RequestType = "addGroupMembers"
	ReqRemoveGroupMembers RequestType = "removeGroupMembers"
	ReqDeleteGroup        RequestType = "deleteGroup"
)

func (t RequestType) String() string { return string(t) }

// Request is the one envelope a client sends:
//
//	{"v":1,"id":7,"type":"accept","data":{"callId":"c1"}}
//
// ID is chosen by the client; the reply carries it back.
type Request struct {
	V    int             `json:"v"`
	ID   uint64          `json:"id"`
	Type RequestType     `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// MessageType is what a server message is: a reply, or the name of an
// event (the seed's names, e.g. "onCallReceived", plus Calla's own).
type MessageType string

// Message types sent by the server.
const (
	MsgReply MessageType = "reply"

	EvCallReceived         MessageType = "onCallReceived"
	EvCallCancelled        MessageType = "onCallCancelled"
	EvCallBegin            MessageType = "onCallBegin"
	EvCallEnd              MessageType = "onCallEnd"
	EvUserReject           MessageType = "onUserReject"
	EvUserNoResponse       MessageType = "onUserNoResponse"
	EvUserLineBusy         MessageType = "onUserLineBusy"
	EvUserJoin             MessageType = "onUserJoin"
	EvUserLeave            MessageType = "onUserLeave"
	EvUserInviting         MessageType = "onUserInviting"
	EvCallMediaTypeChanged MessageType = "onCallMediaTypeChanged"
	EvKickedOffline        MessageType = "onKickedOffline"
	EvUserSigExpired       MessageType = "onUserSigExpired"
	EvRelay                MessageType = "onRelay"
	EvPresence             MessageType = "onPresence"
	EvServerClosing        MessageType = "onServerClosing"
)

func (t MessageType) String() string { return string(t) }

// Message is the one envelope the server sends. A reply:
//
//	{"v":1,"type":"reply","id":7,"data":{...}}
//	{"v":1,"type":"reply","id":7,"error":{"code":-1203,"message":"..."}}
//
// an event:
//
//	{"v":1,"type":"onCallReceived","seq":12,"data":{...}}
//
// Seq numbers a session's events 1, 2, 3, ... so that a client that
// reconnects can ask for the ones it missed. Presence and onServerClosing
// are not numbered (seq absent): they describe the present, not history.
type Message struct {
	V     int             `json:"v"`
	Type  MessageType     `json:"type"`
	ID    uint64          `json:"id,omitempty"`
	Seq   uint64          `json:"seq,omitempty"`
	Error *Error          `json:"error,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"`
}

// AppendMessage appends the JSON of a server message to b without
// reflection: the server builds every message through it, since it sends
// one per event per member.
func AppendMessage(b []byte, t MessageType, id, seq uint64, data []byte) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, ProtocolVersion, 10)
	b = append(b, `,"type":"`...)
	b = append(b, t...)
	b = append(b, '"')
	if id != 0 {
		b = append(b, `,"id":`...)
		b = strconv.AppendUint(b, id, 10)
	}
	if seq != 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendUint(b, seq, 10)
	}
	if len(data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}

// ICEServer is one STUN or TURN server the client should use; the login
// reply carries the server's list.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// DirectoryEntry is one user of the server's directory.
type DirectoryEntry struct {
	UserID    UserID   `json:"userId"`
	Nickname  string   `json:"nickname"`
	AvatarURL string   `json:"avatarUrl"`
	Presence  Presence `json:"presence"`
}

// Request payloads.

// LoginRequest opens a session. Presence asks the server to push presence
// changes of the whole directory (onPresence); a headless client or a bot
// can leave it off to save traffic.
type LoginRequest struct {
	UserID    UserID `json:"userId"`
	UserSig   string `json:"userSig"`
	Nickname  string `json:"nickname,omitempty"`
	AvatarURL string `json:"avatarUrl,omitempty"`
	Presence  bool   `json:"presence,omitempty"`
}

// LoginReply answers a login: the session token and the last event number
// (for a later resume), the ICE servers, and the directory.
type LoginReply struct {
	Token   string `json:"token"`
	Seq     uint64 `json:"seq"`
	GraceMs int64  `json:"graceMs"`
	// CallGraceMs is the grace period of a session whose user is
	// connected in a call (never shorter than GraceMs): a client in a call
	// keeps trying to resume for this long.
	CallGraceMs int64            `json:"callGraceMs"`
	ICEServers  []ICEServer      `json:"iceServers"`
	Directory   []DirectoryEntry `json:"directory"`
}

// ResumeRequest re-attaches a new connection to a session whose
// connection dropped, within the grace period. LastSeq is the last event
// number the client processed; the server replays every later one after
// its reply.
type ResumeRequest struct {
	UserID  UserID `json:"userId"`
	Token   string `json:"token"`
	LastSeq uint64 `json:"lastSeq"`
}

// ResumeReply answers a resume with the current directory and fresh ICE
// servers (TURN credentials are short-lived, so a resumed session gets new
// ones).
type ResumeReply struct {
	Seq        uint64           `json:"seq"`
	ICEServers []ICEServer      `json:"iceServers"`
	Directory  []DirectoryEntry `json:"directory"`
}

// CallRequest starts a 1v1 call (one callee, no group) or a group call
// (a GroupID or more than one callee). Timeout is in seconds, 0 meaning
// the server's default. RoomID is optional; the server picks one if it is
// absent.
type CallRequest struct {
	CalleeIDList  []UserID  `json:"calleeIdList"`
	GroupID       GroupID   `json:"groupId,omitempty"`
	CallMediaType MediaType `json:"callMediaType"`
	Timeout       int       `json:"timeout,omitempty"`
	UserData      string    `json:"userData,omitempty"`
	RoomID        *RoomID   `json:"roomId,omitempty"`
}

// CallReply answers call and join: the call, its room, and the members
// already in the room in the order they entered.
type CallReply struct {
	CallID        CallID    `json:"callId"`
	RoomID        RoomID    `json:"roomId"`
	CallMediaType MediaType `json:"callMediaType"`
	Members       []UserID  `json:"members"`
}

// CallRef names the call of accept, reject, ignore and hangup.
type CallRef struct {
	CallID CallID `json:"callId"`
}

// FailRequest says the client could not take the call (the abnormal case):
// the callee gets onCallCancelled(reason connectionFailed) and the caller
// hears about it through the invite timeout.
type FailRequest struct {
	CallID CallID `json:"callId"`
	Reason string `json:"reason,omitempty"`
}

// InviteRequest invites more users into a running group call.
type InviteRequest struct {
	CallID     CallID   `json:"callId"`
	UserIDList []UserID `json:"userIdList"`
	Timeout    int      `json:"timeout,omitempty"`
}

// InviteReply lists who was invited (busy users are reported by
// onUserLineBusy instead).
type InviteReply struct {
	Invited []UserID `json:"invited"`
}

// JoinRequest joins a running group call, named by CallID or GroupID.
type JoinRequest struct {
	CallID  CallID  `json:"callId,omitempty"`
	GroupID GroupID `json:"groupId,omitempty"`
}

// SwitchMediaTypeRequest switches a call between audio and video.
type SwitchMediaTypeRequest struct {
	CallID        CallID    `json:"callId"`
	CallMediaType MediaType `json:"callMediaType"`
}

// RelayRequest sends a payload (a RelayPayload: SDP offers and answers,
// ICE candidates, camera and microphone states) to another member of the
// call in the room. From may be left out; if present it must be the sender, since
// the server stamps the sender itself.
type RelayRequest struct {
	CallID  CallID          `json:"callId"`
	To      UserID          `json:"to"`
	From    UserID          `json:"from,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// SetProfileRequest changes the sender's nickname and avatar URL.
type SetProfileRequest struct {
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatarUrl"`
}

// CreateGroupRequest creates a server-side group: a named set of users
// whose members may join the group's running call. The creator is its
// owner and a member. The server picks the GroupID; only the server's
// administrator may choose one.
type CreateGroupRequest struct {
	GroupID      GroupID  `json:"groupId,omitempty"`
	Name         string   `json:"name"`
	MemberIDList []UserID `json:"memberIdList"`
}

// GroupInfo is a server-side group: the reply to createGroup and to the
// member changes, and an entry of GroupsReply. Members are sorted.
type GroupInfo struct {
	GroupID GroupID  `json:"groupId"`
	Name    string   `json:"name"`
	Owner   UserID   `json:"owner"`
	Members []UserID `json:"members"`
}

// GroupsReply answers groups: the groups the user is a member of (the
// administrator: every group), sorted by id.
type GroupsReply struct {
	Groups []GroupInfo `json:"groups"`
}

// GroupMembersRequest adds users to a group or removes them.
type GroupMembersRequest struct {
	GroupID    GroupID  `json:"groupId"`
	UserIDList []UserID `json:"userIdList"`
}

// GroupRef names the group of deleteGroup.
type GroupRef struct {
	GroupID GroupID `json:"groupId"`
}

// DirectoryReply answers directory.
type DirectoryReply struct {
	Users []DirectoryEntry `json:"users"`
}

// WebSocket close codes the server uses (4000-4999 is the private range).
// A client must not reconnect after CloseKicked or CloseUserSigExpired.
const (
	CloseLoggedOut      = 4000 // the client logged out
	CloseKicked         = 4001 // the same user logged in elsewhere
	CloseUserSigExpired = 4002 // the UserSig expired while online
	CloseReplaced       = 4003 // a resumed connection took over the session
	CloseSlowConsumer   = 4004 // the client read too slowly; resume to get the rest
	CloseLoginTimeout   = 4005 // no login in time
)
