package media

import (
	"context"
	"fmt"
	"log/slog"

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
	l.log.Log(context.Background(), level, msg)
}

func (l pionLogger) Trace(msg string)                  { l.out(slog.LevelDebug-4, msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.Trace(fmt.Sprintf(format, args...)) }
func (l pionLogger) Debug(msg string)                  { l.out(slog.LevelDebug, msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.Debug(fmt.Sprintf(format, args...)) }
func (l pionLogger) Info(msg string)                   { l.out(slog.LevelDebug, msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.Info(fmt.Sprintf(format, args...)) }
func (l pionLogger) Warn(msg string)                   { l.out(slog.LevelWarn, msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.Warn(fmt.Sprintf(format, args...)) }
func (l pionLogger) Error(msg string)                  { l.out(slog.LevelWarn, msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.Error(fmt.Sprintf(format, args...)) }
