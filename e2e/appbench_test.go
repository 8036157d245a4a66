package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/internal/xvfb"
)

// TestAppBench measures the desktop app as a user runs it, under Xvfb
// (software GL): start -> window shown, idle resident memory, and CPU and
// memory during a 1v1 640x480 video call with the remote video and the
// local preview rendered. It is a bench, not a test: it runs only when
// CALLA_BENCH_APP is set (`make bench` sets it) and writes its figures to
// docs/benchmarks.md (or $CALLA_BENCH_REPORT).
func TestAppBench(t *testing.T) {
	if os.Getenv("CALLA_BENCH_APP") == "" {
		t.Skip("the app bench runs only with CALLA_BENCH_APP=1 (make bench)")
	}
	needDisplay(t)
	report := os.Getenv("CALLA_BENCH_REPORT")
	if report == "" {
		report = filepath.Join("..", "docs", "benchmarks.md")
	}

	// Start -> window shown, in local mode (the first run: embedded server
	// and echo bot included) and with a server.
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	var local, remote []time.Duration
	for range 5 {
		local = append(local, startupTime(t, nil))
		remote = append(remote, startupTime(t, []string{"--server", url, "--user", "startup"}))
	}

	// Idle memory: logged in, on the contact list, nothing happening.
	alice := startApp(t, xvfb.Start(t, "1024x700x24"), url, secret, "alice")
	alice.waitLog(`msg="logged in"`, 1, 20*time.Second)
	time.Sleep(5 * time.Second)
	idleRSS := rssKiB(t, alice.cmd.Process.Pid)
	idleGL := softGLKiB(alice.cmd.Process.Pid)

	// A call: alice's app calls bob, a headless `calla answer` in its own
	// process, so that only the app's own work is measured.
	ctx := t.Context()
	bob := startProc(t, ctx, "answer", "--server", url, "--user", "bob", "--secret-file", secret, "--loopback")
	bob.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)
	time.Sleep(time.Second) // alice's contact list shows bob
	g := alice.geometry()
	var clicked bool
	for range 50 {
		if p, ok := findTeal(screen(t, alice.display), rightOfRow(g)); ok {
			alice.xdotool("mousemove", "--window", alice.window, strconv.Itoa(p.X-g.Min.X), strconv.Itoa(p.Y-g.Min.Y), "click", "1")
			clicked = true
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !clicked {
		t.Fatal("no video call button for bob")
	}
	alice.waitLog("msg=onUserJoin", 1, 20*time.Second)
	time.Sleep(5 * time.Second) // warm up: bitrate ramp, first keyframes
	const window = 20 * time.Second
	pid := alice.cmd.Process.Pid
	cpu0, gl0, wall0 := cpuTicks(t, pid), glTicks(pid), time.Now()
	var peakRSS int
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(time.Second) {
		peakRSS = max(peakRSS, rssKiB(t, alice.cmd.Process.Pid))
	}
	secs := time.Since(wall0).Seconds()
	cpu := float64(cpuTicks(t, pid)-cpu0) / clockTicks / secs
	gl := float64(glTicks(pid)-gl0) / clockTicks / secs
	callRSS := rssKiB(t, alice.cmd.Process.Pid)

	p50 := func(d []time.Duration) time.Duration { s := slices.Clone(d); slices.Sort(s); return s[len(s)/2] }
	mx := func(d []time.Duration) time.Duration { return slices.Max(d) }
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## Desktop app\n\n")
	fmt.Fprintf(&b, "Measured by `make bench` (`CALLA_BENCH_APP=1 go test ./e2e -run TestAppBench`) on %s, %s; the real `calla` binary under Xvfb with Mesa llvmpipe (software GL: the CPU figure includes rendering on the CPU that a GPU would do).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), benchreport.Machine())
	fmt.Fprintf(&b, "| Figure | Value | Target | |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| start -> window shown, first run (local mode: embedded server and echo bot) p50 / max of 5 | %d / %d ms | <= 1 s | %s |\n",
		p50(local).Milliseconds(), mx(local).Milliseconds(), verdict(p50(local) <= time.Second))
	fmt.Fprintf(&b, "| start -> window shown, with --server p50 / max of 5 | %d / %d ms | <= 1 s | %s |\n",
		p50(remote).Milliseconds(), mx(remote).Milliseconds(), verdict(p50(remote) <= time.Second))
	fmt.Fprintf(&b, "| idle resident memory (logged in, contact list, 5 s after login) | %.0f MiB | <= 120 MiB | %s |\n",
		float64(idleRSS)/1024, verdict(idleRSS <= 120*1024))
	fmt.Fprintf(&b, "| of which Mesa's software GL libraries mapped in (libLLVM, swrast_dri: a GPU machine loads its own driver instead) | %.0f MiB | | |\n",
		float64(idleGL)/1024)
	fmt.Fprintf(&b, "| CPU during a 1v1 video call, 640x480 at 30 fps both ways, remote video and local preview rendered (over %v): the whole process | %.0f%% of one core | | |\n", window, cpu*100)
	fmt.Fprintf(&b, "| of which Mesa's llvmpipe threads (software GL rasterising the window; a GPU's work) | %.0f%% | | |\n", gl*100)
	fmt.Fprintf(&b, "| of which the app's own threads (capture, codecs, network, conversion, Fyne) | %.0f%% | | |\n", (cpu-gl)*100)
	fmt.Fprintf(&b, "| resident memory during the call (end / peak) | %.0f / %.0f MiB | | |\n", float64(callRSS)/1024, float64(peakRSS)/1024)
	fmt.Fprintf(&b, "\nThe call's other side is a headless `calla answer` in its own process, so the app's figures are its own: capture and VP8/Opus encoding of the test source, decoding, RGBA conversion, and Fyne drawing the remote tile and the preview. The video views of a window redraw together, at most 30 times a second (gui/framebatch.go): each redraw repaints the whole window, which llvmpipe does on the CPU. For comparison, the Media section measures one side of a call without a screen (`calla bench media`).\n")
	t.Log("\n" + b.String())
	if err := benchreport.WriteSection(report, b.String()); err != nil {
		t.Fatal(err)
	}
}

// startupTime runs calla with args on a fresh display and returns the time
// until its window is visible.
func startupTime(t *testing.T, args []string) time.Duration {
	t.Helper()
	display := xvfb.Start(t, "1024x700x24")
	home := t.TempDir()
	cmd := exec.Command(callaBin(t), append(args, "--data", filepath.Join(home, "data"), "--log-level", "error", "--loopback")...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for time.Since(start) < 30*time.Second {
		s := exec.Command("xdotool", "search", "--onlyvisible", "--pid", strconv.Itoa(cmd.Process.Pid), "--name", "^Calla$")
		s.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := s.Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the window did not show within 30s")
	return 0
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times.
const clockTicks = 100

func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces, in parens).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return ut + st
}

// glTicks is the CPU time of the process's llvmpipe threads: Mesa's
// software rasteriser, which a machine with a GPU does not run.
func glTicks(pid int) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	n := 0
	for _, task := range tasks {
		comm, err := os.ReadFile(task + "/comm")
		if err != nil || !strings.HasPrefix(string(comm), "llvmpipe") {
			continue
		}
		b, err := os.ReadFile(task + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		ut, _ := strconv.Atoi(f[11])
		st, _ := strconv.Atoi(f[12])
		n += ut + st
	}
	return n
}

// softGLKiB is the resident memory of Mesa's software rasteriser's
// libraries in the process (from /proc/PID/smaps).
func softGLKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0
	}
	n, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":") {
			path := ""
			if len(f) >= 6 {
				path = f[5]
			}
			in = strings.Contains(path, "libLLVM") || strings.Contains(path, "/dri/")
			continue
		}
		if in && len(f) >= 2 && f[0] == "Rss:" {
			v, _ := strconv.Atoi(f[1])
			n += v
		}
	}
	return n
}

func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
