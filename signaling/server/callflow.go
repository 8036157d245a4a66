package server

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// This file is the call state machine: every request about a call and
// every timeout, and which member hears what (DESIGN §1 and the
// scenario table). Requests return an "after" func with the events they
// cause, which handle runs after the reply.

// errNoCall is the answer to a request about call id from a user who has
// no part in it: the same whether the call does not exist or is another's,
// so that guessing ids tells nothing.
func errNoCall(id signaling.CallID) error {
	return fmt.Errorf("%w: call %q has ended, never existed, or is not yours", ErrRefused, id)
}

// memberOf finds u's part in call id.
func (m *machine) memberOf(u signaling.UserID, id signaling.CallID) (*call, *member, error) {
	if id == "" {
		return nil, nil, fmt.Errorf("%w: callId is missing", ErrInvalidParam)
	}
	c := m.calls[id]
	if c == nil || c.byUser[u] == nil {
		return nil, nil, errNoCall(id)
	}
	// Whatever the request does to c is written with this input.
	m.touchCall(c)
	return c, c.byUser[u], nil
}

// checkInvitees validates the users of a call or invite request: the
// rules every client checks too (signaling.CheckInvitees, with already
// members in the call besides them), then what only the server knows.
func (m *machine) checkInvitees(self signaling.UserID, users []signaling.UserID, c *call, already int) error {
	if err := signaling.CheckInvitees(self, users, already); err != nil {
		return err
	}
	for _, u := range users {
		if _, known := m.dir[u]; !known {
			return fmt.Errorf("%w: user %q is unknown to this server (never logged in)", ErrInvalidParam, u)
		}
		if c != nil {
			if mb := c.byUser[u]; mb != nil && mb.state != stGone {
				return fmt.Errorf("%w: user %q is already in this call", ErrRepeated, u)
			}
		}
	}
	return nil
}

// inviteTimeout turns a request's timeout in seconds into a duration.
func (m *machine) inviteTimeout(secs int) (time.Duration, error) {
	if secs < 0 || time.Duration(secs)*time.Second > MaxInviteTimeout {
		return 0, fmt.Errorf("%w: timeout %d s must be 0 (the default, %v) to %d s", ErrInvalidParam, secs, m.cfg.InviteTimeout, int(MaxInviteTimeout/time.Second))
	}
	if secs == 0 {
		return m.cfg.InviteTimeout, nil
	}
	return time.Duration(secs) * time.Second, nil
}

// startCall handles call: a 1v1 or group invitation.
func (m *machine) startCall(caller signaling.UserID, req *signaling.CallRequest) (func(), any, error) {
	isGroup := req.GroupID != "" || len(req.CalleeIDList) > 1
	switch {
	case !req.CallMediaType.Valid():
		return nil, nil, fmt.Errorf("%w: callMediaType %d must be 0 (audio) or 1 (video)", ErrInvalidParam, req.CallMediaType)
	case len(req.UserData) > maxUserData:
		return nil, nil, fmt.Errorf("%w: userData has %d bytes, at most %d", ErrInvalidParam, len(req.UserData), maxUserData)
	}
	if req.GroupID != "" {
		if err := req.GroupID.Check(); err != nil {
			return nil, nil, err
		}
	}
	if err := m.checkInvitees(caller, req.CalleeIDList, nil, 1); err != nil {
		return nil, nil, err
	}
	timeout, err := m.inviteTimeout(req.Timeout)
	if err != nil {
		return nil, nil, err
	}
	room, err := m.roomFor(req.RoomID)
	if err != nil {
		return nil, nil, err
	}
	if c := m.userCall[caller]; c != nil {
		return nil, nil, fmt.Errorf("%w: you are already in call %q; hang up first", ErrRefused, c.id)
	}
	g := m.groups[req.GroupID]
	if g != nil && !g.has(caller) {
		return nil, nil, fmt.Errorf("%w: group %q is a server group and you are not a member of it; use another groupId", ErrInvalidParam, req.GroupID)
	}
	if req.GroupID != "" {
		// A running call the caller may join is joined, not doubled. A
		// running call labelled alike that is not the caller's stays
		// unseen: the new call is a call of its own.
		if c := m.joinableCall(caller, req.GroupID); c != nil {
			return nil, nil, fmt.Errorf("%w: group %q already has a running call %q; join it instead", ErrRefused, req.GroupID, c.id)
		}
	}
	m.callSerial++
	c := &call{
		id:       m.newCallID(),
		serial:   m.callSerial,
		group:    req.GroupID,
		onGroup:  g != nil,
		isGroup:  isGroup,
		caller:   caller,
		media:    req.CallMediaType,
		room:     room,
		userData: req.UserData,
		timeout:  timeout,
		byUser:   map[signaling.UserID]*member{},
	}
	m.calls[c.id] = c
	m.touchCall(c)
	if c.group != "" {
		m.groupCalls[c.group] = append(m.groupCalls[c.group], c)
	}
	m.metrics.callStarted()
	cm := c.add(caller, stInRoom, signaling.RoleCaller)
	c.enter(cm) // the caller is in the room from the invite
	m.userCall[caller] = c

	var busy []signaling.UserID
	var ringing []*member
	for _, u := range req.CalleeIDList {
		if m.userCall[u] != nil {
			busy = append(busy, u)
			c.add(u, stGone, signaling.RoleCallee) // invited all the same: it may join later
			continue
		}
		ringing = append(ringing, m.ring(c, u))
	}
	after := func() {
		received := m.callReceivedFor(c, req.CalleeIDList)
		for _, mb := range ringing {
			if mb.state == stRinging {
				m.emit(mb.user, signaling.EvCallReceived, received)
			}
		}
		m.busy(c, busy)
	}
	return after, signaling.CallReply{CallID: c.id, RoomID: c.room, CallMediaType: c.media, Members: []signaling.UserID{}}, nil
}

