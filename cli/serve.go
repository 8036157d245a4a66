package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
	"github.com/calla-rtc/calla/signaling/server/cluster"
	"github.com/calla-rtc/calla/signaling/server/turn"
	"github.com/calla-rtc/calla/web"
)

func init() {
	register(command{name: "serve", summary: "run the signaling server", run: runServe})
}

// serveFlags are `calla serve`'s settings.
type serveFlags struct {
	addr, data, secretFile, tlsCert, tlsKey string
	appID, grace, inviteTimeout, maxConns   string
	iceServers, turnUser, turnPass, level   string
	gcPercent, callGrace                    string
	check                                   bool
	// A cluster node's (--nats).
	nats, node, natsPrefix, natsReplicas string
	// The limits docs/protocol.md's connection rules call configurable.
	maxMessageBytes, messageRate, messageBurst, sendQueue, loginTimeout string
	turn                                                                turnFlags
}

func (f *serveFlags) declare(env *Env, fs *flag.FlagSet) {
	envString(env, fs, &f.addr, "addr", "CALLA_ADDR", "127.0.0.1:8443", "`HOST:PORT` to listen on")
	envString(env, fs, &f.data, "data", "CALLA_DATA", "", "`DIR` for the user directory (and the secret, if --secret-file is not given)")
	envString(env, fs, &f.secretFile, "secret-file", "CALLA_SECRET_FILE", "", "`FILE` holding the UserSig secret (one line)")
	envString(env, fs, &f.tlsCert, "tls-cert", "CALLA_TLS_CERT", "", "certificate `FILE`: serve wss (with --tls-key)")
	envString(env, fs, &f.tlsKey, "tls-key", "CALLA_TLS_KEY", "", "private key `FILE` for --tls-cert")
	envString(env, fs, &f.appID, "app-id", "CALLA_APP_ID", strconv.FormatUint(uint64(server.DefaultAppID), 10), "app `ID` UserSigs must carry")
	envString(env, fs, &f.grace, "grace", "CALLA_GRACE", server.DefaultGrace.String(), "how long a dropped session waits for a resume")
	envString(env, fs, &f.callGrace, "call-grace", "CALLA_CALL_GRACE", server.DefaultCallGrace.String(), "how long a dropped session waits for a resume while its user is connected in a call (the clients' media restore window; never less than --grace)")
	envString(env, fs, &f.nats, "nats", "CALLA_NATS", "", "comma-separated NATS `URLs` (nats://host:4222) of a cluster with JetStream: run as one node of a Calla cluster, with the state in NATS (see docs/cluster.md)")
	envString(env, fs, &f.node, "node", "CALLA_NODE", "", "this node's `NAME` in the cluster, unique (default: the host name)")
	envString(env, fs, &f.natsPrefix, "nats-prefix", "CALLA_NATS_PREFIX", cluster.DefaultPrefix, "`PREFIX` of the cluster's NATS subjects, streams and buckets (several Calla clusters may share one NATS)")
	envString(env, fs, &f.natsReplicas, "nats-replicas", "CALLA_NATS_REPLICAS", strconv.Itoa(cluster.DefaultReplicas), "how many NATS servers keep each stream (1 for a NATS of one server)")
	envString(env, fs, &f.inviteTimeout, "invite-timeout", "CALLA_INVITE_TIMEOUT", server.DefaultInviteTimeout.String(), "default invite timeout")
	envString(env, fs, &f.maxConns, "max-conns", "CALLA_MAX_CONNS", strconv.Itoa(server.DefaultMaxConnections), "most websockets at once")
	envString(env, fs, &f.loginTimeout, "login-timeout", "CALLA_LOGIN_TIMEOUT", server.DefaultLoginTimeout.String(), "how long a new connection may take to log in; then it is closed (4005)")
	envString(env, fs, &f.maxMessageBytes, "max-message-bytes", "CALLA_MAX_MESSAGE_BYTES", strconv.Itoa(server.DefaultMaxMessageBytes), "largest client message in `BYTES`; a larger one is refused, one over 4 times as large closes the connection (1009)")
	envString(env, fs, &f.messageRate, "message-rate", "CALLA_MESSAGE_RATE", strconv.Itoa(server.DefaultMessageRate), "messages (and pings) per second each connection may send")
	envString(env, fs, &f.messageBurst, "message-burst", "CALLA_MESSAGE_BURST", strconv.Itoa(server.DefaultMessageBurst), "burst above --message-rate; more refusals in a row close the connection (1008)")
	envString(env, fs, &f.sendQueue, "send-queue", "CALLA_SEND_QUEUE", strconv.Itoa(server.DefaultSendQueue), "messages a slow client may fall behind before it is cut off (4004; it can resume)")
	envString(env, fs, &f.iceServers, "ice-servers", "CALLA_ICE_SERVERS", "", "comma-separated STUN/TURN `URLs` handed to clients")
	envString(env, fs, &f.turnUser, "turn-username", "CALLA_TURN_USERNAME", "", "username for the TURN URLs")
	envString(env, fs, &f.turnPass, "turn-credential", "CALLA_TURN_CREDENTIAL", "", "credential for the TURN URLs")
	envString(env, fs, &f.level, "log-level", "CALLA_LOG_LEVEL", "info", "debug, info, warn or error")
	envString(env, fs, &f.gcPercent, "gc-percent", "CALLA_GC_PERCENT", strconv.Itoa(defaultServeGCPercent), "Go's GOGC for the server (ignored when GOGC is set)")
	fs.BoolVar(&f.check, "check", false, "check the data dir (the secret, directory.db, free space) without starting, and exit: 0 if it is fine, 3 if not")
	f.turn.declare(env, fs)
}

