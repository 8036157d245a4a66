package media

import (
	"io"
	"testing"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/wave"
)

// chunkReader plays pcm as 48 kHz mono chunks of the given size,
// int16 or float32.
func chunkReader(pcm []int16, size int, float bool) audio.Reader {
	pos := 0
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		if pos+size > len(pcm) {
			return nil, func() {}, io.EOF
		}
		info := wave.ChunkInfo{Len: size, Channels: 1, SamplingRate: opusRate}
		src := pcm[pos : pos+size]
		pos += size
		if float {
			a := wave.NewFloat32Interleaved(info)
			for i, v := range src {
				a.Data[i] = float32(v) / 32768
			}
			return a, func() {}, nil
		}
		a := wave.NewInt16Interleaved(info)
		copy(a.Data, src)
		return a, func() {}, nil
	})
}

// readAll drains r into int16 samples.
func readAll(t *testing.T, r audio.Reader) []int16 {
	var out []int16
	for {
		a, rel, err := r.Read()
		if err != nil {
			return out
		}
		switch b := a.(type) {
		case *wave.Int16Interleaved:
			out = append(out, b.Data...)
		case *wave.Float32Interleaved:
			for _, v := range b.Data {
				out = append(out, int16(max(-32768, min(32767, v*32768))))
			}
		default:
			t.Fatalf("chunk type %T", a)
		}
		rel()
	}
}

// TestEchoTapCancelsWhateverTheChunkSize runs the simulated room through
// the capture transform: the played mix goes into the reference in
// 20 ms periods, the microphone delivers chunks of 10, 20 or 7.35 ms,
// int16 or float32, and the output is as long as the input and has the
// echo removed.
func TestEchoTapCancelsWhateverTheChunkSize(t *testing.T) {
	const secs = 6
	far := speechLike(1, secs*opusRate, 0.3)
	mic := aecRoom.echo(far)
	for _, tc := range []struct {
		name  string
		size  int
		float bool
	}{
		{"20 ms int16 chunks", aecFrame, false},
		{"10 ms float32 chunks", aecFrame / 2, true},
		{"353-sample int16 chunks", 353, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := newTestReference(t)
			tap, err := newEchoTap(ref)
			if err != nil {
				t.Fatal(err)
			}
			defer tap.close()
			// The speaker plays a period ahead of the microphone, as a
			// device does: each chunk read lets the reference catch up.
			played := 0
			src := chunkReader(mic, tc.size, tc.float)
			pos := 0
			r := tap.transform(audio.ReaderFunc(func() (wave.Audio, func(), error) {
				a, rel, err := src.Read()
				if err != nil {
					return a, rel, err
				}
				pos += a.ChunkInfo().Len
				// Play whole periods up to one period ahead of the mic.
				for played+aecFrame <= min(pos+aecFrame, len(far)) {
					ref.src.write(far[played : played+aecFrame])
					played += aecFrame
				}
				return a, rel, nil
			}))
			out := readAll(t, r)
			n := len(mic) / tc.size * tc.size
			if len(out) != n {
				t.Fatalf("got %d samples out, want %d", len(out), n)
			}
			a, b := 3*opusRate, 6*opusRate-aecFrame
			erle := db(power(mic[a:b]) / power(out[a:b]))
			st := ref.stats()
			t.Logf("ERLE %.1f dB over 3..6 s; %d frames cancelled, reference %+v", erle, tap.processed.Load(), st)
			if erle < minERLE {
				t.Errorf("ERLE %.1f dB, want >= %.0f dB", erle, minERLE)
			}
			if tap.skipped.Load() != 0 {
				t.Errorf("%d chunks skipped", tap.skipped.Load())
			}
		})
	}
}

