package call

import (
	"context"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calla-rtc/calla/media/stamp"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

var (
	testSecret = []byte("engine-test-secret-0123456789abcdef")
	testAppID  = uint32(1400000042)
)

// testVideo keeps race-detector runs affordable on two cores; the benches
// use 640x480 at 30 fps.
var testVideo = VideoEncoderParams{Width: 320, Height: 240, FrameRate: 15}

func testLogger() *slog.Logger {
	if os.Getenv("CALLA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// harness is a real signaling server on a loopback httptest listener.
type harness struct {
	t   *testing.T
	srv *server.Server
	url string
}

func newHarness(t *testing.T, mod func(*server.Config)) *harness {
	t.Helper()
	cfg := server.Config{
		AppID:         testAppID,
		Secret:        testSecret,
		InviteTimeout: 30 * time.Second,
		Grace:         time.Second,
		// A member of a connected call waits this long too (the server's
		// default is the clients' 40 s media restore window).
		CallGrace: time.Second,
		Logger:    testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
		hs.Close()
	})
	return &harness{t: t, srv: srv, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"}
}

func (h *harness) sig(u signaling.UserID, d time.Duration) string {
	h.t.Helper()
	s, err := signaling.GenUserSig(testSecret, testAppID, u, d, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// tengine is an Engine whose events a goroutine records.
type tengine struct {
	*Engine
	t    *testing.T
	user signaling.UserID

	mu     sync.Mutex
	events []Event
	at     []time.Time // when each event was read
	notify chan struct{}
	done   chan struct{}
}

// engine makes an engine for user with loopback media and no speaker,
// logs it in, and closes it at the end of the test.
func (h *harness) engine(user signaling.UserID, mod func(*Config)) *tengine {
	h.t.Helper()
	return h.engineWith(user, mod, testHooks{})
}

// engineWith is engine with the test hooks th.
func (h *harness) engineWith(user signaling.UserID, mod func(*Config), th testHooks) *tengine {
	h.t.Helper()
	cfg := Config{
		Video:           testVideo,
		LoopbackOnly:    true,
		NoPlayback:      true,
		VolumeInterval:  100 * time.Millisecond,
		QualityInterval: 500 * time.Millisecond,
		Logger:          testLogger().With("user", string(user)),
	}
	if mod != nil {
		mod(&cfg)
	}
	te := &tengine{Engine: newEngine(cfg, th), t: h.t, user: user, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go te.record()
	h.t.Cleanup(func() {
		te.Close()
		<-te.done
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := te.Login(ctx, LoginParams{Server: h.url, UserID: user, UserSig: h.sig(user, time.Hour)}); err != nil {
		h.t.Fatalf("%s: login: %v", user, err)
	}
	return te
}

func (te *tengine) record() {
	defer close(te.done)
	for ev := range te.Events() {
		te.mu.Lock()
		te.events = append(te.events, ev)
		te.at = append(te.at, time.Now())
		te.mu.Unlock()
		select {
		case te.notify <- struct{}{}:
		default:
		}
	}
}

// waitFor waits for the first event at or after index from that matches,
// and returns it with its index.
func (te *tengine) waitFrom(from int, what string, match func(Event) bool, timeout time.Duration) (Event, int) {
	te.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		te.mu.Lock()
		evs := te.events
		te.mu.Unlock()
		for i := from; i < len(evs); i++ {
			if match(evs[i]) {
				return evs[i], i
			}
		}
		select {
		case <-te.notify:
		case <-deadline.C:
			te.t.Fatalf("%s: no %s within %v; events:\n%s", te.user, what, timeout, te.dump())
			return nil, 0
		}
	}
}

// waitEvent waits for an event named name (e.g. "onCallBegin") that
// satisfies match (nil: any).
func (te *tengine) waitEvent(name string, match func(Event) bool) Event {
	te.t.Helper()
	ev, _ := te.waitFrom(0, name, func(ev Event) bool {
		return ev.EventName() == name && (match == nil || match(ev))
	}, 20*time.Second)
	return ev
}

// callEvents is the names of the call events seen so far, leaving out the
// periodic ones (volume, quality) and Calla's own (presence, connection,
// media source).
func (te *tengine) callEvents() []string {
	te.mu.Lock()
	defer te.mu.Unlock()
	var out []string
	for _, ev := range te.events {
		switch ev.(type) {
		case *UserVoiceVolumeChanged, *UserNetworkQualityChanged, *PresenceChanged, *ConnectionChanged, *MediaSourceChanged, *NetworkPathChanged:
			continue
		}
		out = append(out, describeEvent(ev))
	}
	return out
}

// describeEvent is an event's name with the one field that tells whose it
// is, e.g. "onUserJoin(bob)".
func describeEvent(ev Event) string {
	switch e := ev.(type) {
	case *UserJoin:
		return e.EventName() + "(" + string(e.UserID) + ")"
	case *UserLeave:
		return e.EventName() + "(" + string(e.UserID) + ")"
	case *UserReject:
		return e.EventName() + "(" + string(e.UserID) + ")"
	case *UserNoResponse:
		return e.EventName() + "(" + string(e.UserID) + ")"
	case *UserLineBusy:
		return e.EventName() + "(" + string(e.UserID) + ")"
	case *UserInviting:
		return e.EventName() + "(" + string(e.UserID) + ")"
	case *UserVideoAvailable:
		return fmt.Sprintf("%s(%s,%v)", e.EventName(), e.UserID, e.IsVideoAvailable)
	case *UserAudioAvailable:
		return fmt.Sprintf("%s(%s,%v)", e.EventName(), e.UserID, e.IsAudioAvailable)
	case *CallCancelled:
		return fmt.Sprintf("%s(%s,%s)", e.EventName(), e.CallerID, e.Reason)
	case *CallEnd:
		return fmt.Sprintf("%s(%s)", e.EventName(), e.Reason)
	case *CallMediaTypeChanged:
		return fmt.Sprintf("%s(%s->%s)", e.EventName(), e.OldCallMediaType, e.NewCallMediaType)
	case *Error:
		return fmt.Sprintf("%s(%d)", e.EventName(), e.Code)
	}
	return ev.EventName()
}

func (te *tengine) dump() string {
	te.mu.Lock()
	defer te.mu.Unlock()
	var b strings.Builder
	for _, ev := range te.events {
		j, _ := MarshalEvent(ev)
		b.WriteString("  ")
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stampSink is a VideoSink that reads the test pattern's stamp off every
// frame it is offered.
type stampSink struct {
	mu     sync.Mutex
	frames int
	stamps []stamp.Stamp
	got    chan struct{}
	size   image.Point
}

func newStampSink() *stampSink { return &stampSink{got: make(chan struct{}, 1)} }

func (s *stampSink) OfferFrame(img *image.RGBA, release func()) {
	st, ok := stamp.Read(img)
	s.mu.Lock()
	s.frames++
	s.size = img.Bounds().Size()
	if ok {
		s.stamps = append(s.stamps, st)
	}
	s.mu.Unlock()
	release()
	select {
	case s.got <- struct{}{}:
	default:
	}
}

// waitStamps waits until n stamped frames arrived after the call.
func (s *stampSink) waitStamps(t *testing.T, who string, n int) []stamp.Stamp {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		if len(s.stamps) >= n {
			out := append([]stamp.Stamp(nil), s.stamps...)
			s.mu.Unlock()
			return out
		}
		frames := s.frames
		s.mu.Unlock()
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("%s: %d stamped frames of %d wanted (%d frames in all)", who, len(s.stamps), n, frames)
		}
	}
}

func (s *stampSink) reset() {
	s.mu.Lock()
	s.stamps, s.frames = nil, 0
	s.mu.Unlock()
}

// noID drops the call ID that Call, GroupCall and JoinInGroupCall return,
// for tests that only look at the error.
func noID(_ signaling.CallID, err error) error { return err }
