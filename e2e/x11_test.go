package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needDisplay skips t when there is no X server to open windows on, and
// fails it when the X tools the check needs are missing.
func needDisplay(t *testing.T) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no X display: GUI tests need one (`make test` runs them under Xvfb; or set DISPLAY)")
	}
	for _, tool := range []string{"xdotool", "import", "xprop"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run scripts/setup.sh", tool)
		}
	}
}

// waitWindow waits until a visible window named exactly name exists and
// returns its X id.
func waitWindow(t *testing.T, name string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+name+"$").Output()
		if err == nil {
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				return ids[0]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no visible window %q after %v", name, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// windowGeometry returns the window's position and size on the root.
func windowGeometry(t *testing.T, id string) image.Rectangle {
	t.Helper()
	out, err := exec.Command("xdotool", "getwindowgeometry", "--shell", id).Output()
	if err != nil {
		t.Fatalf("xdotool getwindowgeometry %s: %v", id, err)
	}
	v := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		k, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err == nil {
			v[k] = n
		}
	}
	return image.Rect(v["X"], v["Y"], v["X"]+v["WIDTH"], v["Y"]+v["HEIGHT"])
}

// screenshot captures the whole X screen.
func screenshot(t *testing.T) image.Image {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "import", "-window", "root", "png:-").Output()
	if err != nil {
		t.Fatalf("import -window root: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decoding screenshot: %v", err)
	}
	return img
}

// saveShot writes img to $CALLA_SCREENSHOT_DIR/name when that is set (make
// screenshots uses it for the README).
func saveShot(t *testing.T, img image.Image, name string) {
	t.Helper()
	dir := os.Getenv("CALLA_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("encoding %s: %v", name, err)
	}
	if err := os.WriteFile(dir+"/"+name, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("writing %s: %v", name, err)
	}
}

// colourStats counts the distinct colours (quantised to 4 bits a channel)
// in r of img and the share of the most common one.
func colourStats(img image.Image, r image.Rectangle) (distinct int, dominant float64) {
	counts := map[uint32]int{}
	total := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			counts[(cr>>12)<<8|(cg>>12)<<4|cb>>12]++
			total++
		}
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	if total == 0 {
		return 0, 1
	}
	return len(counts), float64(top) / float64(total)
}

// crop returns the part r of img, for saving a window's screenshot.
func crop(img image.Image, r image.Rectangle) image.Image {
	type subImager interface {
		SubImage(image.Rectangle) image.Image
	}
	if s, ok := img.(subImager); ok {
		return s.SubImage(r)
	}
	return img
}

func describe(r image.Rectangle) string {
	return fmt.Sprintf("%dx%d at %d,%d", r.Dx(), r.Dy(), r.Min.X, r.Min.Y)
}
