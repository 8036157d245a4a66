package gui

import (
	"sort"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// maxGroupMembers is TUICallKit's limit for one call, the caller included
// (the rule is signaling's; the GUI only refuses early).
const maxGroupMembers = signaling.MaxCallMembers

// Contact is one entry of the directory as the contact list shows it.
type Contact struct {
	ID        signaling.UserID
	Nickname  string
	AvatarURL string
	Presence  signaling.Presence
	IsEcho    bool // the built-in Echo Test bot of local mode
}

// Name is what the UI calls the contact: the nickname, else the user ID.
func (c Contact) Name() string {
	if c.IsEcho {
		return lang.L("Echo Test") // in the user's language, whatever the bot calls itself
	}
	if c.Nickname != "" {
		return c.Nickname
	}
	return string(c.ID)
}

// PresenceText is the presence as the contact list words it.
func (c Contact) PresenceText() string {
	switch c.Presence {
	case signaling.Online:
		if c.IsEcho {
			return lang.L("Online · sends your video back")
		}
		return lang.L("Online")
	case signaling.InCall:
		return lang.L("In a call")
	}
	return lang.L("Offline")
}

// Contacts is the contact list's view model: the directory built from
// PresenceChanged events, the search filter and the multi-selection for a
// group call.
type Contacts struct {
	self   signaling.UserID
	echo   signaling.UserID
	byID   map[signaling.UserID]*Contact
	filter string
	picked []signaling.UserID // selection, in the order the user picked

	visible []Contact // cache of Visible; nil when stale
}

func newContacts(echo signaling.UserID) *Contacts {
	c := &Contacts{echo: echo, byID: map[signaling.UserID]*Contact{}}
	c.reset()
	return c
}

// reset forgets the directory (after logout); the Echo Test contact of
// local mode stays, offline until the directory says otherwise.
func (c *Contacts) reset() {
	clear(c.byID)
	c.picked = nil
	c.filter = ""
	c.visible = nil
	if c.echo != "" {
		c.byID[c.echo] = &Contact{ID: c.echo, Presence: signaling.Offline, IsEcho: true}
	}
}

func (c *Contacts) apply(ev *call.PresenceChanged) {
	if ev.UserID == "" || ev.UserID == c.self {
		return
	}
	ct := c.byID[ev.UserID]
	if ct == nil {
		ct = &Contact{ID: ev.UserID, IsEcho: ev.UserID == c.echo}
		c.byID[ev.UserID] = ct
	}
	ct.Nickname, ct.AvatarURL, ct.Presence = ev.Nickname, ev.AvatarURL, ev.Presence
	c.visible = nil
}

// Get returns the contact with id and whether the directory has it.
func (c *Contacts) Get(id signaling.UserID) (Contact, bool) {
	if ct := c.byID[id]; ct != nil {
		return *ct, true
	}
	return Contact{ID: id}, false
}

// Name is what the UI calls id: its nickname when the directory has one.
func (c *Contacts) Name(id signaling.UserID) string {
	ct, _ := c.Get(id)
	return ct.Name()
}

// Len is the number of contacts in the directory.
func (c *Contacts) Len() int { return len(c.byID) }

// Filter is the search text.
func (c *Contacts) Filter() string { return c.filter }

// Visible is the list as shown: the contacts matching the search (in
// name or ID, ignoring case), Echo Test first, then online, in a call,
// offline, each by name.
func (c *Contacts) Visible() []Contact {
	if c.visible != nil {
		return c.visible
	}
	q := strings.ToLower(strings.TrimSpace(c.filter))
	out := make([]Contact, 0, len(c.byID))
	for _, ct := range c.byID {
		if q == "" || strings.Contains(strings.ToLower(ct.Name()), q) || strings.Contains(strings.ToLower(string(ct.ID)), q) {
			out = append(out, *ct)
		}
	}
	rank := func(ct Contact) int {
		switch {
		case ct.IsEcho:
			return 0
		case ct.Presence == signaling.Online:
			return 1
		case ct.Presence == signaling.InCall:
			return 2
		}
		return 3
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		ni, nj := strings.ToLower(out[i].Name()), strings.ToLower(out[j].Name())
		if ni != nj {
			return ni < nj
		}
		return out[i].ID < out[j].ID
	})
	c.visible = out
	return out
}

// IsPicked reports whether id is in the group-call selection.
func (c *Contacts) IsPicked(id signaling.UserID) bool {
	for _, p := range c.picked {
		if p == id {
			return true
		}
	}
	return false
}

// Picked is the group-call selection in the order it was made.
func (c *Contacts) Picked() []signaling.UserID {
	return append([]signaling.UserID(nil), c.picked...)
}
