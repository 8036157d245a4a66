// Package bench measures call setup through the whole engine: N
// sequential 1v1 video calls between two engines on loopback, through a
// real signaling server, with real capture (the test source), VP8/Opus
// encoding, pion peer connections and decoding. The engines are set up as
// the desktop app's: the speaker on (miniaudio; the null backend where
// there is no sound card), and the callee's devices open at Accept.
//
// It reports, at p50 and p99: invite -> onCallReceived at the callee,
// accept -> the callee's camera open, accept -> onCallBegin at each side,
// and accept -> first decoded remote frame at each side (DESIGN §5: p50
// <= 150 ms). Then, for M rounds, the caller's connection to the server
// drops and the server takes its reconnects without answering: how long
// Hangup takes to return, and to bring onCallEnd, meanwhile.
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
	Calls   int                     // how many calls, one after another
	Hangups int                     // how many hang-ups while reconnecting (default 10)
	Video   call.VideoEncoderParams // zero: 640x480 at 30 fps
	Logger  *slog.Logger
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
	AcceptCamera             Latencies // Accept -> the callee's camera open (onMediaSourceChanged)
	HangupReturn             Latencies // Hangup while reconnecting -> it returns
	HangupEnd                Latencies // Hangup while reconnecting -> onCallEnd
	Hangups, HangupsFailed   int
	LoadStart, LoadEnd       string // the load averages before and after: a busy machine's figures say so
	Calls, Failed            int
	FirstError               string
	Width, Height, FrameRate int
}

