package media

import (
	"fmt"
	"strconv"
)

// Quality is a network-quality level, TUICallKit's NetworkQuality: 0 Unknown
// through 6 Down. Bad and worse count as a bad network in the UI.
type Quality int

// Network-quality levels, numbered as TUICallKit's.
const (
	QualityUnknown   Quality = 0
	QualityExcellent Quality = 1
	QualityGood      Quality = 2
	QualityPoor      Quality = 3
	QualityBad       Quality = 4
	QualityVbad      Quality = 5
	QualityDown      Quality = 6
)

var qualityNames = [...]string{"Unknown", "Excellent", "Good", "Poor", "Bad", "Vbad", "Down"}

func (q Quality) String() string {
	if q >= 0 && int(q) < len(qualityNames) {
		return qualityNames[q]
	}
	return "Quality(" + strconv.Itoa(int(q)) + ")"
}

// IsBad reports whether q is Bad, Vbad or Down: TUICallKit's bad-network
// threshold, where the UI shows a warning banner.
func (q Quality) IsBad() bool { return q >= QualityBad && q <= QualityDown }

// MarshalText writes the level's name, as the seed's JSON form shows it
// ({"alice":"Excellent"}).
func (q Quality) MarshalText() ([]byte, error) {
	if q < 0 || int(q) >= len(qualityNames) {
		return nil, fmt.Errorf("media: invalid quality %d", int(q))
	}
	return []byte(qualityNames[q]), nil
}

// UnmarshalText reads a level's name.
func (q *Quality) UnmarshalText(b []byte) error {
	for i, n := range qualityNames {
		if n == string(b) {
			*q = Quality(i)
			return nil
		}
	}
	return fmt.Errorf("media: unknown quality %q", b)
}