// newCallID returns a fresh call id: "c" and 128 random bits in hex, so
// that ids can be neither guessed nor enumerated (and a restarted server
// does not repeat the last run's, which call history keys on).
func (m *machine) newCallID() signaling.CallID {
	for {
		var b [16]byte
		_, _ = crand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		if id := signaling.CallID("c" + hex.EncodeToString(b[:])); m.calls[id] == nil {
			return id
		}
	}
}

// roomFor returns the requested room or a fresh one.
func (m *machine) roomFor(want *signaling.RoomID) (signaling.RoomID, error) {
	if want != nil && (want.IntRoomID != 0 || want.StrRoomID != "") {
		if want.IntRoomID < 0 || (want.IntRoomID == 0 && want.StrRoomID == "") {
			return signaling.RoomID{}, fmt.Errorf("%w: intRoomId %d must be 1 to 2147483647", ErrInvalidParam, want.IntRoomID)
		}
		if len(want.StrRoomID) > 64 {
			return signaling.RoomID{}, fmt.Errorf("%w: strRoomId may have at most 64 bytes", ErrInvalidParam)
		}
		r := *want
		if r.IntRoomID == 0 {
			m.nextRoom = m.nextRoom%(1<<31-2) + 1
			r.IntRoomID = m.nextRoom
		}
		if r.StrRoomID == "" {
			r.StrRoomID = strconv.Itoa(int(r.IntRoomID))
		}
		return r, nil
	}
	m.nextRoom = m.nextRoom%(1<<31-2) + 1
	return signaling.RoomID{IntRoomID: m.nextRoom, StrRoomID: strconv.Itoa(int(m.nextRoom))}, nil
}

// ring adds u to c as a ringing invitee with its timeout running.
func (m *machine) ring(c *call, u signaling.UserID) *member {
	mb := c.add(u, stRinging, signaling.RoleCallee)
	mb.timer = m.timers.add(&timer{at: m.now().Add(c.timeout), kind: timerInvite, call: c, memb: mb})
	m.userCall[u] = c
	return mb
}

func (m *machine) callReceived(c *call) signaling.CallReceived {
	return m.callReceivedFor(c, c.calleeList())
}

func (m *machine) callReceivedFor(c *call, callees []signaling.UserID) signaling.CallReceived {
	return signaling.CallReceived{
		CallID:        c.id,
		CallerID:      c.caller,
		CalleeIDList:  callees,
		GroupID:       c.group,
		CallMediaType: c.media,
		UserData:      c.userData,
	}
}

// busy reports invitees that were busy: every live member hears
// onUserLineBusy for each, then the call ends if nobody is left.
func (m *machine) busy(c *call, users []signaling.UserID) {
	if len(users) == 0 || c.ended {
		return
	}
	for _, u := range users {
		m.toLive(c, "", signaling.EvUserLineBusy, signaling.UserLineBusy{CallID: c.id, UserID: u})
	}
	m.settle(c, signaling.ReasonLineBusy)
}

