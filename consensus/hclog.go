package consensus

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/veilchain/veil/logspec"
)

// raftLogger is the hclog.Logger raft, its transport and its snapshot
// store get: each line goes to slog at the level raft gave it, with raft's
// key/value pairs as attributes, under component "raft" (so logspec's
// raft level governs it). Before, every hclog line was forwarded at warn
// through an io.Writer, with raft capped at warn: elections and leader
// changes, which raft logs at info ("entering candidate state", "election
// won", "entering leader state"), were never seen.
//
// One exception: once faulted reports a storage fault (a full disk), raft's
// error lines are written at warn. They are consequences of the fault
// ("failed to append to logs", error=disk full: …), and the node reports
// the fault itself, once, at error ("disk full: <dir>: …"), which is the
// line an operator must act on (faults.TestDiskFull).
type raftLogger struct {
	log     *slog.Logger
	name    string
	implied []any
	faulted func() bool
}

// newRaftLogger returns raft's logger over base; faulted reports a
// storage fault already latched.
func newRaftLogger(base *slog.Logger, faulted func() bool) *raftLogger {
	return &raftLogger{log: base.With("component", "raft"), name: "raft", faulted: faulted}
}

func (r *raftLogger) derive(log *slog.Logger, name string, implied []any) *raftLogger {
	return &raftLogger{log: log, name: name, implied: implied, faulted: r.faulted}
}

var _ hclog.Logger = (*raftLogger)(nil)

func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return logspec.LevelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Log writes msg at level with raft's key/value pairs.
func (r *raftLogger) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	sl := slogLevel(level)
	if sl >= slog.LevelError && r.faulted != nil && r.faulted() {
		sl = slog.LevelWarn
	}
	if !r.log.Enabled(context.Background(), sl) {
		return
	}
	for i := 1; i < len(args); i += 2 {
		if f, ok := args[i].(hclog.Format); ok && len(f) > 0 {
			if s, ok := f[0].(string); ok {
				args[i] = strings.TrimSpace(fmt.Sprintf(s, f[1:]...))
			}
		}
	}
	r.log.Log(context.Background(), sl, msg, args...)
}

// Trace logs at raft's trace level.
func (r *raftLogger) Trace(msg string, args ...any) { r.Log(hclog.Trace, msg, args...) }

// Debug logs at debug.
func (r *raftLogger) Debug(msg string, args ...any) { r.Log(hclog.Debug, msg, args...) }

// Info logs at info.
func (r *raftLogger) Info(msg string, args ...any) { r.Log(hclog.Info, msg, args...) }

// Warn logs at warn.
func (r *raftLogger) Warn(msg string, args ...any) { r.Log(hclog.Warn, msg, args...) }

// Error logs at error.
func (r *raftLogger) Error(msg string, args ...any) { r.Log(hclog.Error, msg, args...) }

func (r *raftLogger) enabled(l slog.Level) bool { return r.log.Enabled(context.Background(), l) }

// IsTrace reports whether trace lines are written.
func (r *raftLogger) IsTrace() bool { return r.enabled(logspec.LevelTrace) }

// IsDebug reports whether debug lines are written.
func (r *raftLogger) IsDebug() bool { return r.enabled(slog.LevelDebug) }

// IsInfo reports whether info lines are written.
func (r *raftLogger) IsInfo() bool { return r.enabled(slog.LevelInfo) }

// IsWarn reports whether warnings are written.
func (r *raftLogger) IsWarn() bool { return r.enabled(slog.LevelWarn) }

// IsError reports whether errors are written.
func (r *raftLogger) IsError() bool { return r.enabled(slog.LevelError) }

// ImpliedArgs returns the pairs With added.
func (r *raftLogger) ImpliedArgs() []any { return r.implied }

// With returns a logger that adds args to every line.
func (r *raftLogger) With(args ...any) hclog.Logger {
	return r.derive(r.log.With(args...), r.name, append(append([]any{}, r.implied...), args...))
}

// Name is the logger's name.
func (r *raftLogger) Name() string { return r.name }

// Named returns a sub-logger, its name an attribute ("raft.snapshot").
func (r *raftLogger) Named(name string) hclog.Logger {
	full := r.name + "." + name
	return r.derive(r.log.With("logger", full), full, r.implied)
}

// ResetNamed returns a sub-logger named name.
func (r *raftLogger) ResetNamed(name string) hclog.Logger {
	return r.derive(r.log.With("logger", name), name, r.implied)
}

// SetLevel does nothing: levels are logspec's (component raft).
func (r *raftLogger) SetLevel(hclog.Level) {}

// GetLevel reports the finest level written.
func (r *raftLogger) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn} {
		if r.enabled(slogLevel(l)) {
			return l
		}
	}
	return hclog.Error
}

// StandardLogger returns a log.Logger whose lines go to slog at info, or
// at the level their "[LEVEL]" prefix names when opts.InferLevels.
func (r *raftLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(r.StandardWriter(opts), "", 0)
}

// StandardWriter is StandardLogger's writer.
func (r *raftLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	w := stdWriter{r: r, level: hclog.Info}
	if opts != nil {
		w.infer = opts.InferLevels
		if opts.ForceLevel != hclog.NoLevel {
			w.level = opts.ForceLevel
		}
	}
	return w
}

// levelPrefixes are the "[LEVEL]" prefixes InferLevels reads.
var levelPrefixes = []struct {
	prefix string
	level  hclog.Level
}{{"[TRACE]", hclog.Trace}, {"[DEBUG]", hclog.Debug}, {"[INFO]", hclog.Info}, {"[WARN]", hclog.Warn}, {"[ERR]", hclog.Error}, {"[ERROR]", hclog.Error}}

type stdWriter struct {
	r     *raftLogger
	level hclog.Level
	infer bool
}

func (w stdWriter) Write(p []byte) (int, error) {
	msg, level := strings.TrimSpace(string(p)), w.level
	if w.infer {
		for _, p := range levelPrefixes {
			if rest, ok := strings.CutPrefix(msg, p.prefix); ok {
				msg, level = strings.TrimSpace(rest), p.level
				break
			}
		}
	}
	w.r.Log(level, msg)
	return len(p), nil
}
