package gui

import (
	"testing"

	"go.uber.org/goleak"

	_ "github.com/calla-rtc/calla/internal/posixlocale" // before Fyne reads the locale
)

// TestMain fails the package's tests if any goroutine is left running
// after them: the event loop, the ticker, the action queue's worker and
// the video views' timers must all have stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
