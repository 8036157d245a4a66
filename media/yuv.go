package media

import (
	"image"
)

// yuvToRGBA converts a 4:2:0 (or 4:2:2/4:4:4) *image.YCbCr into dst,
// reallocating dst only when its size differs, and returns it. It works
// on the planes and the Pix slice directly (BT.601 video range, 16.16 fixed
// point), with no per-pixel interface calls.
func yuvToRGBA(dst *image.RGBA, src *image.YCbCr) *image.RGBA {
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
		cStart := src.COffset(r.Min.X, r.Min.Y+y)
		cbRow, crRow := src.Cb[cStart:], src.Cr[cStart:]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := 0; x < w; x++ {
			cx := (x+r.Min.X)>>cxShift - cx0
			yy := (int32(yRow[x]) - 16) * 76309 // 1.164 * 65536
			cb := int32(cbRow[cx]) - 128
			cr := int32(crRow[cx]) - 128
			rr := (yy + 104597*cr + 1<<15) >> 16
			gg := (yy - 25675*cb - 53279*cr + 1<<15) >> 16
			bb := (yy + 132201*cb + 1<<15) >> 16
			o := out[4*x : 4*x+4 : 4*x+4]
			o[0] = clamp8(rr)
			o[1] = clamp8(gg)
			o[2] = clamp8(bb)
			o[3] = 0xff
		}
	}
	return dst
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
