package netfault

import (
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A cut drops what a deaf socket receives and what a mute one sends, and
// counts it; Heal lets packets through again.
func TestCutDropsAndHealPasses(t *testing.T) {
	n, err := New()
	if err != nil {
		t.Fatal(err)
	}
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	rx, err := n.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := n.ListenUDP("udp4", lo)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	to := rx.LocalAddr()
	got := make(chan string, 4)
	go func() {
		buf := make([]byte, 64)
		for {
			k, _, err := rx.ReadFrom(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:k])
		}
	}()
	send := func(s string) {
		t.Helper()
		if _, err := tx.WriteTo([]byte(s), to); err != nil {
			t.Fatal(err)
		}
	}
	waitDropped := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for n.Dropped() < want {
			if time.Now().After(deadline) {
				t.Fatalf("dropped %d packets, want %d", n.Dropped(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	n.Cut(false, true) // mute: nothing leaves
	send("muted")
	waitDropped(1)
	n.Cut(true, false) // deaf: what arrives is read and dropped
	send("unheard")
	waitDropped(2)
	n.Heal()
	send("heard")
	select {
	case s := <-got:
		if s != "heard" {
			t.Fatalf("received %q, want only what was sent after Heal", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received after Heal")
	}
	rx.Close()
	for range got {
	}
}
