package signaling

import (
	"encoding/json"
	"fmt"
)

// Event is one event on a Client's Events channel: a server event (the
// seed's call events, presence, relay), a change of the client's own
// connection (Reconnecting, Resumed, SessionLost), or the Reply to a
// request made with Send. Consumers switch on the concrete type.
type Event interface {
	// EventType is the event's name on the wire (e.g. "onCallBegin"), or
	// the client's own name for connection events.
	EventType() MessageType
	isEvent()
}

// CallReceived is onCallReceived: the local user is invited.
type CallReceived struct {
	CallID        CallID    `json:"callId"`
	CallerID      UserID    `json:"callerId"`
	CalleeIDList  []UserID  `json:"calleeIdList"`
	GroupID       GroupID   `json:"groupId"`
	CallMediaType MediaType `json:"callMediaType"`
	UserData      string    `json:"userData"`
}

// CallCancelled is onCallCancelled. CallerID follows the seed's scenario
// table: the caller when the caller cancelled, the receiver itself when
// its own answer (reject, no response, ignore, failure) ended it.
type CallCancelled struct {
	CallID   CallID    `json:"callId"`
	CallerID UserID    `json:"callerId"`
	Reason   EndReason `json:"reason"`
}

// CallBegin is onCallBegin: the local user is connected. Members lists
// the others already in the room, in the order they entered; EntryIndex
// is the local user's place in that order (0 = first).
type CallBegin struct {
	CallID        CallID    `json:"callId"`
	RoomID        RoomID    `json:"roomId"`
	CallMediaType MediaType `json:"callMediaType"`
	CallRole      CallRole  `json:"callRole"`
	Members       []UserID  `json:"members"`
	EntryIndex    int       `json:"entryIndex"`
}

// CallEnd is onCallEnd: a connected call ended for the local user.
type CallEnd struct {
	CallID        CallID    `json:"callId"`
	RoomID        RoomID    `json:"roomId"`
	CallMediaType MediaType `json:"callMediaType"`
	CallRole      CallRole  `json:"callRole"`
	TotalTime     int64     `json:"totalTime"`
	Reason        EndReason `json:"reason"`
}

// UserReject is onUserReject.
type UserReject struct {
	CallID CallID `json:"callId"`
	UserID UserID `json:"userId"`
}

// UserNoResponse is onUserNoResponse.
type UserNoResponse struct {
	CallID CallID `json:"callId"`
	UserID UserID `json:"userId"`
}

// UserLineBusy is onUserLineBusy.
type UserLineBusy struct {
	CallID CallID `json:"callId"`
	UserID UserID `json:"userId"`
}

// UserJoin is onUserJoin: UserID entered the room. Offer is true when the
// local user entered the room after UserID, and so must send UserID the
// WebRTC offer (the later joiner of each pair offers); EntryIndex is
// UserID's place in the order of entry.
type UserJoin struct {
	CallID     CallID `json:"callId"`
	UserID     UserID `json:"userId"`
	EntryIndex int    `json:"entryIndex"`
	Offer      bool   `json:"offer"`
}

// UserLeave is onUserLeave.
type UserLeave struct {
	CallID CallID `json:"callId"`
	UserID UserID `json:"userId"`
}

// UserInviting is onUserInviting: UserID is being invited into the call.
type UserInviting struct {
	CallID CallID `json:"callId"`
	UserID UserID `json:"userId"`
}

// CallMediaTypeChanged is onCallMediaTypeChanged.
type CallMediaTypeChanged struct {
	CallID           CallID    `json:"callId"`
	OldCallMediaType MediaType `json:"oldCallMediaType"`
	NewCallMediaType MediaType `json:"newCallMediaType"`
}

// KickedOffline is onKickedOffline: the same user logged in elsewhere.
// The connection closes after it and the client does not reconnect.
type KickedOffline struct{}

// UserSigExpired is onUserSigExpired: the session's UserSig expired. The
// connection closes after it and the client does not reconnect.
type UserSigExpired struct{}

// Relay is onRelay: a relay payload (RelayPayload) from another member
// of the call; From is stamped by the server.
type Relay struct {
	CallID  CallID          `json:"callId"`
	From    UserID          `json:"from"`
	Payload json.RawMessage `json:"payload"`
}

// PresenceChanged is onPresence: directory entries whose presence or profile
// changed (batched).
type PresenceChanged struct {
	Users []DirectoryEntry `json:"users"`
}

// ServerClosing is onServerClosing: the server is shutting down. The
// connection closes after it; the client reconnects with back-off.
type ServerClosing struct {
	Message string `json:"message"`
}

// Client-side connection events (never on the wire).
const (
	EvReconnecting MessageType = "reconnecting"
	EvResumed      MessageType = "resumed"
	EvSessionLost  MessageType = "sessionLost"
	EvClosed       MessageType = "closed"
	EvReply        MessageType = "reply"
)

// Reconnecting says the connection dropped and the client is trying again
// (Attempt counts from 1). Calls stay up on the server for the grace period.
type Reconnecting struct {
	Attempt int
	Err     string
}

// Resumed says the client is connected again to the same session; the
// events it missed were replayed before this one (Replayed of them).
type Resumed struct {
	Replayed int
}

