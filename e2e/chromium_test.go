package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/calla-rtc/calla/internal/syncbuf"
)

// browser is one tab of a headless Chromium (Debian's, installed by
// scripts/setup.sh) with fake devices, showing Calla's browser client:
// libwebrtc, a standard WebRTC stack, on the other end of Calla's calls.
type browser struct {
	t   *testing.T
	ctx context.Context
	log *syncbuf.Buffer // the tab's console, and Chromium's own output
}

// chromium is the one Chromium process the tests share (its start costs
// seconds on a busy machine); each test gets a tab of its own. TestMain
// stops it.
var chromium struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab
	cancel func()
	dir    string
	log    *syncbuf.Buffer
	err    error
}

// startChromium starts the shared Chromium. Its microphone plays a
// 440 Hz tone and its camera colour bars (files written here), so that
// Calla has sound and a picture to measure.
func startChromium() error {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("no chromium: %w (scripts/setup.sh installs it)", err)
	}
	dir, err := os.MkdirTemp("", "calla-chromium-")
	if err != nil {
		return err
	}
	chromium.dir, chromium.log = dir, &syncbuf.Buffer{}
	wav, y4m := filepath.Join(dir, "tone.wav"), filepath.Join(dir, "bars.y4m")
	if err := os.WriteFile(wav, toneWAV(48000, 440, 0.3, time.Second), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(y4m, barsY4M(640, 480, 30, 15), 0o644); err != nil {
		return err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		// The network is closed: without these Chromium floods refused
		// connections to Google's services.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		// Fake devices, granted without a prompt, fed from the files.
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		chromedp.Flag("use-file-for-fake-video-capture", y4m),
		// Calla's peers here are on loopback; Chromium leaves loopback out
		// and hides host addresses behind mDNS names unless told.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.CombinedOutput(chromium.log),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	logf := func(format string, args ...any) {
		fmt.Fprintf(chromium.log, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	chromium.ctx = ctx
	chromium.cancel = func() {
		cancel()
		cancelAlloc()
		os.RemoveAll(dir)
	}
	// The first run starts the browser, which lives as long as the
	// context of that run: give it no deadline.
	if err := chromedp.Do(ctx); err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	return nil
}

// stopChromium stops the shared Chromium, if it was started.
func stopChromium() {
	if chromium.cancel != nil {
		chromium.cancel()
	}
}

// startBrowser opens pageURL in a new tab of the shared Chromium.
func startBrowser(t *testing.T, pageURL string) *browser {
	t.Helper()
	chromium.once.Do(func() { chromium.err = startChromium() })
	if chromium.err != nil {
		t.Fatal(chromium.err)
	}
	b := &browser{t: t, log: &syncbuf.Buffer{}}
	ctx, cancel := chromedp.NewContext(chromium.ctx,
		chromedp.WithListener(func(ev any) {
			if e, ok := ev.(*runtime.EventConsoleAPICalled); ok {
				var parts []string
				for _, a := range e.Args {
					v := string(a.Value)
					if v == "" {
						v = a.Description
					}
					parts = append(parts, strings.Trim(v, `"`))
				}
				b.logf("console.%s: %s", e.Type, strings.Join(parts, " "))
			}
		}))
	b.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			// Chromium's own lines are many; the last ones tell.
			t.Logf("browser console:\n%s\nchromium's output:\n%s", b.log.String(), chromium.log.Tail(100))
		}
		cancel() // closes the tab
	})
	if err := chromedp.Do(ctx); err != nil { // opens the tab, with no deadline on its life
		t.Fatalf("opening a tab: %v", err)
	}
	b.run(30*time.Second, "open the page", chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("login-form")))
	return b
}

