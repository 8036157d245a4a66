package call

import (
	"github.com/pion/transport/v5"

	"github.com/calla-rtc/calla/media"
)

// testHooks are what the package's tests change inside an engine. They
// reach an engine only through newEngine (New passes none), so Config
// carries none.
type testHooks struct {
	// dropSignal, when set, drops the outgoing media signals it returns
	// true for: tests make media fail to connect with it.
	dropSignal func(media.Signal) bool
	// net, when set, is the network under the media sessions' ICE
	// (media.Config.Net): outage tests cut it.
	net transport.Net
}
