package gui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// maxToastWidth keeps toasts readable on a wide window.
const maxToastWidth = 520

// minToastWidth is the narrowest a toast gets to keep clear of the
// floating tile; where even that does not fit, the toasts move up.
const minToastWidth = 280

// toastBottom keeps toasts above the call controls.
const toastBottom = 96

func newToastObject(t Toast) fyne.CanvasObject {
	bg := canvas.NewRectangle(color.NRGBA{R: 0x22, G: 0x27, B: 0x2F, A: 0xF0})
	if t.Error {
		bg.FillColor = color.NRGBA{R: 0xB0, G: 0x25, B: 0x30, A: 0xF0}
	}
	bg.CornerRadius = 10
	// A light edge: the plain toast's grey is the video tiles' own, and
	// over a tile it would have no outline at all.
	bg.StrokeColor = color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0x50}
	bg.StrokeWidth = 1
	lines := []fyne.CanvasObject{wrapWhite(t.Text, t.Error)}
	if t.Detail != "" {
		lines = append(lines, wrapWhite(t.Detail, false))
	}
	return container.NewStack(bg, container.NewPadded(container.NewVBox(lines...)))
}

// wrapWhite is white, word-wrapped text for the dark toast background;
// a RichText so it keeps its colour in the light theme.
func wrapWhite(s string, bold bool) fyne.CanvasObject {
	seg := &widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		ColorName: theme.ColorNameForegroundOnPrimary, Inline: true,
		TextStyle: fyne.TextStyle{Bold: bold},
	}}
	rt := widget.NewRichText(seg)
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// toastLayout stacks the toasts at the bottom centre of the window,
// newest lowest, leaving the rest of the window free for taps. They keep
// clear of the floating tile (the self view of a 1v1 call, bottom right):
// drawn over it, a toast hides the user's own picture and, its grey being
// the tile's, seems to run under it. The toasts get narrower to pass
// beside the tile, or where that leaves too little room, move above it.
type toastLayout struct {
	// avoid returns the window area to keep clear, in the toast box's
	// coordinates (the box fills the window); ok is false when there is
	// none.
	avoid func() (pos fyne.Position, size fyne.Size, ok bool)
}

func (l *toastLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	w := min(size.Width-4*pad, maxToastWidth)
	bottom := size.Height - toastBottom
	if l.avoid != nil && len(objs) > 0 {
		if ap, as, ok := l.avoid(); ok {
			h := stackHeight(objs, w, pad)
			if overlaps((size.Width-w)/2, bottom-h, w, h, ap, as) {
				// Centred toasts clear the tile when they end a padding
				// short of its nearer edge.
				cx := size.Width / 2
				narrow := float32(0)
				switch {
				case ap.X > cx:
					narrow = 2 * (ap.X - pad - cx)
				case ap.X+as.Width < cx:
					narrow = 2 * (cx - ap.X - as.Width - pad)
				}
				if narrow >= minToastWidth {
					w = narrow
				} else {
					bottom = min(bottom, ap.Y-pad)
				}
			}
		}
	}
	y := bottom
	for i := len(objs) - 1; i >= 0; i-- {
		o := objs[i]
		o.Resize(fyne.NewSize(w, 1))
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(w, h))
		y -= h
		o.Move(fyne.NewPos((size.Width-w)/2, y))
		y -= pad
	}
}

func (*toastLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

// stackHeight is the height of the toasts stacked at width w.
func stackHeight(objs []fyne.CanvasObject, w, pad float32) float32 {
	var h float32
	for i, o := range objs {
		o.Resize(fyne.NewSize(w, 1))
		h += o.MinSize().Height
		if i > 0 {
			h += pad
		}
	}
	return h
}

// overlaps reports whether the rectangle at x, y of w by h meets the one
// at p of size s.
func overlaps(x, y, w, h float32, p fyne.Position, s fyne.Size) bool {
	return x < p.X+s.Width && p.X < x+w && y < p.Y+s.Height && p.Y < y+h
}
