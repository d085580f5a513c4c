package main

import (
	"strings"
	"testing"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// raftOf returns, from `veil validator list --output json`, each
// validator's raft suffrage.
func raftOf(t *testing.T, url string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range jsonOut(t, "validator", "list", "--node", url)["validators"].([]any) {
		m := v.(map[string]any)
		out[m["id"].(string)] = m["raft"].(string)
	}
	return out
}

// TestValidatorCommands: on a network of 3 validators and an observer,
// `validator add --wait` (the certificate read from the observer's raft
// port) makes the observer a voter, refusals exit 1 with their code, and
// `validator remove --wait` makes it an observer again.
func TestValidatorCommands(t *testing.T) {
	tn := startNet(t, 4, []string{"acme"}, nil) // node-4 is an observer
	url, admin := tn.urls[0], tn.l.AdminKey()
	if got := raftOf(t, url); len(got) != 3 || got["node-1"] != "voter" || got["node-4"] != "" {
		t.Fatalf("validators at genesis: %v", got)
	}
	cfg4, err := node.ReadConfig(node.ConfigPath(tn.l, 4))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, 1, "unknown_node", "validator", "remove", "--node", url, "--admin-key", admin, "--id", "node-9")
	wantCode(t, 1, "bad_admin_signature", "validator", "remove", "--node", url, "--admin-key", tn.l.GroupAdminKey("acme"), "--id", "node-2")
	wantError(t, 2, "validator", "add", "--node", url, "--admin-key", admin, "--id", "node-4", "--raft-addr", "127.0.0.1:1")
	// A raft chain's validator needs its raft address; only BFT does without.
	wantError(t, 2, "validator", "add", "--node", url, "--admin-key", admin, "--id", "node-4", "--cert", tn.l.NodeCert(4))

	res := jsonOut(t, "validator", "add", "--node", url, "--admin-key", admin, "--id", "node-4", "--raft-addr", cfg4.RaftAddr, "--wait")
	if res["added"] != "node-4" || res["voter"] != true {
		t.Fatalf("add: %v", res)
	}
	if got := raftOf(t, url); len(got) != 4 || got["node-4"] != "voter" {
		t.Fatalf("validators after the add: %v", got)
	}
	wantCode(t, 1, "conflict", "validator", "add", "--node", url, "--admin-key", admin, "--id", "node-4", "--raft-addr", cfg4.RaftAddr,
		"--cert", tn.l.NodeCert(4))

	res = jsonOut(t, "validator", "remove", "--node", tn.urls[3], "--admin-key", admin, "--id", "node-4", "--wait")
	if res["removed"] != "node-4" || res["demoted"] != true {
		t.Fatalf("remove: %v", res)
	}
	if got := raftOf(t, url); len(got) != 3 || got["node-4"] != "" {
		t.Fatalf("validators after the removal: %v", got)
	}
	if out := mustRun(t, "validator", "list", "--node", url); !strings.Contains(out, "3 validators at height") || !strings.Contains(out, "node-4") {
		t.Fatalf("list: %s", out)
	}
}

// TestValidatorCommandsOnBFT: on a BFT network of 4 validators and an
// observer (no raft, so the certificate is given), `validator add
// --wait` returns once the node's engine orders with the observer (n 5,
// quorum 4), `validator list` shows the set without raft's columns, and
// `validator remove --wait` returns once it no longer does.
func TestValidatorCommandsOnBFT(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 5, Consensus: chain.ConsensusBFT})
	url, admin := net.URL(0), net.Layout.AdminKey()
	bftOf := func() map[string]any {
		t.Helper()
		b, _ := jsonOut(t, "status", "--node", url)["bft"].(map[string]any)
		return b
	}
	out := mustRun(t, "validator", "add", "--node", url, "--admin-key", admin, "--id", "node-5", "--cert", net.Layout.NodeCert(5), "--wait") // no raft address on BFT
	if b := bftOf(); !strings.Contains(out, "the BFT engine orders with node-5") || b["n"] != 5.0 || b["quorum"] != 4.0 {
		t.Fatalf("add: %s; bft status %v", out, b)
	}
	if out := mustRun(t, "validator", "list", "--node", url); !strings.Contains(out, "5 validators (bft, f=1) at height") || strings.Contains(out, "RAFT") {
		t.Fatalf("list: %s", out)
	}
	out = mustRun(t, "validator", "remove", "--node", url, "--admin-key", admin, "--id", "node-5", "--wait")
	if b := bftOf(); !strings.Contains(out, "the BFT engine no longer orders with node-5") || b["n"] != 4.0 {
		t.Fatalf("remove: %s; bft status %v", out, b)
	}
}
