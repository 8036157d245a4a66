package media

import "sync"

// echoReference is the echo canceller's view of what the speaker plays:
// it reads the mixer's played ring (playedRing, written by the C mixer on
// miniaudio's audio thread, which never waits for it) frame by frame in
// step with the microphone, keeping its own position.
//
// Alignment. The two sides run on two device clocks, each in bursts of
// a period (10 ms out, 20 ms in). The capture side takes the oldest samples; what it
// gets was written backlog ago, and its echo reaches the microphone
// after the output buffer, the air and the input buffer. The canceller's
// filter models what remains of that delay once the backlog is taken
// off, which must stay within 0..aecTail: a far frame handed over after
// its echo cannot be cancelled. And a shift of that alignment leaves the
// filter modelling the wrong delay: unlearning it took seconds (about
// 11 dB ERLE 2..5 s after a one-frame shift, docs/media.md), while a
// reset filter is back above 40 dB within a second
// (TestEchoTapRealignsAfterASpeakerStall). So:
//
//   - A new reader's first read keeps only refResync (that frame and a
//     half-frame cushion): the speaker may have played for a while
//     before the microphone opened.
//   - A read that finds less than a frame (a period came late: callback
//     jitter) hands out what there is plus silence and still advances,
//     so the late samples, when they come, are skipped and the far end
//     stays in place.
//   - If the next read is short again, it was no jitter (the speaker
//     stalled, or its clock is slower): the debt is written off, the
//     read takes nothing, and it reports a re-alignment, on which the
//     canceller resets its filter (converging afresh is faster than
//     unlearning a shifted echo path).
//   - A backlog above refMaxBacklog that lasts refLateReads reads
//     (drift the other way), or above refMaxLate at once (a reader
//     later than the microphone queues), is cut back to refResync, also
//     a re-alignment. A late reader's burst of reads is no drift.
//
// Only the capture side (the microphone's pump goroutine) reads; the
// mutex is for stats. The ring must outlive the reader: the session
// closes the microphone before the playback.
type echoReference struct {
	mu  sync.Mutex
	src *playedRing
	// r is the next position to read; it runs ahead of what was played
	// by up to a frame after a short read (owed).
	r int64
	// fresh: the next read is a new reader's first (see restart).
	fresh bool
	// owed: the last read was short and advanced past what was played.
	owed bool
	// late: reads running that found more than refMaxBacklog.
	late int
	// Counters, for tests and logs.
	frames, underruns, resyncs uint64
}

const (
	// refResync is what a resync leaves queued: the frame read and a
	// cushion of half a frame (one 10 ms playback period), so that a read
	// in step with the speaker finds a whole frame whatever the phase of
	// the two clocks. More would risk handing a far frame over after its
	// echo, which the output and input buffering plus the air must
	// outlast: a backlog of refResync needs 10 ms of them, which one
	// output period already is.
	refResync = aecFrame + aecFrame/2
	// refMaxBacklog is the most a read in step finds, and a frame more.
	// A backlog above it that lasts means the far end reaches the
	// canceller after its echo (drift: a speaker faster than the
	// microphone; or a speaker that caught up after a stall): resync.
	refMaxBacklog = 3 * aecFrame // 60 ms
	// refLateReads is how many reads running may find more than
	// refMaxBacklog before that counts as lasting. A capture goroutine
	// that was descheduled (a busy machine) reads late, then catches up
	// in a burst through the microphone's queued periods, which line up
	// with the far end as before; cutting its backlog would shift a far
	// end that was in place and reset the filter at every hiccup.
	refLateReads = 10
	// refMaxLate is a backlog no late reader explains: more than the
	// microphone queues (micBacklog periods, then it drops) and the
	// cushion. Cut at once.
	refMaxLate = micBacklog*aecFrame + refResync // 230 ms
)

func newEchoReference(src *playedRing) *echoReference {
	return &echoReference{src: src, fresh: true}
}

// restart tells the reference that a new reader (a newly opened
// microphone's canceller) starts: its first read keeps only refResync.
func (e *echoReference) restart() {
	e.mu.Lock()
	e.fresh = true
	e.owed = false
	e.late = 0
	e.mu.Unlock()
}

// read fills far with the next len(far) played samples (see the type's
// comment for short reads). realigned reports that the far end moved
// against the microphone: the canceller's filter no longer fits.
func (e *echoReference) read(far []int16) (realigned bool) {
	n := int64(len(far))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.frames++
	w := e.src.head()
	queued := w - e.r
	if queued < n {
		e.underruns++
		e.late = 0
		if e.owed {
			// Short twice running: write the debt off, take nothing.
			e.r = min(e.r, w)
			e.owed = false
			e.resyncs++
			clear(far)
			return true
		}
		if e.fresh {
			// Not a frame played yet for a new reader: wait in place.
			e.r = min(e.r, w)
			clear(far)
			return false
		}
		e.owed = true
		k := max(queued, 0)
		if !e.src.copyAt(e.r, far[:k]) {
			k = 0
		}
		clear(far[k:])
		e.r += n
		return false
	}
	e.owed = false
	if queued > refMaxBacklog {
		e.late++
	} else {
		e.late = 0
	}
	if e.late > refLateReads || queued > refMaxLate || (e.fresh && queued > max(n, refResync)) {
		e.late = 0
		e.r = w - max(n, refResync)
		if !e.fresh {
			e.resyncs++
			realigned = true
		}
	}
	e.fresh = false
	if !e.src.copyAt(e.r, far) {
		// Overwritten under a reader that lagged by the whole ring: the
		// backlog rule above makes that impossible short of a stall of
		// a third of a second between head and copy.
		clear(far)
		e.r = w
		e.resyncs++
		return true
	}
	e.r += n
	return realigned
}

// refStats is a snapshot of an echoReference's counters.
type refStats struct {
	Frames, Underruns, Resyncs uint64
	Queued                     int
}

func (e *echoReference) stats() refStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return refStats{Frames: e.frames, Underruns: e.underruns, Resyncs: e.resyncs, Queued: int(e.src.head() - e.r)}
}
