package gui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestScreensMarkup compares each main screen's rendered markup (Fyne's
// test theme) with its golden in testdata/. After an intended change of
// a screen, the test writes the new markup to testdata/failed/; review
// it and copy it over the golden.
func TestScreensMarkup(t *testing.T) {
	for _, s := range mainScreens {
		t.Run(s.name, func(t *testing.T) {
			r := newUIRig(t)
			s.make(r)
			test.AssertRendersToMarkup(t, s.name+".xml", r.win.Canvas())
		})
	}
}
