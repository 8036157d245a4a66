package gui

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/assets"
	"github.com/calla-rtc/calla/signaling"
)

// tone is a WAV file of a 440 Hz tone: channels, seconds at rate.
func tone(rate, channels int, seconds float64) []byte {
	n := int(float64(rate) * seconds)
	w := &assets.WAV{SampleRate: rate, Channels: channels, Samples: make([]int16, n*channels)}
	for i := 0; i < n; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		for c := 0; c < channels; c++ {
			w.Samples[i*channels+c] = v
		}
	}
	return assets.EncodeWAV(w)
}

func TestRingtoneOf(t *testing.T) {
	w, err := ringtoneOf(tone(44100, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	want(t, "channels", w.Channels, 1)
	want(t, "samples", len(w.Samples), 2*44100)
	want(t, "a sample mixed from both channels", w.Samples[100], int16(8000*math.Sin(2*math.Pi*440*100/44100)))
	long, err := ringtoneOf(tone(8000, 1, 45))
	if err != nil {
		t.Fatal(err)
	}
	want(t, "a long file rings its first 30 s", len(long.Samples), 30*8000)
	for name, b := range map[string][]byte{
		"not a WAV":     []byte("ID3 this is an mp3"),
		"a 2 kHz rate":  tone(2000, 1, 1),
		"a few samples": tone(8000, 1, 0.01),
	} {
		if _, err := ringtoneOf(b); err == nil {
			t.Errorf("%s: taken as a ringtone", name)
		}
	}
}

func withRingtoneFile(path string) rigOption { return func(c *modelConfig) { c.RingtoneFile = path } }

// TestChooseRingtone: a chosen WAV rings from then on, is kept in the
// data directory and rings after a restart; a file that is not a WAV
// changes nothing and says so; Built-in puts Calla's own back.
func TestChooseRingtone(t *testing.T) {
	path := filepath.Join(t.TempDir(), ringtoneFileName)
	r := newRig(t, withRingtoneFile(path)).login()
	r.m.ChooseRingtone("bells.wav", io.NopCloser(bytes.NewReader(tone(22050, 2, 3))))
	want(t, "ringtone", r.sounds.Ringtone(), 3*22050)
	want(t, "name", r.m.settings.RingtoneName(), "bells.wav")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("not kept: %v", err)
	}

	// A restart with the same settings and data directory.
	r2 := newRig(t, withRingtoneFile(path))
	r2.m.settings = r.m.settings
	r2.m.loadRingtone()
	want(t, "ringtone after a restart", r2.sounds.Ringtone(), 3*22050)

	r.m.ChooseRingtone("song.mp3", io.NopCloser(strings.NewReader("ID3 not a wav")))
	want(t, "ringtone after a bad file", r.sounds.Ringtone(), 3*22050)
	want(t, "name after a bad file", r.m.settings.RingtoneName(), "bells.wav")
	want(t, "toast", r.lastToast(), "Calla cannot play that file as a ringtone.")

	r.m.UseBuiltInRingtone()
	want(t, "ringtone", r.sounds.Ringtone(), 0)
	want(t, "name", r.m.settings.RingtoneName(), "")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the file is still there: %v", err)
	}

	// A kept ringtone whose file is gone: the built-in one, and Settings
	// says so.
	r3 := newRig(t, withRingtoneFile(filepath.Join(t.TempDir(), ringtoneFileName)))
	r3.m.settings.SetRingtoneName("gone.wav")
	r3.m.loadRingtone()
	want(t, "ringtone", r3.sounds.Ringtone(), 0)
	want(t, "name", r3.m.settings.RingtoneName(), "")
}

// TestRingtonePreview: Play rings in Settings, Stop and leaving Settings
// stop it, and a call that rings takes over the speaker.
func TestRingtonePreview(t *testing.T) {
	r := newUIRig(t)
	r.screenSettings()
	want(t, "built-in", r.ui.set.ringName.Text, "Calla's own")
	want(t, "Built-in disabled", r.ui.set.ringBuiltIn.Disabled(), true)
	test.Tap(r.ui.set.ringPlay)
	want(t, "playing", r.sounds.Playing(), "ring")
	want(t, "button", r.ui.set.ringPlay.Text, "Stop")
	test.Tap(r.ui.set.ringPlay)
	want(t, "stopped", r.sounds.Playing(), "")
	want(t, "button", r.ui.set.ringPlay.Text, "Play")

	test.Tap(r.ui.set.ringPlay)
	r.m.Back()
	want(t, "stopped on leaving", r.sounds.Playing(), "")
	want(t, "previewing", r.m.Previewing, false)

	r.m.ShowScreen(ScreenSettings)
	test.Tap(r.ui.set.ringPlay)
	r.ringing(signaling.Audio, false)
	want(t, "the call rings", r.sounds.Playing(), "ring")
	want(t, "previewing", r.m.Previewing, false)
	r.m.Decline()
	want(t, "silent after the call", r.sounds.Playing(), "")
}

// TestChooseRingtoneOpensAFileDialog: the button opens a file dialog.
func TestChooseRingtoneOpensAFileDialog(t *testing.T) {
	r := newUIRig(t)
	r.screenSettings()
	test.Tap(r.ui.set.ringChoose)
	if r.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no file dialog")
	}
}
