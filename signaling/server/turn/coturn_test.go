package turn

import (
	"testing"
	"time"

	"github.com/calla-rtc/calla/internal/coturn"
)

// The credentials Calla hands out must be what coturn's use-auth-secret
// expects: a real coturn with the same secret is the judge.
func TestCoturnAcceptsOurCredentials(t *testing.T) {
	ct := coturn.Start(t, string(testSecret))
	user, pass := Credential(testSecret, "alice", time.Now().Add(time.Hour))
	relay, stop, err := allocate(t, ct.Addr, user, pass)
	if err != nil {
		t.Fatalf("coturn refused Calla's credential %q: %v\n%s", user, err, ct.Log())
	}
	t.Logf("coturn gave alice the relay address %v", relay.LocalAddr())
	stop()

	// And it refuses what it should, so the acceptance above means something.
	old, oldPass := Credential(testSecret, "alice", time.Now().Add(-time.Minute))
	if _, stop, err := allocate(t, ct.Addr, old, oldPass); err == nil {
		stop()
		t.Fatal("coturn accepted an expired credential")
	}
	other, otherPass := Credential([]byte("not-the-secret-0123456789abcdef"), "alice", time.Now().Add(time.Hour))
	if _, stop, err := allocate(t, ct.Addr, other, otherPass); err == nil {
		stop()
		t.Fatal("coturn accepted a credential made with another secret")
	}
}
