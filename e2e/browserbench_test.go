package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"

	"github.com/calla-rtc/calla/internal/syncbuf"
)

// TestBrowserBench measures call setup between the browser client (in
// Chromium) and Calla, beside the same figure between two Callas, all
// measured the same way: separate processes (server, headless Callas,
// Chromium) on loopback, accept -> first remote frame at each side, over
// N sequential 1v1 video calls per direction. It is a bench, not a test:
// it runs only when CALLA_BENCH_BROWSER is set (`make bench` sets it) and
// writes its section of docs/benchmarks.md (or $CALLA_BENCH_REPORT).
//
// Where the times come from: a headless Calla's accept is the ts of its
// onCallReceived line (it accepts at once) and its first frame the time
// of its `first frame` debug log line (the engine's FirstFrame event: a
// frame decoded); the browser's accept is the click on Accept and its
// first frame the first requestVideoFrameCallback of the tile's video
// (a frame decoded and handed to the compositor: up to a frame later
// than decoded). All are wall-clock times of one machine.
func TestBrowserBench(t *testing.T) {
	if os.Getenv("CALLA_BENCH_BROWSER") == "" {
		t.Skip("the browser bench runs only with CALLA_BENCH_BROWSER=1 (make bench)")
	}
	calls := 10
	if n, err := strconv.Atoi(os.Getenv("CALLA_BENCH_CALLS")); err == nil && n > 0 {
		calls = n
	}
	report := os.Getenv("CALLA_BENCH_REPORT")
	if report == "" {
		report = filepath.Join("..", "docs", "benchmarks.md")
	}
	start := time.Now()
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(calls)*time.Minute)
	defer cancel()
	login := func(user string) []string {
		return []string{"--server", url, "--user", user, "--secret-file", secret, "--loopback", "--log-level", "debug"}
	}
	bob := startProc(t, ctx, append([]string{"answer", "--count", "0"}, login("bob")...)...)
	bob.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)
	b := startBrowser(t, pageOf(url))
	b.signIn("web", secret)
	b.waitJS("bob in the contact list", `!!document.querySelector('.contact[data-user="bob"]')`, 20*time.Second)

	var cc, bc, cb setupTimes // Calla->Calla, browser->Calla, Calla->browser
	// Calla calls Calla: `calla call` alice -> `calla answer` bob.
	for range calls {
		m, off := bob.mark(), len(bob.errb.String())
		alice := run(t, ctx, append(append([]string{"call"}, login("alice")...), "--hangup-after", "2s", "bob")...)
		bob.awaitAfter(m, "onCallEnd", named("onCallEnd", nil), 20*time.Second)
		accept := eventTime(bob.evs[m:], "onCallReceived")
		cc.add(accept, firstFrameLog(alice.errb.String()), firstFrameLog(bob.errb.String()[off:]))
	}
	// The browser calls Calla: web -> `calla answer` bob.
	for range calls {
		m, off := bob.mark(), len(bob.errb.String())
		b.watchFirstFrame("bob")
		b.click("video call bob", `.contact[data-user="bob"] .call-video`)
		bob.awaitAfter(m, "onUserJoin(web)", named("onUserJoin", map[string]any{"userId": "web"}), 20*time.Second)
		shown := b.firstFrame()
		waitLog(t, &bob.errb, off, 20*time.Second)
		b.click("hang up", "#hangup")
		bob.awaitAfter(m, "onCallEnd", named("onCallEnd", nil), 20*time.Second)
		b.waitJS("the call over", `!calla.call`, 20*time.Second)
		accept := eventTime(bob.evs[m:], "onCallReceived")
		bc.add(accept, shown, firstFrameLog(bob.errb.String()[off:]))
	}
	// Calla calls the browser: `calla call` alice -> web.
	for range calls {
		b.watchFirstFrame("alice")
		alice := startProc(t, ctx, append(append([]string{"call"}, login("alice")...), "--hangup-after", "2s", "web")...)
		b.waitJS("the incoming call", `!document.getElementById('incoming').hidden`, 30*time.Second)
		b.click("accept", "#accept")
		shown := b.firstFrame()
		var clicked float64
		b.eval("accept time", `window.benchAccept`, &clicked)
		if code := alice.wait(); code != 0 {
			t.Fatalf("calla call exited %d\n%s", code, alice.errb.String())
		}
		b.waitJS("the call over", `!calla.call`, 20*time.Second)
		cb.add(msTime(clicked), firstFrameLog(alice.errb.String()), shown)
	}
	_ = bob.cmd.Process.Signal(syscallTERM)

	md := fmt.Sprintf(`## Browser interop

Measured by `+"`CALLA_BENCH_BROWSER=1 go test ./e2e -run '^TestBrowserBench$'`"+` on %s, %s; load average before: %s.
%d sequential 1v1 video calls per row between separate processes on loopback (`+"`calla serve`"+`, headless `+"`calla call`/`calla answer`"+`, Debian's Chromium %s headless with fake devices showing the browser client); Calla sends 640x480 at 30 fps from its test pattern, Chromium its fake camera. Accept: the callee's accept (a headless Calla's onCallReceived, which it accepts at once; the browser's click on Accept). First frame: a headless Calla's first decoded remote frame (its `+"`first frame`"+` debug log), the browser's first requestVideoFrameCallback on the remote tile (decoded and handed to the compositor).

| Caller -> callee | accept -> first frame at the caller, p50 | at the callee, p50 | calls measured |
|---|---|---|---|
| Calla -> Calla | %s | %s | %d of %d |
| browser -> Calla | %s | %s | %d of %d |
| Calla -> browser | %s | %s | %d of %d |

Target (DESIGN §5, Calla <-> Calla): accept -> first remote frame decoded p50 <= 150 ms.
`, start.UTC().Format("2006-01-02 15:04 UTC"), benchreport.Machine(), loadBefore, calls, chromiumVersion(),
		cc.p50(0), cc.p50(1), cc.n(), calls,
		bc.p50(0), bc.p50(1), bc.n(), calls,
		cb.p50(0), cb.p50(1), cb.n(), calls)
	t.Log("\n" + md)
	if err := benchreport.WriteSection(report, md); err != nil {
		t.Fatal(err)
	}
}

