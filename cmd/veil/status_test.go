package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/veilchain/veil/chain"
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

// TestStatusOfBFTNode: on a real BFT network (4 validators, f=1, and an
// observer) `veil status` names the engine and shows the view in place
// of raft's line, --output json carries the bft object as the node
// answers it, and the observer, which runs no engine, exits 0 without a
// leader.
func TestStatusOfBFTNode(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 5, Consensus: chain.ConsensusBFT})
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := execute(newRootCmd(), args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := run("status", "--node", net.URL(0))
	if code != 0 || !strings.Contains(out, "(consensus bft)") || !strings.Contains(out, "n 4, f 1, quorum 3") || !strings.Contains(out, ", running\n") ||
		!strings.Contains(out, "bft      view ") || strings.Contains(out, "raft     ") || !strings.Contains(out, "voters   node-1, node-2, node-3, node-4\n") {
		t.Fatalf("a BFT validator: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run("status", "--node", net.URL(0), "--output", "json")
	st := jsonOf(t, out)
	b, _ := st["bft"].(map[string]any)
	if code != 0 || st["consensus"] != "bft" || st["leader"] == "" || b == nil || b["n"] != 4.0 || b["f"] != 1.0 || b["quorum"] != 3.0 || b["running"] != true {
		t.Fatalf("a BFT validator, --output json: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run("status", "--node", net.URL(4))
	if code != 0 || !strings.Contains(out, "node     node-5 (observer)") || !strings.Contains(out, "not running") || !strings.Contains(out, "leader   - (an observer") {
		t.Fatalf("the BFT observer: exit %d\n%s%s", code, out, errOut)
	}
}
