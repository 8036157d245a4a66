package turn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogs routes pion/turn's logs into slog: its trace, debug and info
// (one line per request) go to Debug, its warnings and errors to Warn.
type pionLogs struct{ log *slog.Logger }

func (f pionLogs) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) outf(level slog.Level, format string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
}

func (l pionLogger) Trace(msg string)                  { l.outf(slog.LevelDebug-4, "%s", msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.outf(slog.LevelDebug-4, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.outf(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.outf(slog.LevelDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.outf(slog.LevelDebug, "%s", msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.outf(slog.LevelDebug, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.outf(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.outf(slog.LevelWarn, format, args...) }
func (l pionLogger) Error(msg string)                  { l.outf(slog.LevelWarn, "%s", msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.outf(slog.LevelWarn, format, args...) }
