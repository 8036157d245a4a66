package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/local"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// runDesktop starts what the desktop app runs on (the engine, the sound
// player, and in local mode the embedded server with the echo bot), runs
// the app, and stops them all when it returns.
func runDesktop(ctx context.Context, env *Env, args []string) int {
	var opts DesktopOptions
	var level string
	var loopback bool
	fs := newFlags(env, "calla", "calla [--server URL --user ID [--usersig SIG]] [--data DIR]")
	envString(env, fs, &opts.Server, "server", "CALLA_SERVER", "", "signaling server `URL`, e.g. ws://host:8443/ws (a cluster's nodes separated by commas); empty: a local server in this process, with the Echo Test bot")
	envString(env, fs, &opts.User, "user", "CALLA_USER", "", "user `ID` to log in as")
	envString(env, fs, &opts.UserSig, "usersig", "CALLA_USERSIG", "", "UserSig for --user (from 'calla usersig')")
	envString(env, fs, &opts.Data, "data", "CALLA_DATA", "", "`DIR` for call history and local state (default: the user's config dir)")
	envString(env, fs, &level, "log-level", "CALLA_LOG_LEVEL", "info", "stderr log level: debug, info, warn or error")
	fs.BoolVar(&loopback, "loopback", envBool(env, "CALLA_LOOPBACK"), "send media over loopback only: every peer is on this machine ($CALLA_LOOPBACK)")
	fs.Usage = func() {
		usage(fs.Output())
		fmt.Fprint(fs.Output(), "\nDesktop flags:\n")
		fs.PrintDefaults()
	}
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "calla: unknown command %q\n\n", fs.Arg(0))
		usage(env.Stderr)
		return ExitUsage
	}
	lvl, err := logLevel(level)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla: --log-level %q: want debug, info, warn or error\n", level)
		return ExitUsage
	}
	if msg := checkAccount(opts.Server, opts.User); msg != "" {
		fmt.Fprintf(env.Stderr, "calla: %s\n", msg)
		return ExitUsage
	}
	if env.Desktop == nil {
		fmt.Fprintln(env.Stderr, "calla: this build has no desktop app")
		return ExitFailure
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))
	opts.Logger = log
	if opts.Data == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			fmt.Fprintf(env.Stderr, "calla: no config dir (%v): give --data\n", err)
			return ExitFailure
		}
		opts.Data = filepath.Join(dir, "calla")
	}

	cfg := call.Config{Presence: true, Logger: log, LoopbackOnly: loopback}
	if opts.Server == "" {
		// The embedded default (DESIGN §4): a server on loopback in this
		// process and the echo bot, so a newcomer needs no setup.
		srv, err := local.Start(ctx, filepath.Join(opts.Data, "local-server"), log)
		if err != nil {
			fmt.Fprintf(env.Stderr, "calla: starting the local server: %v\n", err)
			return ExitFailure
		}
		defer srv.Close()
		if opts.User == "" {
			opts.User = string(local.UserID())
		}
		if opts.UserSig, err = srv.UserSig(signaling.UserID(opts.User)); err != nil {
			fmt.Fprintf(env.Stderr, "calla: %v\n", err)
			return ExitFailure // --user is checked above
		}
		opts.Server, opts.Local, opts.EchoUser = srv.URL, true, local.EchoUserID
		cfg.LoopbackOnly = true // every peer of a local server is on this machine
	}
	opts.Engine = call.New(cfg)
	defer opts.Engine.Close()
	opts.Sounds = media.NewSoundPlayer("", log)
	defer opts.Sounds.Close()

	if err := env.Desktop(ctx, opts); err != nil {
		fmt.Fprintf(env.Stderr, "calla: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}
