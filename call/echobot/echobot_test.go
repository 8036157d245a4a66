package echobot_test

import (
	"context"
	"image"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/call/echobot"
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/media/stamp"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	secret = []byte("echobot-test-secret-0123456789abcd")
	appID  = uint32(1400000043)
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// TestEchoBotSendsTheCallerItsOwnVideo calls an echo bot and reads the
// caller's own test pattern back, about the bot's delay old, and hears
// the caller's own tone; the bot answers the next call too.
func TestEchoBotSendsTheCallerItsOwnVideo(t *testing.T) {
	url := startServer(t)
	const delay = 500 * time.Millisecond
	bot := login(t, url, "echo", func(e *call.Engine) func(call.Event) {
		b := echobot.New(e, delay, quiet)
		t.Cleanup(b.Close) // before the engine's Close (cleanups run last first)
		return b.Handle
	})
	alice := login(t, url, "alice", nil)
	back := &stampSink{got: make(chan struct{}, 1)}
	alice.StartRemoteView("echo", back)
	if _, err := alice.Call(ctxT(t), "echo", signaling.Video, call.Params{}); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, 0, "onCallBegin", nil)
	alice.wait(t, 0, "onUserJoin", nil)
	st := back.waitStamps(t, 10)
	last := st[len(st)-1]
	age := time.Since(last.Captured)
	if age < delay/2 || age > delay+2*time.Second {
		t.Errorf("the echoed frame %d was captured %v ago; the bot delays by %v", last.Frame, age, delay)
	}
	alice.wait(t, 0, "onUserVoiceVolumeChanged", func(ev call.Event) bool {
		return ev.(*call.UserVoiceVolumeChanged).VolumeMap["echo"] > 10 // our own tone, echoed
	})
	if err := alice.Hangup(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	bot.wait(t, 0, "onCallEnd", nil)
	i := alice.wait(t, 0, "onCallEnd", nil)
	// The bot answers the next call too.
	if _, err := alice.Call(ctxT(t), "echo", signaling.Audio, call.Params{}); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, i, "onCallBegin", nil)
}

// TestEchoVoiceCallRatesTheNetworkWell: on loopback a voice call to the
// echo bot rates the bot's link Good or Excellent, past the time after
// which media the bot says it sends but never arrives would count as
// Down (4 s): the bot claims only the audio it receives.
func TestEchoVoiceCallRatesTheNetworkWell(t *testing.T) {
	url := startServer(t)
	login(t, url, "echo", func(e *call.Engine) func(call.Event) {
		b := echobot.New(e, 200*time.Millisecond, quiet)
		t.Cleanup(b.Close)
		return b.Handle
	})
	alice := login(t, url, "alice", nil)
	if _, err := alice.Call(ctxT(t), "echo", signaling.Audio, call.Params{}); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, 0, "onUserJoin", nil)
	joined := time.Now()
	alice.wait(t, 0, "onUserVoiceVolumeChanged", func(ev call.Event) bool {
		return ev.(*call.UserVoiceVolumeChanged).VolumeMap["echo"] > 10 // our own tone, echoed
	})
	// Watch the ratings for 6 s past the join: the sleep is the time
	// watched, not a wait for something.
	time.Sleep(time.Until(joined.Add(6 * time.Second)))
	var rated []media.Quality
	alice.mu.Lock()
	for _, ev := range alice.events {
		if e, ok := ev.(*call.UserNetworkQualityChanged); ok {
			if q, ok := e.NetworkQuality["echo"]; ok && q != media.QualityUnknown {
				rated = append(rated, q)
			}
		}
	}
	alice.mu.Unlock()
	if len(rated) == 0 {
		t.Fatal("the bot's link was never rated")
	}
	for _, q := range rated {
		if q != media.QualityExcellent && q != media.QualityGood {
			t.Fatalf("the bot's link was rated %v on loopback (ratings: %v)", q, rated)
		}
	}
}

