package assets

import (
	"encoding/binary"
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
		"empty":              nil,
		"not RIFF":           []byte("RIFX0000WAVE"),
		"PNG":                IconPNG,
		"truncated":          RingtoneWAV[:40],
		"12-bit":             with(RingtoneWAV, 34, 12),
		"16-bit float":       with(RingtoneWAV, 20, 3),
		"compressed (ADPCM)": with(RingtoneWAV, 20, 2),
	}
	for name, b := range bad {
		if _, err := DecodeWAV(b); !errors.Is(err, ErrBadWAV) {
			t.Errorf("%s: err = %v, want ErrBadWAV", name, err)
		}
	}
}

// TestDecodeWAVFormats: the sample formats sound editors write decode to
// the same 16-bit samples; EncodeWAV's output decodes to what it was.
func TestDecodeWAVFormats(t *testing.T) {
	want := []int16{0, 16384, -16384, 32767, -32768, 256}
	header := func(format, bits, channels, extra int) []byte {
		var b []byte
		size := 16 + extra
		b = append(b, "RIFF\x00\x00\x00\x00WAVEfmt "...)
		b = binary.LittleEndian.AppendUint32(b, uint32(size))
		fmtCode := format
		if extra > 0 {
			fmtCode = 0xFFFE
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(fmtCode))
		b = binary.LittleEndian.AppendUint16(b, uint16(channels))
		b = binary.LittleEndian.AppendUint32(b, 8000)
		b = binary.LittleEndian.AppendUint32(b, uint32(8000*channels*bits/8))
		b = binary.LittleEndian.AppendUint16(b, uint16(channels*bits/8))
		b = binary.LittleEndian.AppendUint16(b, uint16(bits))
		if extra > 0 {
			b = binary.LittleEndian.AppendUint16(b, 22)
			b = binary.LittleEndian.AppendUint16(b, uint16(bits))
			b = binary.LittleEndian.AppendUint32(b, 0)
			b = binary.LittleEndian.AppendUint16(b, uint16(format))
			b = append(b, make([]byte, 14)...)
		}
		return b
	}
	withData := func(h, d []byte) []byte {
		h = append(h, "data"...)
		h = binary.LittleEndian.AppendUint32(h, uint32(len(d)))
		return append(h, d...)
	}
	var s8, s16, s24, s32, f32 []byte
	for _, v := range want {
		s8 = append(s8, byte(int(v>>8)+128))
		s16 = binary.LittleEndian.AppendUint16(s16, uint16(v))
		s24 = append(s24, 0x55, byte(v), byte(uint16(v)>>8))
		s32 = binary.LittleEndian.AppendUint32(s32, uint32(int32(v)<<16|0x1234))
		f32 = binary.LittleEndian.AppendUint32(f32, math.Float32bits(float32(v)/32767))
	}
	rows := []struct {
		name string
		b    []byte
		tol  int
	}{
		{"8-bit", withData(header(1, 8, 1, 0), s8), 255},
		{"16-bit", withData(header(1, 16, 1, 0), s16), 0},
		{"24-bit", withData(header(1, 24, 1, 0), s24), 0},
		{"32-bit", withData(header(1, 32, 1, 0), s32), 0},
		{"32-bit float", withData(header(3, 32, 1, 0), f32), 1},
		{"24-bit extensible", withData(header(1, 24, 1, 24), s24), 0},
		{"EncodeWAV", EncodeWAV(&WAV{SampleRate: 8000, Channels: 1, Samples: want}), 0},
	}
	for _, r := range rows {
		w, err := DecodeWAV(r.b)
		if err != nil {
			t.Errorf("%s: %v", r.name, err)
			continue
		}
		if w.SampleRate != 8000 || w.Channels != 1 || len(w.Samples) != len(want) {
			t.Errorf("%s: %d Hz, %d channels, %d samples", r.name, w.SampleRate, w.Channels, len(w.Samples))
			continue
		}
		for i, v := range want {
			if d := abs(int(w.Samples[i]) - int(v)); d > r.tol && !(v == -32768 && d <= 1) {
				t.Errorf("%s: sample %d = %d, want %d", r.name, i, w.Samples[i], v)
			}
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
