package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calla-rtc/calla/signaling/server"
)

// TestExitCodesOfEveryCommand: 2 only for usage errors, 3 for runtime and
// I/O failures, for every command (the README's contract). Each row is one
// command line; rows that need a server, a file or a port use the
// fixtures made first.
func TestExitCodesOfEveryCommand(t *testing.T) {
	tmp := t.TempDir()
	secret := filepath.Join(tmp, "secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(tmp, "short")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "missing")
	notADir := filepath.Join(tmp, "file") // a data dir that is a file: nothing can be made in it
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(tmp, "damaged")
	if err := os.MkdirAll(damaged, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(damaged, server.StoreFile), []byte(strings.Repeat("junk", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(tmp, "good")
	// A data dir a running server holds, and a port a listener holds.
	held := filepath.Join(tmp, "held")
	srv, err := server.New(server.Config{Secret: []byte("0123456789abcdef"), DataDir: held, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) }) // after the parallel rows
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	taken := ln.Addr().String()
	refused := "ws://" + freeAddr(t) + "/ws" // nothing listens there
	quiet := []string{"--log-level", "error"}
	// acct is cmd with an account's flags, then rest.
	acct := func(cmd string, rest ...string) []string {
		args := append(strings.Fields(cmd), "--server", refused, "--user", "alice", "--usersig", "sig")
		return append(append(args, quiet...), rest...)
	}
	failing := func(context.Context, DesktopOptions) error { return errors.New("no display") }

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		// calla serve
		{"serve with a bad --grace", []string{"serve", "--grace", "soon", "--data", good}, ExitUsage, "", "--grace"},
		{"serve with a bad --log-level", []string{"serve", "--log-level", "loud", "--data", good}, ExitUsage, "", "--log-level"},
		{"serve with neither --data nor --secret-file", []string{"serve"}, ExitUsage, "", "need --secret-file FILE or --data DIR"},
		{"serve with a bad --gc-percent", []string{"serve", "--gc-percent", "x", "--data", good}, ExitUsage, "", "--gc-percent"},
		{"serve with a missing secret file", []string{"serve", "--addr", "127.0.0.1:0", "--secret-file", missing}, ExitFailure, "", "no such file"},
		{"serve with a secret too short", []string{"serve", "--addr", "127.0.0.1:0", "--secret-file", short}, ExitFailure, "", "has 3 characters"},
		{"serve with a data dir it cannot make files in", []string{"serve", "--addr", "127.0.0.1:0", "--data", notADir}, ExitFailure, "", "not a directory"},
		{"serve on a damaged directory.db", []string{"serve", "--addr", "127.0.0.1:0", "--data", damaged}, ExitFailure, "", filepath.Join(damaged, server.StoreFile) + " is damaged: "},
		{"serve on a data dir another server uses", []string{"serve", "--addr", "127.0.0.1:0", "--data", held}, ExitFailure, "", "another calla serve is using " + filepath.Join(held, server.StoreFile)},
		{"serve on a taken port (and a held data dir) names the port", []string{"serve", "--addr", taken, "--data", held}, ExitFailure, "", "address already in use"},
		{"serve --check on a good data dir", []string{"serve", "--check", "--data", good}, ExitOK, "directory  ok", ""},
		{"serve --check on a damaged directory.db", []string{"serve", "--check", "--data", damaged}, ExitFailure, "directory  PROBLEM", ""},
		{"serve --check on a data dir a server uses", []string{"serve", "--check", "--data", held}, ExitFailure, "another calla serve is using", ""},
		// calla usersig
		{"usersig without --user", []string{"usersig", "--secret-file", secret}, ExitUsage, "", "--secret-file and --user are required"},
		{"usersig with a malformed --user (and no secret file)", []string{"usersig", "--secret-file", missing, "--user", "a b"}, ExitUsage, "", `--user "a b"`},
		{"usersig with a bad --expire", []string{"usersig", "--secret-file", secret, "--user", "alice", "--expire", "soon"}, ExitUsage, "", "--expire"},
		{"usersig with a missing secret file", []string{"usersig", "--secret-file", missing, "--user", "alice"}, ExitFailure, "", "no such file"},
		{"usersig with a secret too short", []string{"usersig", "--secret-file", short, "--user", "alice"}, ExitFailure, "", "has 3 characters"},
		{"usersig", []string{"usersig", "--secret-file", secret, "--user", "alice"}, ExitOK, "eJ", ""},
		// calla call
		{"call without --server", []string{"call", "--user", "alice", "--usersig", "s", "bob"}, ExitUsage, "", "--server is required"},
		{"call with a malformed --server", []string{"call", "--server", "localhost:8443", "--user", "alice", "--usersig", "s", "bob"}, ExitUsage, "", "want ws://HOST:PORT/ws"},
		{"call with a malformed --user", []string{"call", "--server", refused, "--user", "a/b", "--usersig", "s", "bob"}, ExitUsage, "", `--user "a/b"`},
		{"call with a malformed callee", []string{"call", "--server", refused, "--user", "alice", "--usersig", "s", "b b"}, ExitUsage, "", `callee "b b"`},
		{"call with a malformed --group", []string{"call", "--server", refused, "--user", "alice", "--usersig", "s", "--group", "g g", "bob"}, ExitUsage, "", `--group "g g"`},
		{"call with a bad --timeout", acct("call", "--timeout", "long", "bob"), ExitUsage, "", "--timeout"},
		{"call with a missing secret file", []string{"call", "--server", refused, "--user", "alice", "--secret-file", missing, "bob"}, ExitFailure, "", "no such file"},
		{"call to a server that is not there", acct("call", "bob"), ExitFailure, "", "could not log in"},
		// calla answer
		{"answer with a malformed --server", []string{"answer", "--server", "ws://", "--user", "alice", "--usersig", "s"}, ExitUsage, "", "want ws://HOST:PORT/ws"},
		{"answer with two modes", acct("answer", "--reject", "--busy"), ExitUsage, "", "exclude each other"},
		{"answer to a server that is not there", acct("answer"), ExitFailure, "", "could not log in"},
		// calla bot
		{"bot without a kind", []string{"bot"}, ExitUsage, "", "Usage: calla bot echo"},
		{"bot echo with a malformed --user", []string{"bot", "echo", "--server", refused, "--user", "", "--usersig", "s"}, ExitUsage, "", "--user is required"},
		{"bot echo with a bad --delay", acct("bot echo", "--delay", "-1s"), ExitUsage, "", "--delay"},
		{"bot echo to a server that is not there", acct("bot echo"), ExitFailure, "", "could not log in"},
		// calla bench
		{"bench signaling with too few clients", []string{"bench", "signaling", "--clients", "0"}, ExitUsage, "", "--clients >= 2"},
		{"bench signaling with a malformed --server", []string{"bench", "signaling", "--server", "x"}, ExitUsage, "", "want ws://HOST:PORT/ws"},
		{"bench signaling --server without --secret-file", []string{"bench", "signaling", "--server", refused}, ExitUsage, "", "needs --secret-file"},
		{"bench signaling with a missing secret file", []string{"bench", "signaling", "--server", refused, "--secret-file", missing}, ExitFailure, "", "no such file"},
		{"bench media with a bad --mesh", []string{"bench", "media", "--mesh", "1"}, ExitUsage, "", "--mesh >= 2"},
		{"bench media with a malformed --mesh", []string{"bench", "media", "--mesh", "4,nine"}, ExitUsage, "", "comma-separated list"},
		{"bench call with a bad --size", []string{"bench", "call", "--size", "big"}, ExitUsage, "", "--size"},
		// calla version
		{"version", []string{"version"}, ExitOK, "calla " + Version, ""},
		{"version with an argument", []string{"version", "x"}, ExitUsage, "", "unexpected argument"},
		// the desktop app
		{"the app with an unknown flag", []string{"--bogus"}, ExitUsage, "", "flag provided but not defined"},
		{"the app with a malformed --server", []string{"--server", "http://host:8443/ws"}, ExitUsage, "", "want ws://HOST:PORT/ws"},
		{"the app with a malformed --user", []string{"--server", refused, "--user", "a b"}, ExitUsage, "", `--user "a b"`},
		{"the app with a bad --log-level", []string{"--log-level", "loud"}, ExitUsage, "", "--log-level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // rows that wait for a lock or a login overlap
			code, out, errs := run(t, nil, func(context.Context, DesktopOptions) error {
				t.Error("the desktop app must not start")
				return nil
			}, tc.args...)
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
	t.Run("the app when its window fails", func(t *testing.T) {
		code, _, errs := run(t, nil, failing, append([]string{"--server", refused, "--user", "alice", "--usersig", "s", "--data", tmp}, quiet...)...)
		if code != ExitFailure || !strings.Contains(errs, "no display") {
			t.Errorf("exit %d, want %d; stderr: %s", code, ExitFailure, errs)
		}
	})
}