// defaultServeGCPercent is the server's GOGC. Every collection scans the
// stack of every connection's read pump; with thousands of connections and
// Go's default of 100 it collects every second or two under load, and each
// mark phase shows up in the p99 latency (measured: 82 ms at 10,000
// clients and 1,000 setups/s; 7 ms with 400). The price is memory: about
// 24 KiB per idle connection instead of 16.
const defaultServeGCPercent = 400

// config turns the flags into a server.Config, without the secret. Its
// errors are usage errors.
func (f *serveFlags) config(log *slog.Logger) (server.Config, error) {
	cfg := server.Config{Logger: log, DataDir: f.data}
	app, err := strconv.ParseUint(f.appID, 10, 32)
	if err != nil {
		return cfg, fmt.Errorf("--app-id %q: %w", f.appID, err)
	}
	cfg.AppID = uint32(app)
	if cfg.Grace, err = time.ParseDuration(f.grace); err != nil {
		return cfg, fmt.Errorf("--grace: %w", err)
	}
	if cfg.CallGrace, err = positiveDuration("--call-grace", f.callGrace); err != nil {
		return cfg, err
	}
	if cfg.InviteTimeout, err = time.ParseDuration(f.inviteTimeout); err != nil {
		return cfg, fmt.Errorf("--invite-timeout: %w", err)
	}
	if cfg.MaxConnections, err = strconv.Atoi(f.maxConns); err != nil {
		return cfg, fmt.Errorf("--max-conns: %w", err)
	}
	if cfg.LoginTimeout, err = positiveDuration("--login-timeout", f.loginTimeout); err != nil {
		return cfg, err
	}
	if cfg.MaxMessageBytes, err = positiveInt("--max-message-bytes", f.maxMessageBytes); err != nil {
		return cfg, err
	}
	if cfg.MessageBurst, err = positiveInt("--message-burst", f.messageBurst); err != nil {
		return cfg, err
	}
	if cfg.SendQueue, err = positiveInt("--send-queue", f.sendQueue); err != nil {
		return cfg, err
	}
	if cfg.MessageRate, err = strconv.ParseFloat(f.messageRate, 64); err != nil || cfg.MessageRate <= 0 {
		return cfg, fmt.Errorf("--message-rate %q: need a number above 0", f.messageRate)
	}
	if f.nats != "" {
		if cfg.Cluster, err = f.clusterConfig(); err != nil {
			return cfg, err
		}
	}
	if f.secretFile == "" && f.data == "" {
		return cfg, errors.New("need --secret-file FILE or --data DIR (which then holds the secret)")
	}
	if f.iceServers != "" {
		for _, u := range strings.Split(f.iceServers, ",") {
			s := signaling.ICEServer{URLs: []string{strings.TrimSpace(u)}}
			if strings.HasPrefix(s.URLs[0], "turn") {
				s.Username, s.Credential = f.turnUser, f.turnPass
			}
			cfg.ICEServers = append(cfg.ICEServers, s)
		}
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return cfg, errors.New("--tls-cert and --tls-key go together")
	}
	if _, err := strconv.Atoi(f.gcPercent); err != nil {
		return cfg, fmt.Errorf("--gc-percent: %w", err)
	}
	return cfg, nil
}

