package media

/*
#cgo pkg-config: opus
#include <opus.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Opus decoding goes through libopus (cgo, pkg-config opus) rather than
// pion/opus because libopus conceals lost packets (PLC) and can recover
// one from the next packet's in-band FEC, which Calla's encoder sends
// (opusencoder.go); see docs/media.md.

const (
	opusRate     = 48000
	opusChannels = 1
	// opusMaxFrame is the longest Opus frame (120 ms) at 48 kHz.
	opusMaxFrame = opusRate * 120 / 1000
)

var errOpusDecode = errors.New("media: opus decode failed")

// opusDecoder decodes one remote audio stream to 48 kHz mono int16. Not
// safe for concurrent use: one receive goroutine owns it.
type opusDecoder struct {
	dec *C.OpusDecoder
	pcm []int16
}

func newOpusDecoder() (*opusDecoder, error) {
	var cerr C.int
	d := C.opus_decoder_create(opusRate, opusChannels, &cerr)
	if cerr != C.OPUS_OK || d == nil {
		return nil, fmt.Errorf("%w: create: %s", errOpusDecode, C.GoString(C.opus_strerror(cerr)))
	}
	return &opusDecoder{dec: d, pcm: make([]int16, opusMaxFrame*opusChannels)}, nil
}

// decode decodes one packet; the returned slice is valid until the next
// call. An empty packet asks for concealment of one lost frame of
// frameSamples samples; fec decodes the FEC data of packet for the frame
// before it.
func (d *opusDecoder) decode(packet []byte, frameSamples int, fec bool) ([]int16, error) {
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	max := opusMaxFrame
	if len(packet) == 0 || fec {
		max = min(frameSamples, opusMaxFrame)
	}
	f := C.int(0)
	if fec {
		f = 1
	}
	n := C.opus_decode(d.dec, data, C.opus_int32(len(packet)), (*C.opus_int16)(unsafe.Pointer(&d.pcm[0])), C.int(max), f)
	if n < 0 {
		return nil, fmt.Errorf("%w: %s", errOpusDecode, C.GoString(C.opus_strerror(n)))
	}
	return d.pcm[:int(n)*opusChannels], nil
}

func (d *opusDecoder) close() {
	if d.dec != nil {
		C.opus_decoder_destroy(d.dec)
		d.dec = nil
	}
}
