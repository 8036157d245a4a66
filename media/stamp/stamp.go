package stamp

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"time"
)

// Layout of the stamp: Columns x Rows square cells across the top of the
// frame, one bit per cell, most significant bit first.
const (
	Columns = 20
	Rows    = 6
	// payloadBits: frame (32) + capture time in unix microseconds (64) +
	// CRC-16 (16) = 112 bits; the last 8 cells carry a fixed 10101010
	// marker that lets a reader reject frames with no stamp at all cheaply.
	payloadBits = 112
	markerBits  = Columns*Rows - payloadBits
	marker      = 0xAA

	// Luma levels of the blocks, video range, as a camera would produce.
	black = 16
	white = 235
	// threshold splits black from white after the codec's smoothing.
	threshold = (black + white) / 2

	// MinWidth is the narrowest frame a stamp fits in.
	MinWidth = Columns * 8
)

// Stamp is what a frame carries: its number and when it was captured.
type Stamp struct {
	Frame    uint32
	Captured time.Time
}

// CellSize is the side of one stamp cell, in pixels, for a frame width.
// Cells are even-sized so that 4:2:0 chroma rows stay aligned.
func CellSize(width int) int { return (width / Columns) &^ 1 }

// Height is how many rows of pixels, from the top, the stamp covers.
func Height(width int) int { return CellSize(width) * Rows }

func bits(s Stamp) [Columns * Rows]bool {
	var buf [14]byte
	binary.BigEndian.PutUint32(buf[0:4], s.Frame)
	binary.BigEndian.PutUint64(buf[4:12], uint64(s.Captured.UnixMicro()))
	binary.BigEndian.PutUint16(buf[12:14], uint16(crc32.ChecksumIEEE(buf[:12])))
	var out [Columns * Rows]bool
	for i := 0; i < payloadBits; i++ {
		out[i] = buf[i/8]&(0x80>>(i%8)) != 0
	}
	for i := 0; i < markerBits; i++ {
		out[payloadBits+i] = marker&(0x80>>(i%8)) != 0
	}
	return out
}

// Draw writes s into the luma plane of img (which must be at least
// MinWidth wide and Height(width) tall) and sets the stamp area's chroma
// to neutral grey. It reports whether the frame was big enough.
func Draw(img *image.YCbCr, s Stamp) bool {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cell := CellSize(w)
	if w < MinWidth || h < cell*Rows {
		return false
	}
	b := bits(s)
	for r := 0; r < Rows; r++ {
		for c := 0; c < Columns; c++ {
			v := byte(black)
			if b[r*Columns+c] {
				v = white
			}
			for y := r * cell; y < (r+1)*cell; y++ {
				row := img.Y[y*img.YStride+c*cell : y*img.YStride+(c+1)*cell]
				for x := range row {
					row[x] = v
				}
			}
		}
	}
	cw, ch := chromaSize(img.SubsampleRatio, cell*Columns, cell*Rows)
	for y := 0; y < ch; y++ {
		cb := img.Cb[y*img.CStride : y*img.CStride+cw]
		cr := img.Cr[y*img.CStride : y*img.CStride+cw]
		for x := range cb {
			cb[x], cr[x] = 128, 128
		}
	}
	return true
}

func chromaSize(r image.YCbCrSubsampleRatio, w, h int) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio444:
		return w, h
	}
	return 0, 0
}

// Read reads the stamp back from img. ok is false when the frame carries
// no stamp or the stamp does not check out. It has fast paths for
// *image.YCbCr and *image.RGBA and works on any image.Image.
func Read(img image.Image) (s Stamp, ok bool) {
	b := img.Bounds()
	cell := CellSize(b.Dx())
	if b.Dx() < MinWidth || b.Dy() < cell*Rows {
		return Stamp{}, false
	}
	luma := lumaFunc(img)
	var got [Columns * Rows]bool
	// Average the central half of each cell: the codec blurs the edges.
	q := cell / 4
	for r := 0; r < Rows; r++ {
		for c := 0; c < Columns; c++ {
			x0, y0 := b.Min.X+c*cell+q, b.Min.Y+r*cell+q
			sum, n := 0, 0
			for y := y0; y < y0+cell-2*q; y++ {
				for x := x0; x < x0+cell-2*q; x++ {
					sum += int(luma(x, y))
					n++
				}
			}
			got[r*Columns+c] = n > 0 && sum/n >= threshold
		}
	}
	for i := 0; i < markerBits; i++ {
		if got[payloadBits+i] != (marker&(0x80>>(i%8)) != 0) {
			return Stamp{}, false
		}
	}
	var buf [14]byte
	for i := 0; i < payloadBits; i++ {
		if got[i] {
			buf[i/8] |= 0x80 >> (i % 8)
		}
	}
	if binary.BigEndian.Uint16(buf[12:14]) != uint16(crc32.ChecksumIEEE(buf[:12])) {
		return Stamp{}, false
	}
	return Stamp{
		Frame:    binary.BigEndian.Uint32(buf[0:4]),
		Captured: time.UnixMicro(int64(binary.BigEndian.Uint64(buf[4:12]))),
	}, true
}

// lumaFunc returns a reader of the luma (0..255) at (x, y) for img,
// avoiding the per-pixel color.Color interface for the common types.
func lumaFunc(img image.Image) func(x, y int) uint8 {
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) uint8 { return m.Y[m.YOffset(x, y)] }
	case *image.RGBA:
		return func(x, y int) uint8 {
			i := m.PixOffset(x, y)
			p := m.Pix[i : i+3 : i+3]
			return uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
		}
	}
	return func(x, y int) uint8 {
		r, g, b, _ := img.At(x, y).RGBA()
		return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
	}
}
