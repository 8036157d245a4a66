package media

import (
	"sync/atomic"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// echoTap is the microphone's echo-cancelling transform, ahead of the
// level tap and the Opus encoder. It cuts the captured audio into
// aecFrame frames, cancels each against the far-end frame the reference
// hands out, and passes every chunk on in place, same size and format
// (the chunk is the driver's, read once, by this chain only). Chunks of
// a whole frame (miniaudio microphones deliver 20 ms) come out with no
// added delay; other sizes are delayed by less than a frame. Audio that
// is not 48 kHz mono passes untouched (counted in skipped).
//
// It runs on the capture pump's goroutine (every read of the encoder's
// chain); the counters may be read from anywhere.
type echoTap struct {
	ec  *echoCanceller
	ref *echoReference
	in  []int16 // captured, not yet a whole frame
	out []int16 // cancelled, not yet passed on
	pcm []int16 // a float chunk as int16
	far []int16
	res []int16

	// Frames cancelled, chunks passed untouched, filter resets.
	processed, skipped, resets atomic.Uint64
}

func newEchoTap(ref *echoReference) (*echoTap, error) {
	ec, err := newEchoCanceller()
	if err != nil {
		return nil, err
	}
	ref.restart()
	return &echoTap{ec: ec, ref: ref,
		in: make([]int16, 0, 4*aecFrame), out: make([]int16, 0, 4*aecFrame),
		far: make([]int16, aecFrame), res: make([]int16, aecFrame)}, nil
}

func (t *echoTap) transform(r audio.Reader) audio.Reader {
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		a, rel, err := r.Read()
		if err != nil {
			return a, rel, err
		}
		info := a.ChunkInfo()
		if info.Channels != 1 || info.SamplingRate != opusRate {
			t.skipped.Add(1)
			return a, rel, nil
		}
		switch b := a.(type) {
		case *wave.Int16Interleaved:
			t.cancel(b.Data)
		case *wave.Float32Interleaved:
			if cap(t.pcm) < len(b.Data) {
				t.pcm = make([]int16, len(b.Data))
			}
			pcm := t.pcm[:len(b.Data)]
			for i, v := range b.Data {
				pcm[i] = int16(max(-32768, min(32767, v*32768)))
			}
			t.cancel(pcm)
			for i, v := range pcm {
				b.Data[i] = float32(v) / 32768
			}
		default:
			t.skipped.Add(1)
		}
		return a, rel, nil
	})
}

// cancel replaces chunk with cancelled audio: whole frames go through
// the canceller as they complete; the output lags the input by the part
// of a frame still pending, filled with silence at the very start.
func (t *echoTap) cancel(chunk []int16) {
	t.in = append(t.in, chunk...)
	n := 0
	for ; len(t.in)-n >= aecFrame; n += aecFrame {
		if t.ref.read(t.far) {
			t.ec.reset()
			t.resets.Add(1)
		}
		t.ec.process(t.in[n:n+aecFrame], t.far, t.res)
		t.out = append(t.out, t.res...)
		t.processed.Add(1)
	}
	t.in = append(t.in[:0], t.in[n:]...)
	short := max(len(chunk)-len(t.out), 0)
	clear(chunk[:short])
	k := copy(chunk[short:], t.out)
	t.out = append(t.out[:0], t.out[k:]...)
}

// close frees the canceller; a later read passes audio through.
func (t *echoTap) close() { t.ec.close() }
