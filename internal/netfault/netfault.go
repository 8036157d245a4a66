// Package netfault is a network for pion's ICE agents that loses every
// packet on command: the operating system's UDP sockets, wrapped so that
// a test or a bench can cut a link below ICE and heal it again. ICE's
// connectivity checks and consent keep-alives go through these sockets
// and never through RTP interceptors, so a cut here is an outage for ICE
// as much as for media. The sockets an ICE restart opens are wrapped
// too, so Heal heals them all.
//
// A wrapper around pion's stdnet rather than its vnet: vnet routes every
// packet through a simulated router and needs a vnet-aware setup (its
// own interfaces and addresses), while this keeps the loopback
// candidates, sockets and timing of an ordinary call and only adds a
// switch. media.Config.Net takes it.
//
// Concurrency: a Net and its sockets are safe for concurrent use; the
// switch is two atomics that every read and write looks at.
package netfault

import (
	"fmt"
	"net"
	"sync/atomic"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// Net is the operating system's network, except that while it is deaf
// its UDP sockets drop every packet they receive, and while it is mute
// every packet they send.
type Net struct {
	*stdnet.Net
	deaf, mute atomic.Bool
	dropped    atomic.Uint64
}

// New returns a Net that passes everything until Cut.
func New() (*Net, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("netfault: %w", err)
	}
	return &Net{Net: n}, nil
}

// Cut starts dropping what arrives (deaf) and what is sent (mute).
func (n *Net) Cut(deaf, mute bool) {
	n.deaf.Store(deaf)
	n.mute.Store(mute)
}

// Heal lets every packet through again.
func (n *Net) Heal() { n.Cut(false, false) }

// Dropped is how many packets were dropped so far.
func (n *Net) Dropped() uint64 { return n.dropped.Load() }

// ListenUDP implements transport.Net.
func (n *Net) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &conn{UDPConn: c, n: n}, nil
}

// DialUDP implements transport.Net.
func (n *Net) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return &conn{UDPConn: c, n: n}, nil
}

// ListenPacket implements transport.Net.
func (n *Net) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	if u, ok := c.(transport.UDPConn); ok {
		return &conn{UDPConn: u, n: n}, nil
	}
	return c, nil
}

// conn is one socket of a Net. It embeds the interface, not
// *net.UDPConn, so pion (which takes its fast paths only for the
// concrete *net.UDPConn) reads and writes through the methods below.
type conn struct {
	transport.UDPConn
	n *Net
}

// drop reports whether a packet read without error is to be dropped.
func (c *conn) drop(err error) bool {
	if err != nil || !c.n.deaf.Load() {
		return false
	}
	c.n.dropped.Add(1)
	return true
}

func (c *conn) muted() bool {
	if !c.n.mute.Load() {
		return false
	}
	c.n.dropped.Add(1)
	return true
}

func (c *conn) Read(b []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(b)
		if !c.drop(err) {
			return n, err
		}
	}
}

func (c *conn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if !c.drop(err) {
			return n, addr, err
		}
	}
}

func (c *conn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDP(b)
		if !c.drop(err) {
			return n, addr, err
		}
	}
}

func (c *conn) ReadMsgUDP(b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	for {
		n, oobn, flags, addr, err := c.UDPConn.ReadMsgUDP(b, oob)
		if !c.drop(err) {
			return n, oobn, flags, addr, err
		}
	}
}

func (c *conn) Write(b []byte) (int, error) {
	if c.muted() {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

func (c *conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.muted() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *conn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.muted() {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *conn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	if c.muted() {
		return len(b), len(oob), nil
	}
	return c.UDPConn.WriteMsgUDP(b, oob, addr)
}
