package call

import (
	"os/exec"
	"strings"
	"testing"
)

// The engine is a library that desktop apps, bots and other programs
// embed: it must link neither the GUI toolkit nor the signaling server
// (with its bbolt store and Prometheus metrics). The embedded default
// that needs the server lives in package local, above this one.
func TestTheEngineLinksNoServerAndNoGUI(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/calla-rtc/calla/call").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/calla-rtc/calla/signaling/server", "fyne.io/", "go.etcd.io/bbolt", "github.com/prometheus/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("package call depends on %s", dep)
			}
		}
	}
}