// toLive sends an event to every live member but except.
func (m *machine) toLive(c *call, except signaling.UserID, t signaling.MessageType, v any) {
	for _, mb := range c.live() {
		if mb.user != except {
			m.emit(mb.user, t, v)
		}
	}
}

// accept handles accept: u enters the room.
func (m *machine) accept(u signaling.UserID, id signaling.CallID) (func(), any, error) {
	c, mb, err := m.memberOf(u, id)
	if err != nil {
		return nil, nil, err
	}
	switch mb.state {
	case stInRoom:
		return nil, nil, fmt.Errorf("%w: you are already in call %q", ErrRepeated, id)
	case stRinging:
	default:
		return nil, nil, fmt.Errorf("%w: call %q is over for you (%s)", ErrRefused, id, mb.state)
	}
	mb.timer.stop()
	prior := c.inRoom()
	return m.enterRoom(c, mb), m.callReply(c, prior), nil
}

func (m *machine) callReply(c *call, prior []*member) signaling.CallReply {
	r := signaling.CallReply{CallID: c.id, RoomID: c.room, CallMediaType: c.media, Members: []signaling.UserID{}}
	for _, p := range prior {
		r.Members = append(r.Members, p.user)
	}
	return r
}

// enterRoom puts mb into the room and returns the events that tell
// everyone: the newcomer gets onCallBegin and onUserJoin for each member
// already there (Offer true: it entered later, so it offers); each member
// gets onCallBegin if it had none yet, then onUserJoin(newcomer).
func (m *machine) enterRoom(c *call, mb *member) func() {
	prior := c.inRoom()
	c.enter(mb)
	now := m.now()
	mb.begun, mb.beganAt = true, now
	m.userCall[mb.user] = c
	if !c.begun {
		c.begun = true
		m.metrics.callConnected()
	}
	m.touchPresence(mb.user)
	var wake []*member
	for _, p := range prior {
		if !p.begun {
			p.begun, p.beganAt = true, now
			wake = append(wake, p)
			m.touchPresence(p.user)
		}
	}
	return func() {
		m.emit(mb.user, signaling.EvCallBegin, m.callBegin(c, mb))
		for _, p := range prior {
			m.emit(mb.user, signaling.EvUserJoin, signaling.UserJoin{CallID: c.id, UserID: p.user, EntryIndex: p.entry, Offer: true})
		}
		for _, p := range prior {
			if p.state != stInRoom {
				continue
			}
			for _, w := range wake {
				if w == p {
					m.emit(p.user, signaling.EvCallBegin, m.callBegin(c, p))
				}
			}
			m.emit(p.user, signaling.EvUserJoin, signaling.UserJoin{CallID: c.id, UserID: mb.user, EntryIndex: mb.entry, Offer: false})
		}
	}
}

// callBegin is onCallBegin for mb: the others in the room in order of entry.
func (m *machine) callBegin(c *call, mb *member) signaling.CallBegin {
	others := []signaling.UserID{}
	for _, p := range c.inRoom() {
		if p != mb && p.entry < mb.entry {
			others = append(others, p.user)
		}
	}
	if mb.role == signaling.RoleCaller {
		// The caller's onCallBegin comes when the first invitee enters;
		// list everyone else in the room then.
		others = others[:0]
		for _, p := range c.inRoom() {
			if p != mb {
				others = append(others, p.user)
			}
		}
	}
	return signaling.CallBegin{CallID: c.id, RoomID: c.room, CallMediaType: c.media, CallRole: mb.role, Members: others, EntryIndex: mb.entry}
}

// reject handles reject (and hang-up while ringing).
func (m *machine) reject(u signaling.UserID, id signaling.CallID) (func(), error) {
	return m.decline(u, id, signaling.ReasonReject, signaling.EvUserReject)
}

// ignore handles ignore: the others see the user as busy.
func (m *machine) ignore(u signaling.UserID, id signaling.CallID) (func(), error) {
	return m.decline(u, id, signaling.ReasonLineBusy, signaling.EvUserLineBusy)
}

func (m *machine) decline(u signaling.UserID, id signaling.CallID, reason signaling.EndReason, others signaling.MessageType) (func(), error) {
	c, mb, err := m.memberOf(u, id)
	if err != nil {
		return nil, err
	}
	if mb.state != stRinging {
		return nil, fmt.Errorf("%w: you can only %s a call that is ringing for you; call %q is %s for you", ErrRefused, verbOf(reason), id, mb.state)
	}
	mb.timer.stop()
	return func() {
		m.leaveRinging(c, mb, stGone)
		m.emit(u, signaling.EvCallCancelled, signaling.CallCancelled{CallID: c.id, CallerID: u, Reason: reason})
		m.toLive(c, u, others, userEvent(others, c.id, u))
		m.settle(c, reason)
	}, nil
}

