package media

import (
	"sync"
	"time"
)

// keyFrameGap is the least time between two forced keyframes. A PLI storm
// (every peer of a mesh asking at once when the camera comes on) gives one
// keyframe; a receiver still waiting repeats its PLI (videoreceiver.go,
// pliRepeat > keyFrameGap) and gets the next one.
const keyFrameGap = 250 * time.Millisecond

// keyFrameThrottle forwards keyframe requests to the shared encoder, at
// most one per keyFrameGap. Called from every sender's RTCP goroutine.
type keyFrameThrottle struct {
	mu     sync.Mutex
	last   time.Time
	force  func() // the encoder's ForceKeyFrame, or the echo's upstream PLI
	forced int
}

func (k *keyFrameThrottle) set(force func()) {
	k.mu.Lock()
	k.force = force
	k.last = time.Time{}
	k.mu.Unlock()
}

// request forces a keyframe unless one was forced less than keyFrameGap ago.
func (k *keyFrameThrottle) request() {
	k.mu.Lock()
	now := time.Now()
	f := k.force
	if f == nil || now.Sub(k.last) < keyFrameGap {
		k.mu.Unlock()
		return
	}
	k.last = now
	k.forced++
	k.mu.Unlock()
	f()
}

func (k *keyFrameThrottle) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.forced
}
