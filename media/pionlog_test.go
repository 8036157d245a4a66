package media

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// formatted counts how often it is formatted.
type formatted struct{ n *int }

func (f formatted) String() string { *f.n++; return "x" }

// TestPionLogsFormatOnlyWhatIsWritten: a debug line below the logger's
// level is not formatted at all (its arguments are never read), a warning
// is, and a warning about a connection closing is kept at debug.
func TestPionLogsFormatOnlyWhatIsWritten(t *testing.T) {
	var buf bytes.Buffer
	l := pionLogs{slog.New(slog.NewTextHandler(&buf, nil))}.NewLogger("test")
	n := 0
	l.Debugf("got new track: %v", formatted{&n})
	l.Tracef("%v", formatted{&n})
	l.Infof("%v", formatted{&n})
	if n != 0 || buf.Len() != 0 {
		t.Errorf("below the level: formatted %d times, wrote %q", n, buf.String())
	}
	l.Warnf("a warning %v", formatted{&n})
	if n != 1 || !strings.Contains(buf.String(), "a warning x") {
		t.Errorf("a warning: formatted %d times, wrote %q", n, buf.String())
	}
	buf.Reset()
	l.Errorf("read: %v", "io: read/write on closed pipe")
	if buf.Len() != 0 {
		t.Errorf("a closing message was written at warning level: %q", buf.String())
	}
}
