// Command gen synthesises Calla's call sounds and writes them as WAV files
// next to the assets package (go generate ./assets, or go run ./assets/gen
// DIR):
//
//   - ringtone.wav: the incoming-call ringtone, a bright three-note chime
//     played twice, then a pause; 2.5 s, looped by the player.
//   - dialtone.wav: what the caller hears while the callee's phone rings,
//     the European ringback tone: 425 Hz, one second on, four off; 5 s,
//     looped.
//
// Both are mono 16-bit PCM. The synthesis is deterministic, so running
// the command again reproduces the committed files byte for byte (a test
// checks that).
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	for name, wav := range map[string][]byte{"ringtone.wav": ringtone(), "dialtone.wav": dialTone()} {
		if err := os.WriteFile(filepath.Join(dir, name), wav, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// Sample rates: the chime has overtones up to ~6 kHz; the ringback is a
// single 425 Hz tone and telephone quality is what it imitates.
const (
	ringRate = 16000
	dialRate = 8000
)

// ringtone is C6-E6-G6, each note a struck tone (fundamental plus two
// decaying overtones) 160 ms apart, twice, in 2.5 s.
func ringtone() []byte {
	out := make([]float64, ringRate*5/2)
	notes := []float64{1046.50, 1318.51, 1567.98}
	start := 0.0
	for rep := 0; rep < 2; rep++ {
		for _, f := range notes {
			strike(out, ringRate, start, f)
			start += 0.16
		}
		start += 0.42
	}
	return encode(out, ringRate)
}

// strike adds a struck note at t seconds: a 5 ms attack, then an
// exponential decay; the overtones fade faster, as a bar's do.
func strike(out []float64, rate int, t, f float64) {
	first := int(t * float64(rate))
	for i := first; i < len(out); i++ {
		s := float64(i-first) / float64(rate)
		if s > 1.2 {
			break
		}
		attack := math.Min(1, s/0.005)
		v := 0.50*math.Exp(-s*4.5)*math.Sin(2*math.Pi*f*s) +
			0.20*math.Exp(-s*9)*math.Sin(2*math.Pi*2*f*s) +
			0.08*math.Exp(-s*16)*math.Sin(2*math.Pi*3.98*f*s)
		out[i] += 0.55 * attack * v
	}
}

// dialTone is 425 Hz for one second with 10 ms fades, then four seconds
// of silence.
func dialTone() []byte {
	out := make([]float64, dialRate*5)
	on := dialRate
	fade := dialRate / 100
	for i := 0; i < on; i++ {
		g := 1.0
		if i < fade {
			g = float64(i) / float64(fade)
		} else if on-i < fade {
			g = float64(on-i) / float64(fade)
		}
		out[i] = 0.35 * g * math.Sin(2*math.Pi*425*float64(i)/dialRate)
	}
	return encode(out, dialRate)
}

// encode writes samples in [-1, 1] as a mono 16-bit PCM WAV file.
func encode(samples []float64, rate int) []byte {
	var b bytes.Buffer
	data := len(samples) * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))     // fmt chunk size
	binary.Write(&b, binary.LittleEndian, uint16(1))      // PCM
	binary.Write(&b, binary.LittleEndian, uint16(1))      // mono
	binary.Write(&b, binary.LittleEndian, uint32(rate))   // sample rate
	binary.Write(&b, binary.LittleEndian, uint32(rate*2)) // byte rate
	binary.Write(&b, binary.LittleEndian, uint16(2))      // block align
	binary.Write(&b, binary.LittleEndian, uint16(16))     // bits per sample
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(data))
	for _, s := range samples {
		v := math.Round(math.Max(-1, math.Min(1, s)) * 32767)
		binary.Write(&b, binary.LittleEndian, int16(v))
	}
	return b.Bytes()
}
