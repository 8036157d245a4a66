package media

import (
	"context"
	"errors"
	"image"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/calla-rtc/calla/media/stamp"
)

// testConfig is small and cheap: 320x240 at 15 fps keeps race-enabled
// runs affordable on two cores.
func testConfig() Config {
	return Config{
		LoopbackOnly:    true,
		Video:           VideoParams{Width: 320, Height: 240, FrameRate: 15, MinBitrate: 100_000, MaxBitrate: 600_000},
		NoPlayback:      true,
		VolumeInterval:  100 * time.Millisecond,
		QualityInterval: 500 * time.Millisecond,
	}
}

// testNet wires sessions' signals to each other directly, as the engine
// would over signaling. hold, when set, may delay a signal.
type testNet struct {
	t       *testing.T
	mu      sync.Mutex
	members map[PeerID]*member
	hold    func(from, to PeerID, sig Signal) time.Duration
	wg      sync.WaitGroup
}

func newTestNet(t *testing.T) *testNet {
	return &testNet{t: t, members: make(map[PeerID]*member)}
}

// member is one session plus a record of every event it emitted.
type member struct {
	id     PeerID
	s      *Session
	net    *testNet
	mu     sync.Mutex
	events []Event
	at     []time.Time
	notify chan struct{}
	done   chan struct{}
	frames map[PeerID]*frameLog
	pcm    map[PeerID]*pcmLog
}

// frameLog records stamps read from one peer's decoded frames.
type frameLog struct {
	mu      sync.Mutex
	stamps  []stamp.Stamp
	at      []time.Time
	unread  int
	lastImg image.Rectangle
}

type pcmLog struct {
	mu      sync.Mutex
	samples int
	sumSq   float64
}

func (n *testNet) add(id PeerID, cfg Config) *member {
	n.t.Helper()
	return n.addWith(id, cfg, testHooks{})
}

// addWith adds a member whose session has the test hooks h.
func (n *testNet) addWith(id PeerID, cfg Config, h testHooks) *member {
	n.t.Helper()
	m := &member{id: id, net: n, notify: make(chan struct{}, 1), done: make(chan struct{}),
		frames: make(map[PeerID]*frameLog), pcm: make(map[PeerID]*pcmLog)}
	also := h.pcm // the test's own, if it set one
	h.pcm = func(from PeerID, pcm []int16) {
		if also != nil {
			also(from, pcm)
		}
		m.mu.Lock()
		l := m.pcm[from]
		if l == nil {
			l = &pcmLog{}
			m.pcm[from] = l
		}
		m.mu.Unlock()
		l.mu.Lock()
		for _, v := range pcm {
			f := float64(v) / 32768
			l.sumSq += f * f
		}
		l.samples += len(pcm)
		l.mu.Unlock()
	}
	s, err := newSession(cfg, h)
	if err != nil {
		n.t.Fatalf("NewSession(%s): %v", id, err)
	}
	m.s = s
	n.mu.Lock()
	n.members[id] = m
	n.mu.Unlock()
	go m.pump()
	return m
}

func (m *member) pump() {
	defer close(m.done)
	for ev := range m.s.Events() {
		if so, ok := ev.(SignalOut); ok {
			m.net.relay(m.id, so.Peer, so.Signal)
		}
		m.mu.Lock()
		m.events = append(m.events, ev)
		m.at = append(m.at, time.Now())
		m.mu.Unlock()
		select {
		case m.notify <- struct{}{}:
		default:
		}
	}
}

func (n *testNet) relay(from, to PeerID, sig Signal) {
	n.mu.Lock()
	target := n.members[to]
	hold := n.hold
	n.mu.Unlock()
	if target == nil {
		return
	}
	deliver := func() {
		err := target.s.HandleSignal(from, sig)
		if err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrUnknownPeer) {
			n.t.Errorf("%s -> %s %s: %v", from, to, sig.Kind, err)
		}
	}
	if hold != nil {
		if d := hold(from, to, sig); d > 0 {
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				time.Sleep(d)
				deliver()
			}()
			return
		}
	}
	deliver()
}

