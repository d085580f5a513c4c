package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
)

// testNet is a local network of in-process nodes.
type testNet struct {
	l    *genesis.Layout
	urls []string
}

// startNet starts n in-process nodes of a new local network with groups
// (and founding members) and waits for a leader.
func startNet(t *testing.T, n int, groups, members []string) *testNet {
	t.Helper()
	l, err := node.InitLocal(t.TempDir(), node.LocalOptions{Nodes: n, Groups: groups, Members: members, Tweak: func(c *node.Config) {
		c.BlockInterval = node.Duration{Duration: 50 * time.Millisecond}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tn := &testNet{l: l}
	for i := 1; i <= n; i++ {
		cfg, err := node.ReadConfig(node.ConfigPath(l, i))
		if err != nil {
			t.Fatal(err)
		}
		nd, err := node.New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- nd.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		tn.urls = append(tn.urls, "http://"+nd.APIAddr())
	}
	c := client.New(tn.urls[0])
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, err := c.Status(ctx); err == nil && st.Leader != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no leader after 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return tn
}

// runAsync runs the CLI in a goroutine; the result arrives on the channel.
func runAsync(args ...string) <-chan cliResult {
	ch := make(chan cliResult, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := execute(newRootCmd(), args, &stdout, &stderr)
		ch <- cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}()
	return ch
}

type cliResult struct {
	code           int
	stdout, stderr string
}

// eventually retries f until it holds or 20 s pass.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 20 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jsonOf decodes a JSON object printed by the CLI.
func jsonOf(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %q", err, s)
	}
	return m
}

// wantCode is wantError that also checks the error code.
func wantCode(t *testing.T, exit int, code string, args ...string) map[string]any {
	t.Helper()
	got, msg, obj := wantError(t, exit, args...)
	if got != code {
		t.Fatalf("veil %s: code %q (%s), want %q", strings.Join(args, " "), got, msg, code)
	}
	return obj
}