func verbOf(r signaling.EndReason) string {
	if r == signaling.ReasonLineBusy {
		return "ignore"
	}
	return "reject"
}

// userEvent builds the {callId, userId} events.
func userEvent(t signaling.MessageType, id signaling.CallID, u signaling.UserID) any {
	switch t {
	case signaling.EvUserReject:
		return signaling.UserReject{CallID: id, UserID: u}
	case signaling.EvUserNoResponse:
		return signaling.UserNoResponse{CallID: id, UserID: u}
	case signaling.EvUserLineBusy:
		return signaling.UserLineBusy{CallID: id, UserID: u}
	case signaling.EvUserLeave:
		return signaling.UserLeave{CallID: id, UserID: u}
	case signaling.EvUserInviting:
		return signaling.UserInviting{CallID: id, UserID: u}
	}
	panic("server: userEvent: not a user event: " + string(t))
}

// leaveRinging takes a ringing member out of the call's ringing set.
func (m *machine) leaveRinging(c *call, mb *member, to memberState) {
	mb.state = to
	if m.userCall[mb.user] == c {
		delete(m.userCall, mb.user)
	}
}

// fail handles fail. A callee that could not take the call gets its
// onCallCancelled now; the others learn through its timeout. A connected
// member whose media failed leaves as with hangup, but with the reason
// connectionFailed, so that everyone's onCallEnd says why.
func (m *machine) fail(u signaling.UserID, req *signaling.FailRequest) (func(), error) {
	if len(req.Reason) > maxFailReason {
		return nil, fmt.Errorf("%w: reason has %d bytes, at most %d", ErrInvalidParam, len(req.Reason), maxFailReason)
	}
	c, mb, err := m.memberOf(u, req.CallID)
	if err != nil {
		return nil, err
	}
	if mb.state == stInRoom && mb.begun {
		m.log.Info("member's media failed", "call", c.id, "user", u, "reason", req.Reason)
		return func() { m.leaveRoom(c, mb, signaling.ReasonConnectionFailed, true) }, nil
	}
	if mb.state != stRinging {
		return nil, fmt.Errorf("%w: fail is for a call that is ringing for you or that you are connected to; call %q is %s for you", ErrRefused, req.CallID, mb.state)
	}
	m.log.Info("callee failed to take the call", "call", c.id, "user", u, "reason", req.Reason)
	return func() {
		m.leaveRinging(c, mb, stFailed)
		m.emit(u, signaling.EvCallCancelled, signaling.CallCancelled{CallID: c.id, CallerID: u, Reason: signaling.ReasonConnectionFailed})
	}, nil
}

// inviteTimedOut handles an invitee's timeout.
func (m *machine) inviteTimedOut(c *call, mb *member) {
	if c.ended || (mb.state != stRinging && mb.state != stFailed) {
		return
	}
	m.touchCall(c)
	wasRinging := mb.state == stRinging
	m.leaveRinging(c, mb, stGone)
	if wasRinging {
		m.emit(mb.user, signaling.EvCallCancelled, signaling.CallCancelled{CallID: c.id, CallerID: mb.user, Reason: signaling.ReasonNoResponse})
	}
	m.toLive(c, mb.user, signaling.EvUserNoResponse, signaling.UserNoResponse{CallID: c.id, UserID: mb.user})
	m.settle(c, signaling.ReasonNoResponse)
}

// hangup handles hangup: cancel before anyone answered (the caller), reject
// while ringing, leave after connecting.
func (m *machine) hangup(u signaling.UserID, id signaling.CallID) (func(), error) {
	c, mb, err := m.memberOf(u, id)
	if err != nil {
		return nil, err
	}
	switch mb.state {
	case stRinging:
		return m.reject(u, id)
	case stInRoom:
	default:
		return nil, fmt.Errorf("%w: call %q is already over for you (%s)", ErrRefused, id, mb.state)
	}
	if !mb.begun {
		// The caller before anyone answered: cancel the whole call.
		return func() { m.terminate(c, signaling.ReasonCanceled, signaling.ReasonCanceled) }, nil
	}
	return func() { m.leaveRoom(c, mb, signaling.ReasonHangup, true) }, nil
}

