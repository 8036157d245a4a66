package guitest

import (
	"fmt"
	"slices"
	"sync"
)

// RecordingSounds is a gui.Sounds that records what it was asked to do
// ("ring", "dial", "stop") and what plays now.
type RecordingSounds struct {
	mu       sync.Mutex
	log      []string
	playing  string
	ringtone int // samples of the user's ringtone; 0 for the built-in one
}

func (s *RecordingSounds) StartRinging() { s.set("ring") }
func (s *RecordingSounds) StartDialing() { s.set("dial") }
func (s *RecordingSounds) Stop()         { s.set("") }

// SetRingtone records the ringtone's length ("ringtone N samples", or
// "built-in ringtone").
func (s *RecordingSounds) SetRingtone(pcm []int16, rate int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ringtone = len(pcm)
	if len(pcm) == 0 {
		s.log = append(s.log, "built-in ringtone")
	} else {
		s.log = append(s.log, fmt.Sprintf("ringtone %d samples at %d Hz", len(pcm), rate))
	}
}

// Ringtone is the number of samples of the user's ringtone, 0 for the
// built-in one.
func (s *RecordingSounds) Ringtone() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ringtone
}

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
