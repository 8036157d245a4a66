package gui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// uiGate is how the session's goroutines reach Fyne's UI goroutine in the
// real app: fyne.Do, made safe for the app's last moments.
//
// While the app runs, fyne.Do queues the function for the UI goroutine.
// Once Fyne's driver has shut down, fyne.Do runs the function at once on
// the caller's goroutine, and the session's goroutines (the event loop,
// the action queue) would then touch the view models concurrently. The
// gate serialises every function it passes with a mutex and, after stop,
// drops them: the window is gone, there is nobody to show them to.
type uiGate struct {
	mu      sync.Mutex
	stopped bool
}

func (g *uiGate) do(f func()) {
	fyne.Do(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !g.stopped {
			f()
		}
	})
}

// stop waits for a function under way and drops all later ones.
func (g *uiGate) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}
