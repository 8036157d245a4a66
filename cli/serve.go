package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

func init() {
	register(command{name: "serve", summary: "run the signaling server", run: runServe})
}

func runServe(ctx context.Context, env *Env, args []string) int {
	var addr string
	fs := newFlags(env, "serve", "calla serve --addr HOST:PORT")
	envString(env, fs, &addr, "addr", "CALLA_ADDR", "127.0.0.1:8443", "`HOST:PORT` to listen on")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitFailure
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving", "addr", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(env.Stderr, "calla serve: %v\n", err)
		return ExitFailure
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("shutdown", "err", err)
	}
	<-done
	return ExitOK
}
