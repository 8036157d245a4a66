// Package yuv converts decoded video frames (*image.YCbCr, BT.601 video
// range) to RGBA for the screen: an SSE2 kernel on amd64 for the bulk of
// each row, lookup tables elsewhere and for row tails. It has no state
// besides its tables and starts no goroutines; ToRGBA may run on any
// number of goroutines at once.
//
// It is its own package because Go assembly cannot live in a package that
// uses cgo, as media does.
package yuv

import (
	"encoding/binary"
	"image"
)

// ToRGBA converts a 4:2:0 (or 4:2:2/4:4:4) *image.YCbCr into dst,
// reallocating dst only when its size differs, and returns it. It works
// on the planes and the Pix slice directly, with no per-pixel interface
// calls: 8 pixels per step in the vector kernel where there is one, else
// 16.16 fixed point through lookup tables.
func ToRGBA(dst *image.RGBA, src *image.YCbCr) *image.RGBA {
	r := src.Rect
	w, h := r.Dx(), r.Dy()
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	var cxShift int
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio420:
		cxShift = 1
	case image.YCbCrSubsampleRatio422:
		cxShift = 1
	case image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio444:
	default:
		// Rare ratios (4:1:1, 4:1:0): fall back to the generic path.
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				dst.Set(x, y, src.At(r.Min.X+x, r.Min.Y+y))
			}
		}
		return dst
	}
	cx0 := r.Min.X >> cxShift
	for y := 0; y < h; y++ {
		yRow := src.Y[src.YOffset(r.Min.X, r.Min.Y+y):]
		yRow = yRow[:w]
		cStart := src.COffset(r.Min.X, r.Min.Y+y)
		cbRow, crRow := src.Cb[cStart:], src.Cr[cStart:]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		x := 0
		if cxShift == 1 && r.Min.X%2 == 0 {
			// Two pixels share each chroma sample: the vector kernel takes
			// what it can (a multiple of 8 pixels), the pair loop the rest.
			n := w / 2
			x = rowKernel(out, yRow, cbRow[:n], crRow[:n])
			pairs(out[4*x:8*n], yRow[x:2*n], cbRow[x/2:n], crRow[x/2:n])
			x = 2 * n
		}
		for ; x < w; x++ {
			cx := (x+r.Min.X)>>cxShift - cx0
			yy := yTab[yRow[x]]
			cb, cr := cbRow[cx], crRow[cx]
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0] = clampTab[((yy+crR[cr])>>16+clampOff)&1023]
			o[1] = clampTab[((yy+cbG[cb]+crG[cr])>>16+clampOff)&1023]
			o[2] = clampTab[((yy+cbB[cb])>>16+clampOff)&1023]
			o[3] = 0xff
		}
	}
	return dst
}

// pairs converts len(cb) pairs of pixels that share a chroma sample.
func pairs(out, yRow, cbRow, crRow []byte) {
	crRow = crRow[:len(cbRow)] // bounds-check hints
	yRow, out = yRow[:2*len(cbRow)], out[:8*len(cbRow)]
	for i := range cbRow {
		cb, cr := cbRow[i], crRow[i]
		rc, gc, bc := crR[cr], cbG[cb]+crG[cr], cbB[cb]
		y0, y1 := yTab[yRow[2*i]], yTab[yRow[2*i+1]]
		// One 32-bit store per pixel: R, G, B, A in memory order.
		binary.LittleEndian.PutUint32(out[8*i:], uint32(clampTab[((y0+rc)>>16+clampOff)&1023])|
			uint32(clampTab[((y0+gc)>>16+clampOff)&1023])<<8|
			uint32(clampTab[((y0+bc)>>16+clampOff)&1023])<<16|0xff000000)
		binary.LittleEndian.PutUint32(out[8*i+4:], uint32(clampTab[((y1+rc)>>16+clampOff)&1023])|
			uint32(clampTab[((y1+gc)>>16+clampOff)&1023])<<8|
			uint32(clampTab[((y1+bc)>>16+clampOff)&1023])<<16|0xff000000)
	}
}

// Lookup tables for the BT.601 video-range conversion, in 16.16 fixed
// point: one table read per term instead of a multiply, and a clamp
// table instead of branches.
var (
	yTab     [256]int32
	crR, crG [256]int32
	cbG, cbB [256]int32
	clampTab [1024]uint8
)

// clampOff shifts the possible results (about -300..560) into clampTab.
const clampOff = 384

func init() {
	for i := 0; i < 256; i++ {
		c := int32(i) - 128
		yTab[i] = (int32(i)-16)*76309 + 1<<15 // 1.164, with rounding
		crR[i] = 104597 * c                   // 1.596
		crG[i] = -53279 * c                   // 0.813
		cbG[i] = -25675 * c                   // 0.392
		cbB[i] = 132201 * c                   // 2.017
	}
	for i := range clampTab {
		clampTab[i] = clamp8(int32(i - clampOff))
	}
}

func clamp8(v int32) uint8 {
	if uint32(v) <= 255 {
		return uint8(v)
	}
	if v < 0 {
		return 0
	}
	return 255
}
