package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

func init() {
	register(command{name: "serve", summary: "run the signaling server", run: runServe})
}

// serveFlags are `calla serve`'s settings.
type serveFlags struct {
	addr, data, secretFile, tlsCert, tlsKey string
	appID, grace, inviteTimeout, maxConns   string
	iceServers, turnUser, turnPass, level   string
	gcPercent                               string
	turn                                    turnFlags
}

func (f *serveFlags) declare(env *Env, fs *flag.FlagSet) {
	envString(env, fs, &f.addr, "addr", "CALLA_ADDR", "127.0.0.1:8443", "`HOST:PORT` to listen on")
	envString(env, fs, &f.data, "data", "CALLA_DATA", "", "`DIR` for the user directory (and the secret, if --secret-file is not given)")
	envString(env, fs, &f.secretFile, "secret-file", "CALLA_SECRET_FILE", "", "`FILE` holding the UserSig secret (one line)")
	envString(env, fs, &f.tlsCert, "tls-cert", "CALLA_TLS_CERT", "", "certificate `FILE`: serve wss (with --tls-key)")
	envString(env, fs, &f.tlsKey, "tls-key", "CALLA_TLS_KEY", "", "private key `FILE` for --tls-cert")
	envString(env, fs, &f.appID, "app-id", "CALLA_APP_ID", strconv.FormatUint(uint64(server.DefaultAppID), 10), "app `ID` UserSigs must carry")
	envString(env, fs, &f.grace, "grace", "CALLA_GRACE", server.DefaultGrace.String(), "how long a dropped session waits for a resume")
	envString(env, fs, &f.inviteTimeout, "invite-timeout", "CALLA_INVITE_TIMEOUT", server.DefaultInviteTimeout.String(), "default invite timeout")
	envString(env, fs, &f.maxConns, "max-conns", "CALLA_MAX_CONNS", strconv.Itoa(server.DefaultMaxConnections), "most websockets at once")
	envString(env, fs, &f.iceServers, "ice-servers", "CALLA_ICE_SERVERS", "", "comma-separated STUN/TURN `URLs` handed to clients")
	envString(env, fs, &f.turnUser, "turn-username", "CALLA_TURN_USERNAME", "", "username for the TURN URLs")
	envString(env, fs, &f.turnPass, "turn-credential", "CALLA_TURN_CREDENTIAL", "", "credential for the TURN URLs")
	envString(env, fs, &f.level, "log-level", "CALLA_LOG_LEVEL", "info", "debug, info, warn or error")
	envString(env, fs, &f.gcPercent, "gc-percent", "CALLA_GC_PERCENT", strconv.Itoa(defaultServeGCPercent), "Go's GOGC for the server (ignored when GOGC is set)")
	f.turn.declare(env, fs)
}

// defaultServeGCPercent is the server's GOGC. Every collection scans the
// stack of every connection's read pump; with thousands of connections and
// Go's default of 100 it collects every second or two under load, and each
// mark phase shows up in the p99 latency (measured: 82 ms at 10,000
// clients and 1,000 setups/s; 7 ms with 400). The price is memory: about
// 24 KiB per idle connection instead of 16.
const defaultServeGCPercent = 400

// config turns the flags into a server.Config.
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
	if cfg.InviteTimeout, err = time.ParseDuration(f.inviteTimeout); err != nil {
		return cfg, fmt.Errorf("--invite-timeout: %w", err)
	}
	if cfg.MaxConnections, err = strconv.Atoi(f.maxConns); err != nil {
		return cfg, fmt.Errorf("--max-conns: %w", err)
	}
	switch {
	case f.secretFile != "":
		cfg.Secret, err = server.LoadSecret(f.secretFile)
	case f.data != "":
		path := filepath.Join(f.data, server.LocalSecretFile)
		cfg.Secret, err = server.LoadOrCreateSecret(path)
		log.Info("using the secret in the data dir", "file", path)
	default:
		err = errors.New("need --secret-file FILE or --data DIR (which then holds the secret)")
	}
	if err != nil {
		return cfg, err
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
	return cfg, nil
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

func runServe(ctx context.Context, env *Env, args []string) int {
	var f serveFlags
	fs := newFlags(env, "serve", "calla serve --addr HOST:PORT [--data DIR] [--secret-file FILE] [--tls-cert F --tls-key F]")
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
	if env.Getenv("GOGC") == "" {
		pct, err := strconv.Atoi(f.gcPercent)
		if err != nil {
			fmt.Fprintf(env.Stderr, "calla serve: --gc-percent: %v\n", err)
			return ExitUsage
		}
		debug.SetGCPercent(pct)
	}
	if n, err := raiseFileLimit(); err != nil {
		log.Warn("could not raise the open-file limit", "err", err)
	} else {
		log.Debug("open-file limit", "n", n)
	}
	ts, err := f.turn.setup(f.addr, f.data, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitUsage
	}
	relay, err := startTURN(ts, &cfg, log)
	if err != nil {
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
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitFailure
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		_ = srv.Shutdown(context.Background())
		return ExitFailure
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	scheme := "ws"
	done := make(chan error, 1)
	if f.tlsCert != "" {
		scheme = "wss"
		go func() { done <- hs.ServeTLS(ln, f.tlsCert, f.tlsKey) }()
	} else {
		go func() { done <- hs.Serve(ln) }()
	}
	log.Info("serving", "addr", ln.Addr().String(), "url", scheme+"://"+ln.Addr().String()+"/ws", "app", cfg.AppID)
	status := ExitOK
	select {
	case err := <-done:
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		status = ExitFailure
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Our Shutdown first: it tells the clients and closes their websockets
	// (hijacked, so http.Server.Shutdown would not wait for them).
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown", "err", err)
	}
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	if status == ExitOK {
		<-done
	}
	log.Info("stopped")
	return status
}
