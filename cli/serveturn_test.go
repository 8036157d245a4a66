package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

// startServe runs `calla serve` with args until the test ends and returns
// its address once /healthz answers.
func startServe(t *testing.T, args ...string) (addr string, stderr *bytes.Buffer) {
	t.Helper()
	addr = freeAddr(t)
	stderr = &bytes.Buffer{}
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: stderr, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- runServe(ctx, env, append([]string{"--addr", addr, "--log-level", "warn"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != ExitOK {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, stderr
			}
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /healthz: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeSecret(t *testing.T, dir, name, text string) string {
	t.Helper()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, []byte(text+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func loginAs(t *testing.T, addr, secretFile string, user signaling.UserID) *signaling.Client {
	t.Helper()
	var out bytes.Buffer
	uenv := &Env{Stdout: &out, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	if code := runUserSig(context.Background(), uenv, []string{"--secret-file", secretFile, "--user", string(user), "--expire", "1h"}); code != ExitOK {
		t.Fatalf("usersig exited %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: "ws://" + addr + "/ws", UserID: user, UserSig: strings.TrimSpace(out.String())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestServeRunsATURNRelay: `calla serve` starts its relay by default, a
// logged-in user gets its URLs with a credential of its own, a pion TURN
// client allocates with that credential over UDP and over TCP, and
// /metrics counts the allocations.
func TestServeRunsATURNRelay(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, dir, "secret", "0123456789abcdef0123456789abcdef")
	addr, _ := startServe(t, "--secret-file", secretFile, "--data", dir, "--turn-listen", "127.0.0.1:0")
	c := loginAs(t, addr, secretFile, "alice")
	ice := c.ICEServers()
	if len(ice) != 2 || !strings.HasPrefix(ice[0].URLs[0], "stun:127.0.0.1:") || len(ice[1].URLs) != 2 {
		t.Fatalf("ICE servers %+v: want the relay's STUN and its TURN over UDP and TCP", ice)
	}
	if _, err := turn.CheckUsername(ice[1].Username, time.Now()); err != nil || !strings.HasSuffix(ice[1].Username, ":alice") {
		t.Fatalf("credential %q: %v", ice[1].Username, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, turnSecretFile)); err != nil || len(bytes.TrimSpace(b)) < 32 {
		t.Fatalf("the TURN secret was not kept in --data: %v", err)
	}
	host := strings.TrimPrefix(ice[0].URLs[0], "stun:")
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			var conn net.PacketConn
			if network == "udp" {
				u, err := net.ListenPacket("udp4", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				conn = u
			} else {
				tc, err := net.Dial("tcp4", host)
				if err != nil {
					t.Fatal(err)
				}
				conn = pturn.NewSTUNConn(tc)
			}
			cl, err := pturn.NewClient(&pturn.ClientConfig{STUNServerAddr: host, TURNServerAddr: host, Conn: conn,
				Username: ice[1].Username, Password: ice[1].Credential})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			defer cl.Close()
			if err := cl.Listen(); err != nil {
				t.Fatal(err)
			}
			relay, err := cl.Allocate()
			if err != nil {
				t.Fatalf("allocate over %s with the handed-out credential: %v", network, err)
			}
			defer relay.Close()
			metrics := scrape(t, addr)
			want := `calla_turn_allocations{transport="` + network + `"} 1`
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %q:\n%s", want, grepLines(metrics, "calla_turn"))
			}
		})
	}
}

func TestServeWithoutTURN(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, dir, "secret", "0123456789abcdef0123456789abcdef")
	addr, _ := startServe(t, "--secret-file", secretFile, "--turn=false")
	if ice := loginAs(t, addr, secretFile, "bob").ICEServers(); len(ice) != 0 {
		t.Fatalf("--turn=false still hands out %+v", ice)
	}
}

func TestServeWithAnExternalTURN(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, dir, "secret", "0123456789abcdef0123456789abcdef")
	turnSecret := writeSecret(t, dir, "turn", "shared-with-coturn-0123456789abcdef")
	addr, _ := startServe(t, "--secret-file", secretFile, "--turn-urls", "turn:198.51.100.4:3478?transport=udp", "--turn-secret-file", turnSecret)
	ice := loginAs(t, addr, secretFile, "carol").ICEServers()
	if len(ice) != 1 || ice[0].URLs[0] != "turn:198.51.100.4:3478?transport=udp" {
		t.Fatalf("ICE servers %+v", ice)
	}
	exp := strings.TrimSuffix(ice[0].Username, ":carol")
	u, p := turn.Credential([]byte("shared-with-coturn-0123456789abcdef"), "carol", time.Unix(atoi64(t, exp), 0))
	if u != ice[0].Username || p != ice[0].Credential {
		t.Fatalf("credential %q/%q, want one made with the shared secret", ice[0].Username, ice[0].Credential)
	}
}

// A host name in --addr gives the relay that name's address.
func TestServeTURNOnAHostName(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, dir, "secret", "0123456789abcdef0123456789abcdef")
	var f turnFlags
	f.on, f.relayPorts, f.quota, f.ttl = "true", "49152-65535", "24", "0s"
	f.secretFile = secretFile
	ts, err := f.setup("localhost:0", "", quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if ts.cfg.Listen != "127.0.0.1:0" {
		t.Fatalf("listen %q, want 127.0.0.1:0", ts.cfg.Listen)
	}
}

func TestServeTURNUsage(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, dir, "secret", "0123456789abcdef0123456789abcdef")
	for _, args := range [][]string{
		{"--turn", "maybe"},
		{"--turn-relay-ports", "60000-50000"},
		{"--turn-relay-ports", "all"},
		{"--turn-user-quota", "0"},
		{"--turn-public-ip", "relay.example.org"},
		{"--turn-urls", "http://relay.example.org"},
		{"--turn-urls", "turn:198.51.100.4:3478"}, // no shared secret
		{"--turn-credential-ttl", "-1h"},
	} {
		env := &Env{Stdout: io.Discard, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
		if code := runServe(context.Background(), env, append([]string{"--addr", "127.0.0.1:0", "--secret-file", secretFile}, args...)); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func atoi64(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("%q is not a number", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
