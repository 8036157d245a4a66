package gui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/calla-rtc/calla/assets"
)

// Title is the main window's title.
const Title = "Calla"

// Icon is the app icon as a Fyne resource.
var Icon = fyne.NewStaticResource("calla.png", assets.IconPNG)

// Options configure the desktop app.
type Options struct {
	Server  string
	User    string
	UserSig string
	Data    string
}

// Run opens Calla's main window on a and runs the app until the window
// closes or ctx ends.
func Run(ctx context.Context, a fyne.App, opts Options) error {
	a.SetIcon(Icon)
	w := a.NewWindow(Title)
	w.SetIcon(Icon)
	logo := canvas.NewImageFromResource(Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(128, 128))
	w.SetContent(container.NewCenter(container.NewVBox(
		logo,
		widget.NewLabelWithStyle("Calla", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
	)))
	w.Resize(fyne.NewSize(960, 640))
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return nil
}