// clusterConfig is --nats and its companions.
func (f *serveFlags) clusterConfig() (*cluster.Config, error) {
	if f.data != "" || f.secretFile == "" {
		return nil, errors.New("--nats keeps the state in NATS: give --secret-file FILE (the same secret on every node) and no --data")
	}
	c := &cluster.Config{Node: f.node, Prefix: f.natsPrefix}
	for _, u := range strings.Split(f.nats, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.URLs = append(c.URLs, u)
		}
	}
	if len(c.URLs) == 0 {
		return nil, fmt.Errorf("--nats %q: no URL", f.nats)
	}
	var err error
	if c.Replicas, err = positiveInt("--nats-replicas", f.natsReplicas); err != nil {
		return nil, err
	}
	if c.Node == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("--node: no host name to default to: %w", err)
		}
		// A host name's dots are not allowed in a NATS token.
		c.Node = strings.Map(func(r rune) rune {
			if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return '-'
		}, host)
	}
	if err := cluster.CheckName(c.Node); err != nil {
		return nil, fmt.Errorf("--node: %w", err)
	}
	if err := cluster.CheckName(c.Prefix); err != nil {
		return nil, fmt.Errorf("--nats-prefix: %w", err)
	}
	return c, nil
}

// startTURN starts the built-in relay, if the flags ask for one, and adds
// what clients get to cfg. The caller closes the relay it returns.
func startTURN(ts turnSetup, cfg *server.Config, log *slog.Logger) (*turn.Server, error) {
	cfg.TURN = ts.handout
	if !ts.builtIn {
		if len(ts.handout.URLs) > 0 {
			log.Info("TURN: an external relay", "urls", ts.handout.URLs)
		}
		return nil, nil
	}
	relay, err := turn.New(ts.cfg)
	if err != nil {
		return nil, err
	}
	cfg.TURN.URLs = relay.URLs()
	cfg.Collectors = append(cfg.Collectors, relay.Metrics().Collectors()...)
	log.Info("TURN relay", "listen", ts.cfg.Listen, "port", relay.Port(), "urls", cfg.TURN.URLs,
		"relay_ports", fmt.Sprintf("%d-%d", ts.cfg.RelayMinPort, ts.cfg.RelayMaxPort), "user_quota", ts.cfg.UserQuota)
	return relay, nil
}

// secret reads --secret-file, or the data dir's secret (made on the first
// start). Its errors are runtime failures.
func (f *serveFlags) secret(log *slog.Logger) ([]byte, error) {
	if f.secretFile != "" {
		return server.LoadSecret(f.secretFile)
	}
	path := filepath.Join(f.data, server.LocalSecretFile)
	log.Info("using the secret in the data dir", "file", path)
	return server.LoadOrCreateSecret(path, log)
}

// positiveInt parses a flag that must be a whole number above 0 (a
// server.Config zero would silently mean the default).
func positiveInt(flag, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %q: need a whole number above 0", flag, v)
	}
	return n, nil
}

