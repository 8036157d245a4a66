package media

import "testing"

// newTestReference is an echo reference over a played ring of its own,
// freed at the end of the test.
func newTestReference(t testing.TB) *echoReference {
	r, err := newPlayedRing()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.free)
	return newEchoReference(r)
}

// refPlayer writes numbered samples into a reference, so that reads can
// be checked against the sample they should start with.
type refPlayer struct {
	ref  *echoReference
	next int // wraps in int16 samples, as the checks do
}

func (p *refPlayer) play(n int) {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(p.next)
		p.next++
	}
	p.ref.src.write(pcm)
}

// expectRead reads a frame and checks it runs on from first (or is
// silent when first < 0) and whether it reports a re-alignment.
func expectRead(t *testing.T, ref *echoReference, first int, realign bool) {
	t.Helper()
	far := make([]int16, aecFrame)
	if got := ref.read(far); got != realign {
		t.Fatalf("read reports realigned=%v, want %v (%+v)", got, realign, ref.stats())
	}
	for i, v := range far {
		want := int16(0)
		if first >= 0 {
			want = int16(first + i)
		}
		if v != want {
			t.Fatalf("sample %d: got %d, want %d (%+v)", i, v, want, ref.stats())
		}
	}
}

func TestEchoReferenceHandsOutPlayedSamplesInOrder(t *testing.T) {
	ref := newTestReference(t)
	p := &refPlayer{ref: ref}
	// Nothing played yet: silence, nothing taken, no debt.
	expectRead(t, ref, -1, false)
	// Played in periods of another size (miniaudio may), read in frames:
	// the first read keeps only refResync samples (a frame and a
	// cushion), then the samples come in order.
	for range 5 {
		p.play(700)
	}
	want := 5*700 - refResync
	expectRead(t, ref, want, false)
	want += aecFrame
	for range 4 {
		p.play(1000)
		expectRead(t, ref, want, false)
		want += aecFrame
	}
	if st := ref.stats(); st.Queued != refResync-aecFrame+4*(1000-aecFrame) || st.Resyncs != 0 || st.Underruns != 1 {
		t.Fatalf("after 6 reads: %+v", st)
	}
}

func TestEchoReferenceKeepsItsPlaceThroughALatePeriod(t *testing.T) {
	ref := newTestReference(t)
	p := &refPlayer{ref: ref}
	// In step: each period is played just before the read.
	p.play(aecFrame)
	expectRead(t, ref, 0, false)
	// A period comes late: the read gets silence but moves on...
	expectRead(t, ref, -1, false)
	// ...so when the late period and the next one come, the late one is
	// skipped and the far end is where it would have been.
	p.play(aecFrame)
	p.play(aecFrame)
	expectRead(t, ref, 2*aecFrame, false)
	if st := ref.stats(); st.Underruns != 1 || st.Resyncs != 0 || st.Queued != 0 {
		t.Fatalf("after a late period: %+v", st)
	}
	// Half a period late: the half there is comes out in place.
	p.play(aecFrame / 2)
	far := make([]int16, aecFrame)
	if ref.read(far) || far[0] != int16(3*aecFrame) || far[aecFrame/2] != 0 {
		t.Fatalf("half-late read: got %d..%d, %+v", far[0], far[aecFrame-1], ref.stats())
	}
	p.play(aecFrame / 2)
	p.play(aecFrame)
	expectRead(t, ref, 4*aecFrame, false)
}

func TestEchoReferenceRealignsWhenThePlayerFallsBehind(t *testing.T) {
	ref := newTestReference(t)
	p := &refPlayer{ref: ref}
	p.play(aecFrame)
	expectRead(t, ref, 0, false)
	// The speaker stalls for three reads: the first is taken for jitter,
	// the second writes the debt off (a re-alignment), and so on.
	expectRead(t, ref, -1, false)
	expectRead(t, ref, -1, true)
	expectRead(t, ref, -1, false)
	// It resumes at its own pace, without catching up: short again (its
	// first period stands for the silence already handed out), the debt
	// goes, and from then on each read takes the period just played.
	p.play(aecFrame)
	expectRead(t, ref, -1, true)
	p.play(aecFrame)
	expectRead(t, ref, 2*aecFrame, false)
	p.play(aecFrame)
	expectRead(t, ref, 3*aecFrame, false)
	if st := ref.stats(); st.Resyncs != 2 || st.Queued != 0 {
		t.Fatalf("after the stall: %+v", st)
	}
}

// A capture goroutine that is descheduled for a while (a busy machine)
// reads late and then catches up in a burst, taking the microphone's
// queued periods, which line up with the far end as before: no cut, no
// resync. With a 60 ms limit this reset the canceller at every hiccup
// (TestEchoIsCancelledInACall measured 18 dB instead of 50 under load).
func TestEchoReferenceKeepsItsPlaceWhenTheReaderIsLate(t *testing.T) {
	ref := newTestReference(t)
	p := &refPlayer{ref: ref}
	p.play(aecFrame)
	expectRead(t, ref, 0, false)
	for _, late := range []int{3, 6, micBacklog} {
		for range late {
			p.play(aecFrame)
		}
		for range late {
			expectRead(t, ref, p.next-late*aecFrame, false)
			late--
		}
	}
	if st := ref.stats(); st.Resyncs != 0 || st.Queued != 0 {
		t.Fatalf("after late readers: %+v, want no resync and nothing queued", st)
	}
}

func TestEchoReferenceResyncsWhenTheBacklogGrows(t *testing.T) {
	ref := newTestReference(t)
	p := &refPlayer{ref: ref}
	// Nobody reads for a second (a microphone opening late): the first
	// read keeps only refResync.
	for range 50 {
		p.play(aecFrame)
	}
	expectRead(t, ref, 50*aecFrame-refResync, false)
	// Later, the reader stalls for longer than the microphone queues: a
	// re-alignment at once.
	for range refMaxLate/aecFrame + 1 {
		p.play(aecFrame)
	}
	expectRead(t, ref, p.next-refResync, true)
	// Within the backlog, reads just take the oldest frame.
	p.play(aecFrame)
	expectRead(t, ref, p.next-refResync, false)
	if st := ref.stats(); st.Resyncs != 1 || st.Queued != refResync-aecFrame {
		t.Fatalf("in step: %+v, want one resync and %d queued", st, refResync-aecFrame)
	}
	// The speaker runs ahead (drift, or a speaker catching up after a
	// stall): the backlog grows past refMaxBacklog and stays there. That
	// is no late reader: after refLateReads reads it is cut.
	for range refMaxBacklog / aecFrame {
		p.play(aecFrame)
	}
	for i := range refLateReads + 1 {
		p.play(aecFrame)
		first := p.next - (refResync - aecFrame) - (refMaxBacklog/aecFrame+1)*aecFrame
		realign := i == refLateReads
		if realign {
			first = p.next - refResync
		}
		expectRead(t, ref, first, realign)
	}
	if st := ref.stats(); st.Resyncs != 2 {
		t.Fatalf("after a lasting backlog: %+v, want a second resync", st)
	}
}

func TestEchoReferenceRestartsForANewReader(t *testing.T) {
	ref := newTestReference(t)
	p := &refPlayer{ref: ref}
	p.play(aecFrame)
	expectRead(t, ref, 0, false)
	// The microphone closes; a new one opens 60 ms later: its first
	// read keeps only refResync, and that is no re-alignment (its
	// canceller is new).
	for range 3 {
		p.play(aecFrame)
	}
	ref.restart()
	expectRead(t, ref, p.next-refResync, false)
}
