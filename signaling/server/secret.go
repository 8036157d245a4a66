package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

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
	key := bytes.TrimSpace(b)
	if len(key) < signaling.MinSecretLen {
		return nil, fmt.Errorf("%w: %s has %d characters, need at least %d", signaling.ErrBadSecret, path, len(key), signaling.MinSecretLen)
	}
	return key, nil
}

// LoadOrCreateSecret reads path, or creates it (mode 0600, in a 0700
// directory) with 32 random bytes in hex when it does not exist.
//
// The file is written atomically (writeFileAtomic), so a full disk leaves
// no partial secret behind. A file that is empty (or only white space) is
// what an older Calla left when it ran out of space on its first start:
// no UserSig can ever have been made with it (nothing accepts a secret
// that short), so it is replaced with a new secret and a warning. A file
// with a secret too short to use is the operator's, and is refused with
// a message that says what to do.
func LoadOrCreateSecret(path string, log *slog.Logger) ([]byte, error) {
	if log == nil {
		log = slog.Default()
	}
	key, state, err := readDataSecret(path)
	switch {
	case err != nil:
		return nil, err
	case state == secretMissing:
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("server: secret dir: %w", err)
		}
		key, err := writeNewSecret(path, true)
		if errors.Is(err, fs.ErrExist) {
			return LoadSecret(path) // another process made it first
		}
		if err == nil {
			log.Info("created a new secret", "file", path)
		}
		return key, err
	case state == secretEmpty:
		key, err := writeNewSecret(path, false)
		if err == nil {
			log.Warn("the secret file was empty (an earlier start ran out of disk space); it now holds a new secret", "file", path)
		}
		return key, err
	}
	return key, nil
}

// secretState is what readDataSecret found.
type secretState int

const (
	secretMissing secretState = iota + 1
	secretEmpty               // empty or white space: replaced by a new secret
	secretFound
)

// readDataSecret reads the data dir's secret file and classifies it,
// changing nothing: the rules of LoadOrCreateSecret, for it and the
// data dir check.
func readDataSecret(path string) ([]byte, secretState, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, secretMissing, nil
	case err != nil:
		return nil, 0, fmt.Errorf("server: secret file: %w", err)
	case len(bytes.TrimSpace(b)) == 0:
		return nil, secretEmpty, nil
	}
	key, err := LoadSecret(path)
	if errors.Is(err, signaling.ErrBadSecret) {
		err = fmt.Errorf("%w; it was not made by calla serve: put a longer secret in it, or delete it and calla serve makes a new one", err)
	}
	return key, secretFound, err
}

// writeNewSecret writes a new random secret to path atomically.
func writeNewSecret(path string, noClobber bool) ([]byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("server: make secret: %w", err)
	}
	text := hex.EncodeToString(b[:])
	if err := writeFileAtomic(path, []byte(text+"\n"), 0o600, noClobber); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("server: write secret %s: %w", path, err)
	}
	return []byte(text), nil
}
