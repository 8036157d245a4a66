// Package coturn starts a real coturn (Debian's `coturn` package, which
// scripts/setup.sh installs) on loopback for tests: the third party that
// judges whether Calla's TURN REST credentials are right, and an external
// relay Calla's calls can use instead of the built-in one.
package coturn

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/syncbuf"
)

// Server is a coturn process listening on 127.0.0.1.
type Server struct {
	// Addr is HOST:PORT for UDP and TCP.
	Addr string
	// Log is coturn's log so far (for a failing test's message).
	Log func() string
}

// Start runs coturn with use-auth-secret and static-auth-secret = secret
// on a free loopback port until the test ends. It skips the test, saying
// why, when coturn is not installed, and fails it when coturn does not
// come up.
func Start(t testing.TB, secret string) *Server {
	t.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		t.Skip("coturn is not installed (no turnserver in PATH): run scripts/setup.sh, which installs Debian's coturn package")
	}
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	minPort := 20000 + port%20000
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"-n", // no configuration file
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"--min-port="+strconv.Itoa(minPort), "--max-port="+strconv.Itoa(minPort+200),
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=calla",
		"--allow-loopback-peers", "--no-tls", "--no-dtls", "--no-cli", "--no-multicast-peers",
		"--pidfile="+filepath.Join(dir, "turnserver.pid"), "--log-file=stdout", "--simple-log",
		"--userdb="+filepath.Join(dir, "turndb"),
	)
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start coturn: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Log: out.String}
	// Ready when it answers a STUN binding request over UDP.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if stunAnswers(s.Addr) {
			return s
		}
		select {
		case <-exited:
			t.Fatalf("coturn exited at start:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coturn did not answer on %s in 20 s:\n%s", s.Addr, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	// A port free for both UDP and TCP at this moment.
	for i := 0; i < 50; i++ {
		u, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
		_ = u.Close()
		if err == nil {
			_ = l.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("coturn: no free port")
}

// stunAnswers sends one STUN binding request and waits briefly for any answer.
func stunAnswers(addr string) bool {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return false
	}
	defer c.Close()
	// Binding request: type 0x0001, length 0, magic cookie, transaction ID.
	req := []byte{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if _, err := c.Write(req); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	return err == nil && n >= 20 && buf[0] == 0x01 && buf[1] == 0x01
}
