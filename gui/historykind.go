package gui

import (
	"fmt"
	"strconv"
)

// HistoryKind is a call history entry's kind, as the history screen files
// it.
type HistoryKind int

// History kinds.
const (
	HistoryOutgoing HistoryKind = iota // we called
	HistoryIncoming                    // we were called and answered, or declined
	HistoryMissed                      // we were called and did not answer
)

var historyKindNames = [...]string{"outgoing", "incoming", "missed"}

func (k HistoryKind) String() string {
	if k >= 0 && int(k) < len(historyKindNames) {
		return historyKindNames[k]
	}
	return "HistoryKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the kind's name, so history.json stays readable.
func (k HistoryKind) MarshalText() ([]byte, error) {
	if k < 0 || int(k) >= len(historyKindNames) {
		return nil, fmt.Errorf("gui: invalid history kind %d", int(k))
	}
	return []byte(historyKindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *HistoryKind) UnmarshalText(b []byte) error {
	for i, n := range historyKindNames {
		if n == string(b) {
			*k = HistoryKind(i)
			return nil
		}
	}
	return fmt.Errorf("gui: unknown history kind %q", b)
}
