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

// toastBottom keeps toasts above the call controls.
const toastBottom = 96

func newToastObject(t Toast) fyne.CanvasObject {
	bg := canvas.NewRectangle(color.NRGBA{R: 0x22, G: 0x27, B: 0x2F, A: 0xF0})
	if t.Error {
		bg.FillColor = color.NRGBA{R: 0xB0, G: 0x25, B: 0x30, A: 0xF0}
	}
	bg.CornerRadius = 10
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
// newest lowest, leaving the rest of the window free for taps.
type toastLayout struct{}

func (*toastLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	w := min(size.Width-4*pad, maxToastWidth)
	y := size.Height - toastBottom
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