// positiveDuration parses a flag that must be a duration above 0.
func positiveDuration(flag, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: need a duration above 0, such as 10s", flag, v)
	}
	return d, nil
}

func runServe(ctx context.Context, env *Env, args []string) int {
	var f serveFlags
	fs := newFlags(env, "serve", "calla serve --addr HOST:PORT [--data DIR] [--secret-file FILE] [--tls-cert F --tls-key F] | calla serve --nats URL[,URL] --secret-file FILE [--node NAME] | calla serve --check --data DIR")
	f.declare(env, fs)
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "calla serve: unexpected argument %q\n", fs.Arg(0))
		return ExitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.level)); err != nil {
		fmt.Fprintf(env.Stderr, "calla serve: --log-level: %v\n", err)
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := f.config(log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitUsage
	}
	if f.check {
		return checkDataDir(env, f.data, f.secretFile, log)
	}
	if env.Getenv("GOGC") == "" {
		pct, _ := strconv.Atoi(f.gcPercent) // checked by config
		debug.SetGCPercent(pct)
	}
	if n, err := raiseFileLimit(); err != nil {
		log.Warn("could not raise the open-file limit", "err", err)
	} else {
		log.Debug("open-file limit", "n", n)
	}
	// The port first: a second server started by mistake is told that
	// the port is taken, not that the data dir is.
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitFailure
	}
	if cfg.Secret, err = f.secret(log); err != nil {
		_ = ln.Close()
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitFailure
	}
	ts, err := f.turn.setup(f.addr, f.data, log)
	if err != nil {
		_ = ln.Close()
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		if errors.Is(err, errTURNSecret) {
			return ExitFailure
		}
		return ExitUsage
	}
	relay, err := startTURN(ts, &cfg, log)
	if err != nil {
		_ = ln.Close()
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		if errors.Is(err, turn.ErrBadConfig) {
			return ExitUsage
		}
		return ExitFailure
	}
	if relay != nil {
		defer relay.Close()
	}
	srv, err := server.New(cfg)
	if err != nil {
		_ = ln.Close()
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitFailure
	}
	hs := srv.HTTPServer()
	// The browser client at /, the server's own paths (/ws, ...) beside it.
	hs.Handler = web.Handler(hs.Handler)
	scheme := "ws"
	done := make(chan error, 1)
	if f.tlsCert != "" {
		scheme = "wss"
		go func() { done <- hs.ServeTLS(ln, f.tlsCert, f.tlsKey) }()
	} else {
		go func() { done <- hs.Serve(ln) }()
	}
	page := "http://"
	if scheme == "wss" {
		page = "https://"
	}
	log.Info("serving", "addr", ln.Addr().String(), "url", scheme+"://"+ln.Addr().String()+"/ws",
		"web", page+ln.Addr().String()+"/", "app", cfg.AppID)
	status := ExitOK
	served := false // hs.Serve has returned
	select {
	case err := <-done:
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		status, served = ExitFailure, true
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Our Shutdown first: it tells the clients and closes their websockets
	// (hijacked, so http.Server.Shutdown would not wait for them). Entries
	// of the directory it could not write are a failure, not a warning.
	if err := srv.Shutdown(sctx); errors.Is(err, server.ErrStoreWrite) {
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		status = ExitFailure
	} else if err != nil {
		log.Warn("shutdown", "err", err)
	}
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	if !served {
		<-done
	}
	log.Info("stopped")
	return status
}

// checkDataDir is `calla serve --check`: one line per finding on stdout,
// and status 3 if any is a problem.
func checkDataDir(env *Env, dir, secretFile string, log *slog.Logger) int {
	status := ExitOK
	for _, f := range server.CheckDataDir(dir, secretFile, log) {
		if f.Err != nil {
			fmt.Fprintf(env.Stdout, "%-9s  PROBLEM  %v\n", f.What, f.Err)
			status = ExitFailure
			continue
		}
		fmt.Fprintf(env.Stdout, "%-9s  ok       %s: %s\n", f.What, f.Path, f.Note)
	}
	return status
}
