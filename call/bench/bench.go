// Package bench measures call setup through the whole engine: N
// sequential 1v1 video calls between two engines on loopback, through a
// real signaling server, with real capture (the test source), VP8/Opus
// encoding, pion peer connections and decoding.
//
// It reports, at p50 and p99: invite -> onCallReceived at the callee,
// accept -> onCallBegin at each side, and accept -> first decoded remote
// frame at each side (DESIGN §5: p50 <= 150 ms).
//
// Concurrency: Run owns everything it starts (server, engines, their event
// readers) and stops it before returning.
package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// Options configure Run.
type Options struct {
	Calls  int                     // how many calls, one after another
	Video  call.VideoEncoderParams // zero: 640x480 at 30 fps
	Logger *slog.Logger
}

// Latencies is a distribution's summary.
type Latencies struct {
	N             int
	P50, P99, Max time.Duration
}

func summarise(d []time.Duration) Latencies {
	if len(d) == 0 {
		return Latencies{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return Latencies{N: len(s), P50: q(0.5), P99: q(0.99), Max: s[len(s)-1]}
}

// Result is what Run measured.
type Result struct {
	InviteReceived           Latencies // Call -> onCallReceived at the callee
	AcceptBeginCaller        Latencies // Accept -> onCallBegin at the caller
	AcceptBeginCallee        Latencies // Accept -> onCallBegin at the callee
	AcceptFrameCaller        Latencies // Accept -> first decoded frame at the caller
	AcceptFrameCallee        Latencies // Accept -> first decoded frame at the callee
	Calls, Failed            int
	FirstError               string
	Width, Height, FrameRate int
}

// side is one engine with timestamped events and a first-frame sink.
type side struct {
	e      *call.Engine
	mu     sync.Mutex
	seen   map[string]time.Time // event name -> first arrival in this call
	wake   chan struct{}
	done   chan struct{}
	frame  time.Time // first frame in this call
	frames chan struct{}
}

func (s *side) OfferFrame(_ *image.RGBA, release func()) {
	release()
	s.mu.Lock()
	first := s.frame.IsZero()
	if first {
		s.frame = time.Now()
	}
	s.mu.Unlock()
	if first {
		select {
		case s.frames <- struct{}{}:
		default:
		}
	}
}

func (s *side) record() {
	defer close(s.done)
	for ev := range s.e.Events() {
		now := time.Now()
		s.mu.Lock()
		if _, ok := s.seen[ev.EventName()]; !ok {
			s.seen[ev.EventName()] = now
		}
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *side) reset() {
	s.mu.Lock()
	s.seen = map[string]time.Time{}
	s.frame = time.Time{}
	s.mu.Unlock()
}

// wait waits for the event name and returns when it arrived.
func (s *side) wait(ctx context.Context, name string) (time.Time, error) {
	for {
		s.mu.Lock()
		t, ok := s.seen[name]
		s.mu.Unlock()
		if ok {
			return t, nil
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("no %s: %w", name, ctx.Err())
		}
	}
}

func (s *side) waitFrame(ctx context.Context) (time.Time, error) {
	for {
		s.mu.Lock()
		t := s.frame
		s.mu.Unlock()
		if !t.IsZero() {
			return t, nil
		}
		select {
		case <-s.frames:
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("no remote frame: %w", ctx.Err())
		}
	}
}

// Run makes o.Calls calls and measures each.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Calls <= 0 {
		o.Calls = 20
	}
	if o.Video == (call.VideoEncoderParams{}) {
		o.Video = call.VideoEncoderParams{Width: 640, Height: 480, FrameRate: 30}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	res := Result{Width: o.Video.Width, Height: o.Video.Height, FrameRate: o.Video.FrameRate}
	secret := make([]byte, 32)
	rand.Read(secret)
	const app = 1400000077
	srv, err := server.New(server.Config{AppID: app, Secret: secret, Logger: o.Logger})
	if err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("bench server", "err", err)
		}
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		hs.Shutdown(sctx)
		<-served
	}()
	url := "ws://" + ln.Addr().String() + "/ws"

	mk := func(user signaling.UserID) (*side, error) {
		s := &side{
			e:      call.New(call.Config{Video: o.Video, LoopbackOnly: true, NoPlayback: true, Logger: o.Logger}),
			seen:   map[string]time.Time{},
			wake:   make(chan struct{}, 1),
			done:   make(chan struct{}),
			frames: make(chan struct{}, 1),
		}
		go s.record()
		sig, err := signaling.GenUserSig(secret, app, user, time.Hour, time.Now())
		if err == nil {
			lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = s.e.Login(lctx, call.LoginParams{Server: url, UserID: user, UserSig: sig})
			cancel()
		}
		return s, err
	}
	alice, err := mk("alice")
	if err != nil {
		return res, err
	}
	defer func() { alice.e.Close(); <-alice.done }()
	bob, err := mk("bob")
	if err != nil {
		return res, err
	}
	defer func() { bob.e.Close(); <-bob.done }()
	alice.e.StartRemoteView("bob", alice)
	bob.e.StartRemoteView("alice", bob)

	var inv, abA, abB, afA, afB []time.Duration
	for i := range o.Calls {
		if ctx.Err() != nil {
			break
		}
		res.Calls++
		d, err := oneCall(ctx, alice, bob)
		if err != nil {
			res.Failed++
			if res.FirstError == "" {
				res.FirstError = fmt.Sprintf("call %d: %v", i+1, err)
			}
			continue
		}
		inv, abA, abB, afA, afB = append(inv, d[0]), append(abA, d[1]), append(abB, d[2]), append(afA, d[3]), append(afB, d[4])
	}
	res.InviteReceived, res.AcceptBeginCaller, res.AcceptBeginCallee = summarise(inv), summarise(abA), summarise(abB)
	res.AcceptFrameCaller, res.AcceptFrameCallee = summarise(afA), summarise(afB)
	return res, nil
}

