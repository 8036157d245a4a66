package assets

import (
	"encoding/binary"
	"fmt"
)

// WAV is decoded PCM audio: signed 16-bit samples, interleaved by
// channel.
type WAV struct {
	SampleRate int
	Channels   int
	Samples    []int16
}

// DecodeWAV reads a RIFF/WAVE file of 16-bit PCM, as the sounds here are.
// Other encodings are an ErrBadWAV.
func DecodeWAV(b []byte) (*WAV, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrBadWAV)
	}
	var w WAV
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
			format := binary.LittleEndian.Uint16(b[body:])
			w.Channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			w.SampleRate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits := binary.LittleEndian.Uint16(b[body+14:])
			if format != 1 || bits != 16 || w.Channels < 1 || w.SampleRate < 1 {
				return nil, fmt.Errorf("%w: want 16-bit PCM, got format %d, %d bits, %d channels, %d Hz",
					ErrBadWAV, format, bits, w.Channels, w.SampleRate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt", ErrBadWAV)
			}
			w.Samples = make([]int16, size/2)
			for i := range w.Samples {
				w.Samples[i] = int16(binary.LittleEndian.Uint16(b[body+2*i:]))
			}
			return &w, nil
		}
		p = body + size + size%2 // chunks are padded to even sizes
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}
