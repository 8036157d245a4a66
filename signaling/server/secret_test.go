package server

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSecretOnAFullDisk: a first start that runs out of space leaves no
// secret file behind (the old code left an empty one, and every later
// start failed with "secret is missing or too short"); once there is
// space, the next start makes one.
func TestSecretOnAFullDisk(t *testing.T) {
	dir := smallFS(t, 64<<10)
	path := filepath.Join(dir, LocalSecretFile)
	free := fill(t, dir)
	if _, err := LoadOrCreateSecret(path, quietLogger()); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("secret on a full disk: err = %v, want ENOSPC", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a failed write left %s behind (stat: %v)", path, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left in the data dir: %v, want only the filler", ents)
	}
	free()
	key, err := LoadOrCreateSecret(path, quietLogger())
	if err != nil {
		t.Fatalf("after freeing space: %v", err)
	}
	again, err := LoadSecret(path)
	if err != nil || string(again) != string(key) {
		t.Fatalf("the secret on disk %q (%v), want the one returned %q", again, err, key)
	}
}

// TestEmptySecretIsReplaced: an empty secret file (what the old code left
// after a failed first start) can never have signed a UserSig, so it gets
// a new secret; one that is merely too short is the operator's and is
// refused with advice.
func TestEmptySecretIsReplaced(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"", "\n", "  \n"} {
		path := filepath.Join(dir, "empty")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		key, err := LoadOrCreateSecret(path, quietLogger())
		if err != nil {
			t.Fatalf("empty secret %q: %v", content, err)
		}
		if _, err := hex.DecodeString(string(key)); err != nil || len(key) != 64 {
			t.Errorf("new secret %q, want 64 hex digits", key)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("secret file after the replacement: %v, %v", st, err)
		}
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateSecret(short, quietLogger())
	if err == nil || !strings.Contains(err.Error(), "has 3 characters") || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("short secret: %v, want a refusal that says what to do", err)
	}
	if b, _ := os.ReadFile(short); string(b) != "abc\n" {
		t.Errorf("the short secret was changed to %q", b)
	}
}
