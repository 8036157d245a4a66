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

// Joinable are the group calls the user can go back to, newest first, at
// most one per group: calls of a group they were invited to (and
// declined, missed, or left) or placed, that rang in the last
// joinableFor, while one of the call's other people is in a call. The
// server says no when the call has in fact ended (JoinCall then says so).
//
// Calla's protocol tells a client of a call only while it is in it, so
// "still running" is read from the others' presence; see docs/gui.md.
func (m *Model) Joinable() []HistoryEntry {
	if !m.LoggedIn || m.Call.Phase != PhaseIdle {
		return nil
	}
	var out []HistoryEntry
	seen := map[signaling.GroupID]bool{}
	for _, e := range m.History.Entries() {
		if !e.IsGroup || e.Group == "" || seen[e.Group] || m.now().Sub(e.At) > joinableFor {
			continue
		}
		seen[e.Group] = true
		for _, p := range e.Peers {
			if ct, ok := m.Contacts.Get(p); ok && ct.Presence == signaling.InCall {
				out = append(out, e)
				break
			}
		}
	}
	return out
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
	m.run.Go("join", func(ctx context.Context) error {
		return m.eng.JoinInGroupCall(ctx, group, mt)
	}, func(err error) {
		defer m.flush()
		if err == nil || m.Call.attempt != attempt || m.Call.Phase == PhaseIdle {
			return
		}
		m.finishCall(OutcomeFailed, "") // the engine's onError says why
	})
	m.scene.Joining = true // after beginCall, which clears it
}
