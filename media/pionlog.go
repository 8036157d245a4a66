package media

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pion/logging"
)

// pionLogs routes pion's logs into the session's slog logger, scoped.
// pion's trace, debug and info are chatty and go to Debug; its warnings
// and errors go to Warn: they are pion's view (a read on a closed pipe
// while a connection shuts down is an "error" there), and the session
// reports what matters to the engine as events.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) out(level slog.Level, msg string) {
	if level >= slog.LevelWarn && closing(msg) {
		level = slog.LevelDebug
	}
	l.log.Log(context.Background(), level, msg)
}

// closing reports a message pion writes while a peer connection shuts
// down as it should (every hang-up): not worth a warning.
func closing(msg string) bool {
	for _, s := range []string{"already closed", "closed pipe", "use of closed network connection", "io: read/write on closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// outf formats only what will be written. Besides saving the work for
// every debug line, this keeps pion's "got new track: %+v" (webrtc v4.2.26,
// peerconnection.go onTrack) from being formatted: it reads a track's
// fields without the track's lock while the negotiation on the session
// loop writes them, a data race that -race reported in a call test. With
// debug logging on it is still formatted: pion's race, harmless reads of
// a struct for a log line.
func (l pionLogger) outf(level slog.Level, format string, args ...any) {
	if level < slog.LevelWarn && !l.log.Enabled(context.Background(), level) {
		return
	}
	l.out(level, fmt.Sprintf(format, args...))
}

func (l pionLogger) Trace(msg string)                  { l.out(slog.LevelDebug-4, msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.outf(slog.LevelDebug-4, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.out(slog.LevelDebug, msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.outf(slog.LevelDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.out(slog.LevelDebug, msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.outf(slog.LevelDebug, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.out(slog.LevelWarn, msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.outf(slog.LevelWarn, format, args...) }
func (l pionLogger) Error(msg string)                  { l.out(slog.LevelWarn, msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.outf(slog.LevelWarn, format, args...) }
