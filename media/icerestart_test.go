package media

import (
	"math"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"

	"github.com/calla-rtc/calla/internal/netfault"
)

// outage is one network outage between alice (the answerer) and bob
// (the offerer), cut below ICE with a netfault.Net per session, healed
// once it has done what the row is about.
type outage struct {
	name string
	ice  iceTimeouts
	// cut starts the outage on the sessions' networks.
	cut func(alice, bob *netfault.Net)
	// state is what the link must reach before it heals: Disconnected
	// (the restart then waits iceRestartFirst) or Failed (at once).
	state PeerState
	// notice is who must report state. With a cut both ways both sides
	// see it; with a one-way cut only the deaf side does, so the row
	// proves that side's timer drove the restart.
	notice []PeerID
	// healOnState heals as soon as state is reported, before the
	// restart offer (a failed agent never recovers by itself, so media
	// coming back then proves the restart); otherwise the link heals
	// only once the restart offer is out, so the connectivity checks
	// of the old credentials can not have revived it.
	healOnState bool
	// askedBy is who must have sent the restart request: the answerer
	// (a renegotiate{iceRestart}) or the offerer (its offer, and no
	// renegotiate from the answerer); "" when either may have.
	askedBy PeerID
}

// Timeouts of the rows: with these a disconnected link is seen within
// about a second and, on the Disconnected path, fails only long after
// the restart; on the Failed path it fails half a second after it is
// disconnected, well before the restart timer of Disconnected would
// fire. Keep-alives every 250 ms keep detection close to the timeout.
var (
	disconnectedPathICE = iceTimeouts{disconnected: time.Second, failed: 10 * time.Second, keepAlive: 250 * time.Millisecond}
	failedPathICE       = iceTimeouts{disconnected: time.Second, failed: 500 * time.Millisecond, keepAlive: 250 * time.Millisecond}
)

func TestICERestartAfterADisconnectedLinkRestoresMedia(t *testing.T) {
	for _, o := range []outage{{
		name:   "the link drops both ways, both sides see it disconnected and the restart brings media back",
		ice:    disconnectedPathICE,
		cut:    func(_, bob *netfault.Net) { bob.Cut(true, true) },
		state:  PeerDisconnected,
		notice: []PeerID{"alice", "bob"},
	}, {
		name:    "only the answerer stops hearing, so her timer asks the offerer for the restart",
		ice:     disconnectedPathICE,
		cut:     func(alice, _ *netfault.Net) { alice.Cut(true, false) },
		state:   PeerDisconnected,
		notice:  []PeerID{"alice"},
		askedBy: "alice",
	}} {
		t.Run(o.name, func(t *testing.T) { runOutage(t, o) })
	}
}

func TestICERestartAfterAFailedLinkRestoresMedia(t *testing.T) {
	for _, o := range []outage{{
		name:        "the link drops both ways until it fails, and the restart brings media back",
		ice:         failedPathICE,
		cut:         func(alice, _ *netfault.Net) { alice.Cut(true, true) },
		state:       PeerFailed,
		healOnState: true,
	}, {
		name:        "only the offerer stops hearing, so his link fails and he restarts at once",
		ice:         failedPathICE,
		cut:         func(_, bob *netfault.Net) { bob.Cut(true, false) },
		state:       PeerFailed,
		notice:      []PeerID{"bob"},
		healOnState: true,
		askedBy:     "bob",
	}} {
		t.Run(o.name, func(t *testing.T) { runOutage(t, o) })
	}
}

