package e2e

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWindowlessCommandsStayQuiet runs the commands that have no window
// as a server or a script would: with a HOME nothing can be written under
// (a regular file) and no DISPLAY. They start neither Fyne nor the sound
// system, so they print nothing of theirs on stderr (the old binary
// loaded ALSA or PulseAudio at start, whose complaints about HOME landed
// there), and the dynamic loader's log (LD_DEBUG) shows that no audio
// library was loaded. Without a display the desktop app says so and
// exits 3 instead of GLFW's panic.
func TestWindowlessCommandsStayQuiet(t *testing.T) {
	bin := callaBin(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.WriteFile(home, nil, 0o400); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ldlog := filepath.Join(dir, "ld")
	environ := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "LD_DEBUG=libs", "LD_DEBUG_OUTPUT=" + ldlog}

	// audioLibs returns the audio libraries the loader initialised in the
	// runs so far, and clears its log.
	sawLoader := false
	audioLibs := func() []string {
		files, _ := filepath.Glob(ldlog + ".*")
		var libs []string
		seen := map[string]bool{}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			os.Remove(f)
			for _, line := range strings.Split(string(b), "\n") {
				_, lib, ok := strings.Cut(line, "calling init: ")
				if !ok {
					continue
				}
				sawLoader = true
				lib = strings.TrimSpace(lib)
				if (strings.Contains(lib, "libasound") || strings.Contains(lib, "libpulse") || strings.Contains(lib, "libjack")) && !seen[lib] {
					seen[lib] = true
					libs = append(libs, lib)
				}
			}
		}
		return libs
	}
	// onlyOwnLogs reports stderr lines that are not calla's own log lines.
	onlyOwnLogs := func(stderr string) []string {
		var foreign []string
		for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if line != "" && !(strings.HasPrefix(line, "time=") && strings.Contains(line, " level=")) {
				foreign = append(foreign, line)
			}
		}
		return foreign
	}
	runCmd := func(args ...string) (code int, stdout, stderr string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = environ
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String(), errb.String()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return 0, out.String(), errb.String()
	}

	for _, tc := range []struct {
		name string
		args []string
		// quiet: nothing at all on stderr; else only calla's log lines
		quiet bool
	}{
		{"version", []string{"version"}, true},
		{"usersig", []string{"usersig", "--secret-file", secret, "--user", "alice"}, true},
		{"bench signaling", []string{"bench", "signaling", "--inprocess", "--clients", "2", "--rate", "1", "--duration", "500ms", "--report", ""}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCmd(tc.args...)
			if code != 0 || out == "" {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errs)
			}
			if tc.quiet && errs != "" {
				t.Errorf("stderr is not empty:\n%s", errs)
			}
			if f := onlyOwnLogs(errs); len(f) > 0 {
				t.Errorf("stderr has lines that are not calla's:\n%s", strings.Join(f, "\n"))
			}
			if libs := audioLibs(); len(libs) > 0 {
				t.Errorf("the sound system was started: %v", libs)
			}
		})
	}

	t.Run("serve", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cmd := exec.Command(bin, "serve", "--addr", addr, "--data", filepath.Join(dir, "data"), "--log-level", "warn")
		cmd.Env = environ
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				<-exited
				t.Fatalf("no /healthz from calla serve: %v\nstderr:\n%s", err, errb.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(syscallTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("calla serve after SIGTERM: %v", err)
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Fatal("calla serve did not stop within 15 s of SIGTERM")
		}
		if errb.Len() > 0 {
			t.Errorf("stderr is not empty:\n%s", errb.String())
		}
		if libs := audioLibs(); len(libs) > 0 {
			t.Errorf("the sound system was started: %v", libs)
		}
	})

	t.Run("the desktop app without a display", func(t *testing.T) {
		code, _, errs := runCmd("--server", "ws://127.0.0.1:1/ws", "--user", "alice", "--usersig", "s", "--data", filepath.Join(dir, "app"), "--log-level", "error")
		if code != 3 || !strings.Contains(errs, "calla: no display") || strings.Contains(errs, "panic") {
			t.Errorf("exit %d, want 3 with a clear message; stderr:\n%s", code, errs)
		}
		audioLibs()
	})
	t.Run("the desktop app with a display that does not answer", func(t *testing.T) {
		// A DISPLAY left over from another session (ssh -X, a stopped
		// Xvfb): GLFW panicked after logging a platform error.
		env := append(slices.Clone(environ), "DISPLAY=:"+strconv.Itoa(900+os.Getpid()%90))
		cmd := exec.Command(bin, "--server", "ws://127.0.0.1:1/ws", "--user", "alice", "--usersig", "s", "--data", filepath.Join(dir, "app2"), "--log-level", "error")
		cmd.Env = env
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if errs := errb.String(); code != 3 || !strings.Contains(errs, "calla: no display: cannot open the X display") || strings.Contains(errs, "panic") {
			t.Errorf("exit %d, want 3 with a clear message; stderr:\n%s", code, errs)
		}
		audioLibs()
	})
	if !sawLoader {
		t.Log("LD_DEBUG wrote nothing (not glibc's loader?): only stderr was checked")
	}
}
