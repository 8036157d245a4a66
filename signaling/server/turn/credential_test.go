package turn

import (
	"errors"
	"testing"
	"time"

	pturn "github.com/pion/turn/v5"
)

// pion/turn's own TURN REST generator is a third party's reading of the
// scheme: our credentials must be byte for byte what it makes.
func TestCredentialMatchesPionsRESTGenerator(t *testing.T) {
	secret := "0123456789abcdef0123456789abcdef"
	// pion stamps time.Now()+d; ask it for a whole number of seconds
	// ahead and rebuild ours from the expiry it chose.
	u, p, err := pturn.GenerateLongTermTURNRESTCredentials(secret, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	user, err := CheckUsername(u, time.Now())
	if err != nil || user != "alice" {
		t.Fatalf("CheckUsername(%q) = %q, %v", u, user, err)
	}
	var exp int64
	for i := 0; i < len(u) && u[i] != ':'; i++ {
		exp = exp*10 + int64(u[i]-'0')
	}
	gu, gp := Credential([]byte(secret), "alice", time.Unix(exp, 0))
	if gu != u || gp != p {
		t.Fatalf("Credential = %q/%q, pion made %q/%q", gu, gp, u, p)
	}
}

func TestCheckUsername(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name, username, user string
		ok                   bool
	}{
		{"a live username names its user", "1800000060:bob", "bob", true},
		{"an expired username is refused", "1799999999:bob", "", false},
		{"one that expires right now is refused", "1800000000:bob", "", false},
		{"a username without a user is refused", "1800000060:", "", false},
		{"a username without a colon is refused", "1800000060", "", false},
		{"a non-numeric expiry is refused", "soon:bob", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, err := CheckUsername(tc.username, now)
			if tc.ok != (err == nil) || user != tc.user {
				t.Fatalf("CheckUsername(%q) = %q, %v", tc.username, user, err)
			}
			if err != nil && !errors.Is(err, ErrBadCredential) {
				t.Fatalf("error %v is not ErrBadCredential", err)
			}
		})
	}
}