// connect adds every member as a peer of every other, the later member of
// each pair being the offerer (answerers are added first so that the
// offer finds its peer).
func (n *testNet) connect(order ...*member) {
	n.t.Helper()
	for i, a := range order {
		for _, b := range order[i+1:] {
			// b came later: b offers to a.
			if err := a.s.AddPeer(b.id, false); err != nil {
				n.t.Fatalf("%s.AddPeer(%s): %v", a.id, b.id, err)
			}
			a.watchFrames(b.id)
		}
	}
	for i, b := range order {
		for _, a := range order[:i] {
			if err := b.s.AddPeer(a.id, true); err != nil {
				n.t.Fatalf("%s.AddPeer(%s): %v", b.id, a.id, err)
			}
			b.watchFrames(a.id)
		}
	}
}

// watchFrames installs a sink that reads the stamp of every frame from peer.
func (m *member) watchFrames(peer PeerID) {
	l := &frameLog{}
	m.mu.Lock()
	m.frames[peer] = l
	m.mu.Unlock()
	_ = m.s.SetRemoteSink(peer, FrameSinkFunc(func(img *image.RGBA, release func()) {
		st, ok := stamp.Read(img)
		now := time.Now()
		release()
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lastImg = img.Rect
		if !ok {
			l.unread++
			return
		}
		l.stamps = append(l.stamps, st)
		l.at = append(l.at, now)
	}))
}

func (m *member) frameCount(peer PeerID) int {
	m.mu.Lock()
	l := m.frames[peer]
	m.mu.Unlock()
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.stamps)
}

func (m *member) pcmRMS(peer PeerID) (float64, int) {
	m.mu.Lock()
	l := m.pcm[peer]
	m.mu.Unlock()
	if l == nil {
		return 0, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.samples == 0 {
		return 0, 0
	}
	return math.Sqrt(l.sumSq / float64(l.samples)), l.samples
}

// mark is the number of events so far; wait looks at events after it.
func (m *member) mark() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

// wait returns the first event after mark that satisfies pred, failing
// the test after timeout.
func (m *member) wait(t *testing.T, after int, timeout time.Duration, what string, pred func(Event) bool) Event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		for _, ev := range m.events[after:] {
			if pred(ev) {
				m.mu.Unlock()
				return ev
			}
		}
		m.mu.Unlock()
		select {
		case <-m.notify:
		case <-deadline.C:
			m.mu.Lock()
			var last Event
			for _, ev := range m.events {
				if q, ok := ev.(Qualities); ok {
					last = q
				}
			}
			m.mu.Unlock()
			t.Fatalf("%s: no %s within %v (last qualities: %+v)", m.id, what, timeout, last)
			return nil
		}
	}
}

// waitAt is wait that returns the event's index, for eventTime and as
// a later mark.
func (m *member) waitAt(t *testing.T, after int, timeout time.Duration, what string, pred func(Event) bool) int {
	t.Helper()
	at := -1
	waitUntil(t, timeout, string(m.id)+": "+what, func() bool { at = m.find(after, pred); return at >= 0 })
	return at
}

// find is the index of the first event after mark that satisfies pred,
// or -1.
func (m *member) find(after int, pred func(Event) bool) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := after; i < len(m.events); i++ {
		if pred(m.events[i]) {
			return i
		}
	}
	return -1
}

// has reports whether an event after mark satisfies pred.
func (m *member) has(after int, pred func(Event) bool) bool { return m.find(after, pred) >= 0 }

// eventTime is when the i-th event was read from the session.
func (m *member) eventTime(i int) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.at[i]
}

// waitUntil polls cond until it holds.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *testNet) close() {
	n.mu.Lock()
	ms := make([]*member, 0, len(n.members))
	for _, m := range n.members {
		ms = append(ms, m)
	}
	n.mu.Unlock()
	for _, m := range ms {
		if err := m.s.Close(); err != nil {
			n.t.Errorf("%s.Close: %v", m.id, err)
		}
	}
	for _, m := range ms {
		<-m.done
	}
	n.wg.Wait()
}

func start(t *testing.T, video bool, ms ...*member) {
	t.Helper()
	for _, m := range ms {
		if err := m.s.Start(context.Background(), video); err != nil {
			t.Fatalf("%s.Start: %v", m.id, err)
		}
	}
}

func isState(peer PeerID, st PeerState) func(Event) bool {
	return func(ev Event) bool {
		e, ok := ev.(PeerStateChanged)
		return ok && e.Peer == peer && e.State == st
	}
}

func isRemoteMedia(peer PeerID, video, audio bool) func(Event) bool {
	return func(ev Event) bool {
		e, ok := ev.(RemoteMedia)
		return ok && e.Peer == peer && e.Video == video && e.Audio == audio
	}
}
