package gui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"fyne.io/fyne/v2/lang"

	"github.com/calla-rtc/calla/assets"
)

// The user's ringtone: a WAV file, kept as ringtoneFileName in the data
// directory (so that it rings even when the original moves), mono, at
// most maxRingtone long.
const (
	ringtoneFileName = "ringtone.wav"
	maxRingtone      = 30 // seconds: a longer file rings its first 30 s
	maxRingtoneFile  = 64 << 20
)

// ringtoneOf decodes a WAV file as a ringtone: its channels mixed to
// one, its first maxRingtone seconds.
func ringtoneOf(b []byte) (*assets.WAV, error) {
	w, err := assets.DecodeWAV(b)
	if err != nil {
		return nil, err
	}
	if w.SampleRate < 4000 || w.SampleRate > 192000 {
		return nil, fmt.Errorf("gui: a ringtone at %d Hz", w.SampleRate)
	}
	frames := len(w.Samples) / w.Channels
	if frames < w.SampleRate/10 {
		return nil, fmt.Errorf("gui: a ringtone of %d samples", frames)
	}
	frames = min(frames, maxRingtone*w.SampleRate)
	mono := make([]int16, frames)
	for i := range mono {
		var sum int
		for c := 0; c < w.Channels; c++ {
			sum += int(w.Samples[i*w.Channels+c])
		}
		mono[i] = int16(sum / w.Channels)
	}
	return &assets.WAV{SampleRate: w.SampleRate, Channels: 1, Samples: mono}, nil
}

// ChooseRingtone makes the WAV file in r, named name, the ringtone: read
// and stored in the data directory off the UI goroutine; a file that is
// not a WAV Calla can play keeps the ringtone as it was and says so.
func (m *Model) ChooseRingtone(name string, r io.ReadCloser) {
	var w *assets.WAV
	m.run.Go("read ringtone", func(context.Context) error {
		defer r.Close()
		b, err := io.ReadAll(io.LimitReader(r, maxRingtoneFile))
		if err != nil {
			return err
		}
		if w, err = ringtoneOf(b); err != nil {
			return err
		}
		if m.ringtoneFile == "" {
			return nil // no data directory: this session only
		}
		return writeFileAtomic(m.ringtoneFile, assets.EncodeWAV(w))
	}, func(err error) {
		defer m.flush()
		if err != nil {
			m.log.Warn("ringtone not used", "file", name, "err", err)
			m.showProblemText(problem{
				lang.L("Calla cannot play that file as a ringtone."),
				lang.L("Pick a WAV file (PCM or float samples, not compressed)."),
			})
			return
		}
		m.settings.SetRingtoneName(name)
		m.sounds.SetRingtone(w.Samples, w.SampleRate)
		m.restartPreview()
		m.changed(PartRingtone)
	})
}

// UseBuiltInRingtone puts Calla's own ringtone back.
func (m *Model) UseBuiltInRingtone() {
	defer m.flush()
	m.settings.SetRingtoneName("")
	m.sounds.SetRingtone(nil, 0)
	if m.ringtoneFile != "" {
		m.engineAction("remove ringtone", func(context.Context) error {
			if err := os.Remove(m.ringtoneFile); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			return nil
		})
	}
	m.restartPreview()
	m.changed(PartRingtone)
}

// loadRingtone reads the user's ringtone at start; where it is gone or
// broken, the built-in one rings and Settings says so.
func (m *Model) loadRingtone() {
	if m.settings.RingtoneName() == "" || m.ringtoneFile == "" {
		return
	}
	b, err := os.ReadFile(m.ringtoneFile)
	var w *assets.WAV
	if err == nil {
		w, err = ringtoneOf(b)
	}
	if err != nil {
		m.log.Warn("own ringtone not loaded: the built-in one rings", "err", err)
		m.settings.SetRingtoneName("")
		return
	}
	m.sounds.SetRingtone(w.Samples, w.SampleRate)
}

// ToggleRingtonePreview plays the ringtone in Settings, or stops it.
func (m *Model) ToggleRingtonePreview() {
	defer m.flush()
	if m.Previewing {
		m.stopPreview()
		return
	}
	if m.Call.Phase != PhaseIdle {
		return // the call's sounds have the speaker
	}
	m.Previewing = true
	m.sounds.StartRinging()
	m.changed(PartRingtone)
}

func (m *Model) stopPreview() {
	if !m.Previewing {
		return
	}
	m.Previewing = false
	m.sounds.Stop()
	m.changed(PartRingtone)
}

// restartPreview plays the new ringtone if the old one was playing.
func (m *Model) restartPreview() {
	if m.Previewing {
		m.sounds.StartRinging()
	}
}
