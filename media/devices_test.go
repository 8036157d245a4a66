package media

import (
	"errors"
	"image"
	"testing"
	"time"

	"github.com/calla-rtc/calla/media/stamp"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"go.uber.org/goleak"
)

func TestPreviewSwitchDevicesAndResolutionMidCall(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	preview := NewLatestFrame()
	a.s.SetLocalSink(preview)
	start(t, true, a, b)
	n.connect(a, b)
	b.wait(t, 0, 10*time.Second, "alice's video", isRemoteMedia("alice", true, true))

	// The local preview shows the camera's own (stamped) frames.
	select {
	case <-preview.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("no preview frame")
	}
	img, release := preview.Take()
	if img == nil {
		t.Fatal("Ready without a frame")
	}
	if _, ok := stamp.Read(img); !ok || img.Rect.Dx() != 320 {
		t.Errorf("preview frame %v has no readable stamp", img.Rect)
	}
	release()

	// Another camera (here: another test-pattern instance) mid-call: no
	// renegotiation, frames keep coming.
	devs, _ := ListDevices()
	var camID, micID string
	for _, d := range devs {
		if d.IsTestSource && d.Kind == Camera {
			camID = d.ID
		}
		if d.IsTestSource && d.Kind == Microphone {
			micID = d.ID
		}
	}
	mb := b.mark()
	before := b.frameCount("alice")
	if err := a.s.SwitchCamera(camID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "frames after the camera switch", func() bool { return b.frameCount("alice") >= before+5 })
	if err := a.s.SwitchMicrophone(micID); err != nil {
		t.Fatal(err)
	}
	b.wait(t, mb, 5*time.Second, "audio after the mic switch", func(ev Event) bool {
		e, ok := ev.(Volumes)
		return ok && e.Peers["alice"] > 10
	})

	// A new resolution mid-call: bob's decoded frames change size.
	if err := a.s.SetVideoParams(VideoParams{Width: 160, Height: 120, FrameRate: 15, MinBitrate: 50_000, MaxBitrate: 300_000}); err != nil {
		t.Fatal(err)
	}
	l := b.frames["alice"]
	waitUntil(t, 5*time.Second, "160x120 frames", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.lastImg == image.Rect(0, 0, 160, 120)
	})
	if err := a.s.SetSpeaker(""); err != nil {
		t.Errorf("SetSpeaker with playback off: %v", err)
	}
}

// dropAll drops every outgoing RTP packet once on is set (the link stays
// up: ICE and RTCP still pass).
type dropAll struct {
	interceptor.NoOp
	on chan struct{}
}

func (d *dropAll) NewInterceptor(string) (interceptor.Interceptor, error) { return d, nil }

func (d *dropAll) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		select {
		case <-d.on:
			return len(payload), nil
		default:
			return w.Write(h, payload, a)
		}
	})
}

func TestNoMediaMeansDown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	drop := &dropAll{on: make(chan struct{})}
	a := n.addWith("alice", testConfig(), testHooks{interceptor: func(PeerID) interceptor.Factory { return drop }})
	b := n.addWith("bob", testConfig(), testHooks{noMediaAfter: time.Second})
	defer n.close()
	start(t, false, a, b)
	n.connect(b, a) // alice offers
	b.wait(t, 0, 10*time.Second, "alice excellent", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["alice"] == QualityExcellent
	})
	b.wait(t, 0, 10*time.Second, "alice's audio", isRemoteMedia("alice", false, true))
	m := b.mark()
	close(drop.on) // alice's microphone is on, but nothing arrives
	b.wait(t, m, 5*time.Second, "alice down", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["alice"] == QualityDown
	})
}

func TestMediaThatNeverArrivesMeansDown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	drop := &dropAll{on: make(chan struct{})}
	close(drop.on) // nothing alice sends ever arrives
	a := n.addWith("alice", testConfig(), testHooks{interceptor: func(PeerID) interceptor.Factory { return drop }})
	b := n.addWith("bob", testConfig(), testHooks{noMediaAfter: time.Second})
	defer n.close()
	start(t, false, a, b)
	n.connect(b, a)
	b.wait(t, 0, 10*time.Second, "connected", isState("alice", PeerConnected))
	// Before the deadline: nothing to judge yet.
	b.wait(t, 0, 5*time.Second, "alice unknown", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["alice"] == QualityUnknown
	})
	b.wait(t, 0, 5*time.Second, "alice down", func(ev Event) bool {
		e, ok := ev.(Qualities)
		return ok && e.Peers["alice"] == QualityDown
	})
}

func TestABusyDeviceIsAClearError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// A real device opens once; the only real one here is ALSA's "null"
	// microphone, selectable by id.
	devs, _ := ListDevices()
	var null Device
	for _, d := range devs {
		if d.Kind == Microphone && d.IsNull {
			null = d
		}
	}
	if null.ID == "" {
		t.Skip("no ALSA null microphone on this machine: the busy path needs a real device")
	}
	cfg := testConfig()
	cfg.MicrophoneID = null.ID
	a, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	drainEvents := func(s *Session) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range s.Events() {
			}
		}()
		return done
	}
	da, db := drainEvents(a), drainEvents(b)
	if err := a.Start(t.Context(), false); err != nil {
		t.Fatalf("first open of %s: %v", null.Label, err)
	}
	err = b.Start(t.Context(), false)
	var de *DeviceError
	if !errors.Is(err, ErrMicrophoneFailed) || !errors.As(err, &de) || de.DeviceID != null.ID {
		t.Errorf("second open: err = %v, want a *DeviceError of ErrMicrophoneFailed for %s", err, null.ID)
	}
	t.Logf("busy microphone: %v", err)
	_ = a.Close()
	_ = b.Close()
	<-da
	<-db
}

func TestACameraThatStopsIsReportedAndThePeerSeesIt(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := newTestNet(t)
	a := n.add("alice", testConfig())
	b := n.add("bob", testConfig())
	defer n.close()
	start(t, true, a, b)
	n.connect(a, b)
	b.wait(t, 0, 10*time.Second, "alice's video", isRemoteMedia("alice", true, true))
	// Unplug: every running test pattern fails (only alice's and bob's
	// run here; bob's unplug is checked the same way).
	ma, mb := a.mark(), b.mark()
	testPatterns.Lock()
	for _, d := range testPatterns.all {
		d.unplug()
	}
	testPatterns.Unlock()
	ev := a.wait(t, ma, 5*time.Second, "DeviceFailed", func(ev Event) bool { _, ok := ev.(DeviceFailed); return ok })
	if err := ev.(DeviceFailed).Err; !errors.Is(err, ErrCameraFailed) {
		t.Errorf("DeviceFailed.Err = %v, want ErrCameraFailed", err)
	}
	b.wait(t, mb, 5*time.Second, "alice's camera off", isRemoteMedia("alice", false, true))
}
