package media

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver/screen"

	"github.com/calla-rtc/calla/internal/xvfb"
)

// ownXServer starts a private Xvfb screen and points $DISPLAY at it for
// the rest of the test: what is captured is only what the test draws.
func ownXServer(t *testing.T, size string) {
	t.Helper()
	t.Setenv("DISPLAY", xvfb.Start(t, size))
}

// screenPattern is what the shared screen shows: twelve blocks of colours
// a codec keeps apart, and one of 2-pixel black and white stripes, as
// fine as the strokes of text.
var screenPattern = []color.RGBA{
	{0xE0, 0x20, 0x20, 0xFF}, {0x20, 0xC0, 0x20, 0xFF}, {0x20, 0x40, 0xE0, 0xFF}, {0xF0, 0xE0, 0x20, 0xFF},
	{0x20, 0xD0, 0xD0, 0xFF}, {0xD0, 0x20, 0xD0, 0xFF}, {0xF8, 0xF8, 0xF8, 0xFF}, {0x00, 0x00, 0x00, 0xFF}, // stripes
	{0xF0, 0x80, 0x10, 0xFF}, {0x70, 0x20, 0x90, 0xFF}, {0x80, 0x80, 0x80, 0xFF}, {0x10, 0x70, 0x70, 0xFF},
}

const patternW, patternH = 640, 480

func patternBlock(x, y int) int { return y/(patternH/3)*4 + x/(patternW/4) }

// stripes is the block of fine stripes.
const stripes = 7

func patternImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, patternW, patternH))
	for y := 0; y < patternH; y++ {
		for x := 0; x < patternW; x++ {
			b := patternBlock(x, y)
			c := screenPattern[b]
			if b == stripes && x/2%2 == 0 {
				c = color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// showPattern opens a window with the pattern at the screen's top left
// (ImageMagick's display; there is no window manager to move it).
func showPattern(t *testing.T) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pattern.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, patternImage()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command("display", "-geometry", "+0+0", path)
	if err := cmd.Start(); err != nil {
		t.Fatalf("display (ImageMagick): %v: run scripts/setup.sh", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
}

// matchesPattern reports whether img is the pattern: the size, each
// block's colour at its middle, and the stripes still apart.
func matchesPattern(img *image.RGBA) (bool, string) {
	if img.Rect.Dx() != patternW || img.Rect.Dy() != patternH {
		return false, "size " + img.Rect.String()
	}
	near := func(a, b uint8) bool { return int(a)-int(b) < 40 && int(b)-int(a) < 40 }
	for b, want := range screenPattern {
		if b == stripes {
			continue
		}
		x, y := b%4*(patternW/4)+patternW/8, b/4*(patternH/3)+patternH/6
		got := img.RGBAAt(x, y)
		if !near(got.R, want.R) || !near(got.G, want.G) || !near(got.B, want.B) {
			return false, "block " + string(rune('0'+b)) + " is " + colorString(got)
		}
	}
	// Text-like detail: neighbouring 2-pixel stripes stay far apart in
	// brightness (a codec that smears them makes both grey).
	x0, y0 := stripes%4*(patternW/4)+patternW/8, stripes/4*(patternH/3)+patternH/6
	a, b := img.RGBAAt(x0, y0), img.RGBAAt(x0+2, y0)
	if d := int(a.G) - int(b.G); d < 120 && d > -120 {
		return false, "stripes " + colorString(a) + " / " + colorString(b)
	}
	return true, ""
}

func colorString(c color.RGBA) string {
	const hex = "0123456789abcdef"
	return "#" + string([]byte{hex[c.R>>4], hex[c.R&15], hex[c.G>>4], hex[c.G&15], hex[c.B>>4], hex[c.B&15]})
}

// screenDevice is the private X server's screen.
func screenDevice(t *testing.T) string {
	t.Helper()
	find := func() string {
		ds, _ := ListDevices()
		for _, d := range ds {
			if d.Kind == Screen {
				return d.ID
			}
		}
		return ""
	}
	if id := find(); id != "" {
		return id // registered at start from $DISPLAY; captures the one set now
	}
	screen.Initialize() // no display at start: register this one's screens
	if id := find(); id != "" {
		return id
	}
	t.Fatal("no screen device on the private X server")
	return ""
}

// lastFrame keeps a copy of the newest frame a sink got.
type lastFrame struct {
	mu  sync.Mutex
	img *image.RGBA
	n   int
}

func (l *lastFrame) OfferFrame(img *image.RGBA, release func()) {
	c := image.NewRGBA(img.Rect)
	copy(c.Pix, img.Pix)
	release()
	l.mu.Lock()
	l.img, l.n = c, l.n+1
	l.mu.Unlock()
}

func (l *lastFrame) get() (*image.RGBA, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.img, l.n
}

func isRemoteScreen(peer PeerID, on bool) func(Event) bool {
	return func(ev Event) bool {
		e, ok := ev.(RemoteMedia)
		return ok && e.Peer == peer && e.Video && e.Screen == on
	}
}

// TestScreenShareReachesThePeer: Alice's screen (a private Xvfb showing
// the pattern in a window) replaces her camera in the call; Bob decodes
// frames that are the pattern, at the screen's size, with the stripes
// sharp; his peer's video stays on and says it is a screen. Stopping
// brings Alice's camera back.
func TestScreenShareReachesThePeer(t *testing.T) {
	ownXServer(t, "640x480x24")
	showPattern(t)
	id := screenDevice(t)

	n := newTestNet(t)
	defer n.close()
	alice, bob := n.add("alice", testConfig()), n.add("bob", testConfig())
	start(t, true, alice, bob)
	n.connect(alice, bob)
	bob.wait(t, 0, 20*time.Second, "alice's video", isRemoteMedia("alice", true, true))
	got := &lastFrame{}
	if err := bob.s.SetRemoteSink("alice", got); err != nil {
		t.Fatal(err)
	}

	mb, ma := bob.mark(), alice.mark()
	if err := alice.s.ShareScreen(id); err != nil {
		t.Fatalf("ShareScreen: %v", err)
	}
	alice.wait(t, ma, 10*time.Second, "the share starting", func(ev Event) bool {
		e, ok := ev.(ScreenShare)
		return ok && e.On && e.ScreenID == id
	})
	bob.wait(t, mb, 10*time.Second, "alice's screen", isRemoteScreen("alice", true))
	why := "no frame"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if img, _ := got.get(); img != nil {
			var ok bool
			if ok, why = matchesPattern(img); ok {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob never decoded alice's screen: %s", why)
		}
	}
	if bob.has(mb, isRemoteMedia("alice", false, true)) {
		t.Error("alice's video went off during the share")
	}

	mb, ma = bob.mark(), alice.mark()
	if err := alice.s.StopScreenShare(); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, ma, 10*time.Second, "the share stopping", func(ev Event) bool {
		e, ok := ev.(ScreenShare)
		return ok && !e.On
	})
	bob.wait(t, mb, 10*time.Second, "alice's camera again", isRemoteScreen("alice", false))
	waitUntil(t, 20*time.Second, "bob decoding alice's camera again", func() bool {
		img, _ := got.get()
		return img != nil && img.Rect.Dx() == testConfig().Video.Width
	})
}

// TestScreenShareNeedsVideo: a voice call shares no screen, and a switch
// to voice ends a share.
func TestScreenShareNeedsVideo(t *testing.T) {
	ownXServer(t, "320x240x24")
	id := screenDevice(t)
	n := newTestNet(t)
	defer n.close()
	alice := n.add("alice", testConfig())
	start(t, false, alice)
	if err := alice.s.ShareScreen(id); err == nil {
		t.Fatal("a voice call shared a screen")
	}
	if err := alice.s.SetVideo(true); err != nil {
		t.Fatal(err)
	}
	m := alice.mark()
	if err := alice.s.ShareScreen(id); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, m, 10*time.Second, "the share", func(ev Event) bool { e, ok := ev.(ScreenShare); return ok && e.On })
	m = alice.mark()
	if err := alice.s.SetVideo(false); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, m, 10*time.Second, "the share ending with the video", func(ev Event) bool { e, ok := ev.(ScreenShare); return ok && !e.On })
}

// TestAVideoStepKeepsTheSharedScreen: a change of the video ladder's step
// (peers joining, the bandwidth falling) reopens the camera at the new
// size, but never while a screen is shared: the share goes on, and the
// camera opens at the new step when it ends.
func TestAVideoStepKeepsTheSharedScreen(t *testing.T) {
	ownXServer(t, "320x240x24")
	id := screenDevice(t)
	n := newTestNet(t)
	defer n.close()
	alice := n.add("alice", testConfig())
	start(t, true, alice)
	m := alice.mark()
	if err := alice.s.ShareScreen(id); err != nil {
		t.Fatal(err)
	}
	alice.wait(t, m, 10*time.Second, "the share", func(ev Event) bool { e, ok := ev.(ScreenShare); return ok && e.On })
	var kind DeviceKind
	var sharing bool
	_ = alice.s.call(func() error {
		alice.s.cur.Width, alice.s.cur.Height = 2, 2 // any step but the ladder's
		alice.s.applyVideoStep(0)
		kind, sharing = alice.s.videoCap.kind, alice.s.screenOn
		return nil
	})
	if kind != Screen || !sharing {
		t.Fatalf("after a step change the video is the %v (sharing %v), want the screen", kind, sharing)
	}
	if alice.has(m, func(ev Event) bool { e, ok := ev.(ScreenShare); return ok && !e.On }) {
		t.Error("the step change ended the share")
	}
	if err := alice.s.StopScreenShare(); err != nil {
		t.Fatal(err)
	}
	_ = alice.s.call(func() error {
		kind = alice.s.videoCap.kind
		return nil
	})
	if kind != Camera {
		t.Errorf("after the share the video is the %v, want the camera", kind)
	}
}