// leaveRoom takes a connected member out: it gets onCallEnd (if tell),
// the others in the room onUserLeave, and the call ends if nobody is left.
func (m *machine) leaveRoom(c *call, mb *member, reason signaling.EndReason, tell bool) {
	mb.state = stGone
	if m.userCall[mb.user] == c {
		delete(m.userCall, mb.user)
	}
	m.touchPresence(mb.user)
	if tell {
		m.emit(mb.user, signaling.EvCallEnd, m.callEnd(c, mb, reason))
	}
	for _, p := range c.inRoom() {
		m.emit(p.user, signaling.EvUserLeave, signaling.UserLeave{CallID: c.id, UserID: mb.user})
	}
	m.settle(c, reason)
}

func (m *machine) callEnd(c *call, mb *member, reason signaling.EndReason) signaling.CallEnd {
	return signaling.CallEnd{
		CallID:        c.id,
		RoomID:        c.room,
		CallMediaType: c.media,
		CallRole:      mb.role,
		TotalTime:     int64(m.now().Sub(mb.beganAt) / time.Second),
		Reason:        reason,
	}
}

// settle ends c if it cannot go on: the call goes on while at least one
// member is in the room and someone else is in the room or still being
// invited.
func (m *machine) settle(c *call, reason signaling.EndReason) {
	if c.ended {
		return
	}
	room, inviting := c.counts()
	if room >= 1 && room+inviting >= 2 {
		return
	}
	m.terminate(c, reason, signaling.ReasonCanceled)
}

// terminate ends c: each member in the room gets onCallEnd (or, if it
// never connected - the caller before anyone answered - onCallCancelled
// with itself as callerId), each ringing invitee onCallCancelled from the
// caller.
func (m *machine) terminate(c *call, roomReason, ringReason signaling.EndReason) {
	if c.ended {
		return
	}
	c.ended = true
	m.touchCall(c)
	for _, mb := range c.members {
		mb.timer.stop()
		switch mb.state {
		case stInRoom:
			if mb.begun {
				m.emit(mb.user, signaling.EvCallEnd, m.callEnd(c, mb, roomReason))
			} else {
				m.emit(mb.user, signaling.EvCallCancelled, signaling.CallCancelled{CallID: c.id, CallerID: c.caller, Reason: roomReason})
			}
		case stRinging:
			m.emit(mb.user, signaling.EvCallCancelled, signaling.CallCancelled{CallID: c.id, CallerID: c.caller, Reason: ringReason})
		}
		if mb.state == stInRoom || mb.state == stRinging {
			mb.state = stGone
			if m.userCall[mb.user] == c {
				delete(m.userCall, mb.user)
			}
			m.touchPresence(mb.user)
		}
	}
	delete(m.calls, c.id)
	if c.group != "" {
		cs := slices.DeleteFunc(m.groupCalls[c.group], func(x *call) bool { return x == c })
		if len(cs) == 0 {
			delete(m.groupCalls, c.group)
		} else {
			m.groupCalls[c.group] = cs
		}
	}
	m.metrics.callEnded(c.begun)
}

// dropUser ends the part in its call of a user whose session ended
// without hanging up (grace period over, kicked, UserSig expired). The
// user hears nothing (it has no session). A ringing invitee stays
// ringing: if it logs in again before the timeout it is offered the call.
func (m *machine) dropUser(u signaling.UserID) {
	c := m.userCall[u]
	if c == nil {
		return
	}
	mb := c.byUser[u]
	if mb == nil || mb.state != stInRoom {
		return
	}
	m.touchCall(c)
	if !mb.begun {
		m.terminate(c, signaling.ReasonOffline, signaling.ReasonOffline)
		return
	}
	m.leaveRoom(c, mb, signaling.ReasonOffline, false)
}

