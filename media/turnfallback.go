package media

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// TURN over TCP only where TURN over UDP fails. pion's ICE agent makes an
// allocation for every TURN URL at once, so with a relay offered over UDP
// and over TCP every peer connection held two allocations, of which one at
// most carried media. turnGate, the network under the agent, holds back
// the agent's TCP dial to a relay until it knows whether the relay answers
// over UDP: a UDP packet from the relay's address within turnUDPFirst
// (before the dial or after it) means the UDP allocation will do, and the
// dial is refused; silence means UDP is blocked on this network, and the
// dial goes ahead, turnUDPFirst late.
//
// turnUDPFirst is several round trips to a relay on another continent
// (150-300 ms), so a working UDP path is seen in time; a relay slower than
// that to answer gets a TCP allocation too, as before.
const turnUDPFirst = 500 * time.Millisecond

// errTURNUDPWorks is the refusal of a TCP dial to a relay that answers
// over UDP (pion logs it and gathers no TCP relay candidate).
var errTURNUDPWorks = errors.New("media: the TURN relay answers over UDP: no TURN/TCP allocation")

// turnGate wraps the network under one peer connection's ICE agent.
type turnGate struct {
	transport.Net
	wait time.Duration
	// tcp are the TURN-over-TCP relays, "host:port" as in their URLs.
	tcp map[string]bool

	mu      sync.Mutex
	heard   map[string]time.Time // last UDP packet from each address's IP
	changed chan struct{}        // closed and replaced when heard changes
}

// offersTURNBothWays reports whether servers offer a relay over UDP and
// one over TCP: only then is there a choice for the gate to make.
func offersTURNBothWays(servers []webrtc.ICEServer) bool {
	udp, tcp := false, false
	for _, s := range servers {
		for _, u := range s.URLs {
			if _, proto, ok := turnURL(u); ok {
				udp = udp || proto == "udp"
				tcp = tcp || proto == "tcp"
			}
		}
	}
	return udp && tcp
}

// newTURNGate wraps n, gating its dials to the TURN/TCP relays of servers.
func newTURNGate(n transport.Net, servers []webrtc.ICEServer, wait time.Duration) *turnGate {
	g := &turnGate{Net: n, wait: wait, tcp: map[string]bool{}, heard: map[string]time.Time{}, changed: make(chan struct{})}
	for _, s := range servers {
		for _, u := range s.URLs {
			if hostport, proto, ok := turnURL(u); ok && proto == "tcp" {
				g.tcp[hostport] = true
			}
		}
	}
	return g
}

// turnURL splits a turn: URL into host:port and its transport ("udp"
// unless ?transport=tcp); ok is false for anything else (stun:, turns:).
func turnURL(u string) (hostport, proto string, ok bool) {
	rest, found := strings.CutPrefix(u, "turn:")
	if !found {
		return "", "", false
	}
	rest, query, _ := strings.Cut(rest, "?")
	proto = "udp"
	if strings.Contains(query, "transport=tcp") {
		proto = "tcp"
	}
	if _, _, err := net.SplitHostPort(rest); err != nil {
		rest = net.JoinHostPort(strings.Trim(rest, "[]"), "3478")
	}
	return rest, proto, true
}

// DialTCP refuses a dial to a TURN relay that answers over UDP.
func (g *turnGate) DialTCP(network string, laddr, raddr *net.TCPAddr) (transport.TCPConn, error) {
	if raddr != nil && g.isRelay(raddr) && g.udpAnswers(raddr.IP) {
		return nil, errTURNUDPWorks
	}
	return g.Net.DialTCP(network, laddr, raddr)
}

// isRelay reports whether raddr is one of the TURN/TCP relays.
func (g *turnGate) isRelay(raddr *net.TCPAddr) bool {
	if g.tcp[raddr.String()] {
		return true
	}
	for hp := range g.tcp { // a relay named by host name
		host, port, _ := net.SplitHostPort(hp)
		if port != strconv.Itoa(raddr.Port) || net.ParseIP(host) != nil {
			continue
		}
		if a, err := g.Net.ResolveTCPAddr("tcp", hp); err == nil && a.IP.Equal(raddr.IP) {
			return true
		}
	}
	return false
}

// udpAnswers waits up to g.wait for a UDP packet from ip, or finds one
// that came within g.wait before.
func (g *turnGate) udpAnswers(ip net.IP) bool {
	key := ip.String()
	deadline := time.NewTimer(g.wait)
	defer deadline.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		if t, ok := g.heard[key]; ok && time.Since(t) <= g.wait {
			return true
		}
		ch := g.changed
		g.mu.Unlock()
		select {
		case <-ch:
			g.mu.Lock()
		case <-deadline.C:
			g.mu.Lock()
			t, ok := g.heard[key]
			return ok && time.Since(t) <= g.wait
		}
	}
}

func (g *turnGate) hear(addr net.Addr) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return
	}
	key := ua.IP.String()
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.heard[key]; ok && now.Sub(t) < g.wait/4 {
		return // recent enough: skip the wake-up on a busy relay socket
	}
	g.heard[key] = now
	close(g.changed)
	g.changed = make(chan struct{})
}

// ListenPacket is where the agent opens its TURN/UDP sockets: what they
// hear tells the gate the relay answers over UDP.
func (g *turnGate) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := g.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	return &hearingConn{PacketConn: c, g: g}, nil
}

type hearingConn struct {
	net.PacketConn
	g *turnGate
}

func (c *hearingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	if err == nil {
		c.g.hear(addr)
	}
	return n, addr, err
}
