package signaling

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// MinSecretLen is the shortest secret GenUserSig and VerifyUserSig accept.
const MinSecretLen = 16

// maxUserSigLen caps what VerifyUserSig will decode, so a hostile login
// cannot make the server inflate a large blob.
const maxUserSigLen = 4096

// UserSigInfo is what a valid UserSig says.
type UserSigInfo struct {
	UserID  UserID
	AppID   uint32
	Issued  time.Time
	Expires time.Time
}

// userSigDoc is the JSON document inside a UserSig (TLS-sig v2's fields).
type userSigDoc struct {
	Ver        string `json:"TLS.ver"`
	Identifier string `json:"TLS.identifier"`
	SDKAppID   uint32 `json:"TLS.sdkappid"`
	Expire     int64  `json:"TLS.expire"`
	Time       int64  `json:"TLS.time"`
	Sig        string `json:"TLS.sig"`
}

// userSigEncoding is TLS-sig's URL-safe base64: standard base64 with
// '+' -> '*', '/' -> '-', '=' -> '_'.
var userSigReplacer = strings.NewReplacer("+", "*", "/", "-", "=", "_")
var userSigUnreplacer = strings.NewReplacer("*", "+", "-", "/", "_", "=")

// GenUserSig makes a UserSig for user in app appID, valid from now for
// expire, in the shape of Tencent's TLS-sig v2: an HMAC-SHA256 over the
// user id, app id, issue time and expiry keyed by secret, in a JSON
// document, zlib-compressed, in TLS-sig's base64.
func GenUserSig(secret []byte, appID uint32, user UserID, expire time.Duration, now time.Time) (string, error) {
	if len(secret) < MinSecretLen {
		return "", fmt.Errorf("%w: need at least %d bytes", ErrBadSecret, MinSecretLen)
	}
	if !user.Valid() {
		return "", fmt.Errorf("signaling: GenUserSig: invalid user id %q", user)
	}
	secs := int64(expire / time.Second)
	if secs <= 0 {
		return "", fmt.Errorf("signaling: GenUserSig: expiry %v must be at least one second", expire)
	}
	doc := userSigDoc{
		Ver:        "2.0",
		Identifier: string(user),
		SDKAppID:   appID,
		Expire:     secs,
		Time:       now.Unix(),
	}
	doc.Sig = userSigHMAC(secret, doc)
	js, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("signaling: GenUserSig: %w", err)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(js); err != nil {
		return "", fmt.Errorf("signaling: GenUserSig: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("signaling: GenUserSig: %w", err)
	}
	return userSigReplacer.Replace(base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// userSigHMAC is TLS-sig v2's signature over the canonical content (with
// the trailing newline after TLS.expire).
func userSigHMAC(secret []byte, d userSigDoc) string {
	content := "TLS.identifier:" + d.Identifier + "\n" +
		"TLS.sdkappid:" + strconv.FormatUint(uint64(d.SDKAppID), 10) + "\n" +
		"TLS.time:" + strconv.FormatInt(d.Time, 10) + "\n" +
		"TLS.expire:" + strconv.FormatInt(d.Expire, 10) + "\n"
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(content))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// VerifyUserSig checks that sig is a UserSig for user in app appID signed
// with secret and not expired at now. Its errors wrap ErrUserSigMalformed,
// ErrUserSigForged, ErrUserSigWrongUser, ErrUserSigWrongApp or
// ErrUserSigExpired. The signature is checked before the claims, so a
// forged sig never reveals which claim was wrong.
func VerifyUserSig(secret []byte, appID uint32, user UserID, sig string, now time.Time) (UserSigInfo, error) {
	if len(secret) < MinSecretLen {
		return UserSigInfo{}, fmt.Errorf("%w: need at least %d bytes", ErrBadSecret, MinSecretLen)
	}
	if sig == "" {
		return UserSigInfo{}, fmt.Errorf("%w: empty", ErrUserSigMalformed)
	}
	if len(sig) > maxUserSigLen {
		return UserSigInfo{}, fmt.Errorf("%w: %d characters, at most %d", ErrUserSigMalformed, len(sig), maxUserSigLen)
	}
	raw, err := base64.StdEncoding.DecodeString(userSigUnreplacer.Replace(sig))
	if err != nil {
		return UserSigInfo{}, fmt.Errorf("%w: not base64: %v", ErrUserSigMalformed, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return UserSigInfo{}, fmt.Errorf("%w: not zlib: %v", ErrUserSigMalformed, err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxUserSigLen+1))
	if err != nil {
		return UserSigInfo{}, fmt.Errorf("%w: bad zlib data: %v", ErrUserSigMalformed, err)
	}
	if len(js) > maxUserSigLen {
		return UserSigInfo{}, fmt.Errorf("%w: content too long", ErrUserSigMalformed)
	}
	var d userSigDoc
	if err := json.Unmarshal(js, &d); err != nil {
		return UserSigInfo{}, fmt.Errorf("%w: bad JSON: %v", ErrUserSigMalformed, err)
	}
	if d.Ver != "2.0" || d.Identifier == "" || d.Sig == "" || d.Expire <= 0 || d.Time <= 0 {
		return UserSigInfo{}, fmt.Errorf("%w: a field is missing", ErrUserSigMalformed)
	}
	want := userSigHMAC(secret, d)
	if !hmac.Equal([]byte(want), []byte(d.Sig)) {
		return UserSigInfo{}, ErrUserSigForged
	}
	info := UserSigInfo{
		UserID:  UserID(d.Identifier),
		AppID:   d.SDKAppID,
		Issued:  time.Unix(d.Time, 0),
		Expires: time.Unix(d.Time, 0).Add(time.Duration(d.Expire) * time.Second),
	}
	if d.SDKAppID != appID {
		return info, fmt.Errorf("%w: made for app %d, this server is app %d", ErrUserSigWrongApp, d.SDKAppID, appID)
	}
	if info.UserID != user {
		return info, fmt.Errorf("%w: made for %q, not %q", ErrUserSigWrongUser, d.Identifier, user)
	}
	if now.After(info.Expires) {
		return info, fmt.Errorf("%w: it expired at %s", ErrUserSigExpired, info.Expires.UTC().Format(time.RFC3339))
	}
	return info, nil
}
