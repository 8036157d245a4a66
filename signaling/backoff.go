package signaling

import (
	"math/rand/v2"
	"time"
)

// backoff returns the wait before reconnect attempt n (1, 2, ...):
// exponential from min, capped at max, with "equal jitter" (half fixed,
// half random) so that many clients dropped at once do not come back in
// lockstep, while none retries sooner than half the step.
func backoff(n int, min, max time.Duration) time.Duration {
	d := min
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + rand.N(half+1)
}