func runOutage(t *testing.T, o outage) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	aNet, bNet := newFaultNet(t), newFaultNet(t)
	ca, cb := testConfig(), testConfig()
	ca.Net, cb.Net = aNet, bNet
	a := n.addWith("alice", ca, testHooks{ice: o.ice})
	b := n.addWith("bob", cb, testHooks{ice: o.ice})
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	byID := map[PeerID]*member{"alice": a, "bob": b}
	other := map[PeerID]PeerID{"alice": "bob", "bob": "alice"}
	for _, m := range []*member{a, b} {
		m.wait(t, 0, 10*time.Second, "connected", isState(other[m.id], PeerConnected))
		waitUntil(t, 10*time.Second, string(m.id)+" reads frames", func() bool { return m.frameCount(other[m.id]) >= 3 })
	}
	before := localUfrag(t, b.s, "alice")
	ma, mb := a.mark(), b.mark()
	marks := map[PeerID]int{"alice": ma, "bob": mb}
	// upFrom is where each side's "connected again" is looked for: after
	// its own report of the outage where it made one.
	upFrom := map[PeerID]int{"alice": ma, "bob": mb}

	o.cut(aNet, bNet)
	cutAt := time.Now()
	// Whoever must notice does; with nobody named, the first to.
	var stateAt time.Time
	for _, id := range o.notice {
		m := byID[id]
		i := m.waitAt(t, marks[id], 15*time.Second, o.state.String(), isState(other[id], o.state))
		upFrom[id] = i + 1
		if at := m.eventTime(i); stateAt.IsZero() || at.Before(stateAt) {
			stateAt = at
		}
	}
	if len(o.notice) == 0 {
		waitUntil(t, 15*time.Second, "either side "+o.state.String(), func() bool {
			return a.has(ma, isState("bob", o.state)) || b.has(mb, isState("alice", o.state))
		})
		for _, m := range []*member{a, b} {
			if i := m.find(marks[m.id], isState(other[m.id], o.state)); i >= 0 {
				upFrom[m.id] = i + 1
				if at := m.eventTime(i); stateAt.IsZero() || at.Before(stateAt) {
					stateAt = at
				}
			}
		}
	}
	t.Logf("%s %v after the cut", o.state, stateAt.Sub(cutAt).Round(time.Millisecond))
	if o.healOnState {
		aNet.Heal()
		bNet.Heal()
	}

	// The restart offer: made by the session's own timer, since nothing
	// here calls negotiate, and carrying new credentials.
	isRestartOffer := func(ev Event) bool {
		e, ok := ev.(SignalOut)
		return ok && e.Signal.Kind == SignalOffer && iceUfrag(e.Signal.SDP) != before
	}
	i := b.waitAt(t, mb, 15*time.Second, "the ICE-restart offer", isRestartOffer)
	offerAt := b.eventTime(i)
	t.Logf("restart offer %v after %s", offerAt.Sub(stateAt).Round(time.Millisecond), o.state)
	if o.state == PeerDisconnected && offerAt.Sub(stateAt) < iceRestartFirst/2 {
		// Generous: the events' times are when the test read them.
		t.Errorf("restart offer %v after the link went disconnected, want about iceRestartFirst (%v)", offerAt.Sub(stateAt), iceRestartFirst)
	}
	if !o.healOnState {
		aNet.Heal()
		bNet.Heal()
	}
	if aNet.Dropped()+bNet.Dropped() == 0 {
		t.Fatal("the outage dropped no packet")
	}

	asked := a.has(ma, func(ev Event) bool {
		e, ok := ev.(SignalOut)
		return ok && e.Signal.Kind == SignalRenegotiate && e.Signal.ICERestart
	})
	switch o.askedBy {
	case "alice":
		if !asked {
			t.Error("alice's timer sent no renegotiate{iceRestart}")
		}
	case "bob":
		if asked {
			t.Error("alice asked for a restart, but only bob's link was down")
		}
	}

	// Back up on both sides (both ICE agents restarted), and media flows
	// both ways again.
	for _, m := range []*member{a, b} {
		m.waitAt(t, upFrom[m.id], 20*time.Second, "connected again", isState(other[m.id], PeerConnected))
	}
	for _, m := range []*member{a, b} {
		from := other[m.id]
		frames := m.frameCount(from)
		rms0, n0 := m.pcmRMS(from)
		waitUntil(t, 15*time.Second, string(m.id)+" reads frames after the restart", func() bool { return m.frameCount(from) >= frames+10 })
		waitUntil(t, 15*time.Second, string(m.id)+" decodes audio after the restart", func() bool { _, n := m.pcmRMS(from); return n >= n0+48000 })
		rms1, n1 := m.pcmRMS(from)
		if rms := deltaRMS(rms0, n0, rms1, n1); rms < 0.05 {
			t.Errorf("%s: audio from %s after the restart has RMS %.4f, want the test tone (~0.177)", m.id, from, rms)
		}
	}
	// One side restarts, on its own timer: a second offer hard on the
	// heels of the first would mean the two sides' timers each restarted
	// ICE (the offerer answering the other's request with a restart of
	// its own). A later one is the restart loop trying again, which a
	// loaded machine may need before the first restart's checks succeed
	// (at least iceRestartFirst apart).
	var offers []string
	var offerTimes []time.Time
	b.mu.Lock()
	for i, ev := range b.events[mb:] {
		if e, ok := ev.(SignalOut); ok && e.Signal.Kind == SignalOffer {
			offers = append(offers, iceUfrag(e.Signal.SDP))
			offerTimes = append(offerTimes, b.at[mb+i])
		}
	}
	b.mu.Unlock()
	if len(offers) == 0 {
		t.Errorf("bob made no offer after the cut, want an ICE restart")
	}
	for i := 1; i < len(offerTimes); i++ {
		if gap := offerTimes[i].Sub(offerTimes[i-1]); gap < iceRestartFirst/2 {
			t.Errorf("bob made offers %v apart after the cut (ufrags %q): two restarts at once, want one per try of the restart loop", gap, offers)
		}
	}
	a.mu.Lock()
	for _, ev := range a.events[ma:] {
		if e, ok := ev.(SignalOut); ok && e.Signal.Kind == SignalOffer {
			t.Errorf("alice (the answerer) made an offer after the cut: %s", iceUfrag(e.Signal.SDP))
		}
	}
	a.mu.Unlock()
	if after := localUfrag(t, b.s, "alice"); after == before {
		t.Errorf("bob's ICE credentials are still %s", before)
	}
}

