package gui

import (
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// maxHistory is how many calls the history keeps; older ones are dropped.
const maxHistory = 200

// HistoryEntry is one call in the history.
type HistoryEntry struct {
	At        time.Time           `json:"at"` // when the call was placed or rang
	Kind      HistoryKind         `json:"kind"`
	Outcome   Outcome             `json:"outcome"`
	Peers     []signaling.UserID  `json:"peers"` // the other members, the caller first for an incoming call
	Group     signaling.GroupID   `json:"groupId,omitempty"`
	CallID    signaling.CallID    `json:"callId,omitempty"`
	IsGroup   bool                `json:"isGroup,omitempty"`
	MediaType signaling.MediaType `json:"mediaType"`
	Duration  int64               `json:"durationSec"` // connected time, seconds
}

// History is the call history's view model: the finished calls, newest
// first, and the call under way, filled in from the events it sees and
// saved after each call.
type History struct {
	entries []HistoryEntry
	pending *HistoryEntry
}

// Entries are the finished calls, newest first.
func (h *History) Entries() []HistoryEntry { return h.entries }

func (h *History) start(e HistoryEntry) {
	e.Peers = append([]signaling.UserID(nil), e.Peers...)
	h.pending = &e
}

// finish files the call under way (whose ID, when known, is id) with its
// outcome and reports whether there was one.
func (h *History) finish(id signaling.CallID, o Outcome, missed bool, duration time.Duration) bool {
	if h.pending == nil {
		return false
	}
	e := *h.pending
	if e.CallID == "" {
		e.CallID = id
	}
	h.pending = nil
	e.Outcome = o
	if missed && e.Kind == HistoryIncoming {
		e.Kind = HistoryMissed
	}
	if o == OutcomeAnswered {
		e.Duration = int64((duration + time.Second/2) / time.Second)
	}
	h.entries = append([]HistoryEntry{e}, h.entries...)
	if len(h.entries) > maxHistory {
		h.entries = h.entries[:maxHistory]
	}
	return true
}

// snapshot is a copy of the entries for saving off the UI goroutine.
func (h *History) snapshot() []HistoryEntry {
	return append([]HistoryEntry(nil), h.entries...)
}
