package signaling

// The call rules that clients check before they ask and the server
// checks as the authority live here, once, so that both sides give the
// same answer in the same words.

// MaxCallMembers is TUICallKit's limit for one call, the caller included.
const MaxCallMembers = 9

// Check is nil for a valid user ID, else an *Error (CodeInvalidParam)
// that says what a user ID must be.
func (u UserID) Check() error {
	if u.Valid() {
		return nil
	}
	return Errorf(CodeInvalidParam, "user id %q must be %s", u, IDRule)
}

// Check is nil for a valid group ID, else an *Error (CodeInvalidParam)
// that says what a group ID must be.
func (g GroupID) Check() error {
	if g.Valid() {
		return nil
	}
	return Errorf(CodeInvalidParam, "group id %q must be %s", g, IDRule)
}

// CheckInvitees checks the users self invites into a call that has
// already members besides them (1 for a new call: the caller): at least
// one, each a valid user ID, not self, nobody twice, and at most
// MaxCallMembers in all. The error is an *Error with CodeInvalidParam.
func CheckInvitees(self UserID, users []UserID, already int) error {
	if len(users) == 0 {
		return Errorf(CodeInvalidParam, "nobody to call: name at least one user")
	}
	if n := len(users) + already; n > MaxCallMembers {
		return Errorf(CodeInvalidParam, "a call has at most %d members, the caller included: %d is too many", MaxCallMembers, n)
	}
	seen := make(map[UserID]bool, len(users))
	for _, u := range users {
		if err := u.Check(); err != nil {
			return err
		}
		switch {
		case u == self:
			return Errorf(CodeInvalidParam, "you cannot call yourself")
		case seen[u]:
			return Errorf(CodeInvalidParam, "%s is listed twice", u)
		}
		seen[u] = true
	}
	return nil
}
