package server

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// This file is what of the machine outlives the process: the records
// written for sessions, calls and each session's recent events, how the
// machine notes which of them an input changed, and how a machine is
// rebuilt from them (after a restart, or on the node that takes over a
// cluster).
//
// What is kept, and why each part: a session (its token, last seq and
// UserSig expiry) so that a client can resume after a restart; the
// session's recent events (the resume ring) so that it gets the events it
// missed; every running call with each member's state and invite deadline
// so that the call goes on. Timers are kept as deadlines (an invite
// timeout, a detached session's grace, a UserSig expiry); a deadline that
// passed while the server was down fires as soon as the machine is back.
// Connections are not kept: every session is detached after a restart,
// and one that was attached gets its grace period from the restart (its
// client could not reconnect while the server was down).

// Store buckets: one per kind of record.
const (
	bucketUsers    = "users"    // user id -> dirEntry
	bucketGroups   = "groups"   // group id -> groupRecord
	bucketSessions = "sessions" // user id -> sessionRecord
	bucketCalls    = "calls"    // call id -> callRecord
	bucketEvents   = "events"   // token.seq (16 hex digits) -> eventValue
)

// storeBuckets lists every bucket, in the order a commit writes them.
var storeBuckets = []string{bucketUsers, bucketGroups, bucketSessions, bucketCalls, bucketEvents}

// storeKey names one record.
type storeKey struct{ bucket, key string }

// changes maps records to their new values; a nil value deletes.
type changes map[storeKey][]byte

// stored is everything a store holds, by bucket and key.
type stored map[string]map[string][]byte

// sessionRecord is a session as stored.
type sessionRecord struct {
	Token      string    `json:"token"`
	Presence   bool      `json:"presence,omitempty"`
	SigExpires time.Time `json:"sigExpires"`
	Seq        uint64    `json:"seq"`
	// GraceEnds is the grace deadline of a detached session; zero while a
	// connection holds it.
	GraceEnds time.Time `json:"graceEnds,omitzero"`
}

// callRecord is a running call as stored.
type callRecord struct {
	Serial    uint64              `json:"serial"` // order of starting, for groupCalls
	Group     signaling.GroupID   `json:"group,omitempty"`
	OnGroup   bool                `json:"onGroup,omitempty"`
	IsGroup   bool                `json:"isGroup,omitempty"`
	Caller    signaling.UserID    `json:"caller"`
	Media     signaling.MediaType `json:"media"`
	Room      signaling.RoomID    `json:"room"`
	UserData  string              `json:"userData,omitempty"`
	Timeout   time.Duration       `json:"timeout"`
	NextEntry int                 `json:"nextEntry"`
	Begun     bool                `json:"begun,omitempty"`
	Members   []memberRecord      `json:"members"`
}

// memberRecord is one member of a stored call.
type memberRecord struct {
	User    signaling.UserID   `json:"user"`
	State   memberState        `json:"state"`
	Role    signaling.CallRole `json:"role"`
	Entry   int                `json:"entry"`
	Begun   bool               `json:"begun,omitempty"`
	BeganAt time.Time          `json:"beganAt,omitzero"`
	// InviteEnds is the running invite timeout's deadline, if any.
	InviteEnds time.Time `json:"inviteEnds,omitzero"`
}

// eventKey is the key of session token's event number seq: fixed-width
// hex, so that a session's events sort by number.
func eventKey(token string, seq uint64) string {
	return token + "." + fmt.Sprintf("%016x", seq)
}