func (b *browser) logf(format string, args ...any) {
	fmt.Fprintf(b.log, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
}

// run runs chromedp actions with a deadline.
func (b *browser) run(timeout time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (a promise is awaited) into out.
func (b *browser) eval(what, js string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// waitJS polls a JavaScript expression until it is true. An expression
// that throws (an element not there yet) counts as false.
func (b *browser) waitJS(what, js string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	guarded := "(() => { try { return !!(" + js + "); } catch (e) { return false; } })()"
	for {
		var ok bool
		b.eval(what, guarded, &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var state string
			b.eval("page state", `JSON.stringify({events: calla.events.map(e => e.type), errors: calla.errors,
				tiles: [...document.querySelectorAll('.tile')].map(t => ({...t.dataset}))})`, &state)
			b.t.Fatalf("browser: no %s within %v; page state: %s", what, timeout, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// rect is where the element selector is in the viewport (x, y, width,
// height in CSS pixels).
func (b *browser) rect(selector string) [4]float64 {
	b.t.Helper()
	var r [4]float64
	b.eval("the box of "+selector, `(r => [r.x, r.y, r.width, r.height])(document.querySelector('`+selector+`').getBoundingClientRect())`, &r)
	return r
}

func (b *browser) click(what, selector string) {
	b.t.Helper()
	b.run(20*time.Second, what, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

// signIn signs in as user with the UserSig `calla usersig` makes, as a
// person given one would, and waits for the contact list.
func (b *browser) signIn(user, secret string) {
	b.t.Helper()
	sig, err := exec.Command(callaBin(b.t), "usersig", "--secret-file", secret, "--user", user).Output()
	if err != nil {
		b.t.Fatalf("calla usersig: %v", err)
	}
	b.run(20*time.Second, "sign in",
		chromedp.SendKeys(chromedp.ID("user"), user),
		// A UserSig is pasted, not typed (and typing 200 characters
		// one key event at a time costs seconds).
		chromedp.SetValue(chromedp.ID("usersig"), strings.TrimSpace(string(sig))),
		chromedp.Click(chromedp.ID("login-btn")),
		chromedp.WaitVisible(chromedp.ID("contacts")),
	)
}

// inbound is what Chromium's getStats says of what it receives from
// peer (RTCInboundRtpStreamStats, by kind).
type inbound struct {
	Audio struct {
		PacketsReceived      float64 `json:"packetsReceived"`
		PacketsDiscarded     float64 `json:"packetsDiscarded"`
		TotalAudioEnergy     float64 `json:"totalAudioEnergy"`
		TotalSamplesReceived float64 `json:"totalSamplesReceived"`
		ConcealedSamples     float64 `json:"concealedSamples"`
	} `json:"audio"`
	Video struct {
		FramesDecoded   float64 `json:"framesDecoded"`
		PacketsReceived float64 `json:"packetsReceived"`
	} `json:"video"`
}

func (b *browser) inbound(peer string) inbound {
	b.t.Helper()
	var in inbound
	b.eval("getStats", fmt.Sprintf(`(async () => {
		const pc = calla.peer(%q);
		const out = {audio: {}, video: {}};
		if (!pc) return out;
		(await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp') out[s.kind] = s; });
		return out;
	})()`, peer), &in)
	return in
}

// checkMediaFrom checks, by Chromium's getStats, that the browser
// decodes video from peer (when video) and plays its audio: the energy
// grows, and under 10% of the samples played over 2 s were concealed
// (libwebrtc conceals what it cannot play in time or at all). It returns
// the stats at the end.
func (b *browser) checkMediaFrom(peer string, video bool, from inbound) inbound {
	b.t.Helper()
	var in inbound
	deadline := time.Now().Add(30 * time.Second)
	for {
		in = b.inbound(peer)
		// Past the start, where the jitter buffer settles: 30 frames, 2 s
		// of sound.
		if (!video || in.Video.FramesDecoded >= from.Video.FramesDecoded+30) && in.Audio.TotalSamplesReceived >= from.Audio.TotalSamplesReceived+2*48000 {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("browser: from %s after 30s: %+v (video wanted: %v)", peer, in, video)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Windows of steady audio, 2 s of samples played each: the first
	// with under 10% concealed passes. More than one may be needed on a
	// loaded machine, where a starved sender now and then stalls for a
	// moment; a sender whose audio Chromium cannot play (all of it
	// concealed, as with timestamps that stand still) fails every one.
	var windows []string
	for w := 0; ; w++ {
		start, until := in, time.Now().Add(10*time.Second)
		for {
			in = b.inbound(peer)
			if in.Audio.TotalSamplesReceived >= start.Audio.TotalSamplesReceived+2*48000 {
				break
			}
			if time.Now().After(until) {
				b.t.Fatalf("browser: audio from %s stopped playing: %+v", peer, in)
			}
			time.Sleep(200 * time.Millisecond)
		}
		samples := in.Audio.TotalSamplesReceived - start.Audio.TotalSamplesReceived
		concealed := (in.Audio.ConcealedSamples - start.Audio.ConcealedSamples) / samples
		energy := in.Audio.TotalAudioEnergy - start.Audio.TotalAudioEnergy
		windows = append(windows, fmt.Sprintf("energy +%.3f over %.1f s, %.1f%% concealed", energy, samples/48000, 100*concealed))
		if energy > 0 && concealed < 0.1 {
			break
		}
		if w == 4 {
			b.t.Fatalf("browser: Chromium does not play the audio from %s: in no window of 2 s were under 10%% of the samples concealed with energy above 0: %s",
				peer, strings.Join(windows, "; "))
		}
	}
	b.t.Logf("browser: from %s: %.0f frames decoded; audio: %.0f packets (%.0f discarded), %s",
		peer, in.Video.FramesDecoded, in.Audio.PacketsReceived, in.Audio.PacketsDiscarded, strings.Join(windows, "; "))
	return in
}

// toneWAV is a mono 16-bit PCM WAV file of a sine tone.
func toneWAV(rate, hz int, amp float64, d time.Duration) []byte {
	n := int(d.Seconds() * float64(rate))
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	le := binary.LittleEndian
	w.WriteString("RIFF")
	_ = binary.Write(w, le, uint32(36+2*n))
	w.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(w, le, v) // fmt: PCM, mono, 16 bits
	}
	w.WriteString("data")
	_ = binary.Write(w, le, uint32(2*n))
	for i := 0; i < n; i++ {
		_ = binary.Write(w, le, int16(amp*32767*math.Sin(2*math.Pi*float64(hz)*float64(i)/float64(rate))))
	}
	_ = w.Flush()
	return b.Bytes()
}

// barsY4M is a Y4M video (I420) of colour bars (white, yellow, cyan,
// green, magenta, red, blue, black) across a band of black and white
// squares, with a white block that moves from frame to frame: what
// testPatternIn looks for in a window (saturated colour, pure black and
// pure white).
func barsY4M(w, h, fps, frames int) []byte {
	rgb := [][3]float64{{255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0}, {255, 0, 255}, {255, 0, 0}, {0, 0, 255}, {0, 0, 0}}
	yuv := func(c [3]float64) (byte, byte, byte) {
		r, g, b := c[0], c[1], c[2]
		y := 0.299*r + 0.587*g + 0.114*b
		return byte(y), byte(128 + 0.564*(b-y)), byte(128 + 0.713*(r-y))
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", w, h, fps)
	for f := 0; f < frames; f++ {
		out.WriteString("FRAME\n")
		Y := make([]byte, w*h)
		U := make([]byte, w*h/4)
		V := make([]byte, w*h/4)
		bx := (f * w / frames) % w // the moving block's left edge
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := rgb[x*len(rgb)/w]
				switch {
				case y >= h/3 && y < h/2: // a band of black and white squares
					c = rgb[0]
					if (x/(w/16)+y/(w/16))%2 == 1 {
						c = rgb[len(rgb)-1]
					}
				case y >= h-h/8 && x >= bx && x < bx+w/8:
					c = rgb[0]
				}
				yy, u, v := yuv(c)
				Y[y*w+x] = yy
				if y%2 == 0 && x%2 == 0 {
					U[(y/2)*(w/2)+x/2], V[(y/2)*(w/2)+x/2] = u, v
				}
			}
		}
		out.Write(Y)
		out.Write(U)
		out.Write(V)
	}
	return out.Bytes()
}
