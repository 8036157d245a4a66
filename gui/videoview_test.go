package gui

import (
	"image"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/gui/guitest"
	"github.com/calla-rtc/calla/signaling"
)

// TestVideoViewKeepsOnlyTheNewestFrame: frames that arrive while a redraw
// is pending replace each other; the redraw shows the newest, and the
// writer never blocks on the UI.
func TestVideoViewKeepsOnlyTheNewestFrame(t *testing.T) {
	test.NewTempApp(t)
	ui := newUIQueue()
	v := newVideoView(ui.do)
	frames := []*image.RGBA{
		guitest.SolidFrame(4, 4, [4]uint8{1, 0, 0, 255}),
		guitest.SolidFrame(4, 4, [4]uint8{2, 0, 0, 255}),
		guitest.SolidFrame(4, 4, [4]uint8{3, 0, 0, 255}),
	}
	for _, f := range frames {
		v.WriteFrame(f) // the UI goroutine is "busy": nothing runs yet
	}
	if n := len(ui.ch); n != 1 {
		t.Fatalf("%d redraws queued for 3 frames, want 1", n)
	}
	ui.next(t)
	if v.Image.Image != frames[2] {
		t.Fatal("the redraw did not show the newest frame")
	}
	want(t, "frames received", v.frames.Load(), int64(3))
	want(t, "frames drawn", v.drawn.Load(), int64(1))
}

// TestVideoViewReleasesFrames: a frame replaced before it is drawn goes
// back to the decoder at once; a drawn frame when the next one is on
// screen, or when the view clears. Every frame is released exactly once.
func TestVideoViewReleasesFrames(t *testing.T) {
	test.NewTempApp(t)
	ui := newUIQueue()
	v := newVideoView(ui.do)
	released := map[int]int{}
	offer := func(i int) {
		v.OfferFrame(guitest.SolidFrame(4, 4, [4]uint8{uint8(i), 0, 0, 255}), func() { released[i]++ })
	}
	offer(1)
	offer(2) // replaces 1, not drawn yet
	want(t, "frame 1 released when replaced", released[1], 1)
	ui.next(t) // draws 2
	want(t, "frame 2 kept while on screen", released[2], 0)
	offer(3)
	ui.next(t) // draws 3: 2 leaves the screen
	want(t, "frame 2 released when 3 is shown", released[2], 1)
	want(t, "frame 3 kept while on screen", released[3], 0)
	v.clear()
	want(t, "frame 3 released when the view clears", released[3], 1)
	for i, n := range released {
		if n != 1 {
			t.Errorf("frame %d released %d times", i, n)
		}
	}
}

// TestVideoViewThrottlesRedraws: a frame that comes sooner than minRedraw
// after the last redraw is drawn later, not dropped.
func TestVideoViewThrottlesRedraws(t *testing.T) {
	test.NewTempApp(t)
	ui := newUIQueue()
	v := newVideoView(ui.do)
	v.WriteFrame(guitest.SolidFrame(4, 4, [4]uint8{1, 0, 0, 255}))
	ui.next(t)
	last := guitest.SolidFrame(4, 4, [4]uint8{9, 0, 0, 255})
	v.WriteFrame(last)
	ui.next(t) // comes after the throttle's timer
	if v.Image.Image != last {
		t.Fatal("the throttled frame was not drawn")
	}
}

// TestVideoViewUnderConcurrentWriters: nine tiles fed by nine media
// goroutines at once, with the UI goroutine drawing; run with -race.
func TestVideoViewUnderConcurrentWriters(t *testing.T) {
	test.NewTempApp(t)
	ui := newUIQueue()
	views := make([]*videoView, 9)
	for i := range views {
		views[i] = newVideoView(ui.do)
	}
	var wg sync.WaitGroup
	for _, v := range views {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				v.WriteFrame(guitest.SolidFrame(8, 8, [4]uint8{uint8(i), 0, 0, 255}))
				time.Sleep(time.Millisecond)
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()
	// Draw until the writers are done and every view shows its last frame.
	for {
		select {
		case f := <-ui.ch:
			f()
			continue
		case <-writersDone:
		}
		break
	}
	for _, v := range views {
		for v.pending.Load() {
			ui.next(t)
		}
		if img, _ := v.Image.Image.(*image.RGBA); img == nil || img.Pix[0] != 49 {
			t.Fatal("a view does not show its last frame")
		}
	}
}

// BenchmarkVideoTile pushes 640x480 RGBA frames into a tile through the
// sink path (WriteFrame, then the redraw on the UI goroutine), with Fyne's
// test driver and no throttle: the cost the GUI adds per frame before
// Fyne paints. BenchmarkVideoTilePaint adds a software paint of the
// window per frame (the test driver has no GPU; the real driver uploads
// the RGBA as a texture instead).
func BenchmarkVideoTile(b *testing.B) {
	benchmarkTile(b, false)
}

func BenchmarkVideoTilePaint(b *testing.B) {
	benchmarkTile(b, true)
}

func benchmarkTile(b *testing.B, paint bool) {
	a := test.NewTempApp(b)
	w := a.NewWindow("bench")
	defer w.Close()
	tile := newTileView("bob", false, func(f func()) { f() }, nil)
	tile.update("Bob", "", Member{ID: "bob", State: TileJoined, VideoOn: true, AudioOn: true}, true)
	w.SetContent(tile)
	w.Resize(fyne.NewSize(640, 480))
	frames := [2]*image.RGBA{testPattern(640, 480, 0x40), testPattern(640, 480, 0xC0)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tile.vid.last.Store(0) // no throttle: every frame is drawn
		tile.vid.WriteFrame(frames[i%2])
		if paint {
			w.Canvas().Capture()
		}
	}
	b.StopTimer()
	if tile.vid.drawn.Load() != int64(b.N) {
		b.Fatalf("%d of %d frames drawn", tile.vid.drawn.Load(), b.N)
	}
}

// BenchmarkVolumeEvent9 applies one onUserVoiceVolumeChanged to a
// connected 9-member video call with every view showing (the engine sends
// one every 300 ms): the UI goroutine's cost per event.
func BenchmarkVolumeEvent9(b *testing.B) {
	r := newBenchUIRig(b)
	r.login().connected(signaling.Video, true)
	for _, id := range []signaling.UserID{"u3", "u4", "u5", "u6", "u7", "u8"} {
		r.apply(&call.UserInviting{CallID: "c1", UserID: id}, &call.UserJoin{CallID: "c1", UserID: id})
	}
	if n := len(r.m.Call.Members) + 1; n != 9 {
		b.Fatalf("%d members, want 9", n)
	}
	evs := [2]call.Event{
		&call.UserVoiceVolumeChanged{CallID: "c1", VolumeMap: map[signaling.UserID]int{"alice": 30, "bob": 5, "carol": 60, "u3": 0}},
		&call.UserVoiceVolumeChanged{CallID: "c1", VolumeMap: map[signaling.UserID]int{"alice": 0, "bob": 50, "carol": 5, "u3": 20}},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.m.Apply(evs[i%2])
	}
}
