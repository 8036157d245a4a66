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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling/server/cluster"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS is a running NATS cluster.
type NATS struct {
	Servers []*natsserver.Server
	// URLs are the servers' client URLs.
	URLs []string

	mu   sync.Mutex
	free []string // purged prefixes, for the next test
	made int
}

// Start starts n NATS servers with JetStream, routed into one cluster,
// and waits until JetStream answers. They stop when the test ends.
func Start(t testing.TB, n int) *NATS {
	t.Helper()
	ns, stop, err := start(n, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return ns
}

// start starts n servers with their stores under dir.
func start(n int, dir string) (*NATS, func(), error) {
	ports, err := freePorts(n)
	if err != nil {
		return nil, nil, err
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &NATS{}
	stop := func() {
		for _, s := range c.Servers {
			s.Shutdown()
			s.WaitForShutdown()
		}
	}
	for i := range n {
		opts := &natsserver.Options{
			ServerName: fmt.Sprintf("nats%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			NoLog:      true,
			NoSigs:     true,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("nats%d", i)),
		}
		if n > 1 {
			opts.Cluster = natsserver.ClusterOpts{Name: "calla-test", Host: "127.0.0.1", Port: ports[i]}
			opts.Routes = natsserver.RoutesFromStr(strings.Join(routes, ","))
		}
		s, err := natsserver.NewServer(opts)
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("nats server %d: %w", i, err)
		}
		go s.Start()
		c.Servers = append(c.Servers, s)
	}
	for i, s := range c.Servers {
		if !s.ReadyForConnections(10 * time.Second) {
			stop()
			return nil, nil, fmt.Errorf("nats server %d did not start", i)
		}
		c.URLs = append(c.URLs, s.ClientURL())
	}
	if err := c.waitForJetStream(); err != nil {
		stop()
		return nil, nil, err
	}
	return c, stop, nil
}

// waitForJetStream waits until the cluster answers JetStream requests.
func (c *NATS) waitForJetStream() error {
	nc, err := nats.Connect(strings.Join(c.URLs, ","))
	if err != nil {
		return err
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
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("the NATS cluster elected no JetStream leader in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePorts finds n free loopback ports for the cluster routes (which
// must be known before the servers start).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
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

// shared is the NATS cluster Shared starts.
var shared struct {
	mu   sync.Mutex
	ns   *NATS
	err  error
	stop func()
}

// Shared returns a three-server NATS cluster for the whole test binary,
// starting it on first use; StopShared (in TestMain, after m.Run) stops
// it. Tests sharing it keep apart by their own prefixes.
func Shared() (*NATS, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ns == nil && shared.err == nil {
		dir, err := os.MkdirTemp("", "calla-nats-")
		if err != nil {
			return nil, err
		}
		ns, stop, err := start(3, dir)
		if err != nil {
			_ = os.RemoveAll(dir)
			shared.err = err
			return nil, err
		}
		shared.ns = ns
		shared.stop = func() {
			stop()
			_ = os.RemoveAll(dir)
		}
	}
	return shared.ns, shared.err
}

// StopShared stops the cluster Shared started, if any.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stop != nil {
		shared.stop()
		shared.stop, shared.ns = nil, nil
	}
}

// Prefix returns a cluster prefix (see cluster.Config.Prefix) for one
// test: its streams and buckets are empty. Creating a prefix's replicated
// streams costs seconds on a loaded machine, so a prefix whose test has
// ended is purged and handed to the next test instead. The purge runs
// when t ends, after the cleanups registered later (the nodes using the
// prefix must be stopped by then): call Prefix before starting them.
func (c *NATS) Prefix(t testing.TB) string {
	t.Helper()
	c.mu.Lock()
	var p string
	if n := len(c.free); n > 0 {
		p, c.free = c.free[n-1], c.free[:n-1]
	} else {
		c.made++
		p = fmt.Sprintf("t%d", c.made)
	}
	c.mu.Unlock()
	t.Cleanup(func() {
		if err := c.purge(cluster.StreamNames(p)); err != nil {
			t.Logf("clustertest: prefix %s not reused: %v", p, err)
			return
		}
		c.mu.Lock()
		c.free = append(c.free, p)
		c.mu.Unlock()
	})
	return p
}

// purge empties the named streams (those that exist).
func (c *NATS) purge(names []string) error {
	nc, err := nats.Connect(strings.Join(c.URLs, ","))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, name := range names {
		s, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err == nil {
			err = s.Purge(ctx)
		}
		if err != nil {
			return fmt.Errorf("purge %s: %w", name, err)
		}
	}
	return nil
}
