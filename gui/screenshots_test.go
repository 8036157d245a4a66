package gui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestScreenshots writes a PNG of each main screen, in the light and the
// dark theme, to $CALLA_SCREENSHOT_DIR (docs/screenshots in the
// repository). It renders with Fyne's software painter, so it needs no
// display:
//
//	CALLA_SCREENSHOT_DIR=$PWD/docs/screenshots go test ./gui -run TestScreenshots
//
// Without the variable it has nothing to do and says so.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("CALLA_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set CALLA_SCREENSHOT_DIR to write the screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, variant := range []ThemeChoice{ThemeLight, ThemeDark} {
		for _, s := range mainScreens {
			t.Run(string(variant)+"/"+s.name, func(t *testing.T) {
				r := newUIRig(t)
				test.ApplyTheme(t, callaTheme{choice: variant})
				s.make(r)
				name := s.name + ".png"
				if variant == ThemeDark {
					name = s.name + "_dark.png"
				}
				f, err := os.Create(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := png.Encode(f, r.win.Canvas().Capture()); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