func TestEchoTapPassesOtherFormatsUntouched(t *testing.T) {
	tap, err := newEchoTap(newTestReference(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tap.close()
	a := wave.NewInt16Interleaved(wave.ChunkInfo{Len: 441, Channels: 2, SamplingRate: 44100})
	for i := range a.Data {
		a.Data[i] = int16(i)
	}
	r := tap.transform(audio.ReaderFunc(func() (wave.Audio, func(), error) { return a, func() {}, nil }))
	if _, _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	for i, v := range a.Data {
		if v != int16(i) {
			t.Fatalf("sample %d changed", i)
		}
	}
	if tap.skipped.Load() != 1 || tap.processed.Load() != 0 {
		t.Fatalf("skipped %d, processed %d; want 1, 0", tap.skipped.Load(), tap.processed.Load())
	}
}

// runTapWithSpeaker runs mic through a fresh echoTap in 20 ms chunks;
// before each chunk is read, speaker(pos) may write played periods into
// the reference (pos: microphone samples so far, this chunk included).
func runTapWithSpeaker(t *testing.T, mic []int16, speaker func(ref *echoReference, pos int)) ([]int16, *echoTap, refStats) {
	t.Helper()
	ref := newTestReference(t)
	tap, err := newEchoTap(ref)
	if err != nil {
		t.Fatal(err)
	}
	defer tap.close()
	src := chunkReader(mic, aecFrame, false)
	pos := 0
	r := tap.transform(audio.ReaderFunc(func() (wave.Audio, func(), error) {
		a, rel, err := src.Read()
		if err == nil {
			pos += aecFrame
			speaker(ref, pos)
		}
		return a, rel, err
	}))
	return readAll(t, r), tap, ref.stats()
}

// TestEchoTapRidesOutALatePeriod: at 5 s one speaker period comes a
// read late (callback jitter). The far end must stay aligned: only that
// frame's echo gets through, and the filter stays converged.
func TestEchoTapRidesOutALatePeriod(t *testing.T) {
	far := speechLike(1, 10*opusRate, 0.3)
	mic := aecRoom.echo(far)
	played := 0
	out, tap, st := runTapWithSpeaker(t, mic, func(ref *echoReference, pos int) {
		upTo := pos // each period just in time for its read...
		if pos == 5*opusRate {
			upTo -= aecFrame // ...but this one
		}
		for ; played+aecFrame <= upTo; played += aecFrame {
			ref.src.write(far[played : played+aecFrame])
		}
	})
	erle := func(from, to float64) float64 {
		a, b := int(from*opusRate), int(to*opusRate)
		return db(power(mic[a:b]) / power(out[a:b]))
	}
	t.Logf("ERLE 3..5 s %.1f dB; after the late period: 5..5.5 s %.1f dB, 5.5..6 s %.1f dB, 6..10 s %.1f dB; reference %+v, %d resets",
		erle(3, 5), erle(5, 5.5), erle(5.5, 6), erle(6, 10), st, tap.resets.Load())
	if st.Underruns != 1 || tap.resets.Load() != 0 {
		t.Fatalf("%d underruns and %d resets, want the one late period and no reset", st.Underruns, tap.resets.Load())
	}
	if got := erle(5.5, 10); got < minERLE {
		t.Errorf("ERLE from half a second after the late period %.1f dB, want >= %.0f dB", got, minERLE)
	}
}

// TestEchoTapRealignsAfterASpeakerStall: at 5 s the speaker stalls for
// 100 ms (no callbacks; the room hears silence) and then plays on where
// it stopped. The reference writes the missed reads off, the filter
// resets (the reference cannot tell a stall, which keeps the echo path,
// from drift, which shifts it), and it must be back within a second.
func TestEchoTapRealignsAfterASpeakerStall(t *testing.T) {
	const stall = opusRate / 10
	far := speechLike(1, 12*opusRate, 0.3)
	at := 5 * opusRate
	// What the room hears: 100 ms of silence inserted at 5 s.
	heard := make([]int16, len(far))
	copy(heard, far[:at])
	copy(heard[at+stall:], far[at:])
	mic := aecRoom.echo(heard)
	played := 0
	out, tap, st := runTapWithSpeaker(t, mic, func(ref *echoReference, pos int) {
		if pos > at && pos <= at+stall {
			return // stalled: no callback
		}
		upTo := pos
		if pos > at {
			upTo -= stall
		}
		for ; played+aecFrame <= upTo; played += aecFrame {
			ref.src.write(far[played : played+aecFrame])
		}
	})
	erle := func(from, to float64) float64 {
		a, b := int(from*opusRate), int(to*opusRate)
		return db(power(mic[a:b]) / power(out[a:b]))
	}
	t.Logf("ERLE 3..5 s %.1f dB; after the stall: 5.1..6 s %.1f dB, 6..7 s %.1f dB, 7..8 s %.1f dB, 8..12 s %.1f dB; reference %+v, %d resets",
		erle(3, 5), erle(5.1, 6), erle(6, 7), erle(7, 8), erle(8, 12), st, tap.resets.Load())
	if tap.resets.Load() == 0 {
		t.Fatalf("no reset after the stall (reference %+v)", st)
	}
	if got := erle(6, 12); got < minERLE {
		t.Errorf("ERLE from a second after the stall %.1f dB, want >= %.0f dB", got, minERLE)
	}
}
