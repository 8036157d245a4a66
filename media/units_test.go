package media

import (
	"errors"
	"image"
	"math"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestEnumStrings(t *testing.T) {
	cases := []struct{ got, want string }{
		{SignalOffer.String(), "offer"}, {SignalAnswer.String(), "answer"}, {SignalCandidate.String(), "candidate"},
		{SignalRenegotiate.String(), "renegotiate"}, {SignalMediaState.String(), "mediaState"}, {SignalKind(0).String(), "SignalKind(0)"},
		{PeerNew.String(), "new"}, {PeerConnecting.String(), "connecting"}, {PeerConnected.String(), "connected"},
		{PeerDisconnected.String(), "disconnected"}, {PeerFailed.String(), "failed"}, {PeerClosed.String(), "closed"},
		{PeerState(-1).String(), "PeerState(-1)"},
		{Camera.String(), "camera"}, {Microphone.String(), "microphone"}, {Speaker.String(), "speaker"}, {DeviceKind(0).String(), "DeviceKind(0)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("String() = %q, want %q", c.got, c.want)
		}
	}
}

func TestSignalValidation(t *testing.T) {
	for _, s := range []Signal{{}, {Kind: SignalOffer}, {Kind: SignalAnswer}, {Kind: SignalCandidate}, {Kind: SignalCandidate, Candidate: &webrtc.ICECandidateInit{}}, {Kind: 99}} {
		if err := s.validate(); !errors.Is(err, ErrBadSignal) {
			t.Errorf("%+v: err = %v, want ErrBadSignal", s, err)
		}
	}
	for _, s := range []Signal{{Kind: SignalOffer, SDP: "v=0"}, {Kind: SignalRenegotiate}, {Kind: SignalMediaState}} {
		if err := s.validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

func TestDeviceErrorKinds(t *testing.T) {
	cause := errors.New("boom")
	e := deviceError(Camera, Device{ID: "x", Label: "Cam"}, cause)
	if !errors.Is(e, ErrCameraFailed) || !errors.Is(e, cause) || errors.Is(e, ErrMicrophoneFailed) {
		t.Errorf("camera error %v matches the wrong kinds", e)
	}
	if e := deviceError(Microphone, Device{}, cause); !errors.Is(e, ErrMicrophoneFailed) {
		t.Errorf("microphone error = %v", e)
	}
	e = deviceError(Camera, Device{}, syscall.EACCES)
	if !errors.Is(e, ErrPermissionDenied) {
		t.Errorf("EACCES = %v, want ErrPermissionDenied", e)
	}
	var de *DeviceError
	if !errors.As(e, &de) || de.Kind != ErrPermissionDenied {
		t.Errorf("errors.As = %+v", de)
	}
}

func TestDefaultDevicesAreTheTestSourceHere(t *testing.T) {
	devs, err := ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[DeviceKind]int{}
	for _, d := range devs {
		if d.IsTestSource {
			kinds[d.Kind]++
		}
	}
	if kinds[Camera] != 1 || kinds[Microphone] != 1 {
		t.Errorf("test sources listed = %v, want one camera and one microphone: %+v", kinds, devs)
	}
	openMu.Lock()
	defer openMu.Unlock()
	for _, k := range []DeviceKind{Camera, Microphone} {
		d, err := pickDevice(k, "")
		if err != nil {
			t.Fatal(err)
		}
		// On a machine with a real device this is that device; here (no
		// camera, ALSA null only) it must be the test source, never null.
		if d.IsNull {
			t.Errorf("default %s is ALSA's null device", k)
		}
		if !hasReal(devs, k) && !d.IsTestSource {
			t.Errorf("default %s = %+v, want the test source", k, d)
		}
	}
	if _, err := pickDevice(Camera, "no-such-id"); !errors.Is(err, ErrUnknownDevice) {
		t.Errorf("unknown id: err = %v", err)
	}
}

func hasReal(devs []Device, k DeviceKind) bool {
	for _, d := range devs {
		if d.Kind == k && !d.IsTestSource && !d.IsNull {
			return true
		}
	}
	return false
}

func TestConfigValidation(t *testing.T) {
	bad := []VideoParams{
		{Width: 100, Height: 240, FrameRate: 15, MinBitrate: 100_000, MaxBitrate: 200_000},
		{Width: 321, Height: 240, FrameRate: 15, MinBitrate: 100_000, MaxBitrate: 200_000},
		{Width: 320, Height: 240, FrameRate: 0, MinBitrate: 100_000, MaxBitrate: 200_000},
		{Width: 320, Height: 240, FrameRate: 15, MinBitrate: 300_000, MaxBitrate: 200_000},
	}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: err = %v", p, err)
		}
		if _, err := NewSession(Config{Video: p}); !errors.Is(err, ErrBadConfig) {
			t.Errorf("NewSession(%+v): err = %v", p, err)
		}
	}
	if err := DefaultVideoParams.Validate(); err != nil {
		t.Error(err)
	}
}

func TestLevelScale(t *testing.T) {
	cases := []struct {
		rms  float64
		want int
	}{{0, 0}, {1e-6, 0}, {0.001, 0}, {0.01, 33}, {0.1, 67}, {0.25 / math.Sqrt2, 75}, {1, 100}, {2, 100}}
	for _, c := range cases {
		if got := levelFromRMS(c.rms); got != c.want {
			t.Errorf("levelFromRMS(%g) = %d, want %d", c.rms, got, c.want)
		}
	}
	var m levelMeter
	if m.take() != 0 {
		t.Error("an empty meter is not silent")
	}
	tone := make([]int16, 960)
	for i := range tone {
		tone[i] = int16(8192 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	m.addInt16(tone)
	if got := m.take(); got < 70 || got > 80 {
		t.Errorf("tone level = %d, want about 75", got)
	}
	if m.take() != 0 {
		t.Error("take did not reset the meter")
	}
}

func TestLatestFrameKeepsOnlyTheNewest(t *testing.T) {
	l := NewLatestFrame()
	released := 0
	a, b := image.NewRGBA(image.Rect(0, 0, 1, 1)), image.NewRGBA(image.Rect(0, 0, 1, 1))
	l.OfferFrame(a, func() { released++ })
	l.OfferFrame(b, func() { released++ })
	if released != 1 || l.Dropped() != 1 {
		t.Errorf("replacing a frame: released %d, dropped %d", released, l.Dropped())
	}
	select {
	case <-l.Ready():
	default:
		t.Error("Ready not signalled")
	}
	img, rel := l.Take()
	if img != b {
		t.Error("Take did not return the newest frame")
	}
	rel()
	if released != 2 {
		t.Errorf("release not passed through: %d", released)
	}
	if img, _ := l.Take(); img != nil {
		t.Error("Take on an empty mailbox returned a frame")
	}
}

// vp8Packets splits a frame into n RTP packets with VP8 descriptors.
func vp8Packets(seq uint16, ts uint32, key bool, n int) []*rtp.Packet {
	var out []*rtp.Packet
	for i := 0; i < n; i++ {
		desc := byte(0x00)
		if i == 0 {
			desc = 0x10 // S bit, PID 0
		}
		payload := []byte{desc, 0x01, byte(i)}
		if i == 0 && key {
			payload[1] = 0x00 // P bit clear: keyframe
		}
		out = append(out, &rtp.Packet{Header: rtp.Header{SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == n-1}, Payload: payload})
	}
	return out
}

func TestFrameAssembler(t *testing.T) {
	now := time.Unix(0, 0)
	t.Run("waits for a keyframe, then releases each frame at its marker", func(t *testing.T) {
		a := newFrameAssembler()
		for _, p := range vp8Packets(10, 1000, false, 2) {
			if f, _ := a.push(p, now); len(f) != 0 {
				t.Fatal("a delta frame before any keyframe was released")
			}
		}
		pk := vp8Packets(12, 2000, true, 3)
		for i, p := range pk {
			f, gap := a.push(p, now)
			if gap {
				t.Error("gap reported")
			}
			if i < 2 && len(f) != 0 {
				t.Fatalf("frame released before its last packet")
			}
			if i == 2 && (len(f) != 1 || !f[0].keyframe || f[0].ts != 2000 || len(f[0].data) != 6) {
				t.Fatalf("keyframe = %+v", f)
			}
		}
	})
	t.Run("reordered packets are put back in order", func(t *testing.T) {
		a := newFrameAssembler()
		pk := append(vp8Packets(65534, 1, true, 3), vp8Packets(1, 2, false, 2)...) // wraps
		order := []int{0, 2, 1, 4, 3}
		var got []vp8Frame
		for _, i := range order {
			f, _ := a.push(pk[i], now)
			got = append(got, f...)
		}
		if len(got) != 2 || got[0].ts != 1 || got[1].ts != 2 {
			t.Fatalf("frames = %+v", got)
		}
	})
	t.Run("a lost packet skips to the next keyframe and reports a gap", func(t *testing.T) {
		a := newFrameAssembler()
		var all []*rtp.Packet
		all = append(all, vp8Packets(0, 1, true, 2)...)
		all = append(all, vp8Packets(2, 2, false, 2)...) // seq 3 will be lost
		all = append(all, vp8Packets(4, 3, false, 2)...)
		all = append(all, vp8Packets(6, 4, true, 2)...)
		var got []vp8Frame
		gaps := 0
		for _, p := range all {
			if p.SequenceNumber == 3 {
				continue
			}
			f, gap := a.push(p, now)
			got = append(got, f...)
			if gap {
				gaps++
			}
		}
		if len(got) != 1 {
			t.Fatalf("before the timeout: frames %+v", got)
		}
		// Time passes; the next packet makes the assembler give up.
		f, gap := a.push(vp8Packets(8, 5, false, 1)[0], now.Add(maxGapWait))
		got = append(got, f...)
		if !gap {
			t.Error("no gap reported")
		}
		var ts []uint32
		for _, f := range got {
			ts = append(ts, f.ts)
		}
		// Frame 2 is incomplete and frame 3 references it: both are
		// dropped; keyframe 4 and frame 5 are decodable.
		if len(ts) != 3 || ts[0] != 1 || ts[1] != 4 || ts[2] != 5 {
			t.Errorf("frames released = %v, want [1 4 5]", ts)
		}
	})
	t.Run("garbage payloads do not panic", func(t *testing.T) {
		a := newFrameAssembler()
		for i := 0; i < 100; i++ {
			a.push(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Marker: i%3 == 0}, Payload: []byte{byte(i)}}, now)
		}
	})
}

func TestPLIStormGivesOneKeyframe(t *testing.T) {
	var k keyFrameThrottle
	var mu sync.Mutex
	var at []time.Time
	k.set(func() { mu.Lock(); at = append(at, time.Now()); mu.Unlock() })
	forced := func() int { mu.Lock(); defer mu.Unlock(); return len(at) }
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ { // eight peers ask at once
		wg.Add(1)
		go func() { defer wg.Done(); k.request() }()
	}
	wg.Wait()
	time.Sleep(keyFrameGap + 20*time.Millisecond)
	if forced() != 1 || k.count() != 1 {
		t.Fatalf("8 simultaneous requests forced %d keyframes, want 1", forced())
	}
	// A peer that joins just after the keyframe is not left waiting for
	// its PLI repeat: its request is deferred to the end of the gap, and
	// a second latecomer shares that same keyframe.
	time.Sleep(keyFrameGap)
	k.request() // forced at once
	time.Sleep(keyFrameCoalesce + 10*time.Millisecond)
	t0 := time.Now()
	k.request()
	k.request()
	waitUntil(t, time.Second, "the deferred keyframe", func() bool { return forced() == 3 })
	if d := time.Since(t0); d > keyFrameGap {
		t.Errorf("deferred keyframe after %v, want within %v", d, keyFrameGap)
	}
	mu.Lock()
	if gap := at[2].Sub(at[1]); gap < keyFrameGap-5*time.Millisecond {
		t.Errorf("keyframes %v apart, want at least %v", gap, keyFrameGap)
	}
	mu.Unlock()
	time.Sleep(2 * keyFrameGap)
	if forced() != 3 {
		t.Errorf("%d keyframes, want 3", forced())
	}
	k.set(nil)
	k.request() // no encoder: nothing to do, no panic
}

func TestPionShutdownNoiseIsDebug(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want bool
	}{
		{"Failed to accept RTP stream is already closed", true},
		{"io: read/write on closed pipe", true},
		{"Failed to start manager: use of closed network connection", true},
		{"Incoming unhandled RTP ssrc(1), OnTrack will not be fired", false},
		{"DTLS handshake failed", false},
	} {
		if got := closing(tc.msg); got != tc.want {
			t.Errorf("closing(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}
