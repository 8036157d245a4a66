package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func run(t *testing.T, environ map[string]string, desktop func(context.Context, DesktopOptions) error, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(k string) string { return environ[k] },
		Desktop: desktop,
	})
	return code, out.String(), errb.String()
}

func TestUsageAndExitCodes(t *testing.T) {
	noDesktop := func(context.Context, DesktopOptions) error {
		t.Error("the desktop app must not start")
		return nil
	}
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"--help prints the commands", []string{"--help"}, ExitOK, "Commands:", ""},
		{"help prints the commands", []string{"help"}, ExitOK, "serve", ""},
		{"an unknown command is a usage error", []string{"frobnicate"}, ExitUsage, "", `unknown command "frobnicate"`},
		{"an unknown flag is a usage error", []string{"--bogus"}, ExitUsage, "", "flag provided but not defined: -bogus"},
		{"a stray argument is a usage error", []string{"--user", "a", "extra"}, ExitUsage, "", `unknown command "extra"`},
		{"version prints the version", []string{"version"}, ExitOK, "calla " + Version, ""},
		{"version --help", []string{"version", "--help"}, ExitOK, "Usage: calla version", ""},
		{"version takes no arguments", []string{"version", "x"}, ExitUsage, "", "unexpected argument"},
		{"serve --help lists its flags", []string{"serve", "--help"}, ExitOK, "-addr", ""},
		{"help serve is serve --help", []string{"help", "serve"}, ExitOK, "-addr", ""},
		{"serve rejects unknown flags", []string{"serve", "--nope"}, ExitUsage, "", "flag provided but not defined"},
		{"bench without a kind is a usage error", []string{"bench"}, ExitUsage, "", "Usage: calla bench KIND"},
		{"bench --help lists kinds", []string{"bench", "--help"}, ExitOK, "Usage: calla bench KIND", ""},
		{"an unknown bench kind is a usage error", []string{"bench", "nope"}, ExitUsage, "", `unknown kind "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, nil, noDesktop, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
			if !strings.Contains(out, tc.inStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.inStdout, out)
			}
			if !strings.Contains(errs, tc.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inStderr, errs)
			}
		})
	}
}

func TestDesktopReadsFlagsAndEnvironment(t *testing.T) {
	var got DesktopOptions
	desktop := func(_ context.Context, o DesktopOptions) error { got = o; return nil }

	env := map[string]string{"CALLA_SERVER": "ws://env:1/ws", "CALLA_USER": "envuser", "CALLA_USERSIG": "sig", "CALLA_DATA": "/d"}
	if code, _, errs := run(t, env, desktop); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got.Server != "ws://env:1/ws" || got.User != "envuser" || got.UserSig != "sig" || got.Data != "/d" {
		t.Errorf("from the environment: got %+v", got)
	}
	if got.Engine == nil || got.Sounds == nil || got.Local {
		t.Errorf("with a server: want an engine and sounds, not local mode: %+v", got)
	}

	if code, _, errs := run(t, env, desktop, "--user", "flaguser", "--server", "ws://flag:2/ws"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got.User != "flaguser" || got.Server != "ws://flag:2/ws" || got.UserSig != "sig" {
		t.Errorf("flags must win over the environment: got %+v", got)
	}
}

// TestDesktopLocalModeStartsTheEmbeddedServer: with no server configured,
// the app gets a local server's URL, a UserSig for the local user, and the
// echo bot's id.
func TestDesktopLocalModeStartsTheEmbeddedServer(t *testing.T) {
	var got DesktopOptions
	desktop := func(_ context.Context, o DesktopOptions) error { got = o; return nil }
	code, _, errs := run(t, map[string]string{"CALLA_DATA": t.TempDir()}, desktop, "--user", "newcomer", "--log-level", "warn")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !got.Local || !strings.HasPrefix(got.Server, "ws://127.0.0.1:") || got.UserSig == "" || got.EchoUser != "echo" || got.User != "newcomer" {
		t.Errorf("local mode options: %+v", got)
	}
}
