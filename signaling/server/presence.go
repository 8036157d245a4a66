package server

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/calla-rtc/calla/signaling"
)

// dirEntry is a user's profile in the directory.
type dirEntry struct {
	Nickname  string `json:"nickname"`
	AvatarURL string `json:"avatarUrl"`
}

// presenceOf is u's presence now.
func (m *machine) presenceOf(u signaling.UserID) signaling.Presence {
	if m.sessions[u] == nil {
		return signaling.Offline
	}
	if c := m.userCall[u]; c != nil {
		if mb := c.byUser[u]; mb != nil && mb.state == stInRoom && mb.begun {
			return signaling.InCall
		}
	}
	return signaling.Online
}

func (m *machine) entry(u signaling.UserID) signaling.DirectoryEntry {
	e := m.dir[u]
	return signaling.DirectoryEntry{UserID: u, Nickname: e.Nickname, AvatarURL: e.AvatarURL, Presence: m.presenceOf(u)}
}

// directory lists every user, sorted by id.
func (m *machine) directory() []signaling.DirectoryEntry {
	out := make([]signaling.DirectoryEntry, 0, len(m.dir))
	for u := range m.dir {
		out = append(out, m.entry(u))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// setDir records u's profile and persists it.
func (m *machine) setDir(u signaling.UserID, e dirEntry) {
	m.dir[u] = e
	m.stage(bucketUsers, string(u), mustJSON(e))
	m.touchPresence(u)
}

// setProfile handles setProfile.
func (m *machine) setProfile(s *session, req *signaling.SetProfileRequest) error {
	if s.user == AdminUser {
		return fmt.Errorf("%w: the administrator account has no profile", ErrSceneNotSupported)
	}
	if len(req.Nickname) > maxProfileField || len(req.AvatarURL) > maxProfileField {
		return fmt.Errorf("%w: nickname and avatarUrl may have at most %d bytes each", ErrInvalidParam, maxProfileField)
	}
	m.setDir(s.user, dirEntry{Nickname: req.Nickname, AvatarURL: req.AvatarURL})
	return nil
}

// touchPresence notes that u's entry may have changed; changes go out in
// one batch per PresenceInterval.
func (m *machine) touchPresence(u signaling.UserID) {
	m.presenceDirty[u] = struct{}{}
	if m.presenceTimer == nil {
		m.presenceTimer = m.timers.add(&timer{at: m.now().Add(m.cfg.PresenceInterval), kind: timerPresence})
	}
}

// flushPresence pushes the batched changes to every connected session
// that asked for presence. The message is not numbered: a resumed client
// gets the whole directory in its resume reply instead.
func (m *machine) flushPresence() {
	if len(m.presenceDirty) == 0 {
		return
	}
	ev := signaling.PresenceChanged{Users: make([]signaling.DirectoryEntry, 0, len(m.presenceDirty))}
	for u := range m.presenceDirty {
		if _, known := m.dir[u]; known {
			ev.Users = append(ev.Users, m.entry(u))
		}
		delete(m.presenceDirty, u)
	}
	sort.Slice(ev.Users, func(i, j int) bool { return ev.Users[i].UserID < ev.Users[j].UserID })
	var b []byte
	for p, s := range m.peers {
		if !s.wantPresence {
			continue
		}
		if b == nil {
			data, err := json.Marshal(ev)
			if err != nil {
				m.log.Error("encode presence", "err", err)
				return
			}
			b = signaling.AppendMessage(nil, signaling.EvPresence, 0, 0, data)
		}
		m.send(p, b)
	}
}
