package media

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// dialRecorder is a network whose TCP dials only count.
type dialRecorder struct {
	transport.Net
	dials atomic.Int32
}

var errDialed = errors.New("dialed")

func (d *dialRecorder) DialTCP(string, *net.TCPAddr, *net.TCPAddr) (transport.TCPConn, error) {
	d.dials.Add(1)
	return nil, errDialed
}

func TestTURNGate(t *testing.T) {
	servers := []webrtc.ICEServer{{URLs: []string{"stun:203.0.113.9:3478", "turn:203.0.113.9:3478?transport=udp", "turn:203.0.113.9:3478?transport=tcp"}}}
	if !offersTURNBothWays(servers) {
		t.Fatal("a relay over UDP and TCP is a choice to make")
	}
	if offersTURNBothWays([]webrtc.ICEServer{{URLs: []string{"turn:203.0.113.9:3478?transport=tcp"}}}) {
		t.Fatal("TCP alone is no choice")
	}
	relay := &net.TCPAddr{IP: net.ParseIP("203.0.113.9"), Port: 3478}
	fromRelay := &net.UDPAddr{IP: net.ParseIP("203.0.113.9"), Port: 3478}
	const wait = 300 * time.Millisecond
	setup := func(t *testing.T) (*turnGate, *dialRecorder) {
		n, err := stdnet.NewNet()
		if err != nil {
			t.Fatal(err)
		}
		rec := &dialRecorder{Net: n}
		return newTURNGate(rec, servers, wait), rec
	}
	t.Run("a relay that answered over UDP gets no TCP dial", func(t *testing.T) {
		g, rec := setup(t)
		g.hear(fromRelay)
		if _, err := g.DialTCP("tcp4", nil, relay); !errors.Is(err, errTURNUDPWorks) || rec.dials.Load() != 0 {
			t.Fatalf("err %v, %d dials", err, rec.dials.Load())
		}
	})
	t.Run("a relay that answers while the dial waits gets no TCP dial", func(t *testing.T) {
		g, rec := setup(t)
		go func() { time.Sleep(wait / 3); g.hear(fromRelay) }()
		if _, err := g.DialTCP("tcp4", nil, relay); !errors.Is(err, errTURNUDPWorks) || rec.dials.Load() != 0 {
			t.Fatalf("err %v, %d dials", err, rec.dials.Load())
		}
	})
	t.Run("a silent relay is dialled over TCP after the wait", func(t *testing.T) {
		g, rec := setup(t)
		g.hear(&net.UDPAddr{IP: net.ParseIP("198.51.100.1"), Port: 3478}) // someone else
		t0 := time.Now()
		if _, err := g.DialTCP("tcp4", nil, relay); !errors.Is(err, errDialed) || rec.dials.Load() != 1 {
			t.Fatalf("err %v, %d dials", err, rec.dials.Load())
		}
		if d := time.Since(t0); d < wait {
			t.Fatalf("dialled after %v, before the wait of %v was over", d, wait)
		}
	})
	t.Run("an old answer is no answer", func(t *testing.T) {
		g, rec := setup(t)
		g.mu.Lock()
		g.heard[fromRelay.IP.String()] = time.Now().Add(-10 * time.Second)
		g.mu.Unlock()
		if _, err := g.DialTCP("tcp4", nil, relay); !errors.Is(err, errDialed) || rec.dials.Load() != 1 {
			t.Fatalf("err %v, %d dials", err, rec.dials.Load())
		}
	})
	t.Run("a dial to anything else passes at once", func(t *testing.T) {
		g, rec := setup(t)
		t0 := time.Now()
		if _, err := g.DialTCP("tcp4", nil, &net.TCPAddr{IP: net.ParseIP("203.0.113.9"), Port: 443}); !errors.Is(err, errDialed) || rec.dials.Load() != 1 {
			t.Fatalf("err %v, %d dials", err, rec.dials.Load())
		}
		if d := time.Since(t0); d > wait/2 {
			t.Fatalf("held for %v", d)
		}
	})
}

func TestTURNURL(t *testing.T) {
	for _, tc := range []struct{ in, hostport, proto string }{
		{"turn:203.0.113.9:3478?transport=tcp", "203.0.113.9:3478", "tcp"},
		{"turn:203.0.113.9:3478?transport=udp", "203.0.113.9:3478", "udp"},
		{"turn:relay.example.org", "relay.example.org:3478", "udp"},
		{"stun:203.0.113.9:3478", "", ""},
		{"turns:203.0.113.9:5349?transport=tcp", "", ""},
	} {
		hp, proto, ok := turnURL(tc.in)
		if hp != tc.hostport || proto != tc.proto || ok != (tc.hostport != "") {
			t.Errorf("turnURL(%q) = %q, %q, %v", tc.in, hp, proto, ok)
		}
	}
}
