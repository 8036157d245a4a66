package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

// TestTURNBench measures what relaying costs `calla serve`: it starts the
// real binary with its TURN relay on loopback, pushes CALLA_TURN_STREAMS
// (default 4) streams of 1 Mbps (125 packets of 1000 bytes a second, as
// video is) through it from pion TURN clients to UDP peers, and reads the
// server process's CPU over 10 s. It runs only with CALLA_BENCH_TURN=1
// (`scripts/bench.sh turn`) and writes the "TURN relay" section of
// docs/benchmarks.md.
func TestTURNBench(t *testing.T) {
	if os.Getenv("CALLA_BENCH_TURN") == "" {
		t.Skip("the TURN bench runs only with CALLA_BENCH_TURN=1 (scripts/bench.sh turn)")
	}
	streams := 4
	if n, err := strconv.Atoi(os.Getenv("CALLA_TURN_STREAMS")); err == nil && n > 0 {
		streams = n
	}
	load0 := benchreport.LoadAverage()
	dir := t.TempDir()
	cmd := exec.Command(callaBin(t), "serve", "--addr", "127.0.0.1:0", "--data", dir, "--turn-listen", "127.0.0.1:0", "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	portRe := regexp.MustCompile(`msg="TURN relay".* port=(\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := portRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var addr string
	select {
	case p := <-found:
		addr = "127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("calla serve did not say where its relay listens")
	}
	secret, err := os.ReadFile(filepath.Join(dir, "turn.secret"))
	if err != nil {
		t.Fatal(err)
	}
	var received atomic.Int64
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); wg.Wait() }()
	for i := 0; i < streams; i++ {
		user, pass := turn.Credential([]byte(strings.TrimSpace(string(secret))), fmt.Sprint("bench", i), time.Now().Add(time.Hour))
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c, err := pturn.NewClient(&pturn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn, Username: user, Password: pass, Realm: turn.DefaultRealm})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Listen(); err != nil {
			t.Fatal(err)
		}
		relay, err := c.Allocate()
		if err != nil {
			t.Fatalf("allocate: %v", err)
		}
		peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() { // the peer counts what arrives
			defer wg.Done()
			buf := make([]byte, 1500)
			for {
				n, _, err := peer.ReadFrom(buf)
				if err != nil {
					return
				}
				received.Add(int64(n))
			}
		}()
		go func() { // 1 Mbps: 1000 bytes every 8 ms
			defer wg.Done()
			defer func() { _ = relay.Close(); c.Close(); _ = conn.Close(); _ = peer.Close() }()
			pkt := make([]byte, 1000)
			tick := time.NewTicker(8 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					_, _ = relay.WriteTo(pkt, peer.LocalAddr())
				}
			}
		}()
	}
	time.Sleep(3 * time.Second) // permissions, channel bindings, steady state
	cpu0, r0, t0 := procCPU(t, cmd.Process.Pid), received.Load(), time.Now()
	time.Sleep(10 * time.Second)
	cpu1, r1, el := procCPU(t, cmd.Process.Pid), received.Load(), time.Since(t0)
	core := (cpu1 - cpu0).Seconds() / el.Seconds() * 100
	mbps := float64(r1-r0) * 8 / el.Seconds() / 1e6
	var b strings.Builder
	fmt.Fprintf(&b, "## TURN relay\n\n")
	fmt.Fprintf(&b, "Measured by `scripts/bench.sh turn` (`CALLA_BENCH_TURN=1 go test ./e2e -run TestTURNBench`) on %s, %s; load average %s at the start and %s at the end (the machine is shared).\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), benchreport.Machine(), load0, benchreport.LoadAverage())
	fmt.Fprintf(&b, "`calla serve`'s built-in relay (pion/turn v5) on loopback; %d pion TURN clients each send 1 Mbps (1000-byte packets, 125 a second) through an allocation of their own (UDP, channel data) to a UDP peer; the server process's CPU (utime + stime from /proc) over %v.\n\n", streams, el.Round(time.Second))
	fmt.Fprintf(&b, "| Figure | Value |\n|---|---|\n")
	fmt.Fprintf(&b, "| relayed to the peers | %.2f Mbps (%d streams) |\n", mbps, streams)
	fmt.Fprintf(&b, "| server CPU, all streams | %.1f%% of one core |\n", core)
	fmt.Fprintf(&b, "| server CPU per relayed 1 Mbps stream | %.2f%% of one core |\n\n", core/mbps)
	if err := benchreport.WriteSection(filepath.Join("..", "docs", "benchmarks.md"), b.String()); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote:\n%s", b.String())
}

// procCPU is a process's user and system CPU so far.
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}
