package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// callaBin returns the path of the calla binary under test: $CALLA_BIN, or
// one built from this checkout into a temporary directory.
func callaBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CALLA_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatalf("CALLA_BIN: %v", err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("CALLA_BIN=%s: %v", p, err)
		}
		return abs
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "calla-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "calla")
		cmd := exec.Command("go", "build", "-o", builtBin, "..")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building calla: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopChromium()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}
