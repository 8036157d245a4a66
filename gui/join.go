package gui

import (
	"context"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// joinableFor is how long after it rang a group call may still be joined
// from the app: a call runs while anyone is in it, but after this long an
// entry is more likely a new call of the same people.
const joinableFor = 12 * time.Hour

// JoinOffer is a running group call the user can go back to: a history
// entry's, or a server-side group's (Entry then has the group's other
// members and no time).
type JoinOffer struct {
	Entry     HistoryEntry
	GroupName string // a server-side group's name; empty for a history entry
}

// Joinable are the group calls the user can go back to: calls of a group
// they were invited to (declined, missed, or left) or placed in the last
// joinableFor, newest first, then their server-side groups'; at most one
// per group, and only while one of the call's other people is in a call.
// The server says no when the call has in fact ended (JoinCall then says
// so).
//
// Calla's protocol tells a client of a call only while it is in it, and
// of a group's call not at all, so "going on" is read from the others'
// presence; see docs/gui.md.
func (m *Model) Joinable() []JoinOffer {
	if !m.LoggedIn || m.Call.Phase != PhaseIdle || m.engineClosing() {
		return nil
	}
	var out []JoinOffer
	seen := map[signaling.GroupID]bool{}
	anyInCall := func(ids []signaling.UserID) bool {
		for _, p := range ids {
			if ct, ok := m.Contacts.Get(p); ok && p != m.Self && ct.Presence == signaling.InCall {
				return true
			}
		}
		return false
	}
	for _, e := range m.History.Entries() {
		if !e.IsGroup || e.Group == "" || seen[e.Group] || m.now().Sub(e.At) > joinableFor {
			continue
		}
		seen[e.Group] = true
		if anyInCall(e.Peers) {
			out = append(out, JoinOffer{Entry: e})
		}
	}
	for _, g := range m.Groups {
		if seen[g.GroupID] || !anyInCall(g.Members) {
			continue
		}
		seen[g.GroupID] = true
		var peers []signaling.UserID
		for _, u := range g.Members {
			if u != m.Self {
				peers = append(peers, u)
			}
		}
		out = append(out, JoinOffer{
			Entry:     HistoryEntry{Group: g.GroupID, IsGroup: true, Peers: peers, MediaType: signaling.Video},
			GroupName: g.Name,
		})
	}
	return out
}

// closingWait bounds how long Join waits for the engine to end a call the
// user left: its terminal event may be lost with the connection.
const closingWait = 10 * time.Second

// closing notes that the user left call id (declined, cancelled, hung
// up): the UI is back at once, but the engine is still in that call
// until its terminal event, and would refuse a join as busy.
func (m *Model) closing(id signaling.CallID) {
	m.leaving = &leaving{id: id, since: m.now()}
}

// closed notes a terminal event of call id: the engine is out of it.
func (m *Model) closed(id signaling.CallID) {
	if l := m.leaving; l != nil && (l.id == "" || id == "" || l.id == id) {
		m.leaving = nil
		m.changed(PartContacts | PartHistory) // Join may show now
	}
}

// engineClosing reports whether the engine may still be in a call the
// user left.
func (m *Model) engineClosing() bool {
	return m.leaving != nil && m.now().Sub(m.leaving.since) < closingWait
}

// leaving is a call the user left whose end the engine has not said.
type leaving struct {
	id    signaling.CallID
	since time.Time
}

// LoadGroups asks the engine for the user's server-side groups; Groups
// fills in when it answers. A server without groups (an older one)
// leaves them empty.
func (m *Model) LoadGroups() {
	if !m.LoggedIn {
		return
	}
	var gs []signaling.GroupInfo
	m.run.Go("list groups", func(ctx context.Context) error {
		var err error
		gs, err = m.eng.Groups(ctx)
		return err
	}, func(err error) {
		defer m.flush()
		if err != nil || !m.LoggedIn {
			return
		}
		m.Groups = gs
		m.changed(PartContacts)
	})
}

// JoinCall joins the running group call of a history entry: the call
// screen shows at once, and the members' tiles come as their media does.
func (m *Model) JoinCall(e HistoryEntry) {
	defer m.flush()
	if !m.canCall() || e.Group == "" {
		return
	}
	m.beginCall(PhaseConnecting, e.MediaType)
	c := &m.Call
	c.Role, c.Group, c.IsGroup = signaling.RoleCallee, e.Group, true
	m.History.start(HistoryEntry{
		At: m.now(), Kind: HistoryIncoming, Peers: e.Peers,
		Group: e.Group, IsGroup: true, MediaType: e.MediaType,
	})
	m.setScreen(ScreenInCall)
	m.changed(PartContacts | PartHistory) // the Join offers go while in a call
	attempt := c.attempt
	group, mt := e.Group, e.MediaType
	var id signaling.CallID // written by the runner before done runs
	m.run.Go("join", func(ctx context.Context) error {
		var err error
		id, err = m.eng.JoinInGroupCall(ctx, group, mt)
		return err
	}, func(err error) {
		defer m.flush()
		if m.Call.attempt != attempt || m.Call.Phase == PhaseIdle {
			return
		}
		if err != nil {
			m.finishCall(OutcomeFailed, "") // the engine's onError says why
			return
		}
		m.placed(id) // the events held until the call's ID was known
	})
	m.scene.Joining = true // after beginCall, which clears it
}
