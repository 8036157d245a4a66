package call

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/calla-rtc/calla/signaling"
)

// TestErrorOfKeepsTheCause: the network's failures of a login become
// -1406, and the *Error unwraps to them, so that an app can say which
// (refused, no such host); the code still matches with errors.Is.
func TestErrorOfKeepsTheCause(t *testing.T) {
	_, dialErr := (&net.Dialer{}).DialContext(context.Background(), "tcp", "127.0.0.1:1")
	if dialErr == nil {
		t.Skip("something listens on 127.0.0.1:1")
	}
	rows := []struct {
		name string
		err  error
		code signaling.Code
		is   error
	}{
		{"a refused connection is -1406 and unwraps to ECONNREFUSED", dialErr, signaling.CodeSignalingSendFail, syscall.ECONNREFUSED},
		{"a name that does not resolve is -1406", &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}, signaling.CodeSignalingSendFail, nil},
		{"a server's error keeps its code", &signaling.Error{Code: signaling.CodeUserSigInvalid, Message: "bad sig"}, signaling.CodeUserSigInvalid, nil},
		{"anything else is -1", errors.New("boom"), signaling.CodeInternal, nil},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			e := errorOf("log in", row.err)
			if e.Code != row.code {
				t.Fatalf("code = %d, want %d (%s)", e.Code, row.code, e.Message)
			}
			if !errors.Is(e, row.err) {
				t.Errorf("the *Error does not unwrap to %v", row.err)
			}
			if row.is != nil && !errors.Is(e, row.is) {
				t.Errorf("errors.Is(%v, %v) = false", e, row.is)
			}
			if !errors.Is(e, &Error{Code: row.code}) {
				t.Error("errors.Is by code no longer matches")
			}
		})
	}
}
