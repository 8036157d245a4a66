package media

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// mediaStates records the mediaState signals sent from one member to
// another.
type mediaStates struct {
	mu  sync.Mutex
	all []Signal
}

func (m *mediaStates) watch(n *testNet, from, to PeerID) {
	n.hold = func(f, t PeerID, sig Signal) time.Duration {
		if f == from && t == to && sig.Kind == SignalMediaState {
			m.mu.Lock()
			m.all = append(m.all, sig)
			m.mu.Unlock()
		}
		return 0
	}
}

func (m *mediaStates) list() []Signal {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Signal(nil), m.all...)
}

// opening is alice (with cfg) starting a video call whose devices are
// held by gate, and connected to bob, who started at once.
type opening struct {
	n          *testNet
	alice, bob *member
	gate       chan struct{}
	opened     <-chan error
	states     mediaStates // alice's mediaState signals to bob
}

func startWhileConnecting(t *testing.T, cfg Config) *opening {
	t.Helper()
	o := &opening{n: newTestNet(t), gate: make(chan struct{})}
	o.states.watch(o.n, "alice", "bob")
	o.alice = o.n.addWith("alice", cfg, testHooks{openGate: o.gate})
	o.bob = o.n.add("bob", testConfig())
	start(t, true, o.bob)
	o.opened = o.alice.s.StartAsync(context.Background(), true)
	o.n.connect(o.bob, o.alice) // alice offers
	o.alice.wait(t, 0, 10*time.Second, "alice connected while her devices open", isState("bob", PeerConnected))
	return o
}

// The devices open off the session's loop: a peer added after StartAsync
// connects while the camera is still opening, carries the video track the
// camera then feeds, and is told from the first that the camera and the
// microphone are on (never off for a moment); a call that changes the
// devices waits for them.
func TestPeersConnectWhileTheDevicesOpen(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	o := startWhileConnecting(t, testConfig())
	defer o.n.close()
	a, b, gate, opened, states := o.alice, o.bob, o.gate, o.opened, &o.states
	b.wait(t, 0, 10*time.Second, "bob connected", isState("alice", PeerConnected))
	select {
	case err := <-opened:
		t.Fatalf("StartAsync finished before the devices could open: %v", err)
	default:
	}
	camOn := make(chan error, 1)
	go func() { camOn <- a.s.SetCamera(true) }()
	select {
	case err := <-camOn:
		t.Fatalf("SetCamera returned (%v) while the camera was still opening", err)
	case <-time.After(100 * time.Millisecond):
	}

	close(gate)
	if err := <-opened; err != nil {
		t.Fatalf("StartAsync: %v", err)
	}
	if err := <-camOn; err != nil {
		t.Fatalf("SetCamera after the devices opened: %v", err)
	}
	b.wait(t, 0, 10*time.Second, "alice's first frame", func(ev Event) bool { e, ok := ev.(FirstFrame); return ok && e.Peer == "alice" })
	waitUntil(t, 10*time.Second, "bob reads 10 stamps from alice", func() bool { return b.frameCount("alice") >= 10 })
	waitUntil(t, 10*time.Second, "bob decodes alice's audio", func() bool { _, n := b.pcmRMS("alice"); return n >= 48000 })
	got := states.list()
	if len(got) == 0 {
		t.Fatal("alice sent bob no mediaState")
	}
	for i, sig := range got {
		if !sig.Camera || !sig.Microphone {
			t.Errorf("mediaState %d of %d from alice: camera %v, microphone %v; want both on throughout", i+1, len(got), sig.Camera, sig.Microphone)
		}
	}
}

