package logspec

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkDisabledDebug measures a debug line a component's level turns
// away, through Handler and, as the baseline of the same run, through a
// plain slog handler whose own level turns it away.
func BenchmarkDisabledDebug(b *testing.B) {
	lv, err := New("info")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=plain", func(b *testing.B) {
		log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})).With("component", "raft")
		for b.Loop() {
			log.Debug("heartbeat", "peer", "node-2")
		}
	})
	b.Run("logspec", func(b *testing.B) {
		log := slog.New(NewHandler(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: LevelTrace}), lv)).With("component", "raft")
		for b.Loop() {
			log.Debug("heartbeat", "peer", "node-2")
		}
	})
}

// BenchmarkEnabledInfo measures a written info line through Handler
// against the same handler unwrapped (the baseline).
func BenchmarkEnabledInfo(b *testing.B) {
	lv, err := New("info")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=plain", func(b *testing.B) {
		log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})).With("component", "raft")
		for b.Loop() {
			log.Info("entering leader state", "leader", "node-1")
		}
	})
	b.Run("logspec", func(b *testing.B) {
		log := slog.New(NewHandler(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: LevelTrace}), lv)).With("component", "raft")
		for b.Loop() {
			log.Info("entering leader state", "leader", "node-1")
		}
	})
}
