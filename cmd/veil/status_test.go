package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// TestStatusExitsOneWithoutLeader: `veil status` exits 0 and shows raft's
// view while a leader is known; once its only peer validator is gone
// (two validators, no quorum), it exits 1 and still prints the status,
// one JSON object with --output json.
func TestStatusExitsOneWithoutLeader(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 2, Groups: []string{"acme"}})
	url := net.URL(0)
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := execute(newRootCmd(), args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run("status", "--node", url)
	if code != 0 || !strings.Contains(out, "raft     ") || !strings.Contains(out, "voters   node-1, node-2") || !strings.Contains(out, "sync     caught_up") {
		t.Fatalf("with a leader: exit %d\n%s%s", code, out, errOut)
	}
	net.Stop(1)
	eventually(t, "node-1 without a leader", func() bool {
		code, out, _ = run("status", "--node", url, "--output", "json")
		return code == 1
	})
	st := jsonOf(t, out) // one object: the status, no error object after it
	if st["leader"] != "" || st["node_id"] != "node-1" || st["voters"] == nil {
		t.Fatalf("status without a leader: %s", out)
	}
	code, out, errOut = run("status", "--node", url)
	if code != 1 || !strings.Contains(out, "leader   NONE") || !strings.Contains(errOut, "knows no raft leader") {
		t.Fatalf("text, without a leader: exit %d\n%s%s", code, out, errOut)
	}
}
