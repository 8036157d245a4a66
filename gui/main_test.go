package gui

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	_ "github.com/calla-rtc/calla/internal/posixlocale" // before Fyne reads the locale
)

// TestMain fails the package's tests if any goroutine is left running
// after them: the event loop, the ticker, the action queue's worker and
// the video views' timers must all have stopped.
//
// The history shows times in the local zone; the goldens are in UTC. The
// tests run in English (TestScreensInEachLanguage switches).
//
// Video redraws are not batched in the tests (videoFramePeriod 0): a frame
// offered to a view is drawn at once; TestFrameBatcher covers batching.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	// The texts the tests expect are English, whatever the desktop's
	// language: "the system's" is English here.
	systemLanguage, systemLanguageSet = "en", true
	useLanguage(LanguageSystem)
	videoFramePeriod = 0
	goleak.VerifyTestMain(m)
}
