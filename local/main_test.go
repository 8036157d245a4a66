package local_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if the embedded server, the echo bot or an
// engine the tests start leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
