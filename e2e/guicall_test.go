package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/syncbuf"
	"github.com/calla-rtc/calla/internal/xvfb"
)

// app is one desktop app process on a display, with its stderr log.
type app struct {
	t       *testing.T
	user    string
	display string
	cmd     *exec.Cmd
	log     syncbuf.Buffer // its stderr, read while it writes
	exited  chan error
	window  string
}

// startApp runs `calla --server URL --user U --usersig S` on display.
func startApp(t *testing.T, display, url, secret, user string) *app {
	t.Helper()
	sig, err := exec.Command(callaBin(t), "usersig", "--secret-file", secret, "--user", user).Output()
	if err != nil {
		t.Fatalf("calla usersig: %v", err)
	}
	a := &app{t: t, user: user, display: display, exited: make(chan error, 1)}
	home := t.TempDir() // own Fyne preferences per app
	a.cmd = exec.Command(callaBin(t), "--server", url, "--user", user, "--usersig", strings.TrimSpace(string(sig)),
		"--data", filepath.Join(home, "data"), "--log-level", "info", "--loopback")
	a.cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "LANG=C.UTF-8")
	a.cmd.Stderr = &a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("starting %s's app: %v", user, err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			a.cmd.Process.Kill()
			<-a.exited
		}
		if t.Failed() {
			t.Logf("%s's app log:\n%s", user, a.log.String())
		}
	})
	a.window = a.waitWindow(30 * time.Second)
	return a
}

func (a *app) xdotool(args ...string) string {
	a.t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.display)
	out, err := cmd.Output()
	if err != nil {
		a.t.Fatalf("xdotool %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

func (a *app) waitWindow(timeout time.Duration) string {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--pid", strconv.Itoa(a.cmd.Process.Pid), "--name", "^Calla$")
		cmd.Env = append(os.Environ(), "DISPLAY="+a.display)
		if out, err := cmd.Output(); err == nil && len(strings.Fields(string(out))) > 0 {
			return strings.Fields(string(out))[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("%s's window did not show within %v", a.user, timeout)
	return ""
}

// waitLog waits until the app's log has a line containing s, n times.
func (a *app) waitLog(s string, n int, timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Count(a.log.String(), s) >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.t.Fatalf("%s's app never logged %q (%d times) within %v", a.user, s, n, timeout)
}

func (a *app) geometry() image.Rectangle {
	a.t.Helper()
	out := a.xdotool("getwindowgeometry", "--shell", a.window)
	v := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		if k, val, ok := strings.Cut(line, "="); ok {
			n, _ := strconv.Atoi(val)
			v[k] = n
		}
	}
	return image.Rect(v["X"], v["Y"], v["X"]+v["WIDTH"], v["Y"]+v["HEIGHT"])
}

// screen captures the whole X screen of display.
func screen(t *testing.T, display string) image.Image {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "import", "-window", "root", "png:-")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// findTeal returns the centre of the first teal (the video-call button's
// colour) blob in r: the contact row's video call button.
func findTeal(img image.Image, r image.Rectangle) (image.Point, bool) {
	var sx, sy, n int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 < 80 && cg>>8 > 140 && cb>>8 > 120 && cg>>8 > cr>>8+60 {
				sx, sy, n = sx+x, sy+y, n+1
			}
		}
	}
	if n < 50 {
		return image.Point{}, false
	}
	return image.Pt(sx/n, sy/n), true
}

// testPatternIn reports whether r of img shows the test pattern: the
// stamp's pure black and white blocks and the saturated colour bars.
func testPatternIn(img image.Image, r image.Rectangle) (bool, string) {
	var white, black, colour, total int
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			R, G, B := int(cr>>8), int(cg>>8), int(cb>>8)
			total++
			switch {
			case R > 200 && G > 200 && B > 200:
				white++
			case R < 40 && G < 40 && B < 40:
				black++
			case max(R, G, B)-min(R, G, B) > 120:
				colour++
			}
		}
	}
	pc := func(n int) float64 { return 100 * float64(n) / float64(max(total, 1)) }
	desc := fmt.Sprintf("white %.1f%%, black %.1f%%, saturated %.1f%%", pc(white), pc(black), pc(colour))
	return pc(white) > 2 && pc(black) > 2 && pc(colour) > 5, desc
}

