package gui

import (
	"fmt"
	"strconv"
)

// Outcome is how a call in the history ended.
type Outcome int

// Outcomes.
const (
	OutcomeAnswered  Outcome = iota // connected; the entry has a duration
	OutcomeDeclined                 // the callee (us, for an incoming call) declined
	OutcomeNoAnswer                 // nobody answered in time
	OutcomeBusy                     // the callee was in another call
	OutcomeCancelled                // the caller gave up before an answer
	OutcomeFailed                   // the call could not be placed or connected
	OutcomeElsewhere                // answered on another device
)

var outcomeNames = [...]string{"answered", "declined", "noAnswer", "busy", "cancelled", "failed", "elsewhere"}

func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// MarshalText writes the outcome's name.
func (o Outcome) MarshalText() ([]byte, error) {
	if o < 0 || int(o) >= len(outcomeNames) {
		return nil, fmt.Errorf("gui: invalid outcome %d", int(o))
	}
	return []byte(outcomeNames[o]), nil
}

// UnmarshalText reads an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("gui: unknown outcome %q", b)
}
