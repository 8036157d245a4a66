package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/call/echobot"
	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
)

// The headless clients: `calla call`, `calla answer` and `calla bot echo`.
// Each runs one call.Engine and prints every event it emits as one JSON
// line on stdout (the seed's names and fields, plus "ts"); logs go to
// stderr.

func init() {
	register(command{name: "call", summary: "place a call and print its events as JSON lines", run: runCall})
	register(command{name: "answer", summary: "answer incoming calls and print their events as JSON lines", run: runAnswer})
	register(command{name: "bot", summary: "run a bot (bot echo: sends callers their own media back)", run: runBot})
}

// account is how a headless client logs in.
type account struct {
	server, user, userSig, secretFile, appID, logLevel string
	loopback                                           bool
}

func (a *account) declare(env *Env, fs *flag.FlagSet) {
	envString(env, fs, &a.server, "server", "CALLA_SERVER", "", "signaling server `URL`, e.g. ws://127.0.0.1:8443/ws, or a cluster's nodes separated by commas")
	envString(env, fs, &a.user, "user", "CALLA_USER", "", "user `ID` to log in as")
	envString(env, fs, &a.userSig, "usersig", "CALLA_USERSIG", "", "the user's UserSig")
	envString(env, fs, &a.secretFile, "secret-file", "CALLA_SECRET_FILE", "", "the server's secret `FILE`: make a UserSig from it instead of --usersig")
	envString(env, fs, &a.appID, "app-id", "CALLA_APP_ID", strconv.FormatUint(uint64(server.DefaultAppID), 10), "the server's app `ID` (with --secret-file)")
	envString(env, fs, &a.logLevel, "log-level", "CALLA_LOG_LEVEL", "warn", "stderr log level: debug, info, warn or error")
	fs.BoolVar(&a.loopback, "loopback", envBool(env, "CALLA_LOOPBACK"), "send media over loopback only (a server and peers on this machine) ($CALLA_LOOPBACK)")
}

// check validates the flags; it returns a usage message or "".
func (a *account) check() string {
	switch {
	case a.server == "":
		return "--server is required"
	case a.user == "":
		return "--user is required"
	case a.userSig == "" && a.secretFile == "":
		return "give --usersig, or --secret-file to make one"
	case a.userSig != "" && a.secretFile != "":
		return "give --usersig or --secret-file, not both"
	}
	if _, err := strconv.ParseUint(a.appID, 10, 32); err != nil {
		return fmt.Sprintf("--app-id %q is not a number", a.appID)
	}
	return checkAccount(a.server, a.user)
}

// checkAccount checks a --server URL and a --user id (either may be
// empty); it returns a usage message or "".
func checkAccount(serverURL, user string) string {
	if serverURL != "" {
		if err := signaling.CheckServerURL(serverURL); err != nil {
			return "--server: " + err.Error()
		}
	}
	if user != "" && !signaling.UserID(user).Valid() {
		return fmt.Sprintf("--user %q: want %s", user, signaling.IDRule)
	}
	return ""
}

func (a *account) sig() (string, error) {
	if a.userSig != "" {
		return a.userSig, nil
	}
	secret, err := server.LoadSecret(a.secretFile)
	if err != nil {
		return "", err
	}
	app, _ := strconv.ParseUint(a.appID, 10, 32)
	return signaling.GenUserSig(secret, uint32(app), signaling.UserID(a.user), 24*time.Hour, time.Now())
}

func envBool(env *Env, name string) bool {
	b, _ := strconv.ParseBool(env.Getenv(name))
	return b
}

func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// headless is one running headless client: its engine and the printer of
// its events.
type headless struct {
	env    *Env
	log    *slog.Logger
	engine *call.Engine
	out    *jsonLines
	events chan call.Event // the events, after printing, for the command's logic
	done   chan struct{}
}

// startHeadless logs in and starts printing events. The caller must Close.
func startHeadless(ctx context.Context, env *Env, a *account, cfg call.Config) (*headless, int) {
	lvl, err := logLevel(a.logLevel)
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla: --log-level %q: want debug, info, warn or error\n", a.logLevel)
		return nil, ExitUsage
	}
	cfg.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: lvl}))
	cfg.NoPlayback = true
	cfg.LoopbackOnly = a.loopback
	sig, err := a.sig()
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla: UserSig: %v\n", err)
		return nil, ExitFailure
	}
	h := &headless{env: env, log: cfg.Logger, engine: call.New(cfg), out: &jsonLines{w: env.Stdout}, events: make(chan call.Event, 1024), done: make(chan struct{})}
	go h.pump()
	lctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := h.engine.Login(lctx, call.LoginParams{Server: a.server, UserID: signaling.UserID(a.user), UserSig: sig}); err != nil {
		h.Close()
		fmt.Fprintf(env.Stderr, "calla: login: %v\n", err)
		return nil, ExitFailure
	}
	return h, -1
}

