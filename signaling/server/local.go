package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// LocalUserSigExpiry is how long a local-mode UserSig lasts.
const LocalUserSigExpiry = 365 * 24 * time.Hour

// LocalSecretFile is the secret's file name in local mode's data dir.
const LocalSecretFile = "signaling.secret"

// LocalCredentials lets the app on the same machine log any local user in
// to a local-mode server.
type LocalCredentials struct {
	AppID  uint32
	secret []byte
}

// UserSig mints a UserSig for user, valid for LocalUserSigExpiry.
func (l LocalCredentials) UserSig(user signaling.UserID) (string, error) {
	return signaling.GenUserSig(l.secret, l.AppID, user, LocalUserSigExpiry, time.Now())
}

// NewLocal starts a server for local mode: its secret is generated on
// first use and kept in dataDir (mode 0600), and so is its directory.
// The caller serves Handler on a loopback listener and calls Shutdown.
// Extra config (ICE servers, logger) may be given in cfg; its Secret,
// AppID and DataDir are set here.
//
// Unlike `calla serve`, which refuses a damaged directory database and
// leaves the choice to its operator, local mode moves it aside (to
// directory.db.damaged-TIME, with a warning) and starts a new one: its
// directory only holds the app's own user and the echo bot, both back at
// the next login, and a desktop user should not have to repair files.
func NewLocal(dataDir string, cfg Config) (*Server, LocalCredentials, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	secret, err := LoadOrCreateSecret(filepath.Join(dataDir, LocalSecretFile), cfg.Logger)
	if err != nil {
		return nil, LocalCredentials{}, fmt.Errorf("server: local mode: %w", err)
	}
	cfg.Secret = secret
	cfg.AppID = DefaultAppID
	cfg.DataDir = dataDir
	s, err := New(cfg)
	var damaged *DamagedStoreError
	if errors.As(err, &damaged) {
		aside := damaged.Path + ".damaged-" + time.Now().Format("20060102-150405")
		if rerr := os.Rename(damaged.Path, aside); rerr != nil {
			return nil, LocalCredentials{}, fmt.Errorf("%w (moving it aside failed: %v)", err, rerr)
		}
		cfg.Logger.Warn("the local directory database was damaged: it was moved aside and a new one started", "moved to", aside, "damage", damaged.Err)
		s, err = New(cfg)
	}
	if err != nil {
		return nil, LocalCredentials{}, err
	}
	return s, LocalCredentials{AppID: cfg.AppID, secret: secret}, nil
}
