// Command calla is the Calla desktop app, its signaling server and its
// headless clients. It is wiring only: cli parses the command line, gui
// builds the window, and this file joins them to Fyne's app driver.
package main

import (
	"context"
	"os"
	"strings"

	"fyne.io/fyne/v2/app"

	"github.com/calla-rtc/calla/cli"
	"github.com/calla-rtc/calla/gui"
)

// appID matches FyneApp.toml's Details.ID.
const appID = "io.github.calla_rtc.calla"

func main() {
	fixLocale()
	os.Exit(cli.Main(os.Args[1:], cli.Env{Desktop: runDesktop}))
}

func runDesktop(ctx context.Context, o cli.DesktopOptions) error {
	return gui.Run(ctx, app.NewWithID(appID), gui.Options{
		Server: o.Server, User: o.User, UserSig: o.UserSig, Data: o.Data,
	})
}

// fixLocale gives Fyne a locale it can parse: it logs an error at every
// start under the POSIX locale ("C", "C.UTF-8"), which minimal systems and
// containers default to.
func fixLocale() {
	for _, k := range []string{"LC_ALL", "LANG"} {
		v := os.Getenv(k)
		if v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
			os.Setenv(k, "en_US.UTF-8")
		}
	}
}
