package media

import (
	"fmt"
	"io"
	"math"
	"testing"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
)

// opusChunks hands out the given 48 kHz mono chunks, then io.EOF.
func opusChunks(chunks [][]int16) audio.Reader {
	i := 0
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		if i == len(chunks) {
			return nil, func() {}, io.EOF
		}
		a := wave.NewInt16Interleaved(wave.ChunkInfo{Len: len(chunks[i]), Channels: 1, SamplingRate: opusRate})
		copy(a.Data, chunks[i])
		i++
		return a, func() {}, nil
	})
}

// voicedTone is n samples of a 300 Hz tone whose loudness wobbles at 4 Hz,
// at about -15 dBFS: voiced enough for the encoder's speech modes.
func voicedTone(n, from int) []int16 {
	s := make([]int16, n)
	for i := range s {
		t := float64(from+i) / opusRate
		s[i] = int16(8000 * (0.6 + 0.4*math.Sin(2*math.Pi*4*t)) * math.Sin(2*math.Pi*300*t))
	}
	return s
}

func encodeAll(t testing.TB, b *opusBuilder, chunks [][]int16) [][]byte {
	t.Helper()
	rc, err := b.BuildAudioEncoder(opusChunks(chunks), prop.Media{Audio: prop.Audio{SampleRate: opusRate, ChannelCount: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var pkts [][]byte
	for {
		p, release, err := rc.Read()
		if err == io.EOF {
			return pkts
		}
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
		release()
	}
}

func rms16(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum/float64(len(s))) / 32768
}

// TestOpusEncoderSendsFEC loses the first packet of speech after silence.
// Concealment (PLC) can only extend the silence before it; the in-band
// FEC that the next packet carries rebuilds the lost speech, which proves
// the encoder sends FEC (mediadevices' encoder sent none).
func TestOpusEncoderSendsFEC(t *testing.T) {
	const silent, talk = 25, 25
	var chunks [][]int16
	for i := 0; i < silent; i++ {
		chunks = append(chunks, make([]int16, opusFrame))
	}
	for i := 0; i < talk; i++ {
		// Chunks of 10 ms: the encoder cuts its own 20 ms frames.
		chunks = append(chunks, voicedTone(opusFrame/2, 2*i*opusFrame/2), voicedTone(opusFrame/2, (2*i+1)*opusFrame/2))
	}
	pkts := encodeAll(t, &opusBuilder{bitrate: opusBitrate}, chunks)
	if len(pkts) != silent+talk {
		t.Fatalf("%d packets for %d frames", len(pkts), silent+talk)
	}
	lost := silent // the first frame of speech
	decodeUpTo := func() *opusDecoder {
		d, err := newOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts[:lost] {
			if _, err := d.decode(p, opusFrame, false); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	want := rms16(voicedTone(opusFrame, (lost-silent)*opusFrame))

	d := decodeUpTo()
	defer d.close()
	fec, err := d.decode(pkts[lost+1], opusFrame, true)
	if err != nil {
		t.Fatal(err)
	}
	got := rms16(fec)
	t.Logf("lost frame %d: FEC rebuilds RMS %.3f of %.3f", lost, got, want)
	if got < want/2 || got > want*2 {
		t.Errorf("the FEC of packet %d rebuilt RMS %.3f, want about %.3f: no FEC in the stream", lost+1, got, want)
	}
	// The next packet itself still decodes after the FEC frame.
	if pcm, err := d.decode(pkts[lost+1], opusFrame, false); err != nil || rms16(pcm) < want/2 {
		t.Errorf("the packet after the loss: RMS %.3f, err %v", rms16(pcm), err)
	}
}

func TestOpusEncoderRejectsOtherRates(t *testing.T) {
	b := &opusBuilder{bitrate: opusBitrate}
	if _, err := b.BuildAudioEncoder(opusChunks(nil), prop.Media{Audio: prop.Audio{SampleRate: 44100, ChannelCount: 1}}); err == nil {
		t.Error("a 44.1 kHz microphone was accepted")
	}
	var _ codec.BitRateController = &opusEncoder{}
}

// BenchmarkOpusEncode is the cost of one 20 ms frame of voiced audio at
// the shipped complexity, at 5 and at libopus' default (10).
func BenchmarkOpusEncode(b *testing.B) {
	for _, c := range []int{5, opusComplexity, 10} {
		b.Run(fmt.Sprintf("complexity=%d", c), func(b *testing.B) {
			chunks := make([][]int16, 500)
			for i := range chunks {
				chunks[i] = voicedTone(opusFrame, i*opusFrame)
			}
			b.ResetTimer()
			for b.Loop() {
				encodeAll(b, &opusBuilder{bitrate: opusBitrate, complexity: c}, chunks)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(chunks))/1000, "ms/frame")
		})
	}
}
