package gui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"

	"fyne.io/fyne/v2/lang"
	"github.com/gorilla/websocket"

	"github.com/calla-rtc/calla/call"
	"github.com/calla-rtc/calla/signaling"
)

// problem is a failure as a person reads it, in their language: what
// happened, and what to do about it. The technical chain goes to the log,
// never to the window.
type problem struct {
	What string
	Do   string
}

// problemScene is what the app was doing, so that a problem can name it:
// the server it signs in to and the user it signs in as.
type problemScene struct {
	Server string // the server's websocket URL as the user typed it
	User   signaling.UserID
	// Joining is true from a JoinCall to the next call: a refusal then
	// means the call is over or not the user's.
	Joining bool
}

// problemOf turns any failure the engine reports (an onError, a returned
// *call.Error, whose chain may hold the network's error) into a problem.
// The network's own failures come first: a refused connection and a TLS
// handshake say more than the code they were filed under.
func problemOf(err error, sc problemScene) problem {
	host := hostOf(sc.Server)
	data := map[string]any{"Server": host, "URL": sc.Server, "User": string(sc.User)}
	if p, ok := networkProblem(err, data); ok {
		return p
	}
	code := signaling.CodeInternal
	var ce *call.Error
	var se *signaling.Error
	if errors.As(err, &ce) {
		code = ce.Code
	} else if errors.As(err, &se) {
		code = se.Code
	}
	data["Code"] = int(code)
	if sc.Joining && (code == signaling.CodeRequestRefused || code == signaling.CodeInvalidParam) {
		return problem{lang.L("That call has ended, or you cannot join it."),
			lang.L("Ask someone in the call to invite you.")}
	}
	switch code {
	case signaling.CodeUserSigExpired:
		return problem{lang.L("Your sign-in (UserSig) for {{.User}} has expired.", data),
			lang.L("Get a new UserSig for {{.User}} (calla usersig) and sign in again.", data)}
	case signaling.CodeUserSigInvalid:
		return problem{lang.L("This UserSig is not valid for {{.User}}.", data),
			lang.L("Check the user ID, or get a UserSig made for {{.User}} with this server's secret (calla usersig).", data)}
	case signaling.CodePermissionDenied:
		return problem{lang.L("Calla may not use your camera or microphone.", data),
			lang.L("Allow it in your system's privacy settings, and close other programs that use it.", data)}
	case signaling.CodeCameraFailed:
		return problem{lang.L("Your camera could not be started.", data),
			lang.L("Check that it is connected and that no other program uses it, or pick another camera in Devices.", data)}
	case signaling.CodeMicrophoneFailed:
		return problem{lang.L("Your microphone could not be started.", data),
			lang.L("Check that it is connected and that no other program uses it, or pick another microphone in Devices.", data)}
	case signaling.CodeScreenFailed:
		return problem{lang.L("Your screen could not be captured.", data),
			lang.L("Calla shares the screens of an X11 session; check that it runs in one.", data)}
	case signaling.CodeNotLoggedIn:
		return problem{lang.L("You are not signed in.", data),
			lang.L("Sign in, then try again.", data)}
	case signaling.CodeInvalidParam:
		return problem{lang.L("The server did not accept that request.", data),
			lang.L("Check what you entered (a user ID, a device) and try again.", data)}
	case signaling.CodeRequestRefused:
		return problem{lang.L("That is not possible at this moment of the call.", data),
			lang.L("Wait until the call has started or ended, then try again.", data)}
	case signaling.CodeRequestRepeated:
		return problem{lang.L("That is already done or under way.", data),
			lang.L("Wait a moment for it to finish.", data)}
	case signaling.CodeSceneNotSupported:
		return problem{lang.L("That is not available in this kind of call.", data),
			lang.L("Inviting and joining work in group calls only.", data)}
	case signaling.CodeSignalingSendFail:
		return problem{lang.L("Calla could not reach the server.", data),
			lang.L("Check your network connection; Calla reconnects by itself when it can.", data)}
	case signaling.CodeRateLimited:
		return problem{lang.L("Too many requests in a short time.", data),
			lang.L("Wait a moment, then try again.", data)}
	case signaling.CodeServerUnavailable:
		return problem{lang.L("The server at {{.Server}} is full or shutting down.", data),
			lang.L("Try again in a minute, or ask the server's administrator.", data)}
	case signaling.CodeMediaNegotiation:
		return problem{lang.L("The call's audio and video could not connect.", data),
			lang.L("Check your network; a firewall may block calls. Try again, or ask for a TURN server.", data)}
	}
	return problem{lang.L("Something went wrong in Calla (error {{.Code}}).", data),
		lang.L("Try again. If it happens again, send Calla's log to its developers.", data)}
}

// networkProblem names the network's failure in err's chain, if any.
func networkProblem(err error, data map[string]any) (problem, bool) {
	var (
		rh  tls.RecordHeaderError
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		ci  x509.CertificateInvalidError
		cv  *tls.CertificateVerificationError
		dns *net.DNSError
		ne  net.Error
	)
	switch {
	case errors.As(err, &rh):
		return problem{lang.L("The server at {{.Server}} does not use TLS.", data),
			lang.L("Use ws:// instead of wss:// at the start of the server address.", data)}, true
	case errors.As(err, &hn):
		return problem{lang.L("The certificate of the server at {{.Server}} is for another name.", data),
			lang.L("Use the name the certificate was made for in the server address.", data)}, true
	case errors.As(err, &ua), errors.As(err, &ci), errors.As(err, &cv):
		return problem{lang.L("Calla does not trust the certificate of the server at {{.Server}}.", data),
			lang.L("Install the server's certificate on this computer, or ask its administrator for one from a known authority.", data)}, true
	case errors.As(err, &dns):
		data["Host"] = dns.Name
		if dns.Name == "" {
			data["Host"] = data["Server"]
		}
		return problem{lang.L("Cannot find a server named {{.Host}}.", data),
			lang.L("Check the server address for typing mistakes, and your network connection.", data)}, true
	case errors.Is(err, syscall.ECONNREFUSED):
		return problem{lang.L("Cannot reach the server at {{.Server}}.", data),
			lang.L("Check the address, or whether `calla serve` is running there.", data)}, true
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return problem{lang.L("Your computer has no way to {{.Server}}.", data),
			lang.L("Check your network connection and the server address.", data)}, true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return problem{lang.L("The server at {{.Server}} did not answer in time.", data),
			lang.L("Check your network connection and the server address, then try again.", data)}, true
	case errors.Is(err, websocket.ErrBadHandshake):
		return problem{lang.L("{{.URL}} answered, but not as a Calla server.", data),
			lang.L("Check the address: a Calla server's ends in /ws, e.g. ws://192.168.1.10:8443/ws.", data)}, true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &ne):
		return problem{lang.L("The connection to the server at {{.Server}} broke off.", data),
			lang.L("Check your network connection and try again.", data)}, true
	}
	return problem{}, false
}

// hostOf is host:port of a websocket URL, or the text itself when it is
// not one.
func hostOf(server string) string {
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		return u.Host
	}
	return server
}
