package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/syncbuf"
)

// serveProc starts `calla serve` on a free loopback port and returns its
// websocket URL and data dir (whose signaling.secret signs UserSigs).
// extra are more flags for it.
func serveProc(t *testing.T, extra ...string) (url, data string) {
	t.Helper()
	data = t.TempDir()
	cmd := exec.Command(callaBin(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "info"}, extra...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("calla serve: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscallTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	re := regexp.MustCompile(`url=(ws://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case url = <-found:
	case <-time.After(20 * time.Second):
		t.Fatal("calla serve did not say where it listens")
	}
	return url, data
}

// jsonEvent is one line of a headless client's output.
type jsonEvent map[string]any

func (e jsonEvent) name() string { s, _ := e["event"].(string); return s }

// proc is a running headless client whose stdout lines are collected.
type proc struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	errb  syncbuf.Buffer // stderr, read while the process writes it
	lines chan jsonEvent
	done  chan struct{}
	evs   []jsonEvent
	at    []time.Time // when each of evs was read (by waitMatch)
	code  int
	// lastAt is when the event the last waitMatch accepted was read.
	lastAt time.Time
}

// startProc starts a headless command and parses every stdout line as a
// JSON event with a timestamp.
func startProc(t *testing.T, ctx context.Context, args ...string) *proc {
	t.Helper()
	return startCmd(t, args[0], exec.CommandContext(ctx, callaBin(t), args...))
}

// startCmd starts cmd, a headless command however it is run, as startProc.
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	args := cmd.Args
	p := &proc{t: t, name: name, lines: make(chan jsonEvent, 4096), done: make(chan struct{})}
	p.cmd = cmd
	p.cmd.Stderr = &p.errb
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			var ev jsonEvent
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Errorf("%s: stdout line is not JSON: %q", p.name, line)
				continue
			}
			ts, _ := ev["ts"].(string)
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || ev.name() == "" {
				t.Errorf("%s: line without ts or event: %q", p.name, line)
			}
			p.lines <- ev
		}
		err := p.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
	}()
	return p
}

// waitFor reads events until one named name arrives whose field key is
// value (key "" matches any).
func (p *proc) waitFor(name, key string, value any, timeout time.Duration) {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-p.lines:
			if !ok {
				p.ended(name)
			}
			p.evs = append(p.evs, ev)
			p.at = append(p.at, time.Now())
			if ev.name() == name && (key == "" || ev[key] == value) {
				return
			}
		case <-deadline:
			p.t.Fatalf("%s: no %s within %v", p.name, name, timeout)
		}
	}
}

// ended fails the test: p's output ended before what. Its exit status,
// the events it printed and the end of its stderr say why.
func (p *proc) ended(what string) {
	p.t.Helper()
	<-p.done
	var evs strings.Builder
	for _, ev := range p.evs[max(0, len(p.evs)-60):] {
		line, _ := json.Marshal(ev)
		evs.Write(line)
		evs.WriteByte('\n')
	}
	p.t.Fatalf("%s ended (exit status %d) before %s; its last events:\n%s\nits stderr:\n%s", p.name, p.code, what, evs.String(), p.errb.Tail(60))
}

// wait reads the rest of the output and returns the exit status.
func (p *proc) wait() int {
	for ev := range p.lines {
		p.evs = append(p.evs, ev)
		p.at = append(p.at, time.Now())
	}
	<-p.done
	return p.code
}

// run runs a headless command to its end.
func run(t *testing.T, ctx context.Context, args ...string) *proc {
	p := startProc(t, ctx, args...)
	p.wait()
	return p
}

// callEvents keeps the call events of a run, as "name" or "name(userId)",
// leaving out the periodic and connection ones.
func callEvents(evs []jsonEvent) []string {
	var out []string
	for _, e := range evs {
		switch n := e.name(); n {
		case "onUserVoiceVolumeChanged", "onUserNetworkQualityChanged", "onConnectionChanged", "onMediaSourceChanged", "onPresenceChanged", "onNetworkPathChanged":
		default:
			if u, ok := e["userId"].(string); ok {
				n += "(" + u + ")"
			}
			out = append(out, n)
		}
	}
	return out
}

