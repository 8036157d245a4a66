package media

import (
	"context"
	"fmt"
	"image"
	"testing"
	"time"
)

func TestVideoStepsFollowTheMesh(t *testing.T) {
	ceiling := DefaultVideoParams
	for _, tc := range []struct {
		peers              int
		w, h, fps, maxKbps int
	}{
		{1, 640, 480, 30, 1200},
		{2, 640, 480, 30, 1080},
		{3, 640, 480, 30, 696},
		{4, 480, 360, 24, 505},
		{5, 480, 360, 24, 390},
		{6, 320, 240, 15, 313},
		{8, 320, 240, 15, 217},
	} {
		t.Run(fmt.Sprintf("%d peers", tc.peers), func(t *testing.T) {
			p := stepParams(ceiling, meshStep(tc.peers), tc.peers)
			if p.Width != tc.w || p.Height != tc.h || p.FrameRate != tc.fps || p.MaxBitrate/1000 != tc.maxKbps {
				t.Fatalf("got %dx%d@%d %d kbps, want %dx%d@%d %d kbps", p.Width, p.Height, p.FrameRate, p.MaxBitrate/1000, tc.w, tc.h, tc.fps, tc.maxKbps)
			}
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			// The budget: every peer's video and audio, headers included.
			if up := tc.peers * (p.MaxBitrate + audioPerPeer + videoOverheadPerPeer); up > uplinkBudget {
				t.Fatalf("uplink %d bps over the budget of %d", up, uplinkBudget)
			}
		})
	}
	// The ceiling holds: a configured 320x240@15 never grows.
	small := VideoParams{Width: 320, Height: 240, FrameRate: 15, MinBitrate: 100_000, MaxBitrate: 600_000}
	if p := stepParams(small, meshStep(1), 1); p != small {
		t.Fatalf("a 1v1 call under a small ceiling got %+v", p)
	}
}

func TestVideoStepsFollowTheBandwidth(t *testing.T) {
	var l videoLadder
	t0 := time.Now()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	if s := l.observe(1_000_000, 0, at(0)); s != 0 {
		t.Fatalf("a good estimate moved 1v1 to step %d", s)
	}
	// 300 kbps is below 640x480's floor: down one step, but only after
	// bwDownAfter of it.
	if s := l.observe(300_000, 0, at(time.Second)); s != 0 {
		t.Fatalf("one low estimate moved the step to %d", s)
	}
	if s := l.observe(300_000, 0, at(time.Second+bwDownAfter)); s != 1 {
		t.Fatalf("a low estimate for %v: step %d, want 1", bwDownAfter, s)
	}
	// 150 kbps is below 480x360's floor too: down to 320x240.
	l.observe(150_000, 0, at(10*time.Second))
	if s := l.observe(150_000, 0, at(10*time.Second+bwDownAfter)); s != 2 {
		t.Fatalf("step %d, want 2", s)
	}
	// A recovered estimate climbs back one step per bwUpAfter.
	l.observe(800_000, 0, at(20*time.Second))
	if s := l.observe(800_000, 0, at(20*time.Second+bwUpAfter/2)); s != 2 {
		t.Fatalf("stepped up after %v: %d", bwUpAfter/2, s)
	}
	if s := l.observe(800_000, 0, at(20*time.Second+bwUpAfter)); s != 1 {
		t.Fatalf("step %d after %v of a good estimate, want 1", s, bwUpAfter)
	}
	l.observe(800_000, 0, at(40*time.Second))
	if s := l.observe(800_000, 0, at(40*time.Second+bwUpAfter)); s != 0 {
		t.Fatalf("step %d, want 0", s)
	}
	// The mesh's step is a floor the bandwidth cannot lift.
	if s := l.observe(5_000_000, 2, at(60*time.Second)); s != 2 {
		t.Fatalf("a 9-member mesh with bandwidth to spare got step %d", s)
	}
}

// A session's camera steps down as peers are added and back up as they
// leave: the local preview shows what the camera captures.
func TestSessionStepsItsCameraWithTheMesh(t *testing.T) {
	cfg := testConfig()
	cfg.Video = DefaultVideoParams
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		for range s.Events() {
		}
	}()
	preview := NewLatestFrame()
	s.SetLocalSink(preview)
	if err := s.Start(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	waitSize := func(want image.Point) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var got image.Point
		for time.Now().Before(deadline) {
			select {
			case <-preview.Ready():
			case <-time.After(200 * time.Millisecond):
			}
			if img, release := preview.Take(); img != nil {
				got = img.Bounds().Size()
				release()
				if got == want {
					return
				}
			}
		}
		t.Fatalf("preview frames are %v, want %v", got, want)
	}
	waitSize(image.Pt(640, 480))
	for i := 1; i <= 4; i++ {
		if err := s.AddPeer(PeerID(fmt.Sprint("p", i)), true); err != nil {
			t.Fatal(err)
		}
	}
	waitSize(image.Pt(480, 360))
	for i := 5; i <= 6; i++ {
		if err := s.AddPeer(PeerID(fmt.Sprint("p", i)), true); err != nil {
			t.Fatal(err)
		}
	}
	waitSize(image.Pt(320, 240))
	for i := 1; i <= 3; i++ {
		if err := s.RemovePeer(PeerID(fmt.Sprint("p", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitSize(image.Pt(640, 480))
}
