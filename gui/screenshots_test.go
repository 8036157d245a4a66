package gui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestScreenshots writes a PNG of each main screen, in the light and the
// dark theme, and of the incoming call in Chinese and in Japanese, to
// $CALLA_SCREENSHOT_DIR (docs/screenshots in the
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
	// One screen in each other language, light.
	for _, l := range []Language{LanguageChinese, LanguageJapanese} {
		t.Run(string(l)+"/incoming", func(t *testing.T) {
			inLanguage(t, l)
			r := newUIRig(t)
			test.ApplyTheme(t, callaTheme{choice: ThemeLight})
			r.screenIncoming()
			writePNG(t, filepath.Join(dir, "incoming_"+string(l)+".png"), r)
		})
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
				writePNG(t, filepath.Join(dir, name), r)
			})
		}
	}
}

func writePNG(t *testing.T, path string, r *uiRig) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, r.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}
