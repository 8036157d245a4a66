package server

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/cluster"
)

// Defaults for Config's zero fields.
const (
	DefaultInviteTimeout = 30 * time.Second
	DefaultGrace         = 10 * time.Second
	// DefaultCallGrace is the clients' default media restore window
	// (call.Config.RestoreTimeout): as long as they keep trying to bring
	// a call's media back, the server keeps their sessions.
	DefaultCallGrace        = 40 * time.Second
	DefaultMaxConnections   = 20000
	DefaultMaxMessageBytes  = 64 << 10
	DefaultMessageRate      = 50
	DefaultMessageBurst     = 100
	DefaultLoginTimeout     = 10 * time.Second
	DefaultPresenceInterval = 100 * time.Millisecond
	DefaultReplayLimit      = 1024
	DefaultSendQueue        = 1024
	// MaxInviteTimeout is the longest per-call invite timeout a client may ask for.
	MaxInviteTimeout = 10 * time.Minute
	// MaxGroupSize caps the members of a server-side group (a group call
	// on it still takes at most signaling.MaxCallMembers of them at once).
	MaxGroupSize = 1000
	// maxUserData caps a call's userData.
	maxUserData = 1024
	// maxProfileField caps nickname and avatar URL (TUICallKit's 500 bytes).
	maxProfileField = 500
	// maxFailReason caps the reason of a fail request.
	maxFailReason = 256
)

// Config configures a Server. Secret is required; every other zero field
// takes its default.
type Config struct {
	// AppID is the app id UserSigs must carry (TUICallKit's SDKAppID).
	AppID uint32
	// Secret is the key UserSigs are signed with.
	Secret []byte
	// DataDir holds the directory database (directory.db). Empty keeps the
	// directory in memory only.
	DataDir string
	// ICEServers is handed to every client at login and resume, as is.
	ICEServers []signaling.ICEServer
	// TURN, when its Secret is set, adds its URLs to every session's ICE
	// servers with credentials of that session's own (TURN REST), made
	// afresh at login and resume.
	TURN TURNConfig
	// Collectors are more metrics to serve on /metrics beside the
	// server's own (the TURN relay's).
	Collectors []prometheus.Collector
	// InviteTimeout is the default per-invitee timeout (a call's timeout 0).
	InviteTimeout time.Duration
	// Grace is how long a session whose connection dropped is kept for a
	// resume.
	Grace time.Duration
	// CallGrace replaces Grace for a session whose user is connected in a
	// call when its connection drops (never shorter than Grace): the call's
	// media may still flow peer to peer, and the clients try to restore
	// lost media for about as long.
	CallGrace time.Duration
	// MaxConnections caps open websockets; more are refused with 503.
	MaxConnections int
	// MaxMessageBytes caps one client message; a larger one is refused
	// with -1202, and one more than four times larger closes the connection.
	MaxMessageBytes int
	// MessageRate and MessageBurst are each connection's token bucket.
	MessageRate  float64
	MessageBurst int
	// LoginTimeout is how long a new connection may take to log in (or
	// resume); nothing else it sends extends it.
	LoginTimeout time.Duration
	// SendQueue is how many messages may wait for a connection's writer;
	// a client that falls that far behind is cut off (close 4004) and may
	// resume. The queue grows only while a client is behind, so a large
	// limit costs an idle connection nothing.
	SendQueue int
	// PresenceInterval batches presence pushes.
	PresenceInterval time.Duration
	// ReplayLimit is how many recent events a session keeps for a resume
	// (events older than a few minutes are dropped anyway). Its default is
	// DefaultReplayLimit or SendQueue, whichever is larger, so that a
	// client cut off for being slow can get all it missed.
	ReplayLimit int
	// Cluster, when set, makes the server one node of a cluster on NATS
	// (see package cluster): the state lives in the cluster, so DataDir
	// must be empty, and every node needs the same Secret.
	Cluster *cluster.Config
	// Logger gets structured logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// withDefaults returns c with zero fields set to their defaults, or an
// error if c cannot work.
func (c Config) withDefaults() (Config, error) {
	if len(c.Secret) < signaling.MinSecretLen {
		return c, fmt.Errorf("%w: need at least %d bytes", signaling.ErrBadSecret, signaling.MinSecretLen)
	}
	if c.InviteTimeout <= 0 {
		c.InviteTimeout = DefaultInviteTimeout
	}
	if c.Cluster != nil && c.DataDir != "" {
		return c, fmt.Errorf("server: a cluster node keeps its state in NATS; DataDir is for a single server")
	}
	if c.Cluster != nil {
		cc := *c.Cluster
		if cc.LeaseTTL <= 0 {
			cc.LeaseTTL = cluster.DefaultLeaseTTL
		}
		c.Cluster = &cc
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.CallGrace <= 0 {
		c.CallGrace = DefaultCallGrace
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MessageRate <= 0 {
		c.MessageRate = DefaultMessageRate
	}
	if c.MessageBurst <= 0 {
		c.MessageBurst = DefaultMessageBurst
	}
	if c.LoginTimeout <= 0 {
		c.LoginTimeout = DefaultLoginTimeout
	}
	if c.PresenceInterval <= 0 {
		c.PresenceInterval = DefaultPresenceInterval
	}
	if c.SendQueue <= 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.ReplayLimit <= 0 {
		c.ReplayLimit = max(DefaultReplayLimit, c.SendQueue)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// TURNConfig is a TURN relay whose users get short-lived credentials in
// the TURN REST scheme (coturn's use-auth-secret): the built-in relay
// (package turn) or any coturn with the same secret.
type TURNConfig struct {
	// URLs are the relay's turn: (and stun:) URLs.
	URLs []string
	// Secret is the shared secret the relay checks credentials with.
	Secret []byte
	// TTL caps how long a credential is valid from the login or resume
	// that handed it out. Zero: until the session's UserSig expires,
	// which also ends the session, so a long-lived session never holds a
	// stale credential (clients get new ones only at login and resume).
	TTL time.Duration
}
