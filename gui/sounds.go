package gui

import (
	"fmt"

	"github.com/calla-rtc/calla/assets"
)

// Sounds plays the call sounds through the speaker, each looping until
// Stop: the ringtone for an incoming call and the dial tone while an
// outgoing call waits for an answer. Starting one stops the other.
// assets.RingtoneWAV and assets.DialToneWAV are the sounds to play;
// SetRingtone replaces the ringtone with the user's (mono PCM at rate
// samples per second), or with nil puts the built-in one back.
//
// The GUI calls these methods on Fyne's UI goroutine, so they must return
// at once.
type Sounds interface {
	StartRinging()
	StartDialing()
	Stop()
	SetRingtone(pcm []int16, rate int)
}

// silentSounds is Sounds when Options.Sounds is nil.
type silentSounds struct{}

func (silentSounds) StartRinging()            {}
func (silentSounds) StartDialing()            {}
func (silentSounds) Stop()                    {}
func (silentSounds) SetRingtone([]int16, int) {}

// Looper plays one sound over and over until Stop or the next Loop; its
// methods return at once. media.SoundPlayer is one.
type Looper interface {
	Loop(pcm []int16, rate int)
	Stop()
}

// loopSounds plays the app's ringtone and dial tone through a Looper.
type loopSounds struct {
	l                   Looper
	builtIn, ring, dial *assets.WAV
}

// NewSounds returns Sounds that play assets.RingtoneWAV and
// assets.DialToneWAV through l.
func NewSounds(l Looper) (Sounds, error) {
	ring, err := assets.DecodeWAV(assets.RingtoneWAV)
	if err != nil {
		return nil, fmt.Errorf("gui: ringtone: %w", err)
	}
	dial, err := assets.DecodeWAV(assets.DialToneWAV)
	if err != nil {
		return nil, fmt.Errorf("gui: dial tone: %w", err)
	}
	if ring.Channels != 1 || dial.Channels != 1 {
		return nil, fmt.Errorf("gui: the call sounds must be mono")
	}
	return &loopSounds{l: l, builtIn: ring, ring: ring, dial: dial}, nil
}

func (s *loopSounds) SetRingtone(pcm []int16, rate int) {
	if len(pcm) == 0 || rate <= 0 {
		s.ring = s.builtIn
		return
	}
	s.ring = &assets.WAV{SampleRate: rate, Channels: 1, Samples: pcm}
}

func (s *loopSounds) StartRinging() { s.l.Loop(s.ring.Samples, s.ring.SampleRate) }
func (s *loopSounds) StartDialing() { s.l.Loop(s.dial.Samples, s.dial.SampleRate) }
func (s *loopSounds) Stop()         { s.l.Stop() }