// TestEchoBotClaimsWhatTheCallerSends: the bot tells the caller it sends
// video only while the caller does: the caller's camera off turns the
// bot's video off on the caller's side, and on again.
func TestEchoBotClaimsWhatTheCallerSends(t *testing.T) {
	url := startServer(t)
	login(t, url, "echo", func(e *call.Engine) func(call.Event) {
		b := echobot.New(e, 200*time.Millisecond, quiet)
		t.Cleanup(b.Close)
		return b.Handle
	})
	alice := login(t, url, "alice", nil)
	if _, err := alice.Call(ctxT(t), "echo", signaling.Video, call.Params{}); err != nil {
		t.Fatal(err)
	}
	echoVideo := func(on bool) func(call.Event) bool {
		return func(ev call.Event) bool {
			v := ev.(*call.UserVideoAvailable)
			return v.UserID == "echo" && v.IsVideoAvailable == on
		}
	}
	i := alice.wait(t, 0, "onUserVideoAvailable", echoVideo(true))
	if err := alice.CloseCamera(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	i = alice.wait(t, i, "onUserVideoAvailable", echoVideo(false))
	if err := alice.OpenCamera(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, i, "onUserVideoAvailable", echoVideo(true))
}

func startServer(t *testing.T) string {
	t.Helper()
	srv, err := server.New(server.Config{AppID: appID, Secret: secret, Logger: quiet, Grace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
}

// engine is an engine whose events a goroutine records (and hands to
// handle, for the bot).
type engine struct {
	*call.Engine
	handle func(call.Event)
	mu     sync.Mutex
	events []call.Event
	notify chan struct{}
	done   chan struct{}
}

// login logs user in; bot, if not nil, makes the engine a bot and gives
// the handler of its events.
func login(t *testing.T, url string, user signaling.UserID, bot func(*call.Engine) func(call.Event)) *engine {
	t.Helper()
	e := &engine{Engine: call.New(call.Config{LoopbackOnly: true, NoPlayback: true, Logger: quiet,
		Video: call.VideoEncoderParams{Width: 320, Height: 240, FrameRate: 15}, VolumeInterval: 100 * time.Millisecond}),
		notify: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(func() {
		e.Close()
		<-e.done
	})
	if bot != nil {
		e.handle = bot(e.Engine)
	}
	go func() {
		defer close(e.done)
		for ev := range e.Events() {
			if e.handle != nil {
				e.handle(ev)
			}
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
			select {
			case e.notify <- struct{}{}:
			default:
			}
		}
	}()
	sig, err := signaling.GenUserSig(secret, appID, user, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Login(ctxT(t), call.LoginParams{Server: url, UserID: user, UserSig: sig}); err != nil {
		t.Fatal(err)
	}
	return e
}

// wait waits for an event named name at or after index from and returns
// the index after it.
func (e *engine) wait(t *testing.T, from int, name string, match func(call.Event) bool) int {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		evs := e.events
		e.mu.Unlock()
		for i := from; i < len(evs); i++ {
			if evs[i].EventName() == name && (match == nil || match(evs[i])) {
				return i + 1
			}
		}
		select {
		case <-e.notify:
		case <-deadline:
			t.Fatalf("no %s within 20 s", name)
		}
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// stampSink reads the test pattern's stamp off every frame it is offered.
type stampSink struct {
	mu     sync.Mutex
	stamps []stamp.Stamp
	got    chan struct{}
}

func (s *stampSink) OfferFrame(img *image.RGBA, release func()) {
	st, ok := stamp.Read(img)
	release()
	if ok {
		s.mu.Lock()
		s.stamps = append(s.stamps, st)
		s.mu.Unlock()
	}
	select {
	case s.got <- struct{}{}:
	default:
	}
}

func (s *stampSink) waitStamps(t *testing.T, n int) []stamp.Stamp {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.mu.Lock()
		if len(s.stamps) >= n {
			out := append([]stamp.Stamp(nil), s.stamps...)
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("fewer than %d stamped frames came back", n)
		}
	}
}
