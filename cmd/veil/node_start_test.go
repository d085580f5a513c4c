package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/pflag"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// TestSIGHUPAppliesLogLevel: SIGHUP applies the config file's log_level
// spec to a running node's levels; a bad spec leaves them as they were.
func TestSIGHUPAppliesLogLevel(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 1, Groups: []string{"acme"}})
	n := net.Nodes[0]
	path := filepath.Join(t.TempDir(), "node.toml")
	// Written whole by rename: a SIGHUP still queued from the last
	// round must never read a half-written (empty, so default) file.
	write := func(spec string) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte("log_level = \""+spec+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	// A handler of the test's own keeps a SIGHUP sent before
	// reloadOnHUP's from ending the process.
	guard := make(chan os.Signal, 8)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logged syncBuffer
	go reloadOnHUP(ctx, n, path, pflag.NewFlagSet("start", pflag.ContinueOnError), slog.New(slog.NewTextHandler(&logged, nil)))

	hup := func(want string) {
		t.Helper()
		eventually(t, "log levels "+want+" after SIGHUP", func() bool {
			_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
			return n.LogLevels().Spec() == want
		})
	}
	write("warn:raft=debug")
	hup("warn:raft=debug")
	write("info:raft=loud")
	eventually(t, "the bad spec refused", func() bool {
		_ = syscall.Kill(os.Getpid(), syscall.SIGHUP)
		return strings.Contains(logged.String(), "log levels not changed")
	})
	if got := n.LogLevels().Spec(); got != "warn:raft=debug" || !strings.Contains(logged.String(), "loud") {
		t.Fatalf("after a bad spec: levels %s, log:\n%s", got, logged.String())
	}
	write("error")
	hup("error")
}