// oneCall measures one call: invite->received, accept->begin (caller,
// callee), accept->first frame (caller, callee).
func oneCall(ctx context.Context, alice, bob *side) ([5]time.Duration, error) {
	var d [5]time.Duration
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	alice.reset()
	bob.reset()
	t0 := time.Now()
	if _, err := alice.e.Call(ctx, "bob", signaling.Video, call.Params{}); err != nil {
		return d, err
	}
	rcv, err := bob.wait(ctx, "onCallReceived")
	if err != nil {
		return d, err
	}
	t1 := time.Now()
	if err := bob.e.Accept(ctx); err != nil {
		return d, err
	}
	ba, err1 := alice.wait(ctx, "onCallBegin")
	bb, err2 := bob.wait(ctx, "onCallBegin")
	fa, err3 := alice.waitFrame(ctx)
	fb, err4 := bob.waitFrame(ctx)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return d, err
	}
	d = [5]time.Duration{rcv.Sub(t0), ba.Sub(t1), bb.Sub(t1), fa.Sub(t1), fb.Sub(t1)}
	if err := alice.e.Hangup(ctx); err != nil {
		return d, err
	}
	if _, err := alice.wait(ctx, "onCallEnd"); err != nil {
		return d, err
	}
	if _, err := bob.wait(ctx, "onCallEnd"); err != nil {
		return d, err
	}
	return d, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// Markdown renders r as the report's "Call setup" section.
func Markdown(r Result, command string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Call setup\n\n")
	fmt.Fprintf(&b, "Measured by `%s` on %s, %s.\n", command, at.UTC().Format("2006-01-02 15:04 MST"), benchreport.Machine())
	fmt.Fprintf(&b, "%d sequential 1v1 video calls (%d failed) between two `call.Engine`s in one process, through a real signaling server on loopback; %dx%d at %d fps from the test pattern, VP8 + Opus, pion peer connections over loopback, decoded on both sides. Times are wall-clock at the engines' event consumers.\n\n",
		r.Calls, r.Failed, r.Width, r.Height, r.FrameRate)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(&b, "| Figure | p50 | p99 | max | Target | |\n|---|---|---|---|---|---|\n")
	row := func(name string, l Latencies, target string, ok bool) {
		v := ""
		if target != "" {
			v = verdict(l.N > 0 && ok)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", name, ms(l.P50), ms(l.P99), ms(l.Max), target, v)
	}
	row("invite -> onCallReceived (callee)", r.InviteReceived, "p50 <= 5 ms", r.InviteReceived.P50 <= 5*time.Millisecond)
	row("accept -> onCallBegin (caller)", r.AcceptBeginCaller, "", true)
	row("accept -> onCallBegin (callee)", r.AcceptBeginCallee, "", true)
	row("accept -> first remote frame decoded (caller)", r.AcceptFrameCaller, "p50 <= 150 ms", r.AcceptFrameCaller.P50 <= 150*time.Millisecond)
	row("accept -> first remote frame decoded (callee)", r.AcceptFrameCallee, "p50 <= 150 ms", r.AcceptFrameCallee.P50 <= 150*time.Millisecond)
	if r.FirstError != "" {
		fmt.Fprintf(&b, "\nFirst failure: `%s`.\n", r.FirstError)
	}
	return b.String()
}
