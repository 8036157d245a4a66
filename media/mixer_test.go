package media

import "testing"

// TestMixerBuffersMixesAndClamps drives the C mixer the way the device
// does (read), without a device: jitter-buffer start at the target depth,
// the mix of two peers with clamping, running dry, trimming, removal.
func TestMixerBuffersMixesAndClamps(t *testing.T) {
	x, err := newMixer()
	if err != nil {
		t.Fatal(err)
	}
	defer x.free()
	a, err := x.add(4, 8)
	if err != nil {
		t.Fatal(err)
	}
	b, err := x.add(4, 8)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, 2)
	read := func() []int16 { x.read(out); return append([]int16(nil), out...) }

	a.write([]int16{30000, 100, 1, 2})
	b.write([]int16{30000, -300})
	// a has reached its target of 4 and plays; b (2 of 4) waits.
	if got := read(); got[0] != 30000 || got[1] != 100 {
		t.Fatalf("a alone: %v", got)
	}
	b.write([]int16{5, 6})
	// Both play now: a's 1, 2 plus b's 30000, -300.
	if got := read(); got[0] != 30001 || got[1] != -298 {
		t.Fatalf("the mix: %v", got)
	}
	a.write([]int16{20000, 20000, 20000, 20000, 20000, 20000})
	b.write([]int16{20000, 20000})
	if got := read(); got[0] != 20005 || got[1] != 20006 {
		t.Fatalf("the mix: %v", got)
	}
	if got := read(); got[0] != 32767 || got[1] != 32767 {
		t.Fatalf("a clamped mix: %v", got)
	}
	// a has 2 left, b none: b runs dry and stops, a plays out.
	if got := read(); got[0] != 20000 || got[1] != 20000 {
		t.Fatalf("a after b ran dry: %v", got)
	}
	if b.dry() != 1 || a.dry() != 0 {
		t.Errorf("dry counts a %d b %d, want 0 1", a.dry(), b.dry())
	}
	// Past its max (8), a is trimmed back to its target (4): the oldest go.
	a.write([]int16{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	if got := read(); got[0] != 7 || got[1] != 8 {
		t.Fatalf("after trimming: %v, want the newest 4 to play", got)
	}
	// A full buffer keeps what fits (capacity: 8 + 100 ms rounded up).
	if n := a.write(make([]int16, 1<<20)); n >= 1<<20 || a.queued() != n+2 {
		t.Errorf("wrote %d of 1M samples, queued %d", n, a.queued())
	}
	// Removed, a is not mixed and its memory is freed at once (no read
	// is running).
	x.remove(a)
	if len(x.retired) != 0 {
		t.Errorf("%d buffers still retired", len(x.retired))
	}
	if got := read(); got[0] != 0 || got[1] != 0 {
		t.Fatalf("after removal: %v", got)
	}
	if x.frames() != 14 {
		t.Errorf("frames %d, want 14", x.frames())
	}
	// The slots run out at 16 peers.
	var n int
	for ; n < 20; n++ {
		if _, err := x.add(4, 8); err != nil {
			break
		}
	}
	if n != 15 { // b holds one slot
		t.Errorf("added %d more peers, want 15", n)
	}
}

// TestMixerKeepsWhatItPlayed: every mix also goes into the played ring
// (the echo canceller's far end), which readers copy by position.
func TestMixerKeepsWhatItPlayed(t *testing.T) {
	x, err := newMixer()
	if err != nil {
		t.Fatal(err)
	}
	defer x.free()
	r, err := newPlayedRing()
	if err != nil {
		t.Fatal(err)
	}
	defer r.free()
	x.setPlayed(r)
	a, err := x.add(2, 8)
	if err != nil {
		t.Fatal(err)
	}
	a.write([]int16{1, 2, 3, 4})
	out := make([]int16, 3)
	x.read(out) // 1, 2, 3
	x.read(out) // 4 is not enough for 3: dry, silence
	if r.head() != 6 {
		t.Fatalf("head %d, want 6", r.head())
	}
	got := make([]int16, 6)
	if !r.copyAt(0, got) || got[0] != 1 || got[2] != 3 || got[3] != 0 || got[5] != 0 {
		t.Fatalf("played %v, want 1 2 3 0 0 0", got)
	}
	if r.copyAt(4, got[:3]) {
		t.Error("copied samples not played yet")
	}
	// Overwritten: a reader that lags by more than the ring gets false.
	r.write(make([]int16, playedCap))
	if r.copyAt(0, got[:1]) || !r.copyAt(6, got[:1]) {
		t.Error("a lagging reader was not told its samples were overwritten")
	}
	x.setPlayed(nil)
	x.read(out)
	if r.head() != 6+playedCap {
		t.Errorf("head %d after detaching, want %d", r.head(), 6+playedCap)
	}
}
