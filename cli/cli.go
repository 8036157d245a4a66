// Package cli is Calla's command line: it parses arguments and environment
// variables and runs the desktop app, the signaling server, or one of the
// headless clients.
//
// Every subcommand has its own flag.FlagSet; every flag also reads an
// environment variable (CALLA_SERVER, CALLA_USER, ...), so the command
// line contract of DESIGN §6 stays stable for scripts.
//
// Exit status: 0 success (a call that connected and ended normally), 1 a
// call that did not connect, 2 a usage error, 3 any other failure.
//
// Concurrency: Main runs on the caller's goroutine; a subcommand that
// starts goroutines stops them before it returns.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

// Exit statuses.
const (
	ExitOK           = 0
	ExitNotConnected = 1
	ExitUsage        = 2
	ExitFailure      = 3
)

// Version is the program's version; the build sets it with
// -ldflags "-X github.com/calla-rtc/calla/cli.Version=...".
var Version = "0.1.0-dev"

// DesktopOptions is what the desktop app is started with.
type DesktopOptions struct {
	Server  string // ws://HOST:PORT/ws; empty means the embedded local default
	User    string
	UserSig string
	Data    string // directory for local state; empty means the user's config dir

	// Set by runDesktop for the app.
	Engine   *call.Engine
	Sounds   *media.SoundPlayer
	Local    bool             // the embedded default: log in by itself, show the echo bot
	EchoUser signaling.UserID // the echo bot's id in local mode
	Logger   *slog.Logger
}

// Env is what a command runs with: its streams, its environment, and the
// desktop app (which lives outside this package so that cli never links
// the GUI driver itself).
type Env struct {
	Stdout  io.Writer
	Stderr  io.Writer
	Getenv  func(string) string
	Desktop func(ctx context.Context, opts DesktopOptions) error
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// Main runs the command line args (without the program name) and returns
// the exit status.
func Main(args []string, env Env) int {
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := env.Getenv("CALLA_CPUPROFILE"); path != "" {
		// A CPU profile of the whole run, for `go tool pprof`: how the
		// benches' figures were taken apart.
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}

	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name := args[0]
		if name == "help" {
			if len(args) > 1 {
				if c, ok := commands[args[1]]; ok {
					return c.run(ctx, &env, []string{"--help"})
				}
			}
			usage(env.Stdout)
			return ExitOK
		}
		c, ok := commands[name]
		if !ok {
			fmt.Fprintf(env.Stderr, "calla: unknown command %q\n\n", name)
			usage(env.Stderr)
			return ExitUsage
		}
		return c.run(ctx, &env, args[1:])
	}
	return runDesktop(ctx, &env, args)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Calla: audio and video calls.

Usage:
  calla [--server URL --user ID [--usersig SIG]]   open the desktop app
  calla <command> [flags]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, "\nRun 'calla <command> --help' for a command's flags.\n")
}

// newFlags returns a FlagSet that prints its usage to env.Stderr, with a
// synopsis line.
func newFlags(env *Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags (each also read from the environment variable shown):\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args into fs and returns the exit status when the command
// should stop now (help or a usage error), or -1 to go on. Help goes to
// stdout with status 0; a usage error to stderr with status 2.
func parse(env *Env, fs *flag.FlagSet, args []string) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(env.Stdout)
			fs.Usage()
			return ExitOK
		}
	}
	if err := fs.Parse(args); err != nil {
		return ExitUsage
	}
	return -1
}

// envString declares a string flag whose default comes from the
// environment variable envName.
func envString(env *Env, fs *flag.FlagSet, p *string, name, envName, def, help string) {
	if v := env.Getenv(envName); v != "" {
		def = v
	}
	fs.StringVar(p, name, def, help+" ($"+envName+")")
}

func init() {
	register(command{name: "version", summary: "print the version", run: runVersion})
}

func runVersion(_ context.Context, env *Env, args []string) int {
	fs := newFlags(env, "version", "calla version")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "calla version: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "calla %s\n", Version)
	return ExitOK
}
