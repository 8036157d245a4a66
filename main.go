// Command calla is the Calla desktop app, its signaling server and its
// headless clients. It is wiring only: cli parses the command line and
// starts the engine, gui builds the window, and this file joins them to
// Fyne's app driver.
package main

import (
	"context"
	"os"

	"fyne.io/fyne/v2/app"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/cli"
	"github.com/calla-rtc/calla/gui"
	_ "github.com/calla-rtc/calla/internal/posixlocale" // before Fyne reads the locale
)

// appID matches FyneApp.toml's Details.ID.
const appID = "io.github.calla_rtc.calla"

// The GUI drives the real engine through its consumer-side interface.
var _ gui.Engine = (*call.Engine)(nil)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Desktop: runDesktop}))
}

func runDesktop(ctx context.Context, o cli.DesktopOptions) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	sounds, err := gui.NewSounds(o.Sounds)
	if err != nil {
		return err
	}
	return gui.Run(ctx, app.NewWithID(appID), gui.Options{
		Server: o.Server, User: o.User, UserSig: o.UserSig, Data: o.Data,
		Engine: o.Engine, Sounds: sounds, Local: o.Local, EchoUser: o.EchoUser, Logger: o.Logger,
		AutoLogin: o.Server != "" && o.User != "" && o.UserSig != "",
	})
}
