package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func findings(t *testing.T, dir string) map[string]Finding {
	t.Helper()
	out := map[string]Finding{}
	for _, f := range CheckDataDir(dir, "", quietLogger()) {
		out[f.What] = f
	}
	if len(out) != 3 {
		t.Fatalf("findings %+v, want secret, directory and data dir", out)
	}
	return out
}

// TestCheckDataDir: the check reports a good data dir as such, and each
// problem as an error, without changing anything.
func TestCheckDataDir(t *testing.T) {
	t.Parallel() // one case waits storeLockWait for the lock
	t.Run("a fresh dir is fine: serve makes what is missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new")
		for what, f := range findings(t, dir) {
			if f.Err != nil || f.Note == "" {
				t.Errorf("%s: %+v", what, f)
			}
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the check made %s", dir)
		}
	})
	t.Run("a used dir is fine and says how many users", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := LoadOrCreateSecret(filepath.Join(dir, LocalSecretFile), quietLogger()); err != nil {
			t.Fatal(err)
		}
		storeWith(t, dir, 40)
		f := findings(t, dir)
		if f["directory"].Err != nil || f["directory"].Note != "ok, 40 users" || f["secret"].Note != "ok, 64 characters" || f["data dir"].Note != "writable" {
			t.Errorf("findings %+v", f)
		}
	})
	t.Run("a directory a server holds", func(t *testing.T) {
		dir := t.TempDir()
		s, _, err := openStore(dir, quietLogger(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.close(t.Context())
		if f := findings(t, dir)["directory"]; !errors.Is(f.Err, ErrStoreBusy) {
			t.Errorf("directory held by a server: %+v", f)
		}
	})
	t.Run("a damaged directory and an unusable secret", func(t *testing.T) {
		dir := t.TempDir()
		path := storeWith(t, dir, 40)
		m, _, _ := metaOf(t, path)
		if err := os.Truncate(path, int64(m.pgid-1)*int64(m.pageSize)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, LocalSecretFile), []byte("short"), 0o600); err != nil {
			t.Fatal(err)
		}
		f := findings(t, dir)
		if !errors.Is(f["directory"].Err, ErrDamagedStore) || !strings.Contains(f["secret"].Err.Error(), "delete it") {
			t.Errorf("findings %+v", f)
		}
	})
	t.Run("a full data dir", func(t *testing.T) {
		dir := smallFS(t, 64<<10)
		fill(t, dir)
		if f := findings(t, dir)["data dir"]; !errors.Is(f.Err, syscall.ENOSPC) {
			t.Errorf("full data dir: %+v", f)
		}
	})
}
