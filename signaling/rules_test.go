package signaling

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckInvitees(t *testing.T) {
	many := func(n int) []UserID {
		out := make([]UserID, n)
		for i := range out {
			out[i] = UserID("u" + string(rune('a'+i)))
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		users   []UserID
		already int
		want    string // "" for no error
	}{
		{"one callee is a call", []UserID{"bob"}, 1, ""},
		{"eight callees and the caller are nine", many(8), 1, ""},
		{"nine callees and the caller are too many", many(9), 1, "at most 9 members"},
		{"an invitation counts who is already in the call", many(3), 7, "at most 9 members"},
		{"nobody is not a call", nil, 1, "at least one user"},
		{"a bad id says what an id is", []UserID{"bob smith"}, 1, IDRule},
		{"calling oneself is refused", []UserID{"alice"}, 1, "cannot call yourself"},
		{"a user listed twice is refused", []UserID{"bob", "bob"}, 1, "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckInvitees("alice", tc.users, tc.already)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) || se.Code != CodeInvalidParam || !strings.Contains(se.Message, tc.want) {
				t.Fatalf("err = %v, want code %d saying %q", err, CodeInvalidParam, tc.want)
			}
		})
	}
}

func TestIDChecksSayWhatAnIDIs(t *testing.T) {
	if err := UserID("alice_1").Check(); err != nil {
		t.Errorf("valid user id: %v", err)
	}
	if err := GroupID("").Check(); err == nil || !strings.Contains(err.Error(), "group id") {
		t.Errorf("empty group id: %v", err)
	}
}
