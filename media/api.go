package media

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// ICE timing: a link is "disconnected" after iceDisconnectedAfter
// without traffic, and never "failed" (iceFailedAfter zero: a failed
// pion agent stops checking, and the session restarts a lost link until
// the engine gives up: see icerestart.go); keep-alives every
// iceKeepAlive keep a quiet (audio-muted) link alive.
const (
	iceDisconnectedAfter = 3 * time.Second
	iceFailedAfter       = 0
	iceKeepAlive         = time.Second
)

// How long the controlling ICE agent waits, from the start of its checks,
// before it may select a pair whose candidates are of each kind (a host
// pair at once). pion's defaults (srflx 0.5 s, prflx 1 s, relay 2 s) kept
// a call with no direct path from sending media for 2 s after it began.
// The waits are what keeps a relay from being chosen over a direct path
// that works but validates a little later: a direct pair is checked as
// soon as both sides have their server-reflexive candidates (one STUN
// round trip), while a relay pair needs an allocation first (two round
// trips to the relay) and then a permission, so it is rarely valid before
// a working direct one; iceRelayWait covers the rest. A pair that pion
// learns from a check (prflx: a symmetric NAT's port) waits as long as a
// relay, since behind a symmetric NAT that is what reaches our relay.
// Measured in call/nat_test.go (vnet): see docs/media.md "NAT traversal".
const (
	iceSrflxWait = 100 * time.Millisecond
	icePrflxWait = 300 * time.Millisecond
	iceRelayWait = 300 * time.Millisecond
)

// iceNet is the network under a peer connection's ICE agent: the
// configured one (nil: pion's default, the OS), behind a gate that keeps
// TURN over TCP for networks where TURN over UDP fails (turnfallback.go).
func (s *Session) iceNet() (transport.Net, error) {
	n := s.cfg.Net
	if !offersTURNBothWays(s.cfg.ICEServers) {
		return n, nil // no choice to make
	}
	if n == nil {
		var err error
		if n, err = stdnet.NewNet(); err != nil {
			return nil, fmt.Errorf("media: network: %w", err)
		}
	}
	return newTURNGate(n, s.cfg.ICEServers, turnUDPFirst), nil
}

// iceTimeouts is the three ICE timings SettingEngine.SetICETimeouts takes.
type iceTimeouts struct {
	disconnected, failed, keepAlive time.Duration
}

// peerAPI is what building one peer's webrtc.API yields besides the API:
// the stats getter and the bandwidth estimator of the peer connection
// that API creates next.
type peerAPI struct {
	api   *webrtc.API
	stats stats.Getter
	bwe   cc.BandwidthEstimator
}

// newPeerAPI builds a webrtc.API for one peer connection. Every peer gets
// its own, so its interceptors' stats and estimates belong to it alone.
//
// Interceptor order (first registered is nearest the network):
// [test loss] -> stats -> congestion control (GCC) -> TWCC sequence
// numbers -> NACK -> RTCP reports -> TWCC feedback. Stats must come before
// the report interceptor to see the sender reports it writes (else no
// RTT), and GCC must see the TWCC sequence numbers added after it.
func (s *Session) newPeerAPI(id PeerID) (*peerAPI, error) {
	out := &peerAPI{}
	me := &webrtc.MediaEngine{}
	s.selector.Populate(me)
	ir := &interceptor.Registry{}
	if s.hooks.interceptor != nil {
		if f := s.hooks.interceptor(id); f != nil {
			ir.Add(f)
		}
	}
	lf := pionLogs{s.log}
	sf, err := stats.NewInterceptor(stats.WithLoggerFactory(lf))
	if err != nil {
		return nil, fmt.Errorf("media: stats interceptor: %w", err)
	}
	sf.OnNewPeerConnection(func(_ string, g stats.Getter) { out.stats = g })
	ir.Add(sf)
	// The estimate starts at the ladder's step (videotier.go) and may
	// grow to the configured ceiling: when peers leave and the step goes
	// up, a peer's estimate must be able to follow.
	step, ceiling := s.videoParams(), s.vp
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(step.MaxBitrate),
			gcc.SendSideBWEMinBitrate(ceiling.MinBitrate),
			gcc.SendSideBWEMaxBitrate(ceiling.MaxBitrate),
			// No pacer: on a call the encoder already paces frames, and a
			// leaky bucket would add queueing delay to every keyframe.
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
			gcc.WithLoggerFactory(lf),
		)
	})
	if err != nil {
		return nil, fmt.Errorf("media: congestion control: %w", err)
	}
	ccf.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { out.bwe = e })
	ir.Add(ccf)
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureNackWithOptions(me, ir,
		[]nack.GeneratorOption{nack.WithGeneratorLoggerFactory(lf)}, nack.WithResponderLoggerFactory(lf)); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReportsWithOptions(ir,
		[]report.ReceiverOption{report.WithReceiverLoggerFactory(lf)}, report.WithSenderLoggerFactory(lf)); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSenderWithOptions(me, ir, twcc.WithLoggerFactory(lf)); err != nil {
		return nil, err
	}
	me.RegisterFeedback(webrtc.RTCPFeedback{Type: "ccm", Parameter: "fir"}, webrtc.RTPCodecTypeVideo)

	se := webrtc.SettingEngine{LoggerFactory: lf}
	to := iceTimeouts{iceDisconnectedAfter, iceFailedAfter, iceKeepAlive}
	if s.hooks.ice != (iceTimeouts{}) {
		to = s.hooks.ice
	}
	se.SetICETimeouts(to.disconnected, to.failed, to.keepAlive)
	se.SetICEMaxBindingRequests(iceMaxBindingRequests)
	se.SetSrflxAcceptanceMinWait(iceSrflxWait)
	se.SetPrflxAcceptanceMinWait(icePrflxWait)
	se.SetRelayAcceptanceMinWait(iceRelayWait)
	n, err := s.iceNet()
	if err != nil {
		return nil, err
	}
	if n != nil {
		se.SetNet(n)
	}
	if s.cfg.LoopbackOnly {
		se.SetInterfaceFilter(func(name string) bool { return strings.HasPrefix(name, "lo") })
		se.SetIncludeLoopbackCandidate(true)
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	}
	out.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return out, nil
}
