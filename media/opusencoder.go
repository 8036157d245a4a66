package media

/*
#cgo pkg-config: opus
#include <opus.h>

// calla_opus_new makes a mono VoIP encoder with in-band FEC on, tuned for
// loss of about lossPct percent.
static OpusEncoder *calla_opus_new(int rate, int bps, int complexity, int lossPct, int *err) {
	OpusEncoder *e = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, err);
	if (*err != OPUS_OK) return NULL;
	if ((*err = opus_encoder_ctl(e, OPUS_SET_BITRATE(bps))) != OPUS_OK ||
		(*err = opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(complexity))) != OPUS_OK ||
		(*err = opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1))) != OPUS_OK ||
		(*err = opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(lossPct))) != OPUS_OK) {
		opus_encoder_destroy(e);
		return NULL;
	}
	return e;
}

static int calla_opus_set_bitrate(OpusEncoder *e, int bps) {
	return opus_encoder_ctl(e, OPUS_SET_BITRATE(bps));
}

static int calla_opus_set_loss(OpusEncoder *e, int pct) {
	return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(pct));
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"
	"unsafe"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/mediadevices/pkg/wave"
	wavemixer "github.com/pion/mediadevices/pkg/wave/mixer"
)

const (
	// opusBitrate is the microphone's Opus rate: wideband speech with room
	// for in-band FEC.
	opusBitrate = 32_000
	// opusComplexity trades encoder CPU for quality (0..10): 9, as
	// WebRTC's desktop senders use. BenchmarkOpusEncode here: 0.38 ms per
	// 20 ms frame (1.9% of a core) at 9, 0.25 ms at 5 (its mobile choice);
	// the FEC adds about a fifth to either.
	opusComplexity = 9
	// opusLossPct tells the encoder how much loss to protect against
	// until the peers' receiver reports say (fecLossPct): it sizes the
	// in-band FEC (LBRR) that the receiving side's decoder uses to rebuild
	// a lost packet from the next one (receive.go). Without a non-zero
	// figure libopus sends no FEC at all.
	opusLossPct = 10
)

// opusBuilder is Calla's Opus encoder for mediadevices' codec selector:
// libopus through cgo, like mediadevices' own, but with in-band FEC on
// (mediadevices' sends none although its SDP advertises useinbandfec=1)
// and a chosen complexity. Mono 48 kHz in 20 ms frames.
type opusBuilder struct {
	bitrate    int // bits per second
	complexity int // 0: opusComplexity
}

// RTPCodec is Opus with its frame length as the latency, so that
// mediadevices' encoded buffers carry the right sample count.
func (b *opusBuilder) RTPCodec() *codec.RTPCodec {
	c := codec.NewRTPOpusCodec(opusRate)
	c.Latency = opusFrame * time.Second / opusRate
	return c
}

func (b *opusBuilder) BuildAudioEncoder(r audio.Reader, p prop.Media) (codec.ReadCloser, error) {
	if p.SampleRate != opusRate {
		return nil, fmt.Errorf("media: opus: the microphone runs at %d Hz, want %d", p.SampleRate, opusRate)
	}
	complexity := b.complexity
	if complexity == 0 {
		complexity = opusComplexity
	}
	var cerr C.int
	enc := C.calla_opus_new(C.int(opusRate), C.int(b.bitrate), C.int(complexity), C.int(opusLossPct), &cerr)
	if enc == nil {
		return nil, fmt.Errorf("media: opus encoder: %s", C.GoString(C.opus_strerror(cerr)))
	}
	// mediadevices' own helpers: mix to mono, cut into 20 ms frames.
	mono := audio.NewChannelMixer(1, &wavemixer.MonoMixer{})
	frames := audio.NewBuffer(opusFrame)
	return &opusEncoder{r: mono(frames(r)), enc: enc, out: make([]byte, 1500), loss: opusLossPct}, nil
}

// opusEncoder is one microphone's encoder. Read runs on the capture pump;
// the lock keeps Close and SetBitRate off a running encode.
type opusEncoder struct {
	r    audio.Reader
	mu   sync.Mutex
	enc  *C.OpusEncoder
	out  []byte
	pcm  []int16
	loss int // the packet loss percentage FEC is sized for
}

func (e *opusEncoder) Read() ([]byte, func(), error) {
	a, release, err := e.r.Read()
	if err != nil {
		return nil, func() {}, err
	}
	defer release()
	var pcm []int16
	switch b := a.(type) {
	case *wave.Int16Interleaved:
		pcm = b.Data
	case *wave.Float32Interleaved:
		if cap(e.pcm) < len(b.Data) {
			e.pcm = make([]int16, len(b.Data))
		}
		pcm = e.pcm[:len(b.Data)]
		for i, v := range b.Data {
			pcm[i] = int16(max(-32768, min(32767, v*32768)))
		}
	default:
		return nil, func() {}, fmt.Errorf("media: opus: unsupported sample format %T", a)
	}
	if len(pcm) != opusFrame {
		return nil, func() {}, fmt.Errorf("media: opus: a frame of %d samples, want %d", len(pcm), opusFrame)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return nil, func() {}, io.EOF
	}
	n := C.opus_encode(e.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&e.out[0])), C.opus_int32(len(e.out)))
	if n < 0 {
		return nil, func() {}, fmt.Errorf("media: opus encode: %s", C.GoString(C.opus_strerror(C.int(n))))
	}
	// The packet is copied: the caller may keep it past the next Read.
	return append([]byte(nil), e.out[:n]...), func() {}, nil
}

// SetBitRate implements codec.BitRateController.
func (e *opusEncoder) SetBitRate(bps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return errors.New("media: opus encoder closed")
	}
	if rc := C.calla_opus_set_bitrate(e.enc, C.int(bps)); rc != C.OPUS_OK {
		return fmt.Errorf("media: opus bitrate %d: %s", bps, C.GoString(C.opus_strerror(rc)))
	}
	return nil
}

// SetPacketLoss sizes the in-band FEC for pct percent loss (0..100).
func (e *opusEncoder) SetPacketLoss(pct int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return errors.New("media: opus encoder closed")
	}
	if rc := C.calla_opus_set_loss(e.enc, C.int(pct)); rc != C.OPUS_OK {
		return fmt.Errorf("media: opus loss %d%%: %s", pct, C.GoString(C.opus_strerror(rc)))
	}
	e.loss = pct
	return nil
}

// packetLoss is the percentage FEC is sized for.
func (e *opusEncoder) packetLoss() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.loss
}

func (e *opusEncoder) Controller() codec.EncoderController { return e }

// packetLossSetter is an audio encoder whose FEC follows the measured loss.
type packetLossSetter interface{ SetPacketLoss(pct int) error }

// fecLossPct is the loss percentage to size FEC for, given the uplink's
// fraction lost (the worst peer's receiver report, smoothed) as WebRTC
// senders do: a floor of 5% so a first burst finds FEC already there,
// the loss plus that margin above it, at most 30%, past which FEC's
// bitrate buys little.
func fecLossPct(fractionLost float64) int {
	return min(30, 5+int(math.Round(100*fractionLost)))
}

func (e *opusEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc != nil {
		C.opus_encoder_destroy(e.enc)
		e.enc = nil
	}
	return nil
}
