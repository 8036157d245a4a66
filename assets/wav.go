package assets

import (
	"encoding/binary"
	"fmt"
	"math"
)

// WAV is decoded PCM audio: signed 16-bit samples, interleaved by
// channel.
type WAV struct {
	SampleRate int
	Channels   int
	Samples    []int16
}

// DecodeWAV reads a RIFF/WAVE file of PCM samples (8, 16, 24 or 32 bits)
// or 32-bit IEEE float samples, plain or in WAVE_FORMAT_EXTENSIBLE, as
// sound editors write them; the samples become 16-bit. Other encodings
// (compressed ones, 64-bit float) are an ErrBadWAV.
func DecodeWAV(b []byte) (*WAV, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrBadWAV)
	}
	var w WAV
	var format, bits int
	var haveFmt bool
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := p + 8
		if size < 0 || body+size > len(b) {
			return nil, fmt.Errorf("%w: chunk %q runs past the end", ErrBadWAV, id)
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrBadWAV)
			}
			format = int(binary.LittleEndian.Uint16(b[body:]))
			w.Channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			w.SampleRate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
			if format == formatExtensible && size >= 40 {
				format = int(binary.LittleEndian.Uint16(b[body+24:])) // the sub-format GUID's first field
			}
			pcm := format == formatPCM && (bits == 8 || bits == 16 || bits == 24 || bits == 32)
			float := format == formatFloat && bits == 32
			if !pcm && !float || w.Channels < 1 || w.SampleRate < 1 {
				return nil, fmt.Errorf("%w: want PCM or 32-bit float, got format %d, %d bits, %d channels, %d Hz",
					ErrBadWAV, format, bits, w.Channels, w.SampleRate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt", ErrBadWAV)
			}
			w.Samples = samples16(b[body:body+size], format, bits)
			return &w, nil
		}
		p = body + size + size%2 // chunks are padded to even sizes
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}

// WAVE format codes.
const (
	formatPCM        = 1
	formatFloat      = 3
	formatExtensible = 0xFFFE
)

// samples16 converts a data chunk's samples to 16 bits.
func samples16(d []byte, format, bits int) []int16 {
	n := len(d) / (bits / 8)
	out := make([]int16, n)
	for i := range out {
		o := i * bits / 8
		switch {
		case format == formatFloat:
			f := math.Float32frombits(binary.LittleEndian.Uint32(d[o:]))
			out[i] = int16(max(-1, min(1, f)) * 32767)
		case bits == 8:
			out[i] = int16(int(d[o])-128) << 8 // 8-bit PCM is unsigned
		case bits == 16:
			out[i] = int16(binary.LittleEndian.Uint16(d[o:]))
		default: // 24 and 32 bits: the top 16
			out[i] = int16(binary.LittleEndian.Uint16(d[o+bits/8-2:]))
		}
	}
	return out
}

// EncodeWAV writes w as a RIFF/WAVE file of 16-bit PCM.
func EncodeWAV(w *WAV) []byte {
	data := 2 * len(w.Samples)
	b := make([]byte, 44+data)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+data))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], formatPCM)
	binary.LittleEndian.PutUint16(b[22:], uint16(w.Channels))
	binary.LittleEndian.PutUint32(b[24:], uint32(w.SampleRate))
	binary.LittleEndian.PutUint32(b[28:], uint32(w.SampleRate*w.Channels*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(w.Channels*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(data))
	for i, s := range w.Samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	return b
}
