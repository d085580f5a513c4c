package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/genesis"
)

// TestGenesisInitConsensus: --consensus reaches genesis.json (raft by
// default), a BFT chain gets 3f+1 validators by default and its size
// and f in the summary, a BFT set that is not 3f+1 is warned about, and
// a value that is neither engine is refused before anything is written.
func TestGenesisInitConsensus(t *testing.T) {
	engineOf := func(dir string) (string, int) {
		t.Helper()
		gf, err := genesis.Read(filepath.Join(dir, "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		return gf.Consensus, len(gf.Validators)
	}
	raw := func(dir string) string { return string(mustRead(t, filepath.Join(dir, "genesis.json"))) }

	dir := filepath.Join(t.TempDir(), "raft")
	out := mustRun(t, "genesis", "init", "--dir", dir, "--nodes", "4")
	if e, n := engineOf(dir); e != "raft" || n != 3 || !strings.Contains(raw(dir), `"consensus": "raft"`) ||
		!strings.Contains(out, "4 nodes: 3 validators (raft, f=1), 1 observer") || strings.Contains(out, "warning") {
		t.Fatalf("default: genesis %q with %d validators; output:\n%s", e, n, out)
	}

	for _, c := range []struct {
		nodes, validators string
		want              int
		summary, warning  string
	}{
		{"4", "0", 4, "4 nodes: 4 validators (bft, f=1);", ""},
		{"5", "0", 4, "5 nodes: 4 validators (bft, f=1), 1 observer", ""},
		{"7", "0", 7, "7 nodes: 7 validators (bft, f=2);", ""},
		{"3", "0", 3, "3 nodes: 3 validators (bft, f=0);", "tolerates no fault (f=0)"},
		{"5", "5", 5, "5 nodes: 5 validators (bft, f=1);", "no more faults than one of 4 (f=1); 7 would tolerate f=2"},
	} {
		dir := filepath.Join(t.TempDir(), "bft")
		var stdout, stderr bytes.Buffer
		code := execute(newRootCmd(), []string{"genesis", "init", "--dir", dir, "--consensus", "bft", "--nodes", c.nodes, "--validators", c.validators}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("bft %s/%s: exit %d: %s%s", c.nodes, c.validators, code, &stdout, &stderr)
		}
		e, n := engineOf(dir)
		if e != "bft" || n != c.want || !strings.Contains(raw(dir), `"consensus": "bft"`) || !strings.Contains(stdout.String(), c.summary) {
			t.Errorf("bft %s/%s: genesis %q with %d validators, want %d; output:\n%s", c.nodes, c.validators, e, n, c.want, &stdout)
		}
		if c.warning == "" && stderr.Len() != 0 || c.warning != "" && !strings.Contains(stderr.String(), "veil: warning: "+"a BFT chain of ") ||
			!strings.Contains(stderr.String(), c.warning) {
			t.Errorf("bft %s/%s: stderr %q, want the warning %q", c.nodes, c.validators, &stderr, c.warning)
		}
	}

	m := jsonOut(t, "genesis", "init", "--dir", filepath.Join(t.TempDir(), "j"), "--consensus", "bft", "--nodes", "5")
	if m["consensus"] != "bft" || m["validators"] != 4.0 || m["faults_tolerated"] != 1.0 {
		t.Fatalf("--output json: %v", m)
	}

	bad := filepath.Join(t.TempDir(), "bad")
	code, msg, _ := wantError(t, exitUsage, "genesis", "init", "--dir", bad, "--consensus", "pbft")
	if code != "usage" || !strings.Contains(msg, `"pbft" is neither "raft" nor "bft"`) || !strings.Contains(msg, "--consensus") {
		t.Fatalf("--consensus pbft: %s %s", code, msg)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatalf("--consensus pbft wrote %s (%v)", bad, err)
	}
	if help := mustRun(t, "genesis", "init", "--help"); !strings.Contains(help, "--consensus raft|bft") || !strings.Contains(help, `(default raft)`) {
		t.Fatalf("genesis init --help:\n%s", help)
	}
}

// TestFaultsTolerated checks faultsTolerated against its definition:
// the largest f whose faulty validators still leave a quorum that
// intersects in an honest one (raft: n ≥ 2f+1, BFT: n ≥ 3f+1).
func TestFaultsTolerated(t *testing.T) {
	for _, c := range []struct {
		engine string
		per    int // validators needed per tolerated fault
	}{{"raft", 2}, {"", 2}, {"bft", 3}} {
		for n := 0; n <= 22; n++ {
			want := 0
			for f := 0; c.per*f+1 <= n; f++ {
				want = f
			}
			if got := faultsTolerated(c.engine, n); got != want {
				t.Errorf("faultsTolerated(%q, %d) = %d, want %d", c.engine, n, got, want)
			}
		}
	}
}

// TestTestnetUpKeepsGenesisEngine: testnet up on a network that exists
// refuses a --consensus naming the other engine, before any node starts.
func TestTestnetUpKeepsGenesisEngine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	mustRun(t, "genesis", "init", "--dir", dir, "--nodes", "1")
	code, msg, _ := wantError(t, exitUsage, "testnet", "up", "--dir", dir, "--consensus", "bft")
	if code != "usage" || !strings.Contains(msg, "holds a raft chain: the consensus engine is fixed at genesis") {
		t.Fatalf("testnet up --consensus bft on a raft network: %s %s", code, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "nodes", "node-1", "node.pid")); !os.IsNotExist(err) {
		t.Fatalf("a node started (%v)", err)
	}
}

// TestStatusTextOfBFT: the text form of a BFT node's status names the
// engine and shows the view's state in place of raft's.
func TestStatusTextOfBFT(t *testing.T) {
	st := &api.Status{NodeID: "node-2", Role: "validator", ChainID: "veil-local", Height: 12, Leader: "node-3", Consensus: "bft",
		Voters: []string{"node-1", "node-2", "node-3", "node-4"}, Observers: []string{"node-5"}, Sync: "caught_up", TargetHeight: 12,
		BFT: &api.BFTStatus{Running: true, View: 3, Sequence: 12, N: 4, F: 1, Quorum: 3, ViewChanges: 1}}
	var b bytes.Buffer
	printStatus(&b, st)
	for _, want := range []string{"chain    veil-local (consensus bft)\n", "leader   node-3\n", "bft      view 3, sequence 12, n 4, f 1, quorum 3, 1 view change, running\n",
		"voters   node-1, node-2, node-3, node-4\n", "observer node-5\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(b.String(), "raft ") {
		t.Errorf("a BFT status shows raft's line")
	}
	if leaderless(st) != nil {
		t.Errorf("a validator with a leader: %v", leaderless(st))
	}
	// A validator whose engine knows no leader fails the probe; an
	// observer, which never follows the views, does not.
	st.Leader, st.BFT.Running = "", false
	b.Reset()
	printStatus(&b, st)
	if err := leaderless(st); !strings.Contains(b.String(), "leader   NONE") || !strings.Contains(b.String(), "not running") ||
		err == nil || !strings.Contains(err.Error(), "knows no bft leader") {
		t.Errorf("a validator without a leader, not running (%v):\n%s", err, &b)
	}
	st.Role = "observer"
	b.Reset()
	printStatus(&b, st)
	if err := leaderless(st); !strings.Contains(b.String(), "leader   - (an observer of a BFT chain") || err != nil {
		t.Errorf("a BFT observer (%v):\n%s", err, &b)
	}
	st.Consensus, st.BFT = "raft", nil
	if err := leaderless(st); err == nil || !strings.Contains(err.Error(), "knows no raft leader") {
		t.Errorf("a raft observer without a leader: %v", err)
	}
}
