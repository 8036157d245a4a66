package media

import (
	"math"
	"sync/atomic"
)

// Levels map loudness to 0..100 on a dBFS scale: levelFloorDB (or
// quieter, or silence) is 0, 0 dBFS RMS is 100, linear in dB between. The
// test tone (-15 dBFS RMS) reads 75; normal speech (-30..-20 dBFS) reads
// 50..67; a silent microphone's noise floor stays under 10.
const levelFloorDB = -60.0

// levelFromRMS converts an RMS amplitude (full scale 1.0) to 0..100.
func levelFromRMS(rms float64) int {
	if rms <= 0 {
		return 0
	}
	db := 20 * math.Log10(rms)
	v := (db - levelFloorDB) * 100 / -levelFloorDB
	return int(math.Round(math.Min(math.Max(v, 0), 100)))
}

// levelMeter accumulates squared samples between reports. add is called
// by the audio goroutine, take by the session loop; atomics make that
// safe without a lock on the audio path.
type levelMeter struct {
	sumSq   atomic.Uint64 // float64 bits
	samples atomic.Uint64
}

func (m *levelMeter) addFloat32(pcm []float32) {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	m.add(s, len(pcm))
}

func (m *levelMeter) addInt16(pcm []int16) {
	var s float64
	for _, v := range pcm {
		f := float64(v) / 32768
		s += f * f
	}
	m.add(s, len(pcm))
}

func (m *levelMeter) add(sumSq float64, n int) {
	for {
		old := m.sumSq.Load()
		if m.sumSq.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+sumSq)) {
			break
		}
	}
	m.samples.Add(uint64(n))
}

// take returns the level since the last take and resets the meter.
func (m *levelMeter) take() int {
	n := m.samples.Swap(0)
	s := math.Float64frombits(m.sumSq.Swap(0))
	if n == 0 {
		return 0
	}
	return levelFromRMS(math.Sqrt(s / float64(n)))
}
