package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"
	"github.com/calla-rtc/calla/signaling/bench"
	"github.com/calla-rtc/calla/signaling/server"
)

func init() {
	registerBench(benchKind{name: "signaling", summary: "logins and 1v1 call setups against the signaling server", run: runBenchSignaling})
}

func runBenchSignaling(ctx context.Context, env *Env, args []string) int {
	fs := newFlags(env, "bench signaling", "calla bench signaling [--clients N] [--rate N] [--duration D] [--report FILE] [--server URL --secret-file F | --inprocess]")
	clients := fs.Int("clients", bench.TargetClients, "clients to log in")
	rate := fs.Int("rate", bench.TargetSetupRate, "target call setups per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to start setups for")
	report := fs.String("report", "docs/benchmarks.md", "report `FILE` whose \"Signaling\" section is (re)written; empty: stdout only")
	inproc := fs.Bool("inprocess", false, "run the server in this process (its memory figure then includes the clients')")
	var url, secretFile, appID string
	envString(env, fs, &url, "server", "CALLA_SERVER", "", "an already running server's `URL` (default: start `calla serve` as a child process)")
	envString(env, fs, &secretFile, "secret-file", "CALLA_SECRET_FILE", "", "the secret `FILE` of --server")
	envString(env, fs, &appID, "app-id", "CALLA_APP_ID", strconv.FormatUint(uint64(server.DefaultAppID), 10), "the app `ID` of --server")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	if *clients < 2 || *rate < 1 || *duration <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "calla bench signaling: --clients >= 2, --rate >= 1, --duration > 0 and no arguments please")
		return ExitUsage
	}
	if msg := checkAccount(url, ""); msg != "" {
		fmt.Fprintf(env.Stderr, "calla bench signaling: %s\n", msg)
		return ExitUsage
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	// The bench process holds thousands of clients; with the default GOGC
	// its own garbage collection (hundreds of ms of marking with assists)
	// shows up in the measured latencies. Collect it rarely: the machine
	// has the memory. The server process keeps the defaults.
	debug.SetGCPercent(benchGCPercent)
	if _, err := raiseFileLimit(); err != nil {
		log.Warn("could not raise the open-file limit", "err", err)
	}
	app, err := strconv.ParseUint(appID, 10, 32)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla bench signaling: --app-id: %v\n", err)
		return ExitUsage
	}
	opts := bench.Options{Clients: *clients, Rate: *rate, Duration: *duration, AppID: uint32(app), Logger: log}
	var mode string
	var stop func()
	switch {
	case url != "":
		if secretFile == "" {
			fmt.Fprintln(env.Stderr, "calla bench signaling: --server needs --secret-file")
			return ExitUsage
		}
		if opts.Secret, err = server.LoadSecret(secretFile); err != nil {
			fmt.Fprintf(env.Stderr, "calla bench signaling: %v\n", err)
			return ExitFailure
		}
		opts.URL, mode, stop = url, "an external server at "+url, func() {}
	case *inproc:
		opts.URL, opts.Secret, stop, err = inProcessServer(opts.AppID, *clients)
		mode = "in this process (memory per connection includes the clients')"
	default:
		opts.URL, opts.Secret, stop, err = childServer(ctx, log, opts.AppID, *clients)
		mode = "a separate `calla serve` process on loopback, so its memory is measured alone"
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla bench signaling: %v\n", err)
		return ExitFailure
	}
	res, err := bench.Run(ctx, opts)
	stop()
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla bench signaling: %v\n", err)
		return ExitFailure
	}
	command := strings.TrimSpace("calla bench signaling " + strings.Join(args, " "))
	md := bench.Markdown(res, opts, command, mode, time.Now())
	fmt.Fprint(env.Stdout, md)
	if *report != "" {
		if err := benchreport.WriteSection(*report, md); err != nil {
			fmt.Fprintf(env.Stderr, "calla bench signaling: %v\n", err)
			return ExitFailure
		}
		log.Info("report written", "file", *report)
	}
	return ExitOK
}

// benchGCPercent is the bench process's GOGC.
const benchGCPercent = 1000

func benchSecret() []byte {
	return []byte(fmt.Sprintf("bench-%d-%d-secret", os.Getpid(), time.Now().UnixNano()))
}

// inProcessServer serves a server on a loopback listener in this process.
func inProcessServer(app uint32, clients int) (string, []byte, func(), error) {
	secret := benchSecret()
	srv, err := server.New(server.Config{AppID: app, Secret: secret, MaxConnections: clients + 100, Logger: quietLog()})
	if err != nil {
		return "", nil, nil, err
	}
	hs := httptest.NewServer(srv.Handler())
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	}
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", secret, stop, nil
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// childServer starts `calla serve` (this same executable) on a free
// loopback port and waits until it is healthy.
func childServer(ctx context.Context, log *slog.Logger, app uint32, clients int) (string, []byte, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, nil, err
	}
	dir, err := os.MkdirTemp("", "calla-bench-")
	if err != nil {
		return "", nil, nil, err
	}
	secret := benchSecret()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, secret, 0o600); err != nil {
		return "", nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(exe, "serve", "--addr", addr, "--secret-file", secretFile, "--log-level", "warn",
		"--app-id", strconv.FormatUint(uint64(app), 10), "--max-conns", strconv.Itoa(clients+100))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = os.RemoveAll(dir)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			stop()
			return "", nil, nil, fmt.Errorf("the server process exited: %v", err)
		case <-ctx.Done():
			stop()
			return "", nil, nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, nil, errors.New("the server process did not become healthy in 30 s")
		}
	}
	log.Info("server process started", "pid", cmd.Process.Pid, "addr", addr)
	return "ws://" + addr + "/ws", secret, stop, nil
}
