// Package clustertest runs a real NATS cluster with JetStream inside a
// test process: nats-server itself, embedded, a few servers routed to each
// other on loopback, each with its JetStream store in the test's
// temporary directory. Only tests import it.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS is a running NATS cluster.
type NATS struct {
	Servers []*natsserver.Server
	// URLs are the servers' client URLs.
	URLs []string
}

// Start starts n NATS servers with JetStream, routed into one cluster,
// and waits until JetStream has a meta leader. They stop when the test
// ends.
func Start(t testing.TB, n int) *NATS {
	t.Helper()
	ports := freePorts(t, n)
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &NATS{}
	for i := range n {
		opts := &natsserver.Options{
			ServerName: fmt.Sprintf("nats%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			NoLog:      true,
			NoSigs:     true,
			JetStream:  true,
			StoreDir:   t.TempDir(),
		}
		if n > 1 {
			opts.Cluster = natsserver.ClusterOpts{Name: "calla-test", Host: "127.0.0.1", Port: ports[i]}
			opts.Routes = natsserver.RoutesFromStr(strings.Join(routes, ","))
		}
		s, err := natsserver.NewServer(opts)
		if err != nil {
			t.Fatalf("nats server %d: %v", i, err)
		}
		go s.Start()
		c.Servers = append(c.Servers, s)
		t.Cleanup(func() {
			s.Shutdown()
			s.WaitForShutdown()
		})
	}
	for i, s := range c.Servers {
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("nats server %d did not start", i)
		}
		c.URLs = append(c.URLs, s.ClientURL())
	}
	c.waitForJetStream(t)
	return c
}

// waitForJetStream waits until the cluster answers JetStream requests.
func (c *NATS) waitForJetStream(t testing.TB) {
	t.Helper()
	nc, err := nats.Connect(strings.Join(c.URLs, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader := false
		for _, s := range c.Servers {
			leader = leader || s.JetStreamIsLeader()
		}
		if leader {
			// The meta leader is elected; wait for an answer through it.
			if _, err := nc.Request("$JS.API.INFO", nil, 2*time.Second); err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the NATS cluster elected no JetStream leader in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePorts finds n free loopback ports for the cluster routes (which
// must be known before the servers start).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// KeyValue opens bucket with a connection of its own.
func (c *NATS) KeyValue(t testing.TB, bucket string) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(strings.Join(c.URLs, ","))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// Dialer dials NATS for a node that a test may kill: Kill drops every
// connection it made, without a word, and refuses new ones, as the death
// of the node's process would. A nil *Dialer dials plainly.
type Dialer struct {
	mu     sync.Mutex
	conns  []net.Conn
	killed bool
}

// Options are the NATS options that make the connection use d.
func (d *Dialer) Options() []nats.Option {
	if d == nil {
		return nil
	}
	return []nats.Option{nats.SetCustomDialer(d)}
}

// Dial implements nats.CustomDialer.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.killed {
		return nil, errors.New("clustertest: this node is dead")
	}
	c, err := net.DialTimeout(network, address, 2*time.Second)
	if err == nil {
		d.conns = append(d.conns, c)
	}
	return c, err
}

// Kill drops every connection and refuses new ones.
func (d *Dialer) Kill() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.killed = true
	for _, c := range d.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset, as the kernel sends for a killed process's sockets
		}
		_ = c.Close()
	}
	d.conns = nil
}
