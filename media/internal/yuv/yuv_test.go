package yuv

import (
	"image"
	"math"
	"testing"
)

// reference is the BT.601 video-range conversion in float64, clamped.
func reference(y, cb, cr byte) [3]float64 {
	yy, b, r := 1.164*(float64(y)-16), float64(cb)-128, float64(cr)-128
	out := [3]float64{yy + 1.596*r, yy - 0.392*b - 0.813*r, yy + 2.017*b}
	for i, v := range out {
		out[i] = math.Min(math.Max(v, 0), 255)
	}
	return out
}

// TestToRGBAMatchesTheReference converts frames whose widths exercise the
// vector kernel, the pair loop and the single-pixel tail, and sub-images
// that start on an odd column, against the float reference.
func TestToRGBAMatchesTheReference(t *testing.T) {
	for _, size := range []image.Point{{6, 4}, {37, 10}, {64, 3}, {1, 1}} {
		src := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
		for i := range src.Y {
			src.Y[i] = byte(i*37 + 5)
		}
		for i := range src.Cb {
			src.Cb[i], src.Cr[i] = byte(40+i*31), byte(200-i*23)
		}
		for _, rect := range []image.Rectangle{src.Rect, image.Rect(1, 0, size.X, size.Y), image.Rect(2, 1, size.X, size.Y)} {
			if rect.Empty() {
				continue
			}
			sub := src.SubImage(rect).(*image.YCbCr)
			dst := ToRGBA(nil, sub)
			for y := rect.Min.Y; y < rect.Max.Y; y++ {
				for x := rect.Min.X; x < rect.Max.X; x++ {
					want := reference(src.Y[src.YOffset(x, y)], src.Cb[src.COffset(x, y)], src.Cr[src.COffset(x, y)])
					got := dst.RGBAAt(x-rect.Min.X, y-rect.Min.Y)
					for i, g := range []uint8{got.R, got.G, got.B} {
						if math.Abs(float64(g)-want[i]) > 1.5 {
							t.Fatalf("%v of %v: (%d,%d) channel %d = %d, want %.1f", rect, size, x, y, i, g, want[i])
						}
					}
					if got.A != 255 {
						t.Fatalf("%v: (%d,%d) alpha %d", rect, x, y, got.A)
					}
				}
			}
			if again := ToRGBA(dst, sub); again != dst {
				t.Error("a buffer of the right size was not reused")
			}
		}
	}
}

// TestKernelMatchesTables runs every Y with every Cb and Cr in steps of 3
// (0 and 255 included) through the row kernel and the lookup-table loop:
// they may differ by one level (the kernel's constants have fewer bits),
// and the kernel stays within 1.5 of the float reference.
func TestKernelMatchesTables(t *testing.T) {
	const w = 256 * 2 // every Y value, twice: both pixels of a chroma pair
	yRow := make([]byte, w)
	for i := range yRow {
		yRow[i] = byte(i / 2)
	}
	cb, cr := make([]byte, w/2), make([]byte, w/2)
	kern, tab := make([]byte, 4*w), make([]byte, 4*w)
	worst := 0
	for b := 0; b < 256; b += 3 {
		for r := 0; r < 256; r += 3 {
			for i := range cb {
				cb[i], cr[i] = byte(b), byte(r)
			}
			n := rowKernel(kern, yRow, cb, cr)
			if n == 0 {
				t.Skip("no vector kernel on this architecture: the table loop is the only path (covered above)")
			}
			if n != w {
				t.Fatalf("kernel converted %d of %d pixels", n, w)
			}
			pairs(tab, yRow, cb, cr)
			for i := range kern {
				if i%4 == 3 {
					if kern[i] != 255 {
						t.Fatalf("alpha %d", kern[i])
					}
					continue
				}
				d := int(kern[i]) - int(tab[i])
				if d < 0 {
					d = -d
				}
				worst = max(worst, d)
				if d > 1 {
					t.Fatalf("Y %d Cb %d Cr %d channel %d: kernel %d, tables %d", yRow[i/4], b, r, i%4, kern[i], tab[i])
				}
				if want := reference(yRow[i/4], byte(b), byte(r))[i%4]; math.Abs(float64(kern[i])-want) > 1.5 {
					t.Fatalf("Y %d Cb %d Cr %d channel %d: kernel %d, reference %.1f", yRow[i/4], b, r, i%4, kern[i], want)
				}
			}
		}
	}
	t.Logf("largest kernel/table difference over the grid: %d", worst)
}

func BenchmarkYUVToRGBA640x480(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(i)
	}
	var dst *image.RGBA
	b.SetBytes(640 * 480 * 4)
	for b.Loop() {
		dst = ToRGBA(dst, src)
	}
}