// loadBefore is the load average when the package's tests started.
var loadBefore = benchreport.LoadAverage()

// setupTimes collects accept -> first frame at the caller [0] and the
// callee [1], for the calls where all three times are known.
type setupTimes struct{ d [2][]time.Duration }

func (s *setupTimes) add(accept, caller, callee time.Time) {
	if accept.IsZero() || caller.IsZero() || callee.IsZero() {
		return
	}
	s.d[0] = append(s.d[0], caller.Sub(accept))
	s.d[1] = append(s.d[1], callee.Sub(accept))
}

func (s *setupTimes) n() int { return len(s.d[0]) }

func (s *setupTimes) p50(i int) string {
	if len(s.d[i]) == 0 {
		return "n/a"
	}
	d := slices.Clone(s.d[i])
	slices.Sort(d)
	return fmt.Sprintf("%.0f ms", float64(d[len(d)/2].Microseconds())/1000)
}

// eventTime is the ts of the first event named name.
func eventTime(evs []jsonEvent, name string) time.Time {
	for _, e := range evs {
		if e.name() == name {
			ts, _ := e["ts"].(string)
			t, _ := time.Parse(time.RFC3339Nano, ts)
			return t
		}
	}
	return time.Time{}
}

var firstFrameRe = regexp.MustCompile(`time=(\S+) level=DEBUG msg="first frame"`)

// firstFrameLog is the time of the first `first frame` line of a
// headless Calla's log.
func firstFrameLog(log string) time.Time {
	m := firstFrameRe.FindStringSubmatch(log)
	if m == nil {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, m[1])
	return t
}

// waitLog waits for a `first frame` line in a log past offset.
func waitLog(t *testing.T, log *syncbuf.Buffer, offset int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for firstFrameLog(log.String()[offset:]).IsZero() {
		if time.Now().After(deadline) {
			t.Fatalf("no first frame in the log within %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func msTime(ms float64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(ms * 1000))
}

// watchFirstFrame arms the page to note when the first frame from peer
// is shown (window.benchFirst, ms since the epoch) and when Accept is
// clicked (window.benchAccept).
func (b *browser) watchFirstFrame(peer string) {
	b.t.Helper()
	var ok bool
	b.eval("arm the first-frame watch", fmt.Sprintf(`(() => {
		window.benchFirst = 0;
		window.benchAccept = 0;
		if (!window.benchArmed) {
			window.benchArmed = true;
			document.getElementById('accept').addEventListener('click', () => { window.benchAccept = performance.timeOrigin + performance.now(); }, true);
		}
		const t0 = Date.now();
		const look = () => {
			const v = document.querySelector('.tile[data-user=%q] video');
			if (v) {
				v.requestVideoFrameCallback((now) => { window.benchFirst = performance.timeOrigin + now; });
				return;
			}
			if (Date.now() - t0 < 60000) setTimeout(look, 2);
		};
		look();
		return true;
	})()`, peer), &ok)
}

// firstFrame waits for the frame watchFirstFrame waits for.
func (b *browser) firstFrame() time.Time {
	b.t.Helper()
	b.waitJS("the first frame shown", `window.benchFirst > 0`, 30*time.Second)
	var ms float64
	b.eval("first frame time", `window.benchFirst`, &ms)
	return msTime(ms)
}

func chromiumVersion() string {
	out, err := exec.Command("chromium", "--version").Output()
	if err != nil {
		return "(version unknown)"
	}
	f := strings.Fields(string(out))
	for _, w := range f {
		if strings.Count(w, ".") == 3 {
			return w
		}
	}
	return strings.TrimSpace(string(out))
}
