package consensus

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestRaftLoggerLevels: each hclog level lands at its slog level with
// raft's key/values as attributes under component raft; IsDebug follows
// the slog handler; after a storage fault raft's errors are warnings.
func TestRaftLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	var faulted atomic.Bool
	base := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := newRaftLogger(base, faulted.Load)
	l.Info("entering leader state", "leader", "node-1")
	l.Named("snapshot").Debug("starting snapshot", "index", 7)
	l.Trace("not written")
	l.With("peer", "node-2").Error("failed to appendEntries", "error", errors.New("boom"))
	faulted.Store(true)
	l.Error("failed to append to logs", "error", errors.New("disk full: x"))
	l.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}).Print("[WARN] raft-net: slow")
	out := buf.String()
	for _, want := range []string{
		`level=INFO msg="entering leader state" component=raft leader=node-1`,
		`level=DEBUG msg="starting snapshot" component=raft logger=raft.snapshot index=7`,
		`level=ERROR msg="failed to appendEntries" component=raft peer=node-2 error=boom`,
		`level=WARN msg="failed to append to logs" component=raft error="disk full: x"`,
		`level=WARN msg="raft-net: slow" component=raft`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not written") || l.IsTrace() || !l.IsDebug() || l.GetLevel() != hclog.Debug {
		t.Errorf("trace let through, or levels misreported (IsTrace %v, IsDebug %v, GetLevel %v):\n%s", l.IsTrace(), l.IsDebug(), l.GetLevel(), out)
	}
}
