package turn

import (
	"net"

	pturn "github.com/pion/turn/v5"
)

// countingRelays wraps a relay address generator so that every UDP relay
// socket counts the bytes it relays.
type countingRelays struct {
	inner pturn.RelayAddressGenerator
	m     *Metrics
}

func (c *countingRelays) Validate() error { return c.inner.Validate() }

func (c *countingRelays) AllocatePacketConn(conf pturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	pc, addr, err := c.inner.AllocatePacketConn(conf)
	if err != nil {
		return nil, nil, err
	}
	return &countingConn{PacketConn: pc, m: c.m}, addr, nil
}

func (c *countingRelays) AllocateListener(conf pturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return c.inner.AllocateListener(conf)
}

func (c *countingRelays) AllocateConn(conf pturn.AllocateConnConfig) (net.Conn, error) {
	return c.inner.AllocateConn(conf)
}

// countingConn is a relay socket: what it writes goes to a peer, what it
// reads came from one.
type countingConn struct {
	net.PacketConn
	m *Metrics
}

func (c *countingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	if n > 0 {
		c.m.fromPeers.Add(float64(n))
	}
	return n, addr, err
}

func (c *countingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	if n > 0 {
		c.m.toPeers.Add(float64(n))
	}
	return n, err
}
