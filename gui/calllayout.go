package gui

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// gridColumns is TUICallKit's group grid: 2 per row up to 4 tiles, 3 per
// row above (one tile fills the row).
func gridColumns(n int) int {
	switch {
	case n <= 1:
		return 1
	case n <= 4:
		return 2
	}
	return 3
}

// gridLayout places tiles in rows of gridColumns, all the same size,
// centring a last row that is not full.
type gridLayout struct{}

func (gridLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs = visibleObjects(objs)
	n := len(objs)
	if n == 0 {
		return
	}
	pad := theme.Padding()
	cols := gridColumns(n)
	rows := (n + cols - 1) / cols
	w := (size.Width - pad*float32(cols-1)) / float32(cols)
	h := (size.Height - pad*float32(rows-1)) / float32(rows)
	for i, o := range objs {
		row, col := i/cols, i%cols
		inRow := cols
		if row == rows-1 && n%cols != 0 {
			inRow = n % cols
		}
		offset := (size.Width - float32(inRow)*w - pad*float32(inRow-1)) / 2
		o.Move(fyne.NewPos(offset+float32(col)*(w+pad), float32(row)*(h+pad)))
		o.Resize(fyne.NewSize(w, h))
	}
}

func (gridLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	objs = visibleObjects(objs)
	if len(objs) == 0 {
		return fyne.NewSize(0, 0)
	}
	cols := gridColumns(len(objs))
	rows := (len(objs) + cols - 1) / cols
	m := objs[0].MinSize()
	pad := theme.Padding()
	return fyne.NewSize(float32(cols)*m.Width+pad*float32(cols-1), float32(rows)*m.Height+pad*float32(rows-1))
}

// focusLayout shows the first tile large and the others in a strip below
// it: a group call with one tile enlarged.
type focusLayout struct{}

func (focusLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs = visibleObjects(objs)
	if len(objs) == 0 {
		return
	}
	pad := theme.Padding()
	if len(objs) == 1 {
		objs[0].Move(fyne.NewPos(0, 0))
		objs[0].Resize(size)
		return
	}
	stripH := float32(math.Max(float64(size.Height*0.22), 90))
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, size.Height-stripH-pad))
	rest := objs[1:]
	w := (size.Width - pad*float32(len(rest)-1)) / float32(len(rest))
	w = min(w, stripH*4/3)
	offset := (size.Width - float32(len(rest))*w - pad*float32(len(rest)-1)) / 2
	for i, o := range rest {
		o.Move(fyne.NewPos(offset+float32(i)*(w+pad), size.Height-stripH))
		o.Resize(fyne.NewSize(w, stripH))
	}
}

func (focusLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(240, 240)
}

// pipLayout is the 1v1 video layout: the first tile fills the area and
// the second floats small in the bottom-right corner.
type pipLayout struct{}

func (pipLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
	if len(objs) < 2 {
		return
	}
	pad := theme.Padding() * 3
	w := max(size.Width*0.24, 120)
	h := w * 3 / 4
	objs[1].Move(fyne.NewPos(size.Width-w-pad, size.Height-h-pad))
	objs[1].Resize(fyne.NewSize(w, h))
}

func (pipLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.NewSize(0, 0)
	}
	return objs[0].MinSize()
}

func visibleObjects(objs []fyne.CanvasObject) []fyne.CanvasObject {
	out := objs[:0:0]
	for _, o := range objs {
		if o.Visible() {
			out = append(out, o)
		}
	}
	return out
}
