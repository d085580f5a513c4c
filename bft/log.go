package bft

import (
	"context"
	"fmt"
	"log/slog"
)

// quiet are SmartBFT's info lines written once per decision or request:
// at debug here, or a node's log would carry several lines per block.
// View changes, syncs and leader changes stay at info.
var quiet = map[string]bool{
	"%d processed commits for proposal with seq %d":               true,
	"Processed proposal with seq %d":                              true,
	"%d collected %d prepares from %v":                            true,
	"Processed prepares for proposal with seq %d":                 true,
	"%d collected %d commits from %v":                             true,
	"Deciding on seq %d":                                          true,
	"Sequence: %d-->%d":                                           true,
	"Request %s was not submitted, error: %s":                     true,
	"Starting view with number %d, sequence %d, and decisions %d": true,
}

// logger is SmartBFT's Logger over slog (component "bft").
type logger struct{ l *slog.Logger }

func (g logger) logf(level slog.Level, format string, args []any) {
	if !g.l.Enabled(context.Background(), level) {
		return
	}
	g.l.Log(context.Background(), level, fmt.Sprintf(format, args...))
}

// Debugf logs at debug.
func (g logger) Debugf(format string, args ...any) { g.logf(slog.LevelDebug, format, args) }

// Infof logs at info, or at debug a line SmartBFT writes per decision.
func (g logger) Infof(format string, args ...any) {
	if quiet[format] {
		g.logf(slog.LevelDebug, format, args)
		return
	}
	g.logf(slog.LevelInfo, format, args)
}

// Warnf logs at warn.
func (g logger) Warnf(format string, args ...any) { g.logf(slog.LevelWarn, format, args) }

// Errorf logs at error.
func (g logger) Errorf(format string, args ...any) { g.logf(slog.LevelError, format, args) }

// Panicf logs at error and panics, as SmartBFT expects.
func (g logger) Panicf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	g.l.Error(msg)
	panic(msg)
}
