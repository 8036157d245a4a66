package e2e

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is a `calla serve` process that a test may kill.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

// startServer starts `calla serve` on addr with the flags in extra (a
// data dir or a cluster's), and waits until it says it serves.
func startServer(t *testing.T, addr string, extra ...string) *server {
	t.Helper()
	// No TURN relay: these tests are about signaling, and the relay's
	// default port (3478 on --addr's host) would be shared by every node.
	args := append([]string{"serve", "--addr", addr, "--log-level", "info", "--turn=false"}, extra...)
	s := &server{t: t, cmd: exec.Command(callaBin(t), args...), done: make(chan struct{})}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("calla serve: %v", err)
	}
	serving := make(chan struct{})
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		said := false
		for sc.Scan() {
			s.mu.Lock()
			s.logs.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if !said && strings.Contains(sc.Text(), "msg=serving") {
				said = true
				close(serving)
			}
		}
		_ = s.cmd.Wait()
	}()
	t.Cleanup(s.stop)
	select {
	case <-serving:
	case <-s.done:
		t.Fatalf("calla serve ended before serving:\n%s", s.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("calla serve did not say it serves in 20 s:\n%s", s.log())
	}
	return s
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

// kill is kill -9: no close frames, nothing more written.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// stop ends the process with SIGTERM (then SIGKILL after 10 s).
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscallTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// freeAddr returns a loopback address that was free a moment ago: the
// server restarts on the same one.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestServerKilledMidCall is issue 17's operator test, with the real
// binary: `calla serve` is killed (SIGKILL) in the middle of a 1v1 video
// call between two headless clients and started again on the same port
// and data dir within 2 s; then it is stopped (SIGTERM) and started again,
// as an upgrade does. Both clients resume their sessions each time, the call
// goes on (bob's tone still reaches alice after the restart), alice hangs
// up as planned, and each side sees every call event exactly once and
// exits 0 (connected). Before issue 17 both resumes were refused and both
// calls ended offline (exit 3).
func TestServerKilledMidCall(t *testing.T) {
	addr, data := freeAddr(t), t.TempDir()
	srv := startServer(t, addr, "--data", data)
	url := "ws://" + addr + "/ws"
	secret := filepath.Join(data, "signaling.secret")
	login := func(user string) []string {
		return []string{"--server", url, "--user", user, "--secret-file", secret, "--loopback"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	bob := startProc(t, ctx, append([]string{"answer"}, login("bob")...)...)
	bob.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)
	alice := startProc(t, ctx, append(append([]string{"call"}, login("alice")...), "--hangup-after", "15s", "bob")...)
	alice.waitFor("onUserJoin", "userId", "bob", 30*time.Second)
	bob.waitFor("onUserJoin", "userId", "alice", 30*time.Second)

	resumed := func(how string) {
		for _, p := range []*proc{alice, bob} {
			p.waitFor("onConnectionChanged", "state", "reconnecting", 20*time.Second)
			p.waitFor("onConnectionChanged", "state", "connected", 20*time.Second)
			if r := p.evs[len(p.evs)-1]["reason"]; r != nil {
				t.Errorf("%s, after %s: reconnected with a new session (%v), not a resume", p.name, how, r)
			}
		}
	}
	srv.kill()
	restarted := time.Now()
	srv = startServer(t, addr, "--data", data)
	t.Logf("the server served again %v after the kill", time.Since(restarted).Round(time.Millisecond))
	resumed("kill -9")

	// An upgrade: SIGTERM, and a new process on the same data dir.
	srv.stop()
	srv = startServer(t, addr, "--data", data)
	resumed("SIGTERM")

	// The media went on: bob's tone reaches alice after the restart.
	checkCallWentOn(t, alice, bob)
	if t.Failed() {
		t.Logf("the restarted server's log:\n%s", srv.log())
	}
}

// checkCallWentOn is what a call that outlived its server shows: bob's
// tone still reaches alice, both programs exit 0 after their hang-up,
// and each saw every call event once, ending with a hang-up.
func checkCallWentOn(t *testing.T, alice, bob *proc) {
	t.Helper()
	heard := false
	for !heard {
		alice.waitFor("onUserVoiceVolumeChanged", "", nil, 20*time.Second)
		if vm, ok := alice.evs[len(alice.evs)-1]["volumeMap"].(map[string]any); ok {
			v, _ := vm["bob"].(float64)
			heard = v > 10
		}
	}
	if c := alice.wait(); c != 0 {
		t.Errorf("calla call exited %d, want 0\n%s", c, alice.errb.String())
	}
	if c := bob.wait(); c != 0 {
		t.Errorf("calla answer exited %d, want 0\n%s", c, bob.errb.String())
	}
	wantAlice := []string{"onCallBegin", "onUserJoin(bob)", "onUserAudioAvailable(bob)", "onUserVideoAvailable(bob)", "onCallEnd"}
	if got := sortedAvailability(callEvents(alice.evs)); !slices.Equal(got, wantAlice) {
		t.Errorf("alice's events: %q, want %q", got, wantAlice)
	}
	wantBob := []string{"onCallReceived", "onCallBegin", "onUserJoin(alice)", "onUserAudioAvailable(alice)", "onUserVideoAvailable(alice)", "onUserLeave(alice)", "onCallEnd"}
	if got := sortedAvailability(callEvents(bob.evs)); !slices.Equal(got, wantBob) {
		t.Errorf("bob's events: %q, want %q", got, wantBob)
	}
	for _, p := range []*proc{alice, bob} {
		for _, e := range p.evs {
			if e.name() == "onCallEnd" && e["reason"] != "hangup" {
				t.Errorf("%s's onCallEnd: %v", p.name, e)
			}
		}
	}
}
