package gui

import "fyne.io/fyne/v2"

// widthLayout gives its objects a fixed width (at most the space there
// is) and their own minimum height: forms and cards that should not
// stretch across a wide window.
type widthLayout struct{ width float32 }

func (l widthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(l.width, size.Width)
	for _, o := range objs {
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

// MinSize measures each object at the layout's width first: word-wrapped
// text asks for the height it needs at the width it has, and measured at
// width zero (before the first layout, as a real window does) it would
// ask for one letter per line and stretch the window off the screen.
func (l widthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		if o.Size().Width < l.width {
			o.Resize(fyne.NewSize(l.width, o.Size().Height))
		}
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}
