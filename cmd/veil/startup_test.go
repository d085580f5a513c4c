package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/storage"
)

// TestNodeStartErrors starts a node with one thing wrong at a time after
// its config is read: each must end with exit status 2 and one line on
// stderr that names the cause, never a panic or a screen of logs.
func TestNodeStartErrors(t *testing.T) {
	dir := t.TempDir()
	l, err := node.InitLocal(dir, node.LocalOptions{Nodes: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := node.ConfigPath(l, 1)
	cfg, err := node.ReadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// A port held by someone else: a plain TCP listener.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a PEM file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Another node's data directory lock, and a separate raft_dir's.
	raftDir := filepath.Join(dir, "raft-elsewhere")
	for _, c := range []struct {
		name  string
		args  []string
		lock  string // a directory this test locks first, as a running node would
		wants []string
	}{
		{"api port in use", []string{"--api-addr", busy.Addr().String()}, "", []string{"api listener", busy.Addr().String(), "address already in use"}},
		{"gossip port in use", []string{"--gossip-addr", busy.Addr().String()}, "", []string{"p2p", busy.Addr().String(), "address already in use"}},
		{"operations port in use", []string{"--ops-addr", busy.Addr().String()}, "", []string{"operations listener", busy.Addr().String(), "address already in use"}},
		{"raft port in use", []string{"--raft-addr", busy.Addr().String()}, "", []string{"raft listener", busy.Addr().String(), "address already in use"}},
		{"missing genesis", []string{"--genesis", filepath.Join(dir, "nope.json")}, "", []string{"genesis", "nope.json", "no such file"}},
		{"bad genesis", []string{"--genesis", cfgPath}, "", []string{"genesis", "JSON syntax error"}},
		{"bad certificate", []string{"--cert", garbage}, "", []string{"certificate", "garbage.pem"}},
		{"bad key", []string{"--key", garbage}, "", []string{"key", "garbage.pem"}},
		{"another node's certificate", []string{"--cert", l.NodeCert(2), "--key", l.NodeKey(2)}, "", []string{"node id", "node-2"}},
		{"data dir in use", nil, cfg.DataDir, []string{cfg.DataDir, "in use by another veil node", fmt.Sprintf("(pid %d)", os.Getpid())}},
		{"raft dir in use", []string{"--raft-dir", raftDir}, raftDir, []string{raftDir, "in use by another veil node"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.lock != "" {
				lk, err := storage.LockDir(c.lock)
				if err != nil {
					t.Fatal(err)
				}
				defer lk.Close()
			}
			var stdout, stderr bytes.Buffer
			args := append([]string{"node", "start", "--config", cfgPath}, c.args...)
			code := execute(newRootCmd(), args, &stdout, &stderr)
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if code != exitUsage || len(lines) != 1 || stdout.Len() != 0 {
				t.Fatalf("exit %d (want 2), %d lines on stderr (want 1):\n%s\nstdout: %q", code, len(lines), stderr.String(), stdout.String())
			}
			for _, w := range append(c.wants, "level=ERROR") {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr %q lacks %q", lines[0], w)
				}
			}
		})
	}
	// Nothing above left a lock or a port behind: the node starts.
	n, err := node.New(cfg, nil)
	if err != nil {
		t.Fatalf("start after the failures: %v", err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
}
