package media

import (
	"net"
	"sync/atomic"
	"testing"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// outageNet is the network under one session's ICE agents: the
// operating system's, except that while deaf is set its UDP sockets
// drop every packet they receive, and while mute is set every packet
// they send. ICE's connectivity checks and consent keep-alives go
// through these sockets and never through interceptors, so this is an
// outage for ICE as much as for media. The sockets an ICE restart
// opens are wrapped too, so lifting the flags heals them all.
//
// A wrapper around stdnet rather than pion's vnet: vnet would route
// every packet through a simulated router and needs a vnet-aware
// setup (its own interfaces and addresses), while this keeps the
// loopback candidates, sockets and timing the other tests use and only
// adds a switch.
type outageNet struct {
	*stdnet.Net
	deaf, mute atomic.Bool
	dropped    atomic.Uint64
}

func newOutageNet(t *testing.T) *outageNet {
	t.Helper()
	n, err := stdnet.NewNet()
	if err != nil {
		t.Fatalf("stdnet: %v", err)
	}
	return &outageNet{Net: n}
}

// cut sets which way packets are dropped; cut(false, false) heals.
func (n *outageNet) cut(deaf, mute bool) {
	n.deaf.Store(deaf)
	n.mute.Store(mute)
}

func (n *outageNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &outageConn{UDPConn: c, n: n}, nil
}

func (n *outageNet) DialUDP(network string, laddr, raddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.DialUDP(network, laddr, raddr)
	if err != nil {
		return nil, err
	}
	return &outageConn{UDPConn: c, n: n}, nil
}

func (n *outageNet) ListenPacket(network, address string) (net.PacketConn, error) {
	c, err := n.Net.ListenPacket(network, address)
	if err != nil {
		return nil, err
	}
	if u, ok := c.(transport.UDPConn); ok {
		return &outageConn{UDPConn: u, n: n}, nil
	}
	return c, nil
}

// outageConn is one socket of an outageNet. It embeds the interface,
// not *net.UDPConn, so pion (which only takes its fast paths for the
// concrete *net.UDPConn) reads and writes through the methods below.
type outageConn struct {
	transport.UDPConn
	n *outageNet
}

// drop reports whether a packet read without error is to be dropped.
func (c *outageConn) drop(err error) bool {
	if err != nil || !c.n.deaf.Load() {
		return false
	}
	c.n.dropped.Add(1)
	return true
}

func (c *outageConn) muted() bool {
	if !c.n.mute.Load() {
		return false
	}
	c.n.dropped.Add(1)
	return true
}

func (c *outageConn) Read(b []byte) (int, error) {
	for {
		n, err := c.UDPConn.Read(b)
		if !c.drop(err) {
			return n, err
		}
	}
}

func (c *outageConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if !c.drop(err) {
			return n, addr, err
		}
	}
}

func (c *outageConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDP(b)
		if !c.drop(err) {
			return n, addr, err
		}
	}
}

func (c *outageConn) ReadMsgUDP(b, oob []byte) (int, int, int, *net.UDPAddr, error) {
	for {
		n, oobn, flags, addr, err := c.UDPConn.ReadMsgUDP(b, oob)
		if !c.drop(err) {
			return n, oobn, flags, addr, err
		}
	}
}

func (c *outageConn) Write(b []byte) (int, error) {
	if c.muted() {
		return len(b), nil
	}
	return c.UDPConn.Write(b)
}

func (c *outageConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.muted() {
		return len(b), nil
	}
	return c.UDPConn.WriteTo(b, addr)
}

func (c *outageConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if c.muted() {
		return len(b), nil
	}
	return c.UDPConn.WriteToUDP(b, addr)
}

func (c *outageConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (int, int, error) {
	if c.muted() {
		return len(b), len(oob), nil
	}
	return c.UDPConn.WriteMsgUDP(b, oob, addr)
}
