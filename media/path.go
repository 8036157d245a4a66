package media

import (
	"net"
	"strconv"
	"time"

	"github.com/pion/webrtc/v4"
)

// CandidateKind is an ICE candidate's type: where an address comes from.
type CandidateKind string

// Candidate kinds (RFC 8445), as pion and the SDP spell them.
const (
	CandidateHost  CandidateKind = "host"  // an address of this machine
	CandidateSrflx CandidateKind = "srflx" // our address as a STUN server saw it (outside our NAT)
	CandidatePrflx CandidateKind = "prflx" // an address learned from a connectivity check
	CandidateRelay CandidateKind = "relay" // an address on a TURN relay
)

// Path is how the link with a peer is carried: the ICE candidate pair
// the agents selected, as pion's stats report it.
type Path struct {
	// Local and Remote are the kinds of the pair's two candidates.
	Local, Remote CandidateKind
	// LocalAddr and RemoteAddr are the pair's addresses (IP:port).
	LocalAddr, RemoteAddr string
	// RelayProtocol is how we reach our TURN relay ("udp", "tcp",
	// "tls") when Local is a relay candidate; empty otherwise.
	RelayProtocol string
	// RTT is the pair's round-trip time from ICE's connectivity and
	// consent checks; zero until one was measured.
	RTT time.Duration
}

// Relayed reports whether media goes through a TURN relay (either end's
// candidate is a relay address); false means a direct path.
func (p Path) Relayed() bool { return p.Local == CandidateRelay || p.Remote == CandidateRelay }

// path reads p's selected candidate pair; ok is false while none is
// selected. Runs on the loop.
func (p *peer) path() (Path, bool) {
	it := p.pc.SCTP().Transport().ICETransport()
	pair, err := it.GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil || pair.Remote == nil {
		return Path{}, false
	}
	out := Path{
		Local:      CandidateKind(pair.Local.Typ.String()),
		Remote:     CandidateKind(pair.Remote.Typ.String()),
		LocalAddr:  hostPort(pair.Local),
		RemoteAddr: hostPort(pair.Remote),
	}
	st, ok := it.GetSelectedCandidatePairStats()
	if ok && st.CurrentRoundTripTime > 0 {
		out.RTT = time.Duration(st.CurrentRoundTripTime * float64(time.Second))
	}
	if out.Local == CandidateRelay && ok {
		for _, s := range p.pc.GetStats() {
			if c, isCand := s.(webrtc.ICECandidateStats); isCand && c.ID == st.LocalCandidateID {
				out.RelayProtocol = c.RelayProtocol
				break
			}
		}
	}
	return out, true
}

func hostPort(c *webrtc.ICECandidate) string {
	return net.JoinHostPort(c.Address, strconv.Itoa(int(c.Port)))
}

// emitPaths emits Paths for every peer with a selected pair. Runs on the
// loop: every quality interval and when a pair is selected.
func (s *Session) emitPaths() {
	ps := Paths{Peers: make(map[PeerID]Path, len(s.peers))}
	for id, p := range s.peers {
		if p.closed || p.state != PeerConnected {
			continue
		}
		if path, ok := p.path(); ok {
			ps.Peers[id] = path
		}
	}
	if len(ps.Peers) > 0 {
		s.emit(ps)
	}
}
