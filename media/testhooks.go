package media

import (
	"time"

	"github.com/pion/interceptor"
)

// testHooks are what the package's tests change inside a session: loss
// injection, the decoded audio, shorter timeouts. They reach a session
// only through newSession (NewSession passes none), so no exported type
// carries them.
type testHooks struct {
	// interceptor, when set, adds an interceptor closest to the network
	// on the peer connection to that peer.
	interceptor func(PeerID) interceptor.Factory
	// pcm, when set, sees every decoded audio buffer.
	pcm func(PeerID, []int16)
	// noMediaAfter, when set, replaces how long without media means Down.
	noMediaAfter time.Duration
	// ice, when not zero, replaces the ICE timeouts, so an outage test
	// reaches Disconnected and Failed in seconds.
	ice iceTimeouts
	// openGate, when set, holds StartAsync's devices until it is closed:
	// a camera that is slow to open.
	openGate <-chan struct{}
}
