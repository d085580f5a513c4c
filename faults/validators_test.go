package faults

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/node"
)

// TestValidatorChangesUnderLoad runs `veil validator` against real node
// processes under steady load: 3 validators grow to 5 (the two observers
// added one at a time, `--wait` until raft made each a voter; every
// node's raft configuration then has 5 voters), then the leader is
// removed (`--wait`): another is elected, the chain goes on, and the old
// leader, SIGKILLed and restarted, follows as an observer with its
// validator set from chain state. Nothing is lost, forked or duplicated.
func TestValidatorChangesUnderLoad(t *testing.T) {
	n := startNetwork(t, netOptions{Nodes: 5, Validators: 3, Groups: []string{"acme"}})
	members := n.addMembers("acme", "alice", "bob", "carol")
	w := n.watch()
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 30, Payload: 128})
	n.waitProgress(n.all(), 3)

	veil := func(args ...string) string {
		t.Helper()
		args = append(args, "--admin-key", n.layout.AdminKey(), "--timeout", "90s")
		out, err := exec.Command(veilBinary(t), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("veil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	voters := func(i int) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		v, err := n.node(i).c.Validators(ctx)
		if err != nil {
			return nil
		}
		var out []string
		for _, s := range v.Raft {
			if s.Suffrage == "voter" {
				out = append(out, s.ID)
			}
		}
		slices.Sort(out)
		return out
	}
	waitVoters := func(want []string) {
		t.Helper()
		n.eventually(60*time.Second, fmt.Sprintf("every node's raft voters are %v", want), func() (bool, string) {
			for _, i := range n.all() {
				if got := voters(i); !slices.Equal(got, want) {
					return false, fmt.Sprintf("node-%d: %v", i, got)
				}
			}
			return true, ""
		})
	}

	var addTook []time.Duration
	for _, i := range []int{4, 5} {
		cfg, err := node.ReadConfig(node.ConfigPath(n.layout, i))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		veil("validator", "add", "--node", n.node(1).url, "--id", cfg.NodeID, "--raft-addr", cfg.RaftAddr, "--wait")
		addTook = append(addTook, time.Since(start))
	}
	all := []string{"node-1", "node-2", "node-3", "node-4", "node-5"}
	waitVoters(all)

	old := n.leader()
	other := without(n.all(), old)[0]
	removedAt := time.Now()
	veil("validator", "remove", "--node", n.node(other).url, "--id", n.node(old).id, "--wait")
	newLeader, took := n.waitNewLeader(old, removedAt, without(n.all(), old))
	waitVoters(slices.DeleteFunc(slices.Clone(all), func(id string) bool { return id == n.node(old).id }))
	n.waitProgress(n.all(), 3)
	t.Logf("node-%d removed as leader: node-%d leads after %v", old, newLeader, took.Round(time.Millisecond))

	n.kill(old)
	n.start(old)
	catchUp := n.waitCaughtUp(old, without(n.all(), old))
	n.eventually(30*time.Second, fmt.Sprintf("node-%d reports role observer", old), func() (bool, string) {
		st, err := n.status(old, time.Second)
		return err == nil && st.Role == node.RoleObserver, fmt.Sprintf("%v %v", st, err)
	})
	n.waitProgress(n.all(), 2)

	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.Reelections = []time.Duration{took}
	o.summary(t, fmt.Sprintf(" add_to_voter=%s removed_leader_catch_up=%s", durations(addTook), durations([]time.Duration{catchUp})))
}
