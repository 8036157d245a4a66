package main

import (
	"image"
	"image/color"
	"testing"
)

func TestStats(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 100, 100))
	if d, o := stats(blank, nil); d != 1 || o != 0 {
		t.Errorf("black screen: %d colours, %d off the background; want 1, 0", d, o)
	}
	drawn := image.NewRGBA(image.Rect(0, 0, 100, 100))
	for y := 10; y < 30; y++ {
		for x := 10; x < 30; x++ {
			drawn.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 8), 200, 255})
		}
	}
	if d, o := stats(drawn, nil); d < 8 || o != 400 {
		t.Errorf("a drawn square: %d colours, %d off the background; want >= 8, 400", d, o)
	}
	// Against a wallpaper: only what changed counts.
	wallpaper := image.NewRGBA(image.Rect(0, 0, 100, 100))
	for y := range 100 {
		for x := range 100 {
			wallpaper.Set(x, y, color.RGBA{uint8(x), uint8(y * 2), uint8(x + y), 255})
		}
	}
	if d, o := stats(wallpaper, wallpaper); d != 0 || o != 0 {
		t.Errorf("unchanged wallpaper: %d colours, %d changed; want 0, 0", d, o)
	}
	white := image.NewRGBA(image.Rect(0, 0, 100, 100))
	copy(white.Pix, wallpaper.Pix)
	for y := 10; y < 60; y++ {
		for x := 10; x < 60; x++ {
			white.Set(x, y, color.White)
		}
	}
	if d, o := stats(white, wallpaper); d != 1 || o != 2500 {
		t.Errorf("a blank white window on a wallpaper: %d colours, %d changed; want 1, 2500", d, o)
	}
}
