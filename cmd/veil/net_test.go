package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
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
	net := nodetest.Start(t, node.LocalOptions{Nodes: n, Groups: groups, Members: members})
	tn := &testNet{l: net.Layout}
	for i := range net.Nodes {
		tn.urls = append(tn.urls, net.URL(i))
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
