package media

import (
	"encoding/binary"
	"testing"

	"go.uber.org/goleak"
)

func TestResample(t *testing.T) {
	in := []int16{0, 600, 1200, 1800}
	for _, tc := range []struct {
		name     string
		from, to int
		n        int
	}{
		{"the same rate copies", 48000, 48000, 4},
		{"8 kHz to 48 kHz has six times the samples", 8000, 48000, 24},
		{"16 kHz to 48 kHz has three times the samples", 16000, 48000, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := resample(in, tc.from, tc.to)
			if len(out) != tc.n {
				t.Fatalf("%d samples, want %d", len(out), tc.n)
			}
			if out[0] != in[0] {
				t.Errorf("starts at %d, want %d", out[0], in[0])
			}
			for i := 1; i < len(out); i++ {
				if out[i] < out[i-1] {
					t.Errorf("a rising input falls at %d: %v", i, out)
				}
			}
		})
	}
	if got := resample(in, 8000, 48000)[3]; got != 300 { // halfway between 0 and 600
		t.Errorf("interpolated sample = %d, want 300", got)
	}
}

func TestSoundPlayerFillLoops(t *testing.T) {
	mix, err := newMixer()
	if err != nil {
		t.Fatal(err)
	}
	defer mix.free()
	p := &SoundPlayer{mix: mix}
	if err := mix.setLoop([]int16{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 2*7)
	p.fill(out, nil, 7)
	var got []int16
	for i := 0; i < 7; i++ {
		got = append(got, int16(binary.LittleEndian.Uint16(out[2*i:])))
	}
	want := []int16{1, 2, 3, 1, 2, 3, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fill = %v, want %v", got, want)
		}
	}
	// A new sound starts from its beginning; the old one is freed at
	// once, no read being under way.
	if err := mix.setLoop([]int16{7, 8}); err != nil {
		t.Fatal(err)
	}
	if len(mix.retiredLoops) != 0 {
		t.Errorf("%d loops still retired", len(mix.retiredLoops))
	}
	p.fill(out, nil, 3)
	if v := int16(binary.LittleEndian.Uint16(out)); v != 7 {
		t.Errorf("the new sound starts with %d, want 7", v)
	}
	if err := mix.setLoop(nil); err != nil {
		t.Fatal(err)
	}
	p.fill(out, nil, 7)
	for i, b := range out {
		if b != 0 {
			t.Fatalf("silence has byte %d = %d", i, b)
		}
	}
}

// TestSoundPlayerLifecycle plays, stops and plays again through the real
// output (the null backend here) and closes without leaving a goroutine.
func TestSoundPlayerLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := NewSoundPlayer("", nil)
	tone := make([]int16, 800)
	for i := range tone {
		tone[i] = int16((i % 20) * 1000)
	}
	p.Loop(tone, 8000)
	waitUntil(t, 2e9, "the device to play the sound", func() bool { return p.mix.frames() > 0 })
	p.Stop()
	p.Loop(tone, 8000)
	p.Loop(tone[:400], 16000) // switching sounds while playing
	p.Close()
	p.Close()          // twice is fine
	p.Loop(tone, 8000) // after Close: ignored, no panic
}
