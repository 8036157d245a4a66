package gui

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// loginError signs in with a real engine to url and returns its error:
// the network's real failures, as the app would get them.
func loginError(t *testing.T, url string, timeout time.Duration) error {
	t.Helper()
	e := call.New(call.Config{NoPlayback: true, LoopbackOnly: true, Logger: slog.New(slog.DiscardHandler)})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range e.Events() {
		}
	}()
	defer func() {
		e.Close()
		<-done
	}()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := e.Login(ctx, call.LoginParams{Server: url, UserID: "alice"})
	if err == nil {
		t.Fatalf("signing in to %s worked", url)
	}
	return err
}

// closedPort is a loopback port nobody listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func notFound(t *testing.T, tls bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	s := httptest.NewUnstartedServer(h)
	if tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// TestProblems is the table of what a person reads for each failure: the
// network's real failures of a sign-in (a real engine dials real
// servers), the failures a real dial gives that a test cannot make on
// loopback, and every TUICallKit code. Each says what happened and what
// to do, never the Go error chain.
func TestProblems(t *testing.T) {
	type row struct {
		name   string
		err    func(t *testing.T) (problemScene, error)
		what   string
		do     string
		noLeak string // text of the error that must not reach the window
	}
	scene := func(url string) problemScene { return problemScene{Server: url, User: "alice"} }
	dialErr := func(url string, err error) error {
		return fmt.Errorf("could not log in: signaling: dial %s: %w", url, &net.OpError{Op: "dial", Net: "tcp", Err: err})
	}
	rows := []row{
		{
			name: "a refused connection names the server and asks whether calla serve runs there",
			err: func(t *testing.T) (problemScene, error) {
				url := "ws://" + closedPort(t) + "/ws"
				return scene(url), loginError(t, url, 20*time.Second)
			},
			what: "Cannot reach the server at {{host}}.", do: "Check the address, or whether `calla serve` is running there.",
			noLeak: "connection refused",
		},
		{
			// What Engine.Login returns when the app's deadline passes
			// first. (Not a real engine: signaling's dial does not stop
			// its websocket handshake when its context ends, so the
			// engine's Close would wait out the handshake's 45 s.)
			name: "a server that never answers did not answer in time",
			err: func(t *testing.T) (problemScene, error) {
				url := "ws://192.0.2.1:8443/ws"
				return scene(url), fmt.Errorf("log in: %w", context.DeadlineExceeded)
			},
			what: "The server at {{host}} did not answer in time.", do: "Check your network connection and the server address, then try again.",
			noLeak: "deadline",
		},
		{
			name: "a wss:// address of a server without TLS says to use ws://",
			err: func(t *testing.T) (problemScene, error) {
				url := "wss://" + notFound(t, false).Listener.Addr().String() + "/ws"
				return scene(url), loginError(t, url, 20*time.Second)
			},
			what: "The server at {{host}} does not use TLS.", do: "Use ws:// instead of wss:// at the start of the server address.",
			noLeak: "tls:",
		},
		{
			name: "a certificate from an unknown authority is not trusted",
			err: func(t *testing.T) (problemScene, error) {
				url := "wss://" + notFound(t, true).Listener.Addr().String() + "/ws"
				return scene(url), loginError(t, url, 20*time.Second)
			},
			what:   "Calla does not trust the certificate of the server at {{host}}.",
			do:     "Install the server's certificate on this computer, or ask its administrator for one from a known authority.",
			noLeak: "x509",
		},
		{
			name: "an address that is not a Calla server says what one looks like",
			err: func(t *testing.T) (problemScene, error) {
				url := "ws://" + notFound(t, false).Listener.Addr().String() + "/calls"
				return scene(url), loginError(t, url, 20*time.Second)
			},
			what: "{{url}} answered, but not as a Calla server.", do: "Check the address: a Calla server's ends in /ws, e.g. ws://192.168.1.10:8443/ws.",
			noLeak: "bad handshake",
		},
		{
			name: "a name that does not resolve asks to check the address",
			err: func(t *testing.T) (problemScene, error) {
				url := "ws://calla.invalid:8443/ws"
				return scene(url), dialErr(url, &net.DNSError{Err: "no such host", Name: "calla.invalid", IsNotFound: true})
			},
			what: "Cannot find a server named calla.invalid.", do: "Check the server address for typing mistakes, and your network connection.",
			noLeak: "no such host",
		},
		{
			name: "an unreachable network asks to check the connection",
			err: func(t *testing.T) (problemScene, error) {
				url := "ws://203.0.113.7:8443/ws"
				return scene(url), dialErr(url, &net.OpError{Op: "connect", Err: syscall.ENETUNREACH})
			},
			what: "Your computer has no way to 203.0.113.7:8443.", do: "Check your network connection and the server address.",
			noLeak: "unreachable",
		},
		{
			name: "a connection reset says it broke off",
			err: func(t *testing.T) (problemScene, error) {
				url := "ws://192.0.2.1:8443/ws"
				return scene(url), dialErr(url, syscall.ECONNRESET)
			},
			what: "The connection to the server at 192.0.2.1:8443 broke off.", do: "Check your network connection and try again.",
			noLeak: "reset",
		},
		{
			name: "6206 says the UserSig expired and how to get a new one",
			err: func(t *testing.T) (problemScene, error) {
				return scene("ws://h:1/ws"), &call.Error{Code: signaling.CodeUserSigExpired, Message: "usersig expired at 2026-01-01"}
			},
			what: "Your sign-in (UserSig) for alice has expired.", do: "Get a new UserSig for alice (calla usersig) and sign in again.",
			noLeak: "2026-01-01",
		},
		{
			name: "-3320 says the UserSig is not alice's",
			err: func(t *testing.T) (problemScene, error) {
				return scene("ws://h:1/ws"), &call.Error{Code: signaling.CodeUserSigInvalid, Message: "usersig signature mismatch"}
			},
			what: "This UserSig is not valid for alice.", do: "Check the user ID, or get a UserSig made for alice with this server's secret (calla usersig).",
			noLeak: "mismatch",
		},
		{
			name: "-1408 says the server is full or shutting down",
			err: func(t *testing.T) (problemScene, error) {
				return scene("ws://10.0.0.1:8443/ws"), &call.Error{Code: signaling.CodeServerUnavailable, Message: "server unavailable: 503"}
			},
			what: "The server at 10.0.0.1:8443 is full or shutting down.", do: "Try again in a minute, or ask the server's administrator.",
			noLeak: "503",
		},
		{
			name: "an unknown code names itself and asks for the log",
			err: func(t *testing.T) (problemScene, error) {
				return scene("ws://h:1/ws"), &call.Error{Code: 12345, Message: "disk full"}
			},
			what: "Something went wrong in Calla (error 12345).", do: "Try again. If it happens again, send Calla's log to its developers.",
			noLeak: "disk full",
		},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			sc, err := r.err(t)
			p := problemOf(err, sc)
			host := hostOf(sc.Server)
			what := strings.NewReplacer("{{host}}", host, "{{url}}", sc.Server).Replace(r.what)
			want(t, "what", p.What, what)
			want(t, "do", p.Do, r.do)
			if strings.Contains(p.What+p.Do, r.noLeak) {
				t.Errorf("the error's own text %q reached the window: %q %q (error: %v)", r.noLeak, p.What, p.Do, err)
			}
		})
	}
}

