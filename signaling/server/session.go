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
	id           uint64
	user         signaling.UserID
	token        string
	peer         peer // nil while detached
	wantPresence bool
	sigExpires   time.Time
	graceTimer   *timer
	sigTimer     *timer
	ended        bool

	seq  uint64   // number of the last event
	ring [][]byte // the last len(ring) events, ring[i] has seq seq-len(ring)+1+i
}

// record numbers an event message and keeps it for a resume; limit caps
// the kept events.
func (s *session) record(b []byte, limit int) {
	if len(s.ring) >= limit {
		copy(s.ring, s.ring[1:])
		s.ring[len(s.ring)-1] = b
		return
	}
	s.ring = append(s.ring, b)
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
	return s.ring[len(s.ring)-int(n):], true
}
