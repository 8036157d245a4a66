// Package xvfb starts private Xvfb X servers for tests that need a real
// display of their own: the desktop app's end-to-end tests (one screen per
// app, as on two machines) and the screen-capture tests (a screen showing
// only what the test draws). The server belongs to the test that started
// it and is killed at its cleanup.
package xvfb

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Start starts a private Xvfb with one screen of size ("1024x700x24") and
// returns its DISPLAY (":N"). The display number is the first free one,
// chosen by Xvfb itself (-displayfd), so parallel tests never collide.
//
// The server runs with -noreset. Without it Xvfb resets whenever its last
// client leaves, and it drops every connection that arrives during the
// reset: a test's xdotool exiting just as the app connects made the app
// report "cannot open the X display" (TestNoConnectionIsDropped, two
// clients coming and going: 355 of 1000 connections dropped without it).
func Start(t testing.TB, size string) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("Xvfb not found: run scripts/setup.sh")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", size, "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		w.Close()
		r.Close()
		t.Fatalf("Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not say its display: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}