// invite handles invite: more users into a running group call.
func (m *machine) invite(u signaling.UserID, req *signaling.InviteRequest) (func(), any, error) {
	c, mb, err := m.memberOf(u, req.CallID)
	if err != nil {
		return nil, nil, err
	}
	if !c.isGroup {
		return nil, nil, fmt.Errorf("%w: invite works in group calls; call %q is 1v1", ErrSceneNotSupported, c.id)
	}
	if mb.state != stInRoom {
		return nil, nil, fmt.Errorf("%w: only a member in the room can invite; call %q is %s for you", ErrRefused, c.id, mb.state)
	}
	if err := m.checkInvitees(u, req.UserIDList, c, c.pending()); err != nil {
		return nil, nil, err
	}
	timeout := c.timeout
	if req.Timeout != 0 {
		if timeout, err = m.inviteTimeout(req.Timeout); err != nil {
			return nil, nil, err
		}
	}
	var busy []signaling.UserID
	var invited []*member
	rep := signaling.InviteReply{Invited: []signaling.UserID{}}
	for _, v := range req.UserIDList {
		if m.userCall[v] != nil {
			busy = append(busy, v)
			c.add(v, stGone, signaling.RoleCallee) // invited all the same: it may join later
			continue
		}
		saved := c.timeout
		c.timeout = timeout
		invited = append(invited, m.ring(c, v))
		c.timeout = saved
		rep.Invited = append(rep.Invited, v)
	}
	return func() {
		for _, iv := range invited {
			if iv.state != stRinging {
				continue
			}
			m.toLive(c, iv.user, signaling.EvUserInviting, signaling.UserInviting{CallID: c.id, UserID: iv.user})
			m.emit(iv.user, signaling.EvCallReceived, m.callReceived(c))
		}
		m.busy(c, busy)
	}, rep, nil
}

// join handles join: enter a running group call. Who may is mayJoin's
// rule; to anyone else the call does not exist.
func (m *machine) join(u signaling.UserID, req *signaling.JoinRequest) (func(), any, error) {
	var c *call
	switch {
	case req.CallID != "":
		c = m.calls[req.CallID]
		if c == nil || !m.mayJoin(u, c) {
			return nil, nil, errNoCall(req.CallID)
		}
		if req.GroupID != "" && req.GroupID != c.group {
			return nil, nil, fmt.Errorf("%w: call %q is not the call of group %q", ErrInvalidParam, req.CallID, req.GroupID)
		}
	case req.GroupID != "":
		if err := req.GroupID.Check(); err != nil {
			return nil, nil, err
		}
		if c = m.joinableCall(u, req.GroupID); c == nil {
			return nil, nil, fmt.Errorf("%w: group %q has no running call that you may join", ErrRefused, req.GroupID)
		}
	default:
		return nil, nil, fmt.Errorf("%w: join needs a callId or a groupId", ErrInvalidParam)
	}
	if !c.isGroup {
		return nil, nil, fmt.Errorf("%w: only group calls can be joined; call %q is 1v1", ErrSceneNotSupported, c.id)
	}
	if mb := c.byUser[u]; mb != nil {
		switch mb.state {
		case stRinging:
			return m.accept(u, c.id)
		case stInRoom:
			return nil, nil, fmt.Errorf("%w: you are already in call %q", ErrRepeated, c.id)
		}
	}
	if other := m.userCall[u]; other != nil {
		return nil, nil, fmt.Errorf("%w: you are already in call %q; hang up first", ErrRefused, other.id)
	}
	if n := c.pending() + 1; n > signaling.MaxCallMembers {
		return nil, nil, fmt.Errorf("%w: a call has at most %d members, the caller included: call %q is full", ErrInvalidParam, signaling.MaxCallMembers, c.id)
	}
	m.touchCall(c)
	mb := c.add(u, stRinging, signaling.RoleCallee)
	prior := c.inRoom()
	return m.enterRoom(c, mb), m.callReply(c, prior), nil
}

// switchMediaType handles switchMediaType.
func (m *machine) switchMediaType(u signaling.UserID, req *signaling.SwitchMediaTypeRequest) (func(), error) {
	c, mb, err := m.memberOf(u, req.CallID)
	if err != nil {
		return nil, err
	}
	if !req.CallMediaType.Valid() {
		return nil, fmt.Errorf("%w: callMediaType %d must be 0 (audio) or 1 (video)", ErrInvalidParam, req.CallMediaType)
	}
	if mb.state != stInRoom {
		return nil, fmt.Errorf("%w: only a member in the room can switch the media type; call %q is %s for you", ErrRefused, c.id, mb.state)
	}
	if req.CallMediaType == c.media {
		return nil, fmt.Errorf("%w: call %q is already %s", ErrRepeated, c.id, c.media)
	}
	old := c.media
	c.media = req.CallMediaType
	return func() {
		m.toLive(c, "", signaling.EvCallMediaTypeChanged, signaling.CallMediaTypeChanged{CallID: c.id, OldCallMediaType: old, NewCallMediaType: c.media})
	}, nil
}
