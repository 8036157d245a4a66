package server

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// TestLocalMode: the embedded server makes its secret once (mode 0600),
// keeps it across restarts, and mints UserSigs that log in.
func TestLocalMode(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, creds, err := NewLocal(dir, Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, LocalSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", st.Mode().Perm())
	}
	hs := httptest.NewServer(srv.Handler())
	sig, err := creds.UserSig("me")
	if err != nil {
		t.Fatal(err)
	}
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", UserID: "me", UserSig: sig, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	hs.Close()

	// A restart keeps the secret: the old UserSig still verifies.
	srv2, creds2, err := NewLocal(dir, Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv2.Shutdown(ctx) }()
	if _, err := signaling.VerifyUserSig(creds2.secret, creds2.AppID, "me", sig, time.Now()); err != nil {
		t.Errorf("UserSig from before the restart: %v", err)
	}
}

func TestLoadSecretRefusesShortOrMissing(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSecret(short); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("short secret: %v", err)
	}
	if _, err := LoadSecret(filepath.Join(dir, "none")); err == nil {
		t.Error("missing secret file accepted")
	}
	if _, err := New(Config{Secret: []byte("x")}); err == nil {
		t.Error("New with a short secret")
	}
}

// TestLocalModeMovesADamagedDirectoryAside: local mode starts on a
// damaged directory.db by moving it aside, not deleting it.
func TestLocalModeMovesADamagedDirectoryAside(t *testing.T) {
	dir := t.TempDir()
	junk := []byte(strings.Repeat("not a database ", 2000))
	if err := os.WriteFile(filepath.Join(dir, StoreFile), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _, err := NewLocal(dir, Config{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("local mode on a damaged directory: %v", err)
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, StoreFile+".damaged-*"))
	if len(aside) != 1 {
		t.Fatalf("moved aside: %v, want one file", aside)
	}
	if b, err := os.ReadFile(aside[0]); err != nil || string(b) != string(junk) {
		t.Errorf("the damaged file was not kept as it was (%v)", err)
	}
}
