package stamp

import (
	"image"
	"image/draw"
	"testing"
	"time"
)

func newFrame(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = byte(i * 7)
	}
	return img
}

func TestDrawThenReadRoundTrips(t *testing.T) {
	at := time.UnixMicro(1_780_000_000_123_456)
	for _, size := range []image.Point{{160, 120}, {320, 240}, {640, 480}, {1280, 720}} {
		img := newFrame(size.X, size.Y)
		want := Stamp{Frame: 0xDEADBEEF, Captured: at}
		if !Draw(img, want) {
			t.Fatalf("%v: Draw refused the frame", size)
		}
		got, ok := Read(img)
		if !ok || got.Frame != want.Frame || !got.Captured.Equal(want.Captured) {
			t.Errorf("%v: Read = %+v, %v; want %+v", size, got, ok, want)
		}
		// The RGBA fast path and the generic path agree.
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
		if got, ok := Read(rgba); !ok || got.Frame != want.Frame {
			t.Errorf("%v: Read(RGBA) = %+v, %v", size, got, ok)
		}
		gray := image.NewGray(img.Bounds())
		draw.Draw(gray, gray.Bounds(), img, image.Point{}, draw.Src)
		if got, ok := Read(gray); !ok || got.Frame != want.Frame {
			t.Errorf("%v: Read(Gray) = %+v, %v", size, got, ok)
		}
	}
}

func TestReadRejectsUnstampedAndCorruptFrames(t *testing.T) {
	if _, ok := Read(newFrame(320, 240)); ok {
		t.Error("an unstamped pattern read as a stamp")
	}
	if _, ok := Read(image.NewGray(image.Rect(0, 0, 0, 0))); ok {
		t.Error("an empty image read as a stamp")
	}
	img := newFrame(320, 240)
	Draw(img, Stamp{Frame: 7, Captured: time.Now()})
	// Flip one payload cell: the CRC must catch it.
	cell := CellSize(320)
	for y := 0; y < cell; y++ {
		for x := 3 * cell; x < 4*cell; x++ {
			img.Y[y*img.YStride+x] = 255 - img.Y[y*img.YStride+x]
		}
	}
	if s, ok := Read(img); ok {
		t.Errorf("a corrupted stamp read as %+v", s)
	}
	if Draw(newFrame(100, 100), Stamp{}) {
		t.Error("Draw accepted a frame narrower than MinWidth")
	}
}

func TestReadSurvivesNoise(t *testing.T) {
	img := newFrame(320, 240)
	want := Stamp{Frame: 42, Captured: time.UnixMicro(99)}
	Draw(img, want)
	// Codec-like damage: every pixel moves by up to ±40 luma levels.
	for i := range img.Y {
		d := int(img.Y[i]) + (i*37%81 - 40)
		img.Y[i] = byte(min(max(d, 0), 255))
	}
	if got, ok := Read(img); !ok || got.Frame != 42 {
		t.Errorf("Read after noise = %+v, %v", got, ok)
	}
}
