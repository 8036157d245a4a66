package assets

import (
	"errors"
	"math"
	"testing"
)

func TestSounds(t *testing.T) {
	rows := []struct {
		name    string
		wav     []byte
		rate    int
		seconds float64
	}{
		{"ringtone", RingtoneWAV, 16000, 2.5},
		{"dial tone", DialToneWAV, 8000, 5},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			w, err := DecodeWAV(r.wav)
			if err != nil {
				t.Fatal(err)
			}
			if w.SampleRate != r.rate || w.Channels != 1 {
				t.Fatalf("%d Hz, %d channels; want %d Hz mono", w.SampleRate, w.Channels, r.rate)
			}
			if got := float64(len(w.Samples)) / float64(w.SampleRate); got != r.seconds {
				t.Fatalf("%.2f s long, want %.2f s", got, r.seconds)
			}
			var sum float64
			peak := 0
			for _, s := range w.Samples {
				sum += float64(s) * float64(s)
				peak = max(peak, abs(int(s)))
			}
			rms := math.Sqrt(sum/float64(len(w.Samples))) / 32768
			if rms < 0.02 || peak >= 32767 {
				t.Fatalf("rms %.3f, peak %d: want audible and not clipped", rms, peak)
			}
			// A loop must not click: both ends are (near) silent.
			if abs(int(w.Samples[0])) > 200 || abs(int(w.Samples[len(w.Samples)-1])) > 200 {
				t.Fatalf("ends at %d … %d: the loop would click", w.Samples[0], w.Samples[len(w.Samples)-1])
			}
		})
	}
}

func TestDecodeWAVRejectsOtherFiles(t *testing.T) {
	bad := map[string][]byte{
		"empty":     nil,
		"not RIFF":  []byte("RIFX0000WAVE"),
		"PNG":       IconPNG,
		"truncated": RingtoneWAV[:40],
		"8-bit":     with(RingtoneWAV, 34, 8),
		"not PCM":   with(RingtoneWAV, 20, 3),
	}
	for name, b := range bad {
		if _, err := DecodeWAV(b); !errors.Is(err, ErrBadWAV) {
			t.Errorf("%s: err = %v, want ErrBadWAV", name, err)
		}
	}
}

func with(b []byte, off int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[off] = v
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