// TestHeadlessCallAndAnswer runs the real binary as three processes: a
// server, `calla answer` as bob, and `calla call` as alice, and checks both
// JSON outputs event by event, and the exit statuses. Bob answers after
// a second, and reports no camera or microphone while the call rings.
func TestHeadlessCallAndAnswer(t *testing.T) {
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	login := func(user string) []string {
		return []string{"--server", url, "--user", user, "--secret-file", secret, "--loopback"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A user must have logged in once to be called: wait for bob's login.
	const answerDelay = time.Second
	bob := startProc(t, ctx, append([]string{"answer", "--delay", answerDelay.String()}, login("bob")...)...)
	bob.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)

	alice := run(t, ctx, append(append([]string{"call"}, login("alice")...), "--hangup-after", "2s", "--user-data", "hi", "bob")...)
	if alice.code != 0 {
		t.Errorf("calla call exited %d, want 0\n%s", alice.code, alice.errb.String())
	}
	if code := bob.wait(); code != 0 {
		t.Errorf("calla answer exited %d, want 0\n%s", code, bob.errb.String())
	}
	aliceEvs := alice.evs

	wantAlice := []string{"onCallBegin", "onUserJoin(bob)", "onUserAudioAvailable(bob)", "onUserVideoAvailable(bob)", "onCallEnd"}
	if got := sortedAvailability(callEvents(aliceEvs)); !slices.Equal(got, wantAlice) {
		t.Errorf("alice's events: %q, want %q", got, wantAlice)
	}
	wantBob := []string{"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserAudioAvailable(alice)", "onUserVideoAvailable(alice)", "onUserLeave(alice)", "onCallEnd"}
	if got := sortedAvailability(callEvents(bob.evs)); !slices.Equal(got, wantBob) {
		t.Errorf("bob's events: %q, want %q", got, wantBob)
	}
	for _, e := range bob.evs {
		if e.name() == "onCallReceived" && (e["callerId"] != "alice" || e["userData"] != "hi" || e["callMediaType"] != 1.0) {
			t.Errorf("bob's onCallReceived: %v", e)
		}
		if e.name() == "onCallEnd" && (e["reason"] != "hangup" || e["callRole"] != 2.0) {
			t.Errorf("bob's onCallEnd: %v", e)
		}
	}
	// No device before consent: bob's camera and microphone open when he
	// answers, not while it rings.
	var rang, opened time.Time
	for _, e := range bob.evs {
		ts, _ := time.Parse(time.RFC3339Nano, e["ts"].(string))
		switch {
		case e.name() == "onCallReceived":
			rang = ts
		case e.name() == "onMediaSourceChanged" && (e["kind"] == "camera" || e["kind"] == "microphone") && opened.IsZero():
			opened = ts
		}
	}
	if rang.IsZero() || opened.IsZero() {
		t.Errorf("bob's output has no onCallReceived or no device: %v", bob.evs)
	} else if d := opened.Sub(rang); d < answerDelay-100*time.Millisecond {
		t.Errorf("bob's first device opened %v after the call rang, before he answered (after %v)", d, answerDelay)
	}
	sawVolume := false
	for _, e := range aliceEvs {
		if e.name() == "onUserVoiceVolumeChanged" {
			vm := e["volumeMap"].(map[string]any)
			if v, ok := vm["bob"].(float64); ok && v > 10 {
				sawVolume = true
			}
		}
	}
	if !sawVolume {
		t.Errorf("alice never heard bob's test tone (no volume > 10 for bob)")
	}
}

// TestHeadlessRejectExitsNotConnected: a rejected call exits 1 on both sides.
func TestHeadlessRejectExitsNotConnected(t *testing.T) {
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	login := func(user string) []string {
		return []string{"--server", url, "--user", user, "--secret-file", secret, "--loopback"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bob := startProc(t, ctx, append([]string{"answer", "--reject"}, login("bob")...)...)
	bob.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)
	alice := run(t, ctx, append(append([]string{"call", "--audio"}, login("alice")...), "bob")...)
	if alice.code != 1 {
		t.Errorf("calla call of a rejecting callee exited %d, want 1\n%s", alice.code, alice.errb.String())
	}
	if got, want := callEvents(alice.evs), []string{"onUserReject(bob)", "onCallCancelled"}; !slices.Equal(got, want) {
		t.Errorf("alice's events %q, want %q", got, want)
	}
	if c := bob.wait(); c != 1 {
		t.Errorf("calla answer --reject exited %d, want 1", c)
	}
	if got, want := callEvents(bob.evs), []string{"onCallReceived", "onCallCancelled"}; !slices.Equal(got, want) {
		t.Errorf("bob's events %q, want %q", got, want)
	}
}

// sortedAvailability sorts each adjacent pair of availability events,
// which arrive in either order.
func sortedAvailability(evs []string) []string {
	for i := 0; i+1 < len(evs); i++ {
		if strings.HasPrefix(evs[i], "onUserVideoAvailable") && strings.HasPrefix(evs[i+1], "onUserAudioAvailable") {
			evs[i], evs[i+1] = evs[i+1], evs[i]
		}
	}
	return evs
}
