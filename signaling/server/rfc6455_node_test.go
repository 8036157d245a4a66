package server

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// nodeWSPath is where Debian's node-ws package (Node.js's `ws`, installed
// by scripts/setup.sh) keeps the module.
const nodeWSPath = "/usr/share/nodejs"

// TestCloseCodesWithNodeWS checks the server's close behaviour with a
// third-party RFC 6455 implementation, Node.js's `ws`, rather than with
// gorilla or our own reading of the RFC: the close code and reason `ws`
// reports, and that `ws` finds nothing wrong with the server's frames
// (a malformed close frame would surface as an error and code 1006).
func TestCloseCodesWithNodeWS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(nodeWSPath, "ws", "package.json"))
	}
	if err != nil {
		t.Fatalf("Node.js with the ws module is needed (Debian: nodejs node-ws; scripts/setup.sh installs them): %v", err)
	}
	e := newEnv(t, func(c *Config) { c.LoginTimeout = 500 * time.Millisecond })
	for _, tc := range []struct {
		kind string
		code int
		sub  string
	}{
		{"silent", signaling.CloseLoginTimeout, "no login within 500ms"},
		{"pongs", signaling.CloseLoginTimeout, "no login within 500ms"},
		{"binary", 1003, "binary messages"},
		{"badutf8", 1007, "UTF-8"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, "testdata/wsclose.js", e.url, tc.kind, sig(t, signaling.UserID("node"+tc.kind), time.Hour))
			cmd.Env = append(os.Environ(), "NODE_PATH="+nodeWSPath)
			out, err := cmd.Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("node: %v %s", err, stderr)
			}
			var got struct {
				Code   int
				Reason string
				Errors []string
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("node printed %q", out)
			}
			if got.Code != tc.code || !strings.Contains(got.Reason, tc.sub) || len(got.Errors) != 0 {
				t.Fatalf("ws saw close %d %q, errors %q; want %d with %q and no errors", got.Code, got.Reason, got.Errors, tc.code, tc.sub)
			}
		})
	}
}
