package gui

import (
	"sync"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestUIGateSerialisesAndStops: with the test driver fyne.Do runs the
// function on the caller's goroutine, as the real driver does after it
// shut down; the gate keeps such calls from overlapping (-race) and drops
// them after stop.
func TestUIGateSerialisesAndStops(t *testing.T) {
	test.NewTempApp(t)
	var g uiGate
	n := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				g.do(func() { n++ })
			}
		}()
	}
	wg.Wait()
	want(t, "calls run", n, 800)
	g.stop()
	g.do(func() { n++ })
	want(t, "calls after stop", n, 800)
}
