package media

import (
	"image"
	"testing"
)

func BenchmarkYUVToRGBA640x480(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(i)
	}
	var dst *image.RGBA
	b.SetBytes(640 * 480 * 4)
	for b.Loop() {
		dst = yuvToRGBA(dst, src)
	}
}