// TestEveryCodeHasItsOwnProblem: each TUICallKit code reads differently,
// says what to do, and never shows the engine's English message.
func TestEveryCodeHasItsOwnProblem(t *testing.T) {
	codes := []signaling.Code{
		signaling.CodePermissionDenied, signaling.CodeNotLoggedIn, signaling.CodeInvalidParam, signaling.CodeRequestRefused,
		signaling.CodeRequestRepeated, signaling.CodeSceneNotSupported, signaling.CodeCameraFailed, signaling.CodeMicrophoneFailed,
		signaling.CodeSignalingSendFail, signaling.CodeUserSigExpired, signaling.CodeUserSigInvalid, signaling.CodeRateLimited,
		signaling.CodeServerUnavailable, signaling.CodeMediaNegotiation, signaling.CodeScreenFailed, signaling.CodeInternal,
	}
	seen := map[string]signaling.Code{}
	for _, c := range codes {
		p := problemOf(&call.Error{Code: c, Message: "engine says why"}, problemScene{Server: "ws://h:1/ws", User: "alice"})
		if p.What == "" || p.Do == "" || strings.Contains(p.What+p.Do, "engine says why") {
			t.Errorf("code %d reads %q / %q", c, p.What, p.Do)
		}
		if prev, dup := seen[p.What]; dup {
			t.Errorf("codes %d and %d read the same: %q", prev, c, p.What)
		}
		seen[p.What] = c
	}
}

// TestSignInProblemOnTheForm: a failed sign-in shows its problem on the
// form, not in a toast, and the error chain goes to the log.
func TestSignInProblemOnTheForm(t *testing.T) {
	var logged bytes.Buffer
	r := newRig(t, func(c *modelConfig) { c.Log = slog.New(slog.NewTextHandler(&logged, nil)) })
	addr := closedPort(t)
	url := "ws://" + addr + "/ws"
	refused := loginError(t, url, 20*time.Second) // the engine returns it and emits it as onError
	r.eng.Fail("Login", refused)
	r.m.Login(call.LoginParams{Server: url, UserID: "alice"})
	r.apply(refused.(*call.Error))
	want(t, "screen", r.m.Screen, ScreenLogin)
	want(t, "status", r.m.LoginStatus, "Cannot reach the server at "+addr+". Check the address, or whether `calla serve` is running there.")
	want(t, "toasts", len(r.m.Toasts()), 0)
	if !strings.Contains(logged.String(), "connection refused") {
		t.Errorf("the log lacks the error chain:\n%s", logged.String())
	}
}