// pump prints every event, then hands it on. The events channel has room
// for a burst; the command's logic reads it all the time.
func (h *headless) pump() {
	defer close(h.done)
	defer close(h.events)
	for ev := range h.engine.Events() {
		h.out.print(ev)
		h.events <- ev
	}
}

// Close ends the engine (hanging up any call) and waits for the printer.
func (h *headless) Close() {
	go func() { // keep the pump moving while the engine closes
		for range h.events {
		}
	}()
	h.engine.Close()
	<-h.done
}

// jsonLines writes one JSON object per event: {"ts":...,"event":...}.
type jsonLines struct {
	mu sync.Mutex
	w  io.Writer
}

func (j *jsonLines) print(ev call.Event) {
	b, err := call.MarshalEvent(ev)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"event":%q,"marshalError":%q}`, ev.EventName(), err.Error()))
	}
	ts, _ := json.Marshal(time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	line := make([]byte, 0, len(b)+40)
	line = append(line, `{"ts":`...)
	line = append(line, ts...)
	line = append(line, ',')
	line = append(line, b[1:]...)
	line = append(line, '\n')
	j.mu.Lock()
	j.w.Write(line)
	j.mu.Unlock()
}

// outcome is how one call ended, as the exit status says it.
type outcome int

const (
	outcomeNone         outcome = iota
	outcomeEnded                // connected, then ended normally
	outcomeNotConnected         // cancelled, rejected, busy, no answer
	outcomeFailed               // kicked, UserSig expired, media or server failure
)

func (o outcome) exit() int {
	switch o {
	case outcomeEnded:
		return ExitOK
	case outcomeNotConnected:
		return ExitNotConnected
	}
	return ExitFailure
}

// terminal says whether ev ends the current call, and how.
func terminal(ev call.Event) outcome {
	switch e := ev.(type) {
	case *call.CallEnd:
		if e.Reason == signaling.ReasonConnectionFailed || e.Reason == signaling.ReasonOffline {
			return outcomeFailed
		}
		return outcomeEnded
	case *call.CallCancelled:
		return outcomeNotConnected
	case *call.KickedOffline, *call.UserSigExpired:
		return outcomeFailed
	case *call.ConnectionChanged:
		if e.State == call.Disconnected {
			return outcomeFailed
		}
	}
	return outcomeNone
}

func runCall(ctx context.Context, env *Env, args []string) int {
	var (
		a                                          account
		audio                                      bool
		timeout, userData, hangupAfter, group, who string
	)
	fs := newFlags(env, "call", "calla call --server URL --user ID (--usersig SIG | --secret-file FILE) [--audio] [--timeout 30s] [--user-data S] [--hangup-after D] [--group G] (CALLEE... | --users a,b,c)")
	a.declare(env, fs)
	fs.BoolVar(&audio, "audio", false, "an audio call (default: video)")
	envString(env, fs, &timeout, "timeout", "CALLA_TIMEOUT", "30s", "how long callees ring")
	envString(env, fs, &userData, "user-data", "CALLA_USER_DATA", "", "text every callee receives with the call")
	envString(env, fs, &hangupAfter, "hangup-after", "CALLA_HANGUP_AFTER", "", "hang up this long after media connects with someone (onUserJoin; default: wait for the others)")
	envString(env, fs, &group, "group", "CALLA_GROUP", "", "group `ID`: make a group call (a server-side group's id, whose members may join it, or any label)")
	envString(env, fs, &who, "users", "CALLA_USERS", "", "comma-separated callees (or give them as arguments)")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	callees := fs.Args()
	if who != "" {
		callees = append(callees, strings.Split(who, ",")...)
	}
	if msg := a.check(); msg != "" || len(callees) == 0 {
		if msg == "" {
			msg = "name at least one callee"
		}
		fmt.Fprintf(env.Stderr, "calla call: %s\n", msg)
		fs.Usage()
		return ExitUsage
	}
	ringFor, err := time.ParseDuration(timeout)
	if err != nil || ringFor < 0 {
		fmt.Fprintf(env.Stderr, "calla call: --timeout %q: want a duration such as 30s\n", timeout)
		return ExitUsage
	}
	var hangAfter time.Duration
	if hangupAfter != "" {
		if hangAfter, err = time.ParseDuration(hangupAfter); err != nil || hangAfter < 0 {
			fmt.Fprintf(env.Stderr, "calla call: --hangup-after %q: want a duration such as 10s\n", hangupAfter)
			return ExitUsage
		}
	}
	ids := make([]signaling.UserID, len(callees))
	for i, c := range callees {
		ids[i] = signaling.UserID(strings.TrimSpace(c))
		if !ids[i].Valid() {
			fmt.Fprintf(env.Stderr, "calla call: callee %q: want %s\n", c, signaling.IDRule)
			return ExitUsage
		}
	}
	if group != "" && !signaling.GroupID(group).Valid() {
		fmt.Fprintf(env.Stderr, "calla call: --group %q: want %s\n", group, signaling.IDRule)
		return ExitUsage
	}
	mt := signaling.Video
	if audio {
		mt = signaling.Audio
	}

	h, code := startHeadless(ctx, env, &a, call.Config{})
	if h == nil {
		return code
	}
	defer h.Close()
	p := call.Params{Timeout: ringFor, UserData: userData}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	if group != "" || len(ids) > 1 {
		_, err = h.engine.GroupCall(cctx, signaling.GroupID(group), ids, mt, p)
	} else {
		_, err = h.engine.Call(cctx, ids[0], mt, p)
	}
	cancel()
	if err != nil {
		fmt.Fprintf(env.Stderr, "calla call: %v\n", err)
		if errors.Is(err, &call.Error{Code: signaling.CodeInvalidParam}) {
			return ExitUsage
		}
		return ExitFailure
	}
	return followCall(ctx, h, hangAfter)
}

// followCall waits for the current call to end, hanging up hangAfter
// after media first connected (onUserJoin; 0: never) or when ctx ends. A
// call whose media never connected with anyone did not connect, however
// it ended: status 1, or 3 when it ended for a failure (the engine's
// onError -1409 when media could not be set up).
func followCall(ctx context.Context, h *headless, hangAfter time.Duration) int {
	var hangup <-chan time.Time
	done := ctx.Done()
	joined := false
	for {
		select {
		case ev, ok := <-h.events:
			if !ok {
				return ExitFailure
			}
			if _, join := ev.(*call.UserJoin); join && !joined {
				joined = true
				if hangAfter > 0 {
					hangup = time.After(hangAfter)
				}
			}
			if o := terminal(ev); o != outcomeNone {
				if o == outcomeEnded && !joined {
					o = outcomeNotConnected
				}
				return o.exit()
			}
		case <-hangup:
			hangup = nil
			h.hangup()
		case <-done:
			done = nil
			h.hangup()
		}
	}
}

func (h *headless) hangup() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.engine.Hangup(ctx); err != nil {
		fmt.Fprintf(h.env.Stderr, "calla: hang up: %v\n", err)
	}
}

func runAnswer(ctx context.Context, env *Env, args []string) int {
	var (
		a                          account
		delay, hangupAfter         string
		reject, busy, ignore, asAu bool
		count                      int
	)
	fs := newFlags(env, "answer", "calla answer --server URL --user ID (--usersig SIG | --secret-file FILE) [--delay D] [--reject | --busy | --ignore] [--audio] [--hangup-after D] [--count N]")
	a.declare(env, fs)
	envString(env, fs, &delay, "delay", "CALLA_DELAY", "0s", "wait this long after a call rings before answering")
	fs.BoolVar(&reject, "reject", false, "decline every call")
	fs.BoolVar(&busy, "busy", false, "answer busy (TUICallKit's ignore: the caller sees the line busy)")
	fs.BoolVar(&ignore, "ignore", false, "do not answer: let every call ring until it times out")
	fs.BoolVar(&asAu, "audio", false, "accept video calls as audio calls")
	envString(env, fs, &hangupAfter, "hangup-after", "CALLA_HANGUP_AFTER", "", "hang up this long after a call's media connects (onUserJoin; default: wait for the caller)")
	fs.IntVar(&count, "count", 1, "how many calls to handle before exiting (0: until interrupted)")
	if code := parse(env, fs, args); code >= 0 {
		return code
	}
	modes := 0
	for _, b := range []bool{reject, busy, ignore} {
		if b {
			modes++
		}
	}
	if msg := a.check(); msg != "" || modes > 1 || fs.NArg() > 0 || count < 0 {
		switch {
		case msg != "":
		case modes > 1:
			msg = "--reject, --busy and --ignore exclude each other"
		case count < 0:
			msg = "--count must be 0 or more"
		default:
			msg = fmt.Sprintf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(env.Stderr, "calla answer: %s\n", msg)
		fs.Usage()
		return ExitUsage
	}
	wait, err := time.ParseDuration(delay)
	if err != nil || wait < 0 {
		fmt.Fprintf(env.Stderr, "calla answer: --delay %q: want a duration such as 2s\n", delay)
		return ExitUsage
	}
	var hangAfter time.Duration
	if hangupAfter != "" {
		if hangAfter, err = time.ParseDuration(hangupAfter); err != nil || hangAfter < 0 {
			fmt.Fprintf(env.Stderr, "calla answer: --hangup-after %q: want a duration such as 10s\n", hangupAfter)
			return ExitUsage
		}
	}

	h, code := startHeadless(ctx, env, &a, call.Config{})
	if h == nil {
		return code
	}
	defer h.Close()
	act := func() error {
		actx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		switch {
		case reject:
			return h.engine.Reject(actx)
		case busy:
			return h.engine.Ignore(actx)
		case ignore:
			return nil
		case asAu:
			return h.engine.AcceptAsAudio(actx)
		}
		return h.engine.Accept(actx)
	}
	status := ExitOK
	for handled := 0; count == 0 || handled < count; handled++ {
		if o := waitForCall(ctx, h); o != outcomeNone {
			return o.exit() // interrupted, kicked or disconnected while idle
		}
		if wait > 0 {
			// The call may end while it rings (the caller cancels, it
			// times out): then there is nothing left to answer.
			if o := ringFor(ctx, h, wait); o != outcomeNone {
				status = max(status, o.exit())
				if o == outcomeFailed || ctx.Err() != nil {
					return status
				}
				continue
			}
		}
		if err := act(); err != nil {
			fmt.Fprintf(env.Stderr, "calla answer: %v\n", err)
		}
		s := followCall(ctx, h, hangAfter)
		status = max(status, s)
		if ctx.Err() != nil {
			break
		}
	}
	return status
}

// ringFor lets the call ring for d. It returns outcomeNone when d passed
// with the call still ringing, or the outcome of the event that ended it
// (or the session) meanwhile; an interrupt leaves it ringing for the
// caller to deal with.
func ringFor(ctx context.Context, h *headless, d time.Duration) outcome {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-h.events:
			if !ok {
				return outcomeFailed
			}
			if o := terminal(ev); o != outcomeNone {
				return o
			}
		case <-timer.C:
			return outcomeNone
		case <-ctx.Done():
			return outcomeNone
		}
	}
}

// waitForCall waits for the next onCallReceived; anything else that ends
// the session returns its outcome, and an interrupt outcomeEnded.
func waitForCall(ctx context.Context, h *headless) outcome {
	for {
		select {
		case ev, ok := <-h.events:
			if !ok {
				return outcomeFailed
			}
			if _, ok := ev.(*call.CallReceived); ok {
				return outcomeNone
			}
			if o := terminal(ev); o == outcomeFailed {
				return o
			}
		case <-ctx.Done():
			return outcomeEnded
		}
	}
}

func runBot(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] != "echo" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprintln(env.Stdout, "Usage: calla bot echo --server URL --user ID (--usersig SIG | --secret-file FILE) [--delay 1s]")
			return ExitOK
		}
		fmt.Fprintln(env.Stderr, "Usage: calla bot echo --server URL --user ID (--usersig SIG | --secret-file FILE) [--delay 1s]")
		return ExitUsage
	}
	var a account
	var delay string
	fs := newFlags(env, "bot echo", "calla bot echo --server URL --user ID (--usersig SIG | --secret-file FILE) [--delay 1s]")
	a.declare(env, fs)
	envString(env, fs, &delay, "delay", "CALLA_ECHO_DELAY", "1s", "how late callers get their own media back")
	if code := parse(env, fs, args[1:]); code >= 0 {
		return code
	}
	d, err := time.ParseDuration(delay)
	if msg := a.check(); msg != "" || err != nil || d <= 0 || fs.NArg() > 0 {
		if msg == "" {
			msg = fmt.Sprintf("--delay %q: want a positive duration such as 1s", delay)
		}
		fmt.Fprintf(env.Stderr, "calla bot echo: %s\n", msg)
		return ExitUsage
	}
	h, code := startHeadless(ctx, env, &a, call.Config{})
	if h == nil {
		return code
	}
	defer h.Close()
	bot := echobot.New(h.engine, d, h.log)
	defer bot.Close() // before the engine's Close
	for {
		select {
		case ev, ok := <-h.events:
			if !ok {
				return ExitFailure
			}
			bot.Handle(ev)
			if o := terminal(ev); o == outcomeFailed {
				if _, isEnd := ev.(*call.CallEnd); !isEnd {
					return ExitFailure // kicked, expired or disconnected
				}
			}
		case <-ctx.Done():
			return ExitOK
		}
	}
}
