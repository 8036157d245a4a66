package server

import (
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// peer is a connection as the state machine sees it. The websocket conn
// implements it; the fuzz test has its own. Only the hub goroutine calls
// these methods.
type peer interface {
	// enqueue queues one message for writing; false means the queue is
	// full (a slow reader) and nothing was queued.
	enqueue(b []byte) bool
	// shut closes the connection after what is queued, with a websocket
	// close code and text. Calls after the first do nothing.
	shut(code int, text string)
	// loggedIn tells the connection that it now belongs to a session.
	loggedIn()
}

// session is one login of one user: it outlives its connection for the
// grace period, numbers its events and keeps the recent ones for a resume.
type session struct {
	user         signaling.UserID
	token        string
	peer         peer // nil while detached
	wantPresence bool
	sigExpires   time.Time
	graceTimer   *timer
	sigTimer     *timer
	ended        bool
	// serverGone: the connection was closed by the server's shutdown, so
	// the stored record keeps the session attached and a restarted server
	// gives it a grace period of its own.
	serverGone bool

	seq  uint64      // number of the last event
	ring []ringEntry // the kept events, oldest first; ring[i] has seq seq-len(ring)+1+i
}

// ringEntry is one event kept for a resume.
type ringEntry struct {
	at time.Time
	b  []byte
}

// replayAge is how long an event is kept for a resume. A client learns
// that its connection died within its pong wait (60 s) and the server
// within pongWait (60 s); after that the grace period runs. Events older
// than this cannot be missing from a live client, and dropping them keeps
// an idle session small.
const replayAge = 2*pongWait + 2*time.Minute

// keep keeps an event for a resume; limit caps the kept events. It
// returns how many of the oldest it dropped to make room (or for age).
func (s *session) keep(e ringEntry, limit int) int {
	drop := 0
	for drop < len(s.ring) && (len(s.ring)-drop >= limit || e.at.Sub(s.ring[drop].at) > replayAge) {
		drop++
	}
	if drop > 0 {
		clear(s.ring[:drop])
		s.ring = s.ring[drop:]
	}
	s.ring = append(s.ring, e)
	return drop
}

// since returns the kept events after seq last, and false if some of them
// are no longer kept.
func (s *session) since(last uint64) ([][]byte, bool) {
	if last > s.seq {
		return nil, false
	}
	n := s.seq - last
	if n > uint64(len(s.ring)) {
		return nil, false
	}
	out := make([][]byte, 0, n)
	for _, e := range s.ring[len(s.ring)-int(n):] {
		out = append(out, e.b)
	}
	return out, true
}
