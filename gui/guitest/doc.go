// Package guitest has what tests of the GUI need instead of the real call
// engine: FakeEngine, a hand-written fake of gui.Engine that records the
// calls made to it and emits the events a test hands it; and
// RecordingSounds, a gui.Sounds that records what it was asked to play.
//
// Concurrency: every method of FakeEngine and RecordingSounds may be
// called from any goroutine; state is guarded by a mutex. Emit blocks
// only when the event buffer (1024 events) is full.
package guitest
