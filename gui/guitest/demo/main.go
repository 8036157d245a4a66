// Command demo runs Calla's GUI against guitest.FakeEngine: local mode
// signs in, then a video call from -members people rings; once it is
// accepted (click Accept, or press Enter: `xdotool search --name '^Calla$'
// windowfocus --sync key Return` under Xvfb) every member's tile and the
// local preview get moving test frames at -fps. It is for looking at the
// call screen without an engine and for measuring what rendering video
// costs (see docs/benchmarks.md, section GUI):
//
//	go run ./gui/guitest/demo -members 1 -duration 30s
//
// Concurrency: main runs Fyne's loop; one goroutine plays the engine's
// part (events, then frames) until the app ends.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/signal"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/gui"
	"github.com/calla-rtc/calla/gui/guitest"
	_ "github.com/calla-rtc/calla/internal/posixlocale" // before Fyne reads the locale
	"github.com/calla-rtc/calla/media"
	"github.com/calla-rtc/calla/signaling"
)

func main() {
	members := flag.Int("members", 1, "remote members in the call, 1 to 8")
	fps := flag.Int("fps", 30, "frames per second per video")
	width := flag.Int("width", 640, "frame width")
	height := flag.Int("height", 480, "frame height")
	local := flag.Bool("local", true, "send frames to the local preview too")
	duration := flag.Duration("duration", 0, "quit after this long (0: when the window closes)")
	flag.Parse()
	if *members < 1 || *members > 8 || *fps < 1 || *width < 16 || *height < 16 {
		fmt.Fprintln(os.Stderr, "demo: -members 1..8, -fps >= 1, -width and -height >= 16")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	data, err := os.MkdirTemp("", "calla-demo")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(data)
	// The player stops when the window closes (quit) or the time is up.
	runCtx, quit := context.WithCancel(ctx)
	eng := guitest.NewFakeEngine()
	done := make(chan struct{})
	go func() {
		defer close(done)
		play(runCtx, eng, *members, *fps, *width, *height, *local)
	}()
	err = gui.Run(runCtx, app.NewWithID("io.github.calla_rtc.calla.demo"), gui.Options{
		Engine: eng, Local: true, Server: "ws://127.0.0.1:1/ws", User: "alice", EchoUser: "echo", Data: data,
	})
	quit()
	<-done
	eng.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// play is the engine's part: presence, an incoming call, and after the
// user accepts, the call's events and frames until ctx ends.
func play(ctx context.Context, eng *guitest.FakeEngine, members, fps, w, h int, local bool) {
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	if !wait(time.Second) {
		return
	}
	ids := make([]signaling.UserID, members)
	for i := range ids {
		ids[i] = signaling.UserID(fmt.Sprintf("u%d", i))
	}
	eng.Emit(&call.PresenceChanged{UserID: "echo", Presence: signaling.Online})
	eng.Emit(&call.CallReceived{CallID: "c1", CallerID: ids[0],
		CalleeIDList: append([]signaling.UserID{"alice"}, ids[1:]...), CallMediaType: signaling.Video})
	for eng.Count("Accept") == 0 {
		if !wait(50 * time.Millisecond) {
			return
		}
	}
	eng.Emit(&call.CallBegin{CallID: "c1", CallMediaType: signaling.Video, CallRole: signaling.RoleCallee})
	for _, id := range ids {
		eng.Emit(&call.UserJoin{CallID: "c1", UserID: id})
	}
	quality := map[signaling.UserID]media.Quality{"alice": media.QualityGood}
	for _, id := range ids {
		quality[id] = media.QualityExcellent
	}
	eng.Emit(&call.UserNetworkQualityChanged{CallID: "c1", NetworkQuality: quality})

	var frames [8]*image.RGBA
	for i := range frames {
		frames[i] = gradient(w, h, i*w/len(frames))
	}
	t := time.NewTicker(time.Second / time.Duration(fps))
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if eng.Count("Hangup") > 0 {
			return
		}
		// Each frame is handed over (call.VideoSink): a fresh copy, as
		// the engine's decoder would give.
		for _, id := range ids {
			if s := eng.RemoteSink(id); s != nil {
				s.OfferFrame(clone(frames[n%len(frames)]), func() {})
			}
		}
		if s := eng.LocalSink(); s != nil && local {
			s.OfferFrame(clone(frames[(n+4)%len(frames)]), func() {})
		}
	}
}

func gradient(w, h, shift int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8((x + shift) % w * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

func clone(img *image.RGBA) *image.RGBA {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix...)
	return &c
}
