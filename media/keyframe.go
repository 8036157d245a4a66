package media

import (
	"sync"
	"time"
)

// Keyframe throttling. Requests within keyFrameCoalesce of a forced
// keyframe come from the same event (a PLI storm: every peer of a mesh
// asking at once) and are served by that keyframe. A request after that
// but within keyFrameGap comes from a receiver the keyframe missed (a
// peer that joined a moment later): it is deferred to the end of the gap,
// and all such requests share the one deferred keyframe. So keyframes
// are at least keyFrameGap apart, a storm gives one, and nobody waits
// more than keyFrameGap. A receiver still waiting repeats its PLI
// (receive.go, pliRepeat > keyFrameGap).
const (
	keyFrameCoalesce = 50 * time.Millisecond
	keyFrameGap      = 100 * time.Millisecond
)

// keyFrameThrottle forwards keyframe requests to the shared encoder.
// Called from every sender's RTCP goroutine and from the loop.
type keyFrameThrottle struct {
	mu      sync.Mutex
	last    time.Time
	force   func() // the encoder's ForceKeyFrame, or the echo's upstream PLI
	forced  int
	pending *time.Timer
}

// set replaces the target (nil: none) and forgets the history.
func (k *keyFrameThrottle) set(force func()) {
	k.mu.Lock()
	k.force = force
	k.last = time.Time{}
	if k.pending != nil {
		k.pending.Stop()
		k.pending = nil
	}
	k.mu.Unlock()
}

func (k *keyFrameThrottle) request() {
	k.mu.Lock()
	f := k.force
	now := time.Now()
	since := now.Sub(k.last)
	switch {
	case f == nil:
	case k.last.IsZero() || since >= keyFrameGap:
		k.last = now
		k.forced++
		k.mu.Unlock()
		f()
		return
	case since < keyFrameCoalesce:
		// Served by the keyframe just forced.
	case k.pending == nil:
		k.pending = time.AfterFunc(keyFrameGap-since, k.fire)
	}
	k.mu.Unlock()
}

func (k *keyFrameThrottle) fire() {
	k.mu.Lock()
	f := k.force
	k.pending = nil
	if f == nil {
		k.mu.Unlock()
		return
	}
	k.last = time.Now()
	k.forced++
	k.mu.Unlock()
	f()
}

func (k *keyFrameThrottle) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.forced
}
