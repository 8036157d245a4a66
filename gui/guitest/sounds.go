package guitest

import (
	"slices"
	"sync"
)

// RecordingSounds is a gui.Sounds that records what it was asked to do
// ("ring", "dial", "stop") and what plays now.
type RecordingSounds struct {
	mu      sync.Mutex
	log     []string
	playing string
}

func (s *RecordingSounds) StartRinging() { s.set("ring") }
func (s *RecordingSounds) StartDialing() { s.set("dial") }
func (s *RecordingSounds) Stop()         { s.set("") }

func (s *RecordingSounds) set(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if what == "" {
		s.log = append(s.log, "stop")
	} else {
		s.log = append(s.log, what)
	}
	s.playing = what
}

// Playing is "ring", "dial", or "" when silent.
func (s *RecordingSounds) Playing() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.playing
}

// Log is every request so far, in order.
func (s *RecordingSounds) Log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}