// TestTwoAppsCall is the desktop app end to end: two real app processes on
// one server, each on its own part of an X screen. Alice calls Bob with a
// click on his video button, Bob accepts with Enter; both windows then
// show the other's test pattern; Alice hangs up with Esc and both are back
// on the contact list.
func TestTwoAppsCall(t *testing.T) {
	needDisplay(t)
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	bob := startApp(t, xvfb.Start(t, "1024x900x24"), url, secret, "bob")
	bob.waitLog(`msg="logged in"`, 1, 20*time.Second)
	alice := startApp(t, xvfb.Start(t, "1024x900x24"), url, secret, "alice")
	alice.waitLog(`msg="logged in"`, 1, 20*time.Second)
	time.Sleep(500 * time.Millisecond) // the contact lists draw
	bob.checkSize("with nobody in his contact list")
	alice.checkSize("with bob in her contact list")

	// Alice's contact list shows Bob online; click his video button.
	alice.clickCallButton(image.Point{})
	bob.waitLog("msg=onCallReceived", 1, 20*time.Second)
	bob.xdotool("windowfocus", "--sync", bob.window, "key", "Return")
	alice.waitLog("msg=onUserJoin", 1, 20*time.Second)
	bob.waitLog("msg=onUserJoin", 1, 20*time.Second)

	// Both show the other's test pattern in the big remote tile.
	shotA, shotB := waitTestPatterns(t, alice, bob, "call")
	alice.checkSize("in the call")
	bob.checkSize("in the call")
	saveShot(t, crop(shotA, alice.geometry()), "call-alice.png")
	saveShot(t, crop(shotB, bob.geometry()), "call-bob.png")

	// Alice hangs up with Esc; both go back to the contact list.
	alice.xdotool("windowfocus", "--sync", alice.window, "key", "Escape")
	alice.waitLog("msg=onCallEnd", 1, 20*time.Second)
	bob.waitLog("msg=onCallEnd", 1, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for {
		shotA, shotB = screen(t, alice.display), screen(t, bob.display)
		_, domA := colourStats(shotA, centre(alice.geometry()))
		_, domB := colourStats(shotB, centre(bob.geometry()))
		_, okA := findTeal(shotA, rightOfRow(alice.geometry()))
		_, okB := findTeal(shotB, rightOfRow(bob.geometry()))
		if okA && okB && domA > 0.95 && domB > 0.95 {
			break // the contact list again: an empty background and the call button
		}
		if time.Now().After(deadline) {
			saveShot(t, shotA, "e2e-after-hangup-alice-failed.png")
			saveShot(t, shotB, "e2e-after-hangup-bob-failed.png")
			t.Fatalf("not back on the contact list after hang-up (centre backgrounds %.0f%% / %.0f%%)", domA*100, domB*100)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for _, a := range []*app{alice, bob} {
		a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-a.exited:
			if err != nil {
				t.Errorf("%s's app exited with %v", a.user, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s's app did not exit within 15s of SIGTERM", a.user)
		}
	}
}

// TestTwoAppsVoiceToVideo: Alice calls Bob with his voice button, Bob
// accepts with Enter, and both windows show avatars, not video; Alice
// presses V, the voice call becomes a video call, and both windows show
// the other's test pattern.
func TestTwoAppsVoiceToVideo(t *testing.T) {
	needDisplay(t)
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	bob := startApp(t, xvfb.Start(t, "1024x900x24"), url, secret, "bob")
	bob.waitLog(`msg="logged in"`, 1, 20*time.Second)
	alice := startApp(t, xvfb.Start(t, "1024x900x24"), url, secret, "alice")
	alice.waitLog(`msg="logged in"`, 1, 20*time.Second)

	alice.clickCallButton(voiceButtonOffset)
	bob.waitLog("msg=onCallReceived", 1, 20*time.Second)
	bob.xdotool("windowfocus", "--sync", bob.window, "key", "Return")
	alice.waitLog("msg=onCallBegin", 1, 20*time.Second)
	bob.waitLog("msg=onCallBegin", 1, 20*time.Second)
	alice.waitLog("msg=onUserJoin", 1, 20*time.Second)
	bob.waitLog("msg=onUserJoin", 1, 20*time.Second)
	for _, a := range []*app{alice, bob} {
		if ok, desc := testPatternIn(screen(t, a.display), centre(a.geometry())); ok {
			t.Fatalf("%s's window shows video in a voice call: %s", a.user, desc)
		}
	}

	alice.xdotool("windowfocus", "--sync", alice.window, "key", "v")
	alice.waitLog("msg=onCallMediaTypeChanged", 1, 20*time.Second)
	bob.waitLog("msg=onCallMediaTypeChanged", 1, 20*time.Second)
	shotA, shotB := waitTestPatterns(t, alice, bob, "voice-to-video")
	saveShot(t, crop(shotA, alice.geometry()), "voice-to-video-alice.png")
	saveShot(t, crop(shotB, bob.geometry()), "voice-to-video-bob.png")
	alice.xdotool("windowfocus", "--sync", alice.window, "key", "Escape")
	bob.waitLog("msg=onCallEnd", 1, 20*time.Second)
}

// TestTwoAppsScreenShare: in a video call between two apps, Alice shares
// her screen (S), on which a window shows a magenta and black
// checkerboard; Bob's window then shows that checkerboard in the big
// tile where her camera was, and both engines log the share.
func TestTwoAppsScreenShare(t *testing.T) {
	needDisplay(t)
	url, data := serveProc(t)
	secret := filepath.Join(data, "signaling.secret")
	bob := startApp(t, xvfb.Start(t, "1024x900x24"), url, secret, "bob")
	bob.waitLog(`msg="logged in"`, 1, 20*time.Second)
	aliceDisplay := xvfb.Start(t, "1600x900x24")
	alice := startApp(t, aliceDisplay, url, secret, "alice")
	alice.waitLog(`msg="logged in"`, 1, 20*time.Second)
	showCheckerboard(t, aliceDisplay, 990, 50, 600, 800)

	alice.clickCallButton(image.Point{})
	bob.waitLog("msg=onCallReceived", 1, 20*time.Second)
	bob.xdotool("windowfocus", "--sync", bob.window, "key", "Return")
	alice.waitLog("msg=onUserJoin", 1, 20*time.Second)
	bob.waitLog("msg=onUserJoin", 1, 20*time.Second)
	waitTestPatterns(t, alice, bob, "before-share")

	alice.xdotool("windowfocus", "--sync", alice.window, "key", "s")
	alice.waitLog("msg=onUserScreenShareChanged", 1, 20*time.Second)
	bob.waitLog("msg=onUserScreenShareChanged", 1, 20*time.Second)
	var shot image.Image
	var desc string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		shot = screen(t, bob.display)
		var ok bool
		if ok, desc = checkerboardIn(shot, centre(bob.geometry())); ok {
			break
		}
		if time.Now().After(deadline) {
			saveShot(t, shot, "e2e-screen-share-bob-failed.png")
			saveShot(t, screen(t, alice.display), "e2e-screen-share-alice-failed.png")
			t.Fatalf("bob's window does not show alice's screen: %s", desc)
		}
	}
	saveShot(t, crop(shot, bob.geometry()), "screen-share-bob.png")
	alice.xdotool("windowfocus", "--sync", alice.window, "key", "Escape")
	bob.waitLog("msg=onCallEnd", 1, 20*time.Second)
}

// showCheckerboard opens a window on display at x, y of w x h showing a
// checkerboard of magenta and black 40-pixel squares (ImageMagick's
// display; without a window manager it stays where it is put).
func showCheckerboard(t *testing.T, display string, x, y, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			if (px/40+py/40)%2 == 0 {
				img.Set(px, py, color.RGBA{0xFF, 0x00, 0xFF, 0xFF})
			} else {
				img.Set(px, py, color.RGBA{0, 0, 0, 0xFF})
			}
		}
	}
	path := filepath.Join(t.TempDir(), "checkerboard.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command("display", "-geometry", fmt.Sprintf("+%d+%d", x, y), path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if err := cmd.Start(); err != nil {
		t.Fatalf("display (ImageMagick): %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// checkerboardIn reports whether r of img shows the magenta and black
// checkerboard: a good part of it near magenta and a good part black,
// which neither the test pattern nor the app's own colours have.
func checkerboardIn(img image.Image, r image.Rectangle) (bool, string) {
	var magenta, black, total int
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			R, G, B := int(cr>>8), int(cg>>8), int(cb>>8)
			total++
			switch {
			case R > 200 && B > 200 && G < 70:
				magenta++
			case R < 40 && G < 40 && B < 40:
				black++
			}
		}
	}
	pc := func(n int) float64 { return 100 * float64(n) / float64(max(total, 1)) }
	return pc(magenta) > 8 && pc(black) > 8, fmt.Sprintf("magenta %.1f%%, black %.1f%%", pc(magenta), pc(black))
}

// voiceButtonOffset is where a contact row's voice call button is from
// its video call button: the next button to the left.
var voiceButtonOffset = image.Pt(-37, 0)

// clickCallButton waits for the first contact row's video call button
// (teal) and clicks at its centre moved by offset.
func (a *app) clickCallButton(offset image.Point) {
	a.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		g := a.geometry()
		if p, ok := findTeal(screen(a.t, a.display), rightOfRow(g)); ok {
			btn := p.Sub(g.Min).Add(offset)
			a.xdotool("mousemove", "--window", a.window, strconv.Itoa(btn.X), strconv.Itoa(btn.Y), "click", "1")
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s's contact list never showed a call button", a.user)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitTestPatterns waits until both windows show the test pattern in the
// middle, where the big remote tile is, and returns the two screens.
func waitTestPatterns(t *testing.T, a, b *app, what string) (shotA, shotB image.Image) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		shotA, shotB = screen(t, a.display), screen(t, b.display)
		okA, descA := testPatternIn(shotA, centre(a.geometry()))
		okB, descB := testPatternIn(shotB, centre(b.geometry()))
		if okA && okB {
			return shotA, shotB
		}
		if time.Now().After(deadline) {
			saveShot(t, shotA, "e2e-"+what+"-"+a.user+"-failed.png")
			saveShot(t, shotB, "e2e-"+what+"-"+b.user+"-failed.png")
			t.Fatalf("no remote test pattern: %s's window %s; %s's %s", a.user, descA, b.user, descB)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// checkSize fails the test if the window grew past its 960x640 start:
// a screen that asks for more room pushes the window off small displays.
func (a *app) checkSize(when string) {
	a.t.Helper()
	if g := a.geometry(); g.Dx() > 960 || g.Dy() > 640 {
		a.t.Errorf("%s's window grew to %dx%d %s", a.user, g.Dx(), g.Dy(), when)
	}
}

// centre is the middle of a window, where the big remote tile is.
func centre(r image.Rectangle) image.Rectangle {
	w, h := r.Dx(), r.Dy()
	return image.Rect(r.Min.X+w/4, r.Min.Y+h/4, r.Max.X-w/4, r.Max.Y-h/3)
}

func rightOfRow(r image.Rectangle) image.Rectangle {
	return image.Rect(r.Max.X-120, r.Min.Y+60, r.Max.X, r.Min.Y+260)
}

// TestFirstRunEchoCall is a newcomer's first run: `calla` with no
// configuration opens on the contact list with Echo Test (the embedded
// server and echo bot); one click on its video button, and the user's own
// test pattern comes back in the call's big tile.
func TestFirstRunEchoCall(t *testing.T) {
	needDisplay(t)
	display := xvfb.Start(t, "1024x700x24")
	home := t.TempDir()
	a := &app{t: t, user: "newcomer", display: display, exited: make(chan error, 1)}
	a.cmd = exec.Command(callaBin(t), "--log-level", "info")
	a.cmd.Env = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "USER=newcomer")
	a.cmd.Stderr = &a.log
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		if a.cmd.ProcessState == nil {
			a.cmd.Process.Kill()
			<-a.exited
		}
		if t.Failed() {
			t.Logf("app log:\n%s", a.log.String())
		}
	})
	a.window = a.waitWindow(30 * time.Second)
	a.waitLog(`msg="logged in"`, 1, 20*time.Second)

	var shot image.Image
	deadline := time.Now().Add(20 * time.Second)
	for {
		shot = screen(t, display)
		g := a.geometry()
		if p, ok := findTeal(shot, rightOfRow(g)); ok {
			saveShot(t, crop(shot, g), "first-run.png")
			a.xdotool("mousemove", "--window", a.window, strconv.Itoa(p.X-g.Min.X), strconv.Itoa(p.Y-g.Min.Y), "click", "1")
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no Echo Test contact with a video call button")
		}
		time.Sleep(200 * time.Millisecond)
	}
	a.waitLog("msg=onUserJoin", 1, 20*time.Second)
	deadline = time.Now().Add(20 * time.Second)
	for {
		shot = screen(t, display)
		ok, desc := testPatternIn(shot, centre(a.geometry()))
		if ok {
			break
		}
		if time.Now().After(deadline) {
			saveShot(t, shot, "e2e-first-run-failed.png")
			t.Fatalf("the echo call does not show the test pattern coming back: %s", desc)
		}
		time.Sleep(300 * time.Millisecond)
	}
	a.checkSize("in the echo call")
	saveShot(t, crop(shot, a.geometry()), "echo-call.png")
	a.xdotool("windowfocus", "--sync", a.window, "key", "Escape")
	a.waitLog("msg=onCallEnd", 1, 20*time.Second)
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.exited:
		if err != nil {
			t.Errorf("the app exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("the app did not exit within 15s of SIGTERM")
	}
}
