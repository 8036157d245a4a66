package turn

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testSecret = []byte("turn-test-secret-0123456789abcdef")

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startRelay(t *testing.T, quota int) *Server {
	t.Helper()
	s, err := New(Config{Listen: "127.0.0.1:0", Secret: testSecret, UserQuota: quota, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// allocate makes one UDP allocation on addr with a pion TURN client (a
// real client of the protocol, not our own code).
func allocate(t *testing.T, addr, user, pass string) (net.PacketConn, func(), error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pturn.NewClient(&pturn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: user, Password: pass, Realm: DefaultRealm,
		LoggerFactory: pionLogs{quietLog()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	stop := func() { c.Close(); _ = conn.Close() }
	relay, err := c.Allocate()
	if err != nil {
		stop()
		return nil, nil, err
	}
	return relay, func() { _ = relay.Close(); stop() }, nil
}

func udpAddr(s *Server) string { return "127.0.0.1:" + strconv.Itoa(s.Port()) }

func TestRelayCarriesDataBothWaysAndCountsIt(t *testing.T) {
	s := startRelay(t, 0)
	user, pass := Credential(testSecret, "alice", time.Now().Add(time.Hour))
	relay, stop, err := allocate(t, udpAddr(s), user, pass)
	if err != nil {
		t.Fatalf("allocate with a REST credential: %v", err)
	}
	defer stop()
	if got := testutil.ToFloat64(s.metrics.allocations.WithLabelValues("udp")); got != 1 {
		t.Errorf("calla_turn_allocations{transport=udp} = %v, want 1", got)
	}
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	ra := relay.LocalAddr().(*net.UDPAddr)
	if !ra.IP.Equal(net.IPv4(127, 0, 0, 1)) || ra.Port < DefaultRelayMinPort {
		t.Errorf("relay address %v: want 127.0.0.1 and a port in the relay range", ra)
	}
	out := bytes.Repeat([]byte("c"), 1000)
	// The first write creates the permission; repeat until the peer hears it.
	buf := make([]byte, 1500)
	deadline := time.Now().Add(10 * time.Second)
	var from net.Addr
	for from == nil && time.Now().Before(deadline) {
		if _, err := relay.WriteTo(out, peer.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		_ = peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if n, a, err := peer.ReadFrom(buf); err == nil && n == len(out) {
			from = a
		}
	}
	if from == nil {
		t.Fatal("the peer never received what the client sent through the relay")
	}
	if from.String() != ra.String() {
		t.Errorf("the peer heard from %v, want the relay address %v", from, ra)
	}
	back := bytes.Repeat([]byte("p"), 700)
	if _, err := peer.WriteTo(back, ra); err != nil {
		t.Fatal(err)
	}
	_ = relay.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := relay.ReadFrom(buf)
	if err != nil || n != len(back) {
		t.Fatalf("client read %d bytes, %v; want %d from the peer", n, err, len(back))
	}
	// The counter moves after the write returns, which on a loaded
	// machine can be after the peer has read the packet.
	for deadline := time.Now().Add(10 * time.Second); testutil.ToFloat64(s.metrics.toPeers) < 1000 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := testutil.ToFloat64(s.metrics.toPeers); got < 1000 {
		t.Errorf("relayed to peers %v bytes, want at least 1000", got)
	}
	if got := testutil.ToFloat64(s.metrics.fromPeers); got != 700 {
		t.Errorf("relayed from peers %v bytes, want 700", got)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Metrics().Collectors()...)
	if n, err := testutil.GatherAndCount(reg); err != nil || n < 3 {
		t.Errorf("registry has %d metrics, %v", n, err)
	}
}

func TestRelayRefusesBadCredentials(t *testing.T) {
	s := startRelay(t, 0)
	good, pass := Credential(testSecret, "alice", time.Now().Add(time.Hour))
	old, oldPass := Credential(testSecret, "alice", time.Now().Add(-time.Minute))
	other, otherPass := Credential([]byte("another-secret-0123456789abcdef"), "alice", time.Now().Add(time.Hour))
	for _, tc := range []struct{ name, user, pass string }{
		{"a wrong password", good, pass + "x"},
		{"an expired username", old, oldPass},
		{"another secret's credential", other, otherPass},
		{"a static username", "alice", pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stop, err := allocate(t, udpAddr(s), tc.user, tc.pass)
			if err == nil {
				stop()
				t.Fatal("allocation succeeded")
			}
		})
	}
	if got := testutil.ToFloat64(s.metrics.authFailures); got < 2 {
		t.Errorf("auth failures %v, want the expired and the static username counted", got)
	}
}

func TestRelayEnforcesTheUserQuota(t *testing.T) {
	s := startRelay(t, 2)
	user, pass := Credential(testSecret, "bob", time.Now().Add(time.Hour))
	for i := 0; i < 2; i++ {
		_, stop, err := allocate(t, udpAddr(s), user, pass)
		if err != nil {
			t.Fatalf("allocation %d: %v", i+1, err)
		}
		defer stop()
	}
	if _, stop, err := allocate(t, udpAddr(s), user, pass); err == nil {
		stop()
		t.Fatal("a third allocation passed a quota of 2")
	}
	carol, cpass := Credential(testSecret, "carol", time.Now().Add(time.Hour))
	_, stop, err := allocate(t, udpAddr(s), carol, cpass)
	if err != nil {
		t.Fatalf("another user's allocation: %v", err)
	}
	stop()
	if got := testutil.ToFloat64(s.metrics.quotaRefusals); got != 1 {
		t.Errorf("quota refusals %v, want 1", got)
	}
}

func TestNewRefusesBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"no secret", Config{Listen: "127.0.0.1:0"}},
		{"an unspecified listen host without a public IP", Config{Listen: "0.0.0.0:0", Secret: testSecret}},
		{"an inverted port range", Config{Listen: "127.0.0.1:0", Secret: testSecret, RelayMinPort: 50000, RelayMaxPort: 40000}},
		{"a host name", Config{Listen: "localhost:0", Secret: testSecret}},
		{"no port", Config{Listen: "127.0.0.1", Secret: testSecret}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = quietLog()
			s, err := New(tc.cfg)
			if err == nil {
				_ = s.Close()
				t.Fatal("New accepted it")
			}
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %v is not ErrBadConfig", err)
			}
		})
	}
}

func TestURLsNameThePublicIPAndBothTransports(t *testing.T) {
	s, err := New(Config{Listen: "127.0.0.1:0", PublicIP: net.IPv4(203, 0, 113, 7), Secret: testSecret, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := strconv.Itoa(s.Port())
	want := []string{"stun:203.0.113.7:" + p, "turn:203.0.113.7:" + p + "?transport=udp", "turn:203.0.113.7:" + p + "?transport=tcp"}
	if got := s.URLs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("URLs = %v, want %v", got, want)
	}
}
