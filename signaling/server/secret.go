package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/calla-rtc/calla/signaling"
)

// DefaultAppID is the app id of `calla serve` and of local mode when none
// is given (TUICallKit's SDKAppIDs look like this).
const DefaultAppID uint32 = 1400000000

// LoadSecret reads a secret file: one line of text whose bytes are the
// key (like Tencent's SDKSecretKey). Surrounding white space is ignored.
func LoadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: secret file: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < signaling.MinSecretLen {
		return nil, fmt.Errorf("%w: %s has %d characters, need at least %d", signaling.ErrBadSecret, path, len(key), signaling.MinSecretLen)
	}
	return key, nil
}

// LoadOrCreateSecret reads path, or creates it (mode 0600, in a 0700
// directory) with 32 random bytes in hex when it does not exist.
func LoadOrCreateSecret(path string) ([]byte, error) {
	key, err := LoadSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("server: secret dir: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("server: make secret: %w", err)
	}
	text := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("server: create secret: %w", err)
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("server: write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("server: write secret: %w", err)
	}
	return []byte(text), nil
}
