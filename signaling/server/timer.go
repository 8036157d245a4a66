package server

import (
	"container/heap"
	"time"
)

// timerKind says what a timer is for.
type timerKind int

const (
	timerInvite   timerKind = iota + 1 // an invitee's invite timeout
	timerGrace                         // a detached session's grace period
	timerUserSig                       // a session's UserSig expiry
	timerPresence                      // the next presence batch
	timerLogin                         // a new connection's login deadline
)

// timer is one deadline of the state machine. Stopping it marks it dead;
// the heap drops dead timers lazily.
type timer struct {
	at    time.Time
	kind  timerKind
	sess  *session
	call  *call
	memb  *member
	peer  peer
	dead  bool
	index int
}

func (t *timer) stop() {
	if t != nil {
		t.dead = true
	}
}

// timerHeap orders timers by deadline. Only the hub goroutine touches it.
type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

// add schedules t.
func (h *timerHeap) add(t *timer) *timer {
	heap.Push(h, t)
	return t
}

// next returns the earliest live deadline.
func (h *timerHeap) next() (time.Time, bool) {
	for h.Len() > 0 {
		if (*h)[0].dead {
			heap.Pop(h)
			continue
		}
		return (*h)[0].at, true
	}
	return time.Time{}, false
}

// popDue removes and returns the earliest live timer due at now, or nil.
func (h *timerHeap) popDue(now time.Time) *timer {
	for h.Len() > 0 {
		t := (*h)[0]
		if t.dead {
			heap.Pop(h)
			continue
		}
		if t.at.After(now) {
			return nil
		}
		heap.Pop(h)
		t.dead = true
		return t
	}
	return nil
}
