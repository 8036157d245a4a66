package server

import (
	"sort"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// memberState is where a member of a call stands.
type memberState int

const (
	// stRinging: invited, not answered yet.
	stRinging memberState = iota + 1
	// stFailed: the invitee's client failed to take the call. It got its
	// onCallCancelled; for the others it is still being invited until its
	// timeout.
	stFailed
	// stInRoom: in the media room.
	stInRoom
	// stGone: rejected, ignored, timed out, busy or left.
	stGone
)

func (s memberState) String() string {
	switch s {
	case stRinging:
		return "ringing"
	case stFailed:
		return "failed"
	case stInRoom:
		return "inRoom"
	case stGone:
		return "gone"
	}
	return "memberState(?)"
}

// member is one user's part in a call.
type member struct {
	user    signaling.UserID
	state   memberState
	role    signaling.CallRole
	entry   int // order of entry into the room; valid while inRoom
	begun   bool
	beganAt time.Time
	timer   *timer
}

// call is one call from invite to its end. Only the hub goroutine
// touches it.
type call struct {
	id        signaling.CallID
	serial    uint64            // order of starting among the machine's calls
	group     signaling.GroupID // its groupId: a server-side group's id, or a free label
	onGroup   bool              // group named a server-side group when the call started
	isGroup   bool
	caller    signaling.UserID
	media     signaling.MediaType
	room      signaling.RoomID
	userData  string
	timeout   time.Duration
	members   []*member // in order of invitation, the caller first
	byUser    map[signaling.UserID]*member
	nextEntry int
	begun     bool
	ended     bool
}

func (c *call) add(u signaling.UserID, st memberState, role signaling.CallRole) *member {
	if m, ok := c.byUser[u]; ok {
		m.state, m.role, m.begun = st, role, false
		return m
	}
	m := &member{user: u, state: st, role: role}
	c.members = append(c.members, m)
	c.byUser[u] = m
	return m
}

// enter puts m into the room as its latest entrant.
func (c *call) enter(m *member) {
	m.state = stInRoom
	m.entry = c.nextEntry
	c.nextEntry++
}

// inRoom returns the members in the room, in order of entry.
func (c *call) inRoom() []*member {
	var out []*member
	for _, m := range c.members {
		if m.state == stInRoom {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].entry < out[j].entry })
	return out
}

// live returns the members who still take part: in the room or ringing,
// in order of invitation. Failed members are not live: their call is over
// for them.
func (c *call) live() []*member {
	var out []*member
	for _, m := range c.members {
		if m.state == stInRoom || m.state == stRinging {
			out = append(out, m)
		}
	}
	return out
}

// counts returns how many are in the room and how many are still being
// invited (ringing or failed: the others wait for their timeout).
func (c *call) counts() (room, inviting int) {
	for _, m := range c.members {
		switch m.state {
		case stInRoom:
			room++
		case stRinging, stFailed:
			inviting++
		}
	}
	return room, inviting
}

// pending returns the members counted against the group limit.
func (c *call) pending() int {
	r, i := c.counts()
	return r + i
}

// calleeList is onCallReceived's calleeIdList: everyone invited except the
// caller who has not dropped out.
func (c *call) calleeList() []signaling.UserID {
	out := []signaling.UserID{}
	for _, m := range c.members {
		if m.user != c.caller && m.state != stGone {
			out = append(out, m.user)
		}
	}
	return out
}
