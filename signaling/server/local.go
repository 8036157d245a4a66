package server

import (
	"fmt"
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
func NewLocal(dataDir string, cfg Config) (*Server, LocalCredentials, error) {
	secret, err := LoadOrCreateSecret(filepath.Join(dataDir, LocalSecretFile), cfg.Logger)
	if err != nil {
		return nil, LocalCredentials{}, fmt.Errorf("server: local mode: %w", err)
	}
	cfg.Secret = secret
	cfg.AppID = DefaultAppID
	cfg.DataDir = dataDir
	s, err := New(cfg)
	if err != nil {
		return nil, LocalCredentials{}, err
	}
	return s, LocalCredentials{AppID: cfg.AppID, secret: secret}, nil
}
