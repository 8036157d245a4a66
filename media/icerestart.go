package media

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// Restoring a lost link. While a peer's link is down (disconnected, or
// failed, or in an ICE restart that has not connected yet) the session
// keeps restarting ICE, iceRestartFirst after the link went disconnected
// and then at growing intervals up to iceRestartMax, until the link is
// connected again or the peer is removed: the engine decides when to give
// up (call.Config.RestoreTimeout). An offerer restarts with an offer; an
// answerer asks its offerer with renegotiate{iceRestart}. Each restart,
// whoever started it, sets both sides' next attempt one interval later,
// so the two sides' timers make one restart per interval between them
// rather than two.
//
// Why a loop and not one restart per outage: an ICE agent checks a
// restart's candidate pairs only for a while (pion gives up on a pair
// after iceMaxBindingRequests checks) and a network that comes back may
// come back with other addresses, which only a new gathering finds. Why
// pion never reports Failed here (iceFailedAfter is zero): a failed pion
// agent stops checking altogether, even the candidates of a restart
// already under way, and before this loop that dead end cost 13 s per
// outage (3 s disconnected plus 10 s failed, then one restart) and, when
// both sides failed at once, lost the restart the offerer had just made.
const (
	// iceRestartFirst is how long a link may stay disconnected before the
	// first restart (it is already iceDisconnectedAfter without a packet).
	iceRestartFirst = time.Second
	// iceRestartMax is the longest wait between two restarts.
	iceRestartMax = 3 * time.Second
	// iceSetupRestartAfter is how long a new link may take to connect
	// before restarts begin: longer than its first pairs are checked
	// (iceMaxBindingRequests), so a slow but working setup is never
	// thrown away, and a setup that met an outage is not left to the
	// engine's connect timeout alone.
	iceSetupRestartAfter = 5 * time.Second
	// iceCheckInterval is pion's interval between connectivity checks
	// while an agent is checking (ice.defaultCheckInterval; not settable
	// through webrtc's SettingEngine).
	iceCheckInterval = 200 * time.Millisecond
	// iceMaxBindingRequests makes a restart's checks last until the next
	// restart and a little longer (pion's default, 7, lasts 1.6 s): a
	// network that returns between two restarts is then found by the
	// next check, within iceCheckInterval, not by the next restart.
	iceMaxBindingRequests = uint16(iceRestartMax/iceCheckInterval) + 5
)

// linkDown starts restoring p's link, which went disconnected or failed
// (or, new, has not connected in iceSetupRestartAfter): the first
// restart after wait, unless restarts are already under way (their next
// one stands; only a failed agent restarts at once).
func (s *Session) linkDown(p *peer, wait time.Duration) {
	if p.down && p.restartTimer != nil && wait > 0 {
		return
	}
	s.markDown(p)
	s.armRestart(p, wait)
}

// markDown notes that p's link is being restored, from the first step of
// the backoff if it was not already.
func (s *Session) markDown(p *peer) {
	if !p.down {
		p.down = true
		p.restartWait = iceRestartFirst
	}
}

// restartStarted notes an ICE restart of p, made or asked for here or
// started by the other side: the next attempt comes one interval later,
// and the interval grows.
func (s *Session) restartStarted(p *peer) {
	s.markDown(p)
	s.armRestart(p, p.restartWait)
	p.restartWait = min(2*p.restartWait, iceRestartMax)
}

// armRestart sets p's restart timer to wait, replacing the one pending.
// The timer only posts, so by the time its closure runs the link may be
// back or another restart may have set a new timer: the closure then
// does nothing, as acting would throw away the checks of that restart.
func (s *Session) armRestart(p *peer, wait time.Duration) {
	p.cancelRestart()
	var t *time.Timer
	t = time.AfterFunc(wait, func() {
		s.post(func() {
			if s.peers[p.id] != p || p.closed || p.restartTimer != t || !p.down {
				return
			}
			if st := p.pc.ICEConnectionState(); st == webrtc.ICEConnectionStateConnected || st == webrtc.ICEConnectionStateCompleted {
				// ICE is up and the link waits for DTLS (a first
				// handshake, slow on a loaded machine): a restart would
				// only cut it off. Look again later.
				s.armRestart(p, p.restartWait)
				return
			}
			p.restartTimer = nil
			s.log.Info("ICE restart", "peer", p.id, "state", p.state, "offerer", p.offerer)
			s.negotiate(p, true)
			if p.restartTimer == nil {
				// The restart offer in flight serves: try again later.
				s.restartStarted(p)
			}
		})
	})
	p.restartTimer = t
}

// linkUp ends restoring p's link.
func (p *peer) linkUp() {
	p.cancelRestart()
	p.down = false
	p.restartWait = 0
}

// cancelRestart drops a pending restart timer.
func (p *peer) cancelRestart() {
	if p.restartTimer != nil {
		p.restartTimer.Stop()
		p.restartTimer = nil
	}
}