// localUfrag is s's current ICE username fragment with peer.
func localUfrag(t *testing.T, s *Session, peer PeerID) string {
	t.Helper()
	var u string
	if err := s.call(func() error {
		u = iceUfrag(s.peers[peer].pc.LocalDescription().SDP)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// deltaRMS is the RMS of the samples between two pcmRMS readings.
func deltaRMS(rms0 float64, n0 int, rms1 float64, n1 int) float64 {
	if n1 <= n0 {
		return 0
	}
	d := rms1*rms1*float64(n1) - rms0*rms0*float64(n0)
	if d < 0 {
		return 0
	}
	return math.Sqrt(d / float64(n1-n0))
}

// The race the outage rows above hit about one run in three before it
// was fixed, made certain: the offerer's own timer restarts ICE, and the
// answerer's request for the same restart, sent before his offer reached
// her, arrives while that offer is still out. One restart serves both.
func TestICERestartRequestsThatCrossMakeOneRestart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	a.wait(t, 0, 10*time.Second, "connected", isState("bob", PeerConnected))
	b.wait(t, 0, 10*time.Second, "connected", isState("alice", PeerConnected))
	before := localUfrag(t, b.s, "alice")
	mb := b.mark()
	if err := b.s.call(func() error {
		p := b.s.peers["alice"]
		b.s.negotiate(p, true) // what bob's restart timer does
		return b.s.handleSignal(p, Signal{Kind: SignalRenegotiate, ICERestart: true})
	}); err != nil {
		t.Fatal(err)
	}
	b.waitAt(t, mb, 10*time.Second, "connected after the restart", isState("alice", PeerConnected))
	frames := a.frameCount("bob")
	waitUntil(t, 10*time.Second, "frames after the restart", func() bool { return a.frameCount("bob") >= frames+5 })
	var offers int
	b.mu.Lock()
	for _, ev := range b.events[mb:] {
		if e, ok := ev.(SignalOut); ok && e.Signal.Kind == SignalOffer {
			offers++
		}
	}
	b.mu.Unlock()
	if offers != 1 {
		t.Errorf("bob made %d offers, want one ICE restart", offers)
	}
	if localUfrag(t, b.s, "alice") == before {
		t.Error("no new ICE credentials")
	}
}

// newFaultNet is a network under one session's ICE agents that a test
// can cut.
func newFaultNet(t *testing.T) *netfault.Net {
	t.Helper()
	n, err := netfault.New()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The crossing of issue 12, made certain: both sides' links fail at
// once, the offerer answers the answerer's restart request with a
// restart offer, and then its own agent reports Failed. A failed pion
// agent checks nothing, not even the candidates of that restart, so the
// restart is lost unless another follows as soon as its answer is in
// (before, the next came only when the answerer's agent failed too, 13 s
// later). Production agents never fail (iceFailedAfter is zero); the
// session still must not lose a restart to one that does.
func TestARestartOfferedBeforeTheAgentFailedIsFollowedByAnother(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b) // bob offers
	a.wait(t, 0, 10*time.Second, "connected", isState("bob", PeerConnected))
	b.wait(t, 0, 10*time.Second, "connected", isState("alice", PeerConnected))
	mb := b.mark()
	if err := b.s.call(func() error {
		p := b.s.peers["alice"]
		// Alice's request, answered with a restart offer; her answer is
		// handled on this loop after this function returns.
		if err := b.s.handleSignal(p, Signal{Kind: SignalRenegotiate, ICERestart: true}); err != nil {
			return err
		}
		// Bob's agent then fails: what pion reports for it.
		b.s.onConnectionState(p, webrtc.PeerConnectionStateFailed)
		if !p.needOffer || !p.needRestart {
			t.Error("a failed agent with its restart offer out queued no new restart")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Once alice's answer is in, the queued restart goes out, and the
	// link comes back with it.
	waitUntil(t, 10*time.Second, "a second restart offer", func() bool { return b.countOffers(mb) >= 2 })
	i := b.waitAt(t, mb, 10*time.Second, "failed", isState("alice", PeerFailed))
	b.waitAt(t, i, 10*time.Second, "connected after the restarts", isState("alice", PeerConnected))
	frames := a.frameCount("bob")
	waitUntil(t, 10*time.Second, "frames after the restarts", func() bool { return a.frameCount("bob") >= frames+5 })
}

// countOffers is how many offers m sent after mark.
func (m *member) countOffers(mark int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ev := range m.events[mark:] {
		if e, ok := ev.(SignalOut); ok && e.Signal.Kind == SignalOffer {
			n++
		}
	}
	return n
}

// A call set up while the network is out: the first candidate pairs are
// checked for 4 s and given up; iceSetupRestartAfter later the session
// restarts ICE (and keeps doing so), so the link connects once the
// network is back. (With pion's failed timeout off, nothing else would
// ever try again.)
func TestALinkSetUpDuringAnOutageConnectsWhenTheNetworkReturns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	aNet, bNet := newFaultNet(t), newFaultNet(t)
	ca, cb := testConfig(), testConfig()
	ca.Net, cb.Net = aNet, bNet
	a := n.add("alice", ca)
	b := n.add("bob", cb)
	defer n.close()
	start(t, false, a, b)
	aNet.Cut(true, true)
	bNet.Cut(true, true)
	n.connect(a, b) // bob offers
	first := b.waitAt(t, 0, 10*time.Second, "the first offer", func(ev Event) bool {
		e, ok := ev.(SignalOut)
		return ok && e.Signal.Kind == SignalOffer
	})
	before := localUfrag(t, b.s, "alice")
	b.waitAt(t, first+1, 3*iceSetupRestartAfter, "a restart offer", func(ev Event) bool {
		e, ok := ev.(SignalOut)
		return ok && e.Signal.Kind == SignalOffer && iceUfrag(e.Signal.SDP) != before
	})
	if a.has(0, isState("bob", PeerConnected)) || b.has(0, isState("alice", PeerConnected)) {
		t.Fatal("connected through the outage")
	}
	aNet.Heal()
	bNet.Heal()
	a.wait(t, 0, 15*time.Second, "connected once the network is back", isState("bob", PeerConnected))
	b.wait(t, 0, 15*time.Second, "connected once the network is back", isState("alice", PeerConnected))
	_, n0 := a.pcmRMS("bob")
	waitUntil(t, 10*time.Second, "alice decodes bob's audio", func() bool { _, n := a.pcmRMS("bob"); return n > n0 })
}
