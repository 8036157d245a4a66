package gui

import (
	"fmt"
	"time"
)

// formatCallDuration is the call timer's text: mm:ss, and hh:mm:ss from
// one hour on (TUICallKit's format). Negative durations read 00:00.
func formatCallDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

func secondsToDuration(s int64) time.Duration { return time.Duration(s) * time.Second }
