// Package local is Calla's embedded default (DESIGN §4): a signaling
// server in this process on a free loopback port, with the echo bot
// logged in, so that a newcomer can make a call with no setup. It wires
// the server (signaling/server), the engine (call) and the bot together;
// the engine library itself never imports the server, so a program that
// embeds the engine without local mode links no bbolt or Prometheus.
//
// Concurrency: Start starts the HTTP server's goroutine and the bot's
// engine; Server.Close stops them.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/call/echobot"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// EchoUserID and EchoNickname are the embedded echo bot's account: the
// "Echo Test" contact of the first run.
const (
	EchoUserID   signaling.UserID = "echo"
	EchoNickname string           = "Echo Test"
)

// Server is the embedded server with its echo bot.
type Server struct {
	// URL is the server's websocket address.
	URL   string
	srv   *server.Server
	creds server.LocalCredentials
	hs    *http.Server
	bot   *call.Engine
	echo  *echobot.Bot
	// botDone is closed when the goroutine that hands the bot its
	// engine's events has returned.
	botDone chan struct{}
	done    chan struct{}
}

// Start starts the embedded server with its data (secret, directory) in
// dataDir, and the echo bot.
func Start(ctx context.Context, dataDir string, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	srv, creds, err := server.NewLocal(dataDir, server.Config{Logger: log.With("component", "local-server")})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Shutdown(context.Background())
		return nil, fmt.Errorf("local: server: %w", err)
	}
	l := &Server{
		URL:   "ws://" + ln.Addr().String() + "/ws",
		srv:   srv,
		creds: creds,
		hs:    &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second},
		done:  make(chan struct{}),
	}
	go func() {
		defer close(l.done)
		if err := l.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("local server", "err", err)
		}
	}()
	sig, err := creds.UserSig(EchoUserID)
	if err != nil {
		l.Close()
		return nil, err
	}
	botLog := log.With("component", "echo-bot")
	l.bot = call.New(call.Config{LoopbackOnly: true, NoPlayback: true, Logger: botLog})
	l.echo = echobot.New(l.bot, echobot.DefaultDelay, botLog)
	l.botDone = make(chan struct{})
	go func() {
		defer close(l.botDone)
		for ev := range l.bot.Events() {
			l.echo.Handle(ev)
		}
	}()
	if err := l.bot.Login(ctx, call.LoginParams{Server: l.URL, UserID: EchoUserID, UserSig: sig, Nickname: EchoNickname}); err != nil {
		l.Close()
		return nil, fmt.Errorf("local: echo bot: %w", err)
	}
	return l, nil
}

// UserSig mints a UserSig for a local user.
func (l *Server) UserSig(user signaling.UserID) (string, error) { return l.creds.UserSig(user) }

// Close stops the bot and the server.
func (l *Server) Close() error {
	if l.bot != nil {
		l.echo.Close()
		l.bot.Close()
		<-l.botDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	l.hs.Shutdown(ctx)
	<-l.done
	return err
}

var notIDChar = regexp.MustCompile(`[^a-zA-Z0-9_-]`)

// UserID is the local user's id in local mode: the login name, cleaned to
// a valid user id ("me" if nothing is left).
func UserID() signaling.UserID {
	name := os.Getenv("USER")
	if name == "" {
		name = os.Getenv("USERNAME")
	}
	name = notIDChar.ReplaceAllString(name, "")
	if len(name) > 32 {
		name = name[:32]
	}
	if name == "" || signaling.UserID(name) == EchoUserID {
		return "me"
	}
	return signaling.UserID(name)
}
