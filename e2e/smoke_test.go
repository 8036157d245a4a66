package e2e

import (
	"bytes"
	"image/png"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calla-rtc/calla/assets"
)

// TestDesktopWindowOpens starts the real binary on the X server, waits for
// the "Calla" window, and checks that it has the app icon and is not blank;
// then SIGTERM must close it cleanly.
func TestDesktopWindowOpens(t *testing.T) {
	needDisplay(t)
	bin := callaBin(t)

	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--data", t.TempDir())
	cmd.Env = append(cmd.Environ(), "LANG=C.UTF-8", "HOME="+t.TempDir())
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting calla: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	id := waitWindow(t, "Calla", 30*time.Second)
	geo := windowGeometry(t, id)
	if geo.Dx() < 300 || geo.Dy() < 200 {
		t.Fatalf("window is %s, want at least 300x200", describe(geo))
	}
	checkWindowIcon(t, id)

	// The window paints asynchronously; give it a few frames.
	var distinct int
	var dominant float64
	deadline := time.Now().Add(15 * time.Second)
	for {
		shot := screenshot(t)
		distinct, dominant = colourStats(shot, geo)
		if distinct >= 8 && dominant < 0.99 || time.Now().After(deadline) {
			saveShot(t, crop(shot, geo), "window.png")
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if distinct < 8 || dominant >= 0.99 {
		t.Fatalf("window looks blank: %d colours, the commonest covers %.1f%%", distinct, dominant*100)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("calla exited with %v after SIGTERM\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("calla did not exit within 10s of SIGTERM\nstderr:\n%s", stderr.String())
	}
}

// checkWindowIcon reads the window's _NET_WM_ICON (width, height, then ARGB
// pixels) and compares sample pixels with assets/icon.png.
func checkWindowIcon(t *testing.T, id string) {
	t.Helper()
	out, err := exec.Command("xprop", "-len", "4194304", "-id", id, "-f", "_NET_WM_ICON", "32c", "_NET_WM_ICON").Output()
	if err != nil {
		t.Fatalf("xprop _NET_WM_ICON: %v", err)
	}
	_, list, _ := strings.Cut(string(out), "=")
	fields := strings.Split(strings.TrimSpace(list), ",")
	vals := make([]uint32, 0, len(fields))
	for _, f := range fields {
		v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
		if err != nil {
			break
		}
		vals = append(vals, uint32(v))
	}
	if len(vals) < 2 {
		t.Fatalf("window has no _NET_WM_ICON: the app icon is not set")
	}
	w, h := int(vals[0]), int(vals[1])
	if len(vals) < 2+w*h {
		t.Fatalf("_NET_WM_ICON says %dx%d but holds %d pixels", w, h, len(vals)-2)
	}
	want, err := png.Decode(bytes.NewReader(assets.IconPNG))
	if err != nil {
		t.Fatalf("decoding assets/icon.png: %v", err)
	}
	if b := want.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("window icon is %dx%d, assets/icon.png is %dx%d", w, h, b.Dx(), b.Dy())
	}
	for _, p := range [][2]int{{w / 2, h / 2}, {w / 4, h / 2}, {w / 2, h / 8}, {w / 8, h / 8}} {
		r, g, b, a := want.At(p[0], p[1]).RGBA()
		argb := vals[2+p[1]*w+p[0]]
		got := [4]uint32{argb >> 24 & 0xff, argb >> 16 & 0xff, argb >> 8 & 0xff, argb & 0xff}
		exp := [4]uint32{a >> 8, r >> 8, g >> 8, b >> 8}
		for i := range got {
			if d := int(got[i]) - int(exp[i]); d < -2 || d > 2 {
				t.Fatalf("window icon pixel %v is ARGB %v, assets/icon.png has %v", p, got, exp)
			}
		}
	}
}