// side is one engine with timestamped events and a first-frame sink.
type side struct {
	e      *call.Engine
	mu     sync.Mutex
	seen   map[string]time.Time // event name -> first arrival in this call
	conn   call.ConnectionState // the last onConnectionChanged's
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
		name := ev.EventName()
		if m, ok := ev.(*call.MediaSourceChanged); ok {
			name += ":" + m.Kind
		}
		s.mu.Lock()
		if c, ok := ev.(*call.ConnectionChanged); ok {
			s.conn = c.State
		}
		if _, ok := s.seen[name]; !ok {
			s.seen[name] = now
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
	if o.Hangups <= 0 {
		o.Hangups = 10
	}
	if o.Video == (call.VideoEncoderParams{}) {
		o.Video = call.VideoEncoderParams{Width: 640, Height: 480, FrameRate: 30}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	res := Result{Width: o.Video.Width, Height: o.Video.Height, FrameRate: o.Video.FrameRate, LoadStart: benchreport.LoadAverage()}
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

	mk := func(user signaling.UserID, url string) (*side, error) {
		s := &side{
			e:      call.New(call.Config{Video: o.Video, LoopbackOnly: true, Logger: o.Logger, RequestTimeout: time.Minute}),
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
	// Alice reaches the server through a proxy that can drop her
	// connection and then take her reconnects without answering.
	px, err := newProxy(ln.Addr().String())
	if err != nil {
		return res, err
	}
	defer px.close()
	alice, err := mk("alice", "ws://"+px.addr()+"/ws")
	if err != nil {
		return res, err
	}
	defer func() { alice.e.Close(); <-alice.done }()
	bob, err := mk("bob", url)
	if err != nil {
		return res, err
	}
	defer func() { bob.e.Close(); <-bob.done }()
	alice.e.StartRemoteView("bob", alice)
	bob.e.StartRemoteView("alice", bob)

	var inv, abA, abB, afA, afB, cam []time.Duration
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
		cam = append(cam, d[5])
	}
	res.InviteReceived, res.AcceptBeginCaller, res.AcceptBeginCallee = summarise(inv), summarise(abA), summarise(abB)
	res.AcceptFrameCaller, res.AcceptFrameCallee = summarise(afA), summarise(afB)
	res.AcceptCamera = summarise(cam)

	var hr, he []time.Duration
	for i := range o.Hangups {
		if ctx.Err() != nil {
			break
		}
		res.Hangups++
		ret, end, err := hangupReconnecting(ctx, alice, bob, px)
		if err != nil {
			res.HangupsFailed++
			if res.FirstError == "" {
				res.FirstError = fmt.Sprintf("hang-up %d: %v", i+1, err)
			}
			continue
		}
		hr, he = append(hr, ret), append(he, end)
	}
	res.HangupReturn, res.HangupEnd = summarise(hr), summarise(he)
	res.LoadEnd = benchreport.LoadAverage()
	return res, nil
}

// oneCall measures one call: invite->received, accept->begin (caller,
// callee), accept->first frame (caller, callee), accept->callee's camera.
func oneCall(ctx context.Context, alice, bob *side) ([6]time.Duration, error) {
	var d [6]time.Duration
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
	cb, err5 := bob.wait(ctx, "onMediaSourceChanged:camera")
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return d, err
	}
	d = [6]time.Duration{rcv.Sub(t0), ba.Sub(t1), bb.Sub(t1), fa.Sub(t1), fb.Sub(t1), cb.Sub(t1)}
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

// hangupReconnecting sets up a call between alice and bob, silences
// alice's server (her connection drops; her reconnects are never
// answered), and measures, once she says she is reconnecting, how long
// her Hangup takes to return and to bring her onCallEnd. Then the server
// answers again, and the round ends when bob's call has ended too.
func hangupReconnecting(ctx context.Context, alice, bob *side, px *proxy) (ret, end time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	alice.reset()
	bob.reset()
	if _, err := alice.e.Call(ctx, "bob", signaling.Audio, call.Params{}); err != nil {
		return 0, 0, err
	}
	if _, err := bob.wait(ctx, "onCallReceived"); err != nil {
		return 0, 0, err
	}
	if err := bob.e.Accept(ctx); err != nil {
		return 0, 0, err
	}
	if _, err := alice.wait(ctx, "onUserJoin"); err != nil {
		return 0, 0, err
	}
	px.silence()
	restored := false
	defer func() {
		if !restored {
			px.restore()
		}
	}()
	if err := alice.waitConnection(ctx, call.Reconnecting); err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	if err := alice.e.Hangup(ctx); err != nil {
		return 0, 0, err
	}
	ret = time.Since(t0)
	ce, err := alice.wait(ctx, "onCallEnd")
	if err != nil {
		return 0, 0, err
	}
	end = ce.Sub(t0)
	px.restore()
	restored = true
	if err := alice.waitConnection(ctx, call.Connected); err != nil {
		return 0, 0, err
	}
	if _, err := bob.wait(ctx, "onCallEnd"); err != nil {
		return 0, 0, err
	}
	return ret, end, nil
}

// waitConnection waits for onConnectionChanged with state st.
func (s *side) waitConnection(ctx context.Context, st call.ConnectionState) error {
	for {
		s.mu.Lock()
		got := s.conn == st
		s.mu.Unlock()
		if got {
			return nil
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return fmt.Errorf("no onConnectionChanged(%v): %w", st, ctx.Err())
		}
	}
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// Markdown renders r as the report's "Call setup" section.
func Markdown(r Result, command string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Call setup\n\n")
	fmt.Fprintf(&b, "Measured by `%s` on %s, %s; load average %s before, %s after.\n", command, at.UTC().Format("2006-01-02 15:04 MST"), benchreport.Machine(), r.LoadStart, r.LoadEnd)
	fmt.Fprintf(&b, "%d sequential 1v1 video calls (%d failed) between two `call.Engine`s in one process, through a real signaling server on loopback; %dx%d at %d fps from the test pattern, VP8 + Opus, pion peer connections over loopback, decoded on both sides. The engines are set up as the desktop app's: the speaker on (miniaudio; the null backend on a machine without a sound card), and the callee's camera and microphone opening at Accept, not while it rings, while its answer, ICE and DTLS go ahead (media.Session.StartAsync). Times are wall-clock at the engines' event consumers. The accept -> camera row is the callee's whole device path with the test pattern as its camera: the session and its speaker (the bench accepts the moment the call rings), the microphone, the pattern's first frame and the VP8 encoder's setup (about 27 ms at 640x480 here, most of it the kernel zeroing libvpx's new buffers). A real camera slower to give its first frame than the link is to connect delays the first remote frame by the difference.\n\n",
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
	row("invite -> onCallReceived (callee, speaker on)", r.InviteReceived, "p50 <= 5 ms", r.InviteReceived.P50 <= 5*time.Millisecond)
	row("accept -> the callee's camera open", r.AcceptCamera, "", true)
	row("accept -> onCallBegin (caller)", r.AcceptBeginCaller, "", true)
	row("accept -> onCallBegin (callee)", r.AcceptBeginCallee, "", true)
	row("accept -> first remote frame decoded (caller)", r.AcceptFrameCaller, "p50 <= 150 ms", r.AcceptFrameCaller.P50 <= 150*time.Millisecond)
	row("accept -> first remote frame decoded (callee)", r.AcceptFrameCallee, "p50 <= 150 ms", r.AcceptFrameCallee.P50 <= 150*time.Millisecond)
	fmt.Fprintf(&b, "\n%d hang-ups (%d failed) while the caller reconnects to a server that never answers (a proxy drops the connection and then takes the reconnects without a reply; RequestTimeout is a minute): from the Hangup call, once onConnectionChanged says reconnecting.\n\n", r.Hangups, r.HangupsFailed)
	fmt.Fprintf(&b, "| Figure | p50 | p99 | max |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| Hangup returns | %s | %s | %s |\n", ms(r.HangupReturn.P50), ms(r.HangupReturn.P99), ms(r.HangupReturn.Max))
	fmt.Fprintf(&b, "| onCallEnd | %s | %s | %s |\n", ms(r.HangupEnd.P50), ms(r.HangupEnd.P99), ms(r.HangupEnd.Max))
	if r.FirstError != "" {
		fmt.Fprintf(&b, "\nFirst failure: `%s`.\n", r.FirstError)
	}
	return b.String()
}