// parseEventKey splits an event key.
func parseEventKey(k string) (token string, seq uint64, ok bool) {
	i := strings.LastIndexByte(k, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(k[i+1:], 16, 64)
	if err != nil {
		return "", 0, false
	}
	return k[:i], n, true
}

// eventValue is a kept event as stored: when it was recorded (Unix
// nanoseconds, 8 bytes big-endian), then the message as sent.
func eventValue(e ringEntry) []byte {
	v := make([]byte, 8, 8+len(e.b))
	binary.BigEndian.PutUint64(v, uint64(e.at.UnixNano()))
	return append(v, e.b...)
}

func parseEventValue(v []byte) (ringEntry, bool) {
	if len(v) < 8 {
		return ringEntry{}, false
	}
	return ringEntry{at: time.Unix(0, int64(binary.BigEndian.Uint64(v))), b: v[8:]}, true
}

func (s *session) record() sessionRecord {
	r := sessionRecord{Token: s.token, Presence: s.wantPresence, SigExpires: s.sigExpires, Seq: s.seq}
	if s.peer == nil && !s.serverGone && s.graceTimer != nil && !s.graceTimer.dead {
		r.GraceEnds = s.graceTimer.at
	}
	return r
}

func (c *call) record() callRecord {
	r := callRecord{
		Serial: c.serial, Group: c.group, OnGroup: c.onGroup, IsGroup: c.isGroup, Caller: c.caller,
		Media: c.media, Room: c.room, UserData: c.userData, Timeout: c.timeout, NextEntry: c.nextEntry, Begun: c.begun,
		Members: make([]memberRecord, 0, len(c.members)),
	}
	for _, mb := range c.members {
		mr := memberRecord{User: mb.user, State: mb.state, Role: mb.role, Entry: mb.entry, Begun: mb.begun, BeganAt: mb.beganAt}
		if mb.timer != nil && !mb.timer.dead {
			mr.InviteEnds = mb.timer.at
		}
		r.Members = append(r.Members, mr)
	}
	return r
}

// touchCall notes that c changed: the input's commit writes it (or
// deletes it, once it has ended).
func (m *machine) touchCall(c *call) {
	if m.dirty != nil {
		m.dirty.calls[c] = struct{}{}
	}
}

// touchSession notes that s changed (or ended).
func (m *machine) touchSession(s *session) {
	if m.dirty != nil {
		m.dirty.sessions[s] = struct{}{}
	}
}

// dirtySet is what the inputs since the last takeChanges changed.
type dirtySet struct {
	sessions map[*session]struct{}
	calls    map[*call]struct{}
	ch       changes // directory, groups and events, set as they happen
}

func newDirtySet() *dirtySet {
	return &dirtySet{sessions: map[*session]struct{}{}, calls: map[*call]struct{}{}, ch: changes{}}
}

// persist makes the machine note its changes for a store: takeChanges
// then returns them after each input.
func (m *machine) persist() { m.dirty = newDirtySet() }

// stage notes one change of the directory, a group or an event.
func (m *machine) stage(bucket, key string, v []byte) {
	if m.dirty != nil {
		m.dirty.ch[storeKey{bucket, key}] = v
	}
}

// takeChanges returns what changed since the last call, as records to
// write, or nil if nothing did.
func (m *machine) takeChanges() changes {
	d := m.dirty
	if d == nil || (len(d.sessions) == 0 && len(d.calls) == 0 && len(d.ch) == 0) {
		return nil
	}
	ch := d.ch
	for s := range d.sessions {
		k := storeKey{bucketSessions, string(s.user)}
		switch {
		case !s.ended:
			ch[k] = mustJSON(s.record())
		case m.sessions[s.user] == nil:
			ch[k] = nil
		}
		// An ended session's kept events go with it (a new session of
		// the same user has a token of its own).
		if s.ended {
			for i := range s.ring {
				ch[storeKey{bucketEvents, eventKey(s.token, s.seq-uint64(len(s.ring))+1+uint64(i))}] = nil
			}
		}
	}
	for c := range d.calls {
		k := storeKey{bucketCalls, string(c.id)}
		if c.ended {
			ch[k] = nil
		} else {
			ch[k] = mustJSON(c.record())
		}
	}
	m.dirty = newDirtySet()
	return ch
}

// snapshot returns every record the machine's state makes, as a store
// that saw every change would hold it (tests compare the two).
func (m *machine) snapshot() stored {
	out := stored{}
	for _, b := range storeBuckets {
		out[b] = map[string][]byte{}
	}
	for u, e := range m.dir {
		out[bucketUsers][string(u)] = mustJSON(e)
	}
	for id, g := range m.groups {
		out[bucketGroups][string(id)] = mustJSON(g.record())
	}
	for u, s := range m.sessions {
		out[bucketSessions][string(u)] = mustJSON(s.record())
		for i, e := range s.ring {
			out[bucketEvents][eventKey(s.token, s.seq-uint64(len(s.ring))+1+uint64(i))] = eventValue(e)
		}
	}
	for id, c := range m.calls {
		out[bucketCalls][string(id)] = mustJSON(c.record())
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("server: encode record: " + err.Error()) // plain structs: cannot fail
	}
	return b
}

// restore rebuilds the sessions and calls of st into m (which holds
// nothing else yet but its directory and groups), all sessions detached.
// A record that cannot be read is logged and skipped, and so is a call
// that claims a user another call already holds (which cannot happen
// unless the store was edited). It returns how many sessions and calls it
// restored.
func (m *machine) restore(st stored) (nsess, ncalls int) {
	now := m.now()
	events := map[string]map[uint64]ringEntry{}
	for k, v := range st[bucketEvents] {
		token, seq, ok := parseEventKey(k)
		e, ok2 := parseEventValue(v)
		if !ok || !ok2 {
			m.log.Warn("skipping bad stored event", "key", k)
			continue
		}
		if events[token] == nil {
			events[token] = map[uint64]ringEntry{}
		}
		events[token][seq] = e
	}
	for k, v := range st[bucketSessions] {
		var r sessionRecord
		if err := json.Unmarshal(v, &r); err != nil || r.Token == "" {
			m.log.Warn("skipping bad stored session", "user", k, "err", err)
			continue
		}
		u := signaling.UserID(k)
		s := &session{user: u, token: r.Token, wantPresence: r.Presence, sigExpires: r.SigExpires, seq: r.Seq}
		// The kept events: the run of numbers that ends at seq.
		evs := events[r.Token]
		n := uint64(0)
		for n < s.seq && n < uint64(m.cfg.ReplayLimit) {
			if _, ok := evs[s.seq-n]; !ok {
				break
			}
			n++
		}
		for q := s.seq - n + 1; q <= s.seq && n > 0; q++ {
			s.ring = append(s.ring, evs[q])
		}
		s.sigTimer = m.timers.add(&timer{at: s.sigExpires, kind: timerUserSig, sess: s})
		m.sessions[u] = s
		m.tokens[s.token] = s
		nsess++
	}
	type loaded struct {
		id signaling.CallID
		r  callRecord
	}
	var calls []loaded
	for k, v := range st[bucketCalls] {
		var r callRecord
		if err := json.Unmarshal(v, &r); err != nil {
			m.log.Warn("skipping bad stored call", "call", k, "err", err)
			continue
		}
		calls = append(calls, loaded{signaling.CallID(k), r})
	}
	// Oldest first, as groupCalls wants them.
	sort.Slice(calls, func(i, j int) bool {
		if calls[i].r.Serial != calls[j].r.Serial {
			return calls[i].r.Serial < calls[j].r.Serial
		}
		return calls[i].id < calls[j].id
	})
	for _, l := range calls {
		r := l.r
		c := &call{
			id: l.id, serial: r.Serial, group: r.Group, onGroup: r.OnGroup, isGroup: r.IsGroup, caller: r.Caller,
			media: r.Media, room: r.Room, userData: r.UserData, timeout: r.Timeout, nextEntry: r.NextEntry, begun: r.Begun,
			byUser: map[signaling.UserID]*member{},
		}
		clash := false
		for _, mr := range r.Members {
			if (mr.State == stRinging || mr.State == stInRoom) && m.userCall[mr.User] != nil {
				clash = true
			}
		}
		if clash || len(r.Members) == 0 {
			m.log.Warn("skipping stored call whose members are in another call", "call", l.id)
			continue
		}
		for _, mr := range r.Members {
			mb := &member{user: mr.User, state: mr.State, role: mr.Role, entry: mr.Entry, begun: mr.Begun, beganAt: mr.BeganAt}
			if !mr.InviteEnds.IsZero() {
				mb.timer = m.timers.add(&timer{at: mr.InviteEnds, kind: timerInvite, call: c, memb: mb})
			}
			c.members = append(c.members, mb)
			c.byUser[mb.user] = mb
			if mb.state == stRinging || mb.state == stInRoom {
				m.userCall[mb.user] = c
			}
		}
		m.calls[c.id] = c
		if c.group != "" {
			m.groupCalls[c.group] = append(m.groupCalls[c.group], c)
		}
		m.callSerial = max(m.callSerial, c.serial)
		if c.begun {
			m.metrics.callStarted()
			m.metrics.callConnected()
		} else {
			m.metrics.callStarted()
		}
		ncalls++
	}
	// Every session is detached now. One that a connection held when the
	// state was written gets its grace period from now; the first commit
	// writes that deadline, so that another restart does not extend it.
	for _, s := range m.sessions {
		var r sessionRecord
		_ = json.Unmarshal(st[bucketSessions][string(s.user)], &r)
		at := r.GraceEnds
		if at.IsZero() {
			at = now.Add(m.graceFor(s.user))
		}
		s.graceTimer = m.timers.add(&timer{at: at, kind: timerGrace, sess: s})
		m.touchSession(s)
	}
	return nsess, ncalls
}
