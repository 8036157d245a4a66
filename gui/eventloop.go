package gui

import (
	"context"

	"github.com/calla-rtc/calla/call"
)

// maxEventBatch bounds how many waiting events one trip to the UI
// goroutine applies. After login the engine sends one PresenceChanged per
// directory entry; applying them in batches refreshes the contact list
// once per batch instead of once per contact.
const maxEventBatch = 256

// runEvents is the app's one event goroutine: it ranges over the engine's
// events and applies them, in order, on the UI goroutine through do
// (fyne.Do). It returns when events is closed or ctx ends.
//
// Events that are already waiting are taken together (up to
// maxEventBatch) and applied in one call, in their order; nothing is
// dropped.
func runEvents(ctx context.Context, events <-chan call.Event, do func(func()), apply func([]call.Event)) {
	for {
		var first call.Event
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			first = ev
		}
		batch := []call.Event{first}
		closed := false
	more:
		for len(batch) < maxEventBatch {
			select {
			case ev, ok := <-events:
				if !ok {
					closed = true
					break more
				}
				batch = append(batch, ev)
			default:
				break more
			}
		}
		do(func() { apply(batch) })
		if closed {
			return
		}
	}
}
