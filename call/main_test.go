package call

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: the
// engines, media sessions, signaling clients and servers the tests start
// must all stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
