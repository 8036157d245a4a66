package xvfb

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// connect performs the X11 connection setup on display's local socket
// (X Window System Protocol, "Connection Setup") and reports whether the
// server accepted it. Xvfb started without -auth lets local clients in.
func connect(display string) error {
	c, err := net.Dial("unix", "/tmp/.X11-unix/X"+strings.TrimPrefix(display, ":"))
	if err != nil {
		return err
	}
	defer c.Close()
	// 'l' (little-endian), protocol 11.0, no authorization.
	req := make([]byte, 12)
	req[0] = 'l'
	binary.LittleEndian.PutUint16(req[2:], 11)
	if _, err := c.Write(req); err != nil {
		return err
	}
	reply := make([]byte, 8)
	if _, err := io.ReadFull(c, reply); err != nil {
		return fmt.Errorf("connection setup: %w", err)
	}
	if reply[0] != 1 {
		return fmt.Errorf("connection setup refused (status %d)", reply[0])
	}
	return nil
}

// TestNoConnectionIsDropped has two clients connect and leave again and
// again, as a test's xdotool and the app under test do. Each time the last
// one leaves, a server that resets drops whoever is connecting.
func TestNoConnectionIsDropped(t *testing.T) {
	display := Start(t, "320x240x24")
	const clients, rounds = 2, 500
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := connect(display); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d connections to %s failed; the first: %v", len(failed), clients*rounds, display, failed[0])
	}
}
