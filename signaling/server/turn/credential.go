package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the TURN REST scheme is HMAC-SHA1
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadCredential indicates a TURN username that is not "EXPIRY:USERID",
// one that has expired, or a password that does not match it.
var ErrBadCredential = errors.New("turn: bad credential")

// Credential returns the TURN username and password that let user
// allocate until expires: username "EXPIRY:USER" (Unix seconds) and
// password base64(HMAC-SHA1(secret, username)), the TURN REST scheme.
func Credential(secret []byte, user string, expires time.Time) (username, password string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + user
	return username, password64(secret, username)
}

func password64(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// CheckUsername parses a REST username and reports its user, or
// ErrBadCredential when it is malformed or has expired at now.
func CheckUsername(username string, now time.Time) (user string, err error) {
	exp, user, ok := strings.Cut(username, ":")
	if !ok || user == "" {
		return "", fmt.Errorf("%w: username %q is not EXPIRY:USERID", ErrBadCredential, username)
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%w: username %q: expiry is not a number", ErrBadCredential, username)
	}
	if !now.Before(time.Unix(t, 0)) {
		return "", fmt.Errorf("%w: username %q expired at %s", ErrBadCredential, username, time.Unix(t, 0).UTC().Format(time.RFC3339))
	}
	return user, nil
}