// SessionLost says the old session is gone (the grace period passed, the
// server restarted): the server ended the user's part in any call, and the
// client logged in afresh. The engine must drop its local call state.
type SessionLost struct {
	Reason string
}

// Closed is the last event before the Events channel closes when the
// client stops by itself: Err is nil after Logout, and says why otherwise
// (kicked: ErrKicked; UserSig expired; a re-login refused). After Close
// the channel just closes, without this event.
type Closed struct {
	Err error
}

// Reply is the outcome of a request made with Client.Send, delivered on
// Events in the server's order: after every event the server sent before
// the reply, before every event it sent after. Err is nil, the server's
// *Error, or why no reply came (ErrNotConnected: the connection was lost
// before it; ErrClosed; a timeout). ID is what Send returned.
type Reply struct {
	ID   uint64
	Type RequestType
	Data json.RawMessage
	Err  error
}

// Decode decodes the reply's data into out.
func (r *Reply) Decode(out any) error {
	if len(r.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("signaling: decode reply to %s: %w", r.Type, err)
	}
	return nil
}

func (*CallReceived) EventType() MessageType         { return EvCallReceived }
func (*CallCancelled) EventType() MessageType        { return EvCallCancelled }
func (*CallBegin) EventType() MessageType            { return EvCallBegin }
func (*CallEnd) EventType() MessageType              { return EvCallEnd }
func (*UserReject) EventType() MessageType           { return EvUserReject }
func (*UserNoResponse) EventType() MessageType       { return EvUserNoResponse }
func (*UserLineBusy) EventType() MessageType         { return EvUserLineBusy }
func (*UserJoin) EventType() MessageType             { return EvUserJoin }
func (*UserLeave) EventType() MessageType            { return EvUserLeave }
func (*UserInviting) EventType() MessageType         { return EvUserInviting }
func (*CallMediaTypeChanged) EventType() MessageType { return EvCallMediaTypeChanged }
func (*KickedOffline) EventType() MessageType        { return EvKickedOffline }
func (*UserSigExpired) EventType() MessageType       { return EvUserSigExpired }
func (*Relay) EventType() MessageType                { return EvRelay }
func (*PresenceChanged) EventType() MessageType      { return EvPresence }
func (*ServerClosing) EventType() MessageType        { return EvServerClosing }
func (*Reconnecting) EventType() MessageType         { return EvReconnecting }
func (*Resumed) EventType() MessageType              { return EvResumed }
func (*SessionLost) EventType() MessageType          { return EvSessionLost }
func (*Closed) EventType() MessageType               { return EvClosed }
func (*Reply) EventType() MessageType                { return EvReply }

func (*CallReceived) isEvent()         {}
func (*CallCancelled) isEvent()        {}
func (*CallBegin) isEvent()            {}
func (*CallEnd) isEvent()              {}
func (*UserReject) isEvent()           {}
func (*UserNoResponse) isEvent()       {}
func (*UserLineBusy) isEvent()         {}
func (*UserJoin) isEvent()             {}
func (*UserLeave) isEvent()            {}
func (*UserInviting) isEvent()         {}
func (*CallMediaTypeChanged) isEvent() {}
func (*KickedOffline) isEvent()        {}
func (*UserSigExpired) isEvent()       {}
func (*Relay) isEvent()                {}
func (*PresenceChanged) isEvent()      {}
func (*ServerClosing) isEvent()        {}
func (*Reconnecting) isEvent()         {}
func (*Resumed) isEvent()              {}
func (*SessionLost) isEvent()          {}
func (*Closed) isEvent()               {}
func (*Reply) isEvent()                {}

// serverEvents makes an empty value of each event the server sends.
var serverEvents = map[MessageType]func() Event{
	EvCallReceived:         func() Event { return new(CallReceived) },
	EvCallCancelled:        func() Event { return new(CallCancelled) },
	EvCallBegin:            func() Event { return new(CallBegin) },
	EvCallEnd:              func() Event { return new(CallEnd) },
	EvUserReject:           func() Event { return new(UserReject) },
	EvUserNoResponse:       func() Event { return new(UserNoResponse) },
	EvUserLineBusy:         func() Event { return new(UserLineBusy) },
	EvUserJoin:             func() Event { return new(UserJoin) },
	EvUserLeave:            func() Event { return new(UserLeave) },
	EvUserInviting:         func() Event { return new(UserInviting) },
	EvCallMediaTypeChanged: func() Event { return new(CallMediaTypeChanged) },
	EvKickedOffline:        func() Event { return new(KickedOffline) },
	EvUserSigExpired:       func() Event { return new(UserSigExpired) },
	EvRelay:                func() Event { return new(Relay) },
	EvPresence:             func() Event { return new(PresenceChanged) },
	EvServerClosing:        func() Event { return new(ServerClosing) },
}

// DecodeEvent decodes the data of a server event of type t.
func DecodeEvent(t MessageType, data []byte) (Event, error) {
	mk, ok := serverEvents[t]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEvent, t)
	}
	ev := mk()
	if len(data) > 0 {
		if err := json.Unmarshal(data, ev); err != nil {
			return nil, fmt.Errorf("signaling: decode %s: %w", t, err)
		}
	}
	return ev, nil
}