// A camera that fails while peers already connect undoes the start: the
// peers stop getting video and are told the camera and microphone are
// off, and a start without video then sends audio on the same link.
func TestACameraThatFailsWhilePeersConnectUndoesTheStart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cfg := testConfig()
	cfg.CameraID = "no such camera"
	o := startWhileConnecting(t, cfg)
	defer o.n.close()
	a, b, gate, opened, states := o.alice, o.bob, o.gate, o.opened, &o.states

	close(gate)
	err := <-opened
	if !errors.Is(err, ErrCameraFailed) {
		t.Fatalf("StartAsync with a missing camera: %v, want ErrCameraFailed", err)
	}
	if err := a.s.SetVideo(true); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("SetVideo after a failed start: %v, want ErrNotStarted", err)
	}
	waitUntil(t, 10*time.Second, "bob told alice's devices are off", func() bool {
		got := states.list()
		return len(got) > 0 && !got[len(got)-1].Camera && !got[len(got)-1].Microphone
	})
	if err := a.s.Start(context.Background(), false); err != nil {
		t.Fatalf("Start without video after the camera failed: %v", err)
	}
	waitUntil(t, 10*time.Second, "bob decodes alice's audio", func() bool { _, n := b.pcmRMS("alice"); return n >= 48000 })
	waitUntil(t, 10*time.Second, "bob told alice's microphone is on", func() bool {
		got := states.list()
		return !got[len(got)-1].Camera && got[len(got)-1].Microphone
	})
	checkNoPeerErrors(t, a)
}

// A camera turned off before Start never opens in a video call, and the
// peers still negotiate its video (pion refused a sender left without
// its track); turned on, it opens and its frames reach the peer.
func TestACameraTurnedOffBeforeStartNeverOpens(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	if err := a.s.SetCamera(false); err != nil {
		t.Fatalf("SetCamera(false) before Start: %v", err)
	}
	start(t, true, a, b)
	n.connect(b, a)
	b.wait(t, 0, 10*time.Second, "bob connected", isState("alice", PeerConnected))
	waitUntil(t, 10*time.Second, "bob decodes alice's audio", func() bool { _, n := b.pcmRMS("alice"); return n >= 48000 })
	isCamera := func(ev Event) bool { e, ok := ev.(LocalSource); return ok && e.Kind == Camera }
	if a.has(0, isCamera) {
		t.Fatal("alice's camera opened, turned off before Start")
	}
	if err := a.s.SetCamera(true); err != nil {
		t.Fatalf("SetCamera(true): %v", err)
	}
	a.wait(t, 0, 10*time.Second, "alice's camera", isCamera)
	b.wait(t, 0, 10*time.Second, "alice's first frame", func(ev Event) bool { e, ok := ev.(FirstFrame); return ok && e.Peer == "alice" })
	checkNoPeerErrors(t, a)
}

// A microphone muted before Start opens muted: the peers are never told
// it is on (they were, for a moment, when the engine muted it only once
// the devices were open) and hear nothing until it is turned on.
func TestAMicrophoneMutedBeforeStartIsNeverAnnouncedOn(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	var states mediaStates
	states.watch(n, "alice", "bob")
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	if err := a.s.SetMicrophone(false); err != nil {
		t.Fatalf("SetMicrophone(false) before Start: %v", err)
	}
	opened := a.s.StartAsync(context.Background(), false)
	start(t, false, b)
	n.connect(b, a)
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	b.wait(t, 0, 10*time.Second, "bob connected", isState("alice", PeerConnected))
	waitUntil(t, 10*time.Second, "alice's mediaState", func() bool { return len(states.list()) > 0 })
	for i, sig := range states.list() {
		if sig.Microphone {
			t.Fatalf("mediaState %d from alice says her muted microphone is on", i+1)
		}
	}
	if err := a.s.SetMicrophone(true); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "bob told alice's microphone is on", func() bool {
		got := states.list()
		return got[len(got)-1].Microphone
	})
	waitUntil(t, 10*time.Second, "bob decodes alice's tone", func() bool { rms, n := b.pcmRMS("alice"); return n >= 48000 && rms > 0.05 })
}

// checkNoPeerErrors fails t for each PeerError m emitted.
func checkNoPeerErrors(t *testing.T, m *member) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range m.events {
		if pe, ok := ev.(PeerError); ok {
			t.Errorf("%s: %v", m.id, pe.Err)
		}
	}
}
