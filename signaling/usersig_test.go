package signaling

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var sigSecret = []byte("0123456789abcdef0123456789abcdef")

func TestUserSigRoundTrip(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, err := GenUserSig(sigSecret, 1400000001, "alice", 7*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(s, "+/=") {
		t.Errorf("UserSig %q is not in TLS-sig's URL-safe base64", s)
	}
	info, err := VerifyUserSig(sigSecret, 1400000001, "alice", s, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if info.UserID != "alice" || info.AppID != 1400000001 || !info.Issued.Equal(now) || !info.Expires.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("info = %+v", info)
	}
}

// TestUserSigCanonicalContent pins the signed content to TLS-sig v2's
// canonical form (with the newline after TLS.expire); the expected value
// was computed independently with openssl.
func TestUserSigCanonicalContent(t *testing.T) {
	d := userSigDoc{Identifier: "bob", SDKAppID: 42, Time: 1000, Expire: 60}
	// HMAC-SHA256("0123456789abcdef0123456789abcdef",
	// "TLS.identifier:bob\nTLS.sdkappid:42\nTLS.time:1000\nTLS.expire:60\n"), base64,
	// as computed by `openssl dgst -sha256 -hmac ... -binary | base64`.
	const want = "1O9oVSf6P0nfFjAFuSzTP6bWf4DxHnzdrlA8uzkunlo="
	if got := userSigHMAC(sigSecret, d); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
}

func TestVerifyUserSigRefusals(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	good, _ := GenUserSig(sigSecret, 7, "alice", time.Hour, now)
	other, _ := GenUserSig([]byte("ffffffffffffffffffffffffffffffff"), 7, "alice", time.Hour, now)
	tests := []struct {
		name string
		sig  string
		user UserID
		app  uint32
		at   time.Time
		want error
	}{
		{"an empty sig is malformed", "", "alice", 7, now, ErrUserSigMalformed},
		{"a sig that is not base64 is malformed", "%%%", "alice", 7, now, ErrUserSigMalformed},
		{"a sig that is not zlib is malformed", "aGVsbG8_", "alice", 7, now, ErrUserSigMalformed},
		{"a huge sig is malformed", strings.Repeat("A", 5000), "alice", 7, now, ErrUserSigMalformed},
		{"a sig made with another secret is forged", other, "alice", 7, now, ErrUserSigForged},
		{"another user's sig is refused", good, "bob", 7, now, ErrUserSigWrongUser},
		{"another app's sig is refused", good, "alice", 8, now, ErrUserSigWrongApp},
		{"a sig past its expiry is expired", good, "alice", 7, now.Add(2 * time.Hour), ErrUserSigExpired},
		{"a good sig passes", good, "alice", 7, now, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyUserSig(sigSecret, tc.app, tc.user, tc.sig, tc.at)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestGenUserSigRefusals(t *testing.T) {
	if _, err := GenUserSig([]byte("short"), 1, "alice", time.Hour, time.Now()); !errors.Is(err, ErrBadSecret) {
		t.Errorf("short secret: %v", err)
	}
	if _, err := GenUserSig(sigSecret, 1, "not valid!", time.Hour, time.Now()); err == nil {
		t.Error("invalid user id accepted")
	}
	if _, err := GenUserSig(sigSecret, 1, "alice", 0, time.Now()); err == nil {
		t.Error("zero expiry accepted")
	}
}

func FuzzVerifyUserSig(f *testing.F) {
	good, _ := GenUserSig(sigSecret, 7, "alice", time.Hour, time.Unix(1_800_000_000, 0))
	f.Add(good)
	f.Add("eJyrVkrOz0nNS8nMSy8tSq0sycxTslIyNDKuBQBWJQc_")
	f.Fuzz(func(t *testing.T, s string) {
		info, err := VerifyUserSig(sigSecret, 7, "alice", s, time.Unix(1_800_000_100, 0))
		if err == nil && (info.UserID != "alice" || info.AppID != 7) {
			t.Fatalf("accepted a sig for %+v", info)
		}
	})
}
