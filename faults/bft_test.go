package faults

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/bft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/node"
)

// longForm reports whether the long form runs (make faults: -rounds 3):
// the cases too slow for `go test ./faults/` on a shared 2-core machine.
func longForm() bool { return rounds() > 1 }

// startBFT starts a network on a BFT genesis with one group, has four
// members join, and starts the event-stream watcher and steady load.
func startBFT(t *testing.T, opt netOptions, rate float64) (*network, *load, *watcher) {
	t.Helper()
	opt.Consensus = chain.ConsensusBFT
	opt.Groups = []string{"acme"}
	n := startNetwork(t, opt)
	members := n.addMembers("acme", "alice", "bob", "carol", "dave")
	w := n.watch()
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: rate, Payload: 128})
	n.waitProgress(n.all(), 3)
	return n, ld, w
}

// bftView is the highest BFT view the nodes of among report, and the
// sum of the view changes they counted.
func (n *network) bftView(among []int) (view, changes uint64) {
	for _, i := range among {
		if st, err := n.status(i, 2*time.Second); err == nil && st.BFT != nil {
			view = max(view, st.BFT.View)
			changes += st.BFT.ViewChanges
		}
	}
	return view, changes
}

// waitCommitBy waits until a node of among commits a block above h0 that
// another node than not proposed (not is a node id, or ""), and returns
// the time since since: after a leader's crash, the view-change time
// (crash → first commit of the next view's leader).
func (n *network) waitCommitBy(among []int, h0 uint64, not string, since time.Time) (time.Duration, *chain.BlockJSON) {
	n.t.Helper()
	var took time.Duration
	var got *chain.BlockJSON
	seen := map[int]uint64{} // heights already looked at, by node
	n.eventually(90*time.Second, fmt.Sprintf("nodes %v commit a block above %d not proposed by %q", among, h0, not), func() (bool, string) {
		obs := ""
		for _, i := range among {
			st, err := n.status(i, time.Second)
			if err != nil {
				obs += fmt.Sprintf(" node-%d: %v;", i, err)
				continue
			}
			for h := max(h0, seen[i]) + 1; h <= st.Height; h++ {
				b, err := n.block(i, h)
				if err != nil {
					break
				}
				seen[i] = h
				if b.Proposer != not {
					took, got = time.Since(since), b
					return true, ""
				}
			}
			obs += fmt.Sprintf(" node-%d at %d;", i, st.Height)
		}
		return false, obs
	})
	return took, got
}

// waitVoting waits until every node has committed two more blocks: a
// validator that has just caught up by block sync set aside the proposal
// that was in flight while it synced (SmartBFT does not send it again),
// so it votes from the next one on; killed before that, with exactly a
// quorum left, the in-flight decision waits for a view change.
func (n *network) waitVoting() {
	n.t.Helper()
	n.waitProgress(n.all(), 2)
}

// sameView checks that the nodes of among are still in view v: a
// follower's crash must not cost a view while a quorum is left, and it
// would if a validator that restarted or joined earlier were not voting
// (it was: its Synchronizer stopped at the heads peers advertise, a
// gossip round old).
func (n *network) sameView(among []int, v uint64, what string) {
	n.t.Helper()
	if cur, _ := n.bftView(among); cur != v {
		n.t.Errorf("%s: view %d → %d: a follower's crash cost a view change (was every other validator voting?)", what, v, cur)
	}
}

// quietHeight waits until the highest height among the nodes of among has
// not moved for quiet (the decisions in flight at a crash land first),
// and returns that height.
func (n *network) quietHeight(among []int, quiet, timeout time.Duration) uint64 {
	n.t.Helper()
	h := n.maxHeight(among)
	since := time.Now()
	n.eventually(timeout, fmt.Sprintf("heights of %v hold still for %v", among, quiet), func() (bool, string) {
		if cur := n.maxHeight(among); cur != h {
			h, since = cur, time.Now()
		}
		return time.Since(since) >= quiet, fmt.Sprintf("height %d", h)
	})
	return h
}

// metric sums the samples of the metric family name (any labels) on node
// i's /metrics; ok is false if the family is absent.
func (n *network) metric(i int, name string) (sum float64, ok bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.node(i).url+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "{") {
			continue // another family with name as its prefix
		}
		f := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %q: %v", name, line, err)
		}
		sum, ok = sum+v, true
	}
	return sum, ok, sc.Err()
}

// validatorsOf keeps the nodes of among that are validators at genesis.
func (n *network) validatorsOf(among []int) []int {
	return slices.DeleteFunc(slices.Clone(among), func(i int) bool { return i > n.validators })
}

// TestBFTCrash: on a BFT chain (SmartBFT) under steady anonymous load,
// each round SIGKILLs a follower (the others go on committing; it
// restarts and catches up), then the view's leader: the others change
// view and go on (view-change time: the kill → the first block the next
// leader proposed is committed), and it restarts and catches up. 4
// validators (f = 1) and an observer; 7 (f = 2) and an observer in the
// long form. The view changes must show in the survivors' status, their
// veil_bft view-change metric and their logs.
func TestBFTCrash(t *testing.T) {
	for _, tc := range []struct {
		name              string
		nodes, validators int
		long              bool
	}{
		{"4 validators + 1 observer", 5, 4, false},
		{"7 validators + 1 observer", 8, 7, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && !longForm() {
				t.Skip("long form only (make faults, or -args -rounds 3): 8 node processes are too slow for go test ./faults/ on a shared 2-core machine")
			}
			n, ld, w := startBFT(t, netOptions{Nodes: tc.nodes, Validators: tc.validators}, 30)
			var viewChange, newLeader, catchUps []time.Duration
			var views []uint64
			lastLeader := 0
			for r := 1; r <= rounds(); r++ {
				// A follower (validators in turn).
				leader := n.leader()
				fs := n.followers(leader)
				f := fs[(r-1)%len(fs)]
				survivors := without(n.all(), f)
				v0, _ := n.bftView(survivors)
				n.kill(f)
				n.waitProgress(survivors, 3)
				n.sameView(survivors, v0, fmt.Sprintf("round %d: with follower node-%d down", r, f))
				n.start(f)
				catchUps = append(catchUps, n.waitCaughtUp(f, survivors))
				n.waitVoting()
				t.Logf("round %d: killed follower node-%d; the others went on; it caught up in %v", r, f, catchUps[len(catchUps)-1].Round(time.Millisecond))

				// The leader.
				leader = n.leader()
				survivors = without(n.all(), leader)
				v0, _ = n.bftView(survivors)
				h0 := n.maxHeight(survivors)
				killedAt := n.kill(leader)
				lastLeader = leader
				vc, b := n.waitCommitBy(survivors, h0, n.node(leader).id, killedAt)
				viewChange = append(viewChange, vc)
				nl, took := n.waitNewLeader(leader, killedAt, n.validatorsOf(survivors))
				newLeader = append(newLeader, took)
				v1, _ := n.bftView(survivors)
				views = append(views, v1-v0)
				n.waitProgress(survivors, 2)
				n.start(leader)
				catchUps = append(catchUps, n.waitCaughtUp(leader, survivors))
				n.waitVoting()
				t.Logf("round %d: killed leader node-%d (view %d); block %d by %s committed %v after; node-%d leads view %d after %v; it caught up in %v",
					r, leader, v0, b.Height, b.Proposer, vc.Round(time.Millisecond), nl, v1, took.Round(time.Millisecond), catchUps[len(catchUps)-1].Round(time.Millisecond))
			}
			ld.stop()
			t.Logf("load: %s", ld)
			// Every validator but the last leader killed was running when
			// the last view change happened.
			vcs := n.checkViewChangesSeen(without(n.validatorsOf(n.all()), lastLeader))
			o := n.verify(ld, w)
			o.Reelections = newLeader
			o.summary(t, fmt.Sprintf(" view_change=%s views=%v catch_up=%s view_changes_counted=%v", durations(viewChange), views, durations(catchUps), vcs))
		})
	}
}

// TestBFTHaltsBeyondF: with more than f validators down (f+1 SIGKILLed:
// the leader and a follower, in the long form also two followers) a BFT
// chain must commit nothing, for several seconds, while the survivors
// stay up and keep accepting transactions; once the killed validators
// are back commits resume and every transaction accepted meanwhile
// commits.
func TestBFTHaltsBeyondF(t *testing.T) {
	const haltFor = 5 * time.Second
	n, ld, w := startBFT(t, netOptions{Nodes: 5, Validators: 4}, 20)
	f := 1
	var resumed, catchUps []time.Duration
	var pending []int
	for r := 1; r <= rounds(); r++ {
		leader := n.leader()
		fs := n.followers(leader)
		down := []int{leader, fs[0]}
		if r%2 == 0 {
			down = []int{fs[0], fs[1]}
		}
		for _, i := range down {
			n.kill(i)
		}
		survivors := n.running()
		// Decisions in flight at the kills may still land.
		h := n.quietHeight(survivors, 2*time.Second, 60*time.Second)
		acc0 := ld.acceptedCount()
		haltStart := time.Now()
		for time.Since(haltStart) < haltFor {
			n.checkAlive()
			if cur := n.maxHeight(survivors); cur != h {
				t.Fatalf("round %d: height %d → %d with %d of %d validators down (f = %d): a BFT chain must not commit", r, h, cur, len(down), n.validators, f)
			}
			time.Sleep(200 * time.Millisecond)
		}
		haltEnd := time.Now()
		during := ld.acceptedBetween(haltStart, haltEnd)
		if ld.acceptedCount() <= acc0 || len(during) == 0 {
			t.Fatalf("round %d: the survivors %v accepted no transaction while halted (%s)", r, survivors, ld)
		}
		pending = append(pending, len(during))
		restartAt := time.Now()
		for _, i := range down {
			n.start(i)
		}
		took, _ := n.waitCommitBy(n.all(), h, "", restartAt)
		resumed = append(resumed, took)
		n.waitTxsCommitted(during)
		for _, i := range down {
			catchUps = append(catchUps, n.waitCaughtUp(i, survivors))
		}
		t.Logf("round %d: nodes %v killed: height %d held for %v while the survivors accepted %d transactions; restarted: commits resumed after %v, all %d committed",
			r, down, h, haltFor, len(during), took.Round(time.Millisecond), len(during))
	}
	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.summary(t, fmt.Sprintf(" halted_for=%v pending_during_halt=%v resumed_after_restart=%s catch_up=%s", haltFor, pending, durations(resumed), durations(catchUps)))
}

// checkViewChangesSeen checks that each node of among (validators that
// ran through a view change since their last start: a restart resets the
// counters) counted view changes in its status (bft.view_changes) and in
// the veil_bft view-change metric, and logged them since its start, and
// returns the metric's value on each.
func (n *network) checkViewChangesSeen(among []int) []float64 {
	n.t.Helper()
	var out []float64
	for _, i := range among {
		st, err := n.status(i, 5*time.Second)
		if err != nil {
			n.t.Errorf("node-%d: %v", i, err)
			continue
		}
		v, ok, err := n.metric(i, bftViewChangesMetric)
		switch {
		case err != nil:
			n.t.Errorf("node-%d /metrics: %v", i, err)
		case !ok:
			n.t.Errorf("node-%d /metrics has no %s", i, bftViewChangesMetric)
		}
		out = append(out, v)
		logged := viewChangeLines(n.logSince(i))
		if st.BFT == nil || st.BFT.ViewChanges == 0 || v == 0 || logged == 0 {
			n.t.Errorf("node-%d did not count or log its view changes: status bft %+v, %s = %v, %d log lines %s", i, st.BFT, bftViewChangesMetric, v, logged, bftViewLog)
		}
	}
	return out
}

// What package bft names its view changes: the metric family (a counter)
// and the info line it logs at every view it enters (text handler).
const (
	bftViewChangesMetric = "veil_bft_view_changes_total"
	bftViewLog           = `msg="bft view"`
)

// viewChangeLines counts the lines of a node log that report a view
// entered after the first (view 0).
func viewChangeLines(log string) int {
	k := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, bftViewLog) && !strings.Contains(line, " view=0 ") {
			k++
		}
	}
	return k
}

// TestBFTValidatorChanges runs `veil validator` on a BFT chain under
// steady load: the observer is added (`--wait`; the set grows from 4 to
// 5, f stays 1, and the new validator's engine starts and orders), then
// the view's leader is removed (`--wait`): the others reconfigure and
// change view, and the removed node stops ordering and follows as an
// observer. Nothing is lost, forked or duplicated.
func TestBFTValidatorChanges(t *testing.T) {
	n, ld, w := startBFT(t, netOptions{Nodes: 5, Validators: 4}, 30)
	veil := func(args ...string) {
		t.Helper()
		args = append(args, "--admin-key", n.layout.AdminKey(), "--timeout", "90s")
		if out, err := exec.Command(veilBinary(t), args...).CombinedOutput(); err != nil {
			t.Fatalf("veil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// waitSet waits until every validator of want reports want as the
	// set it orders with (status voters, bft n and f) and a running
	// engine, and every other node reports that set and no engine.
	waitSet := func(want []string) {
		t.Helper()
		slices.Sort(want)
		_, f := bft.Quorum(len(want))
		n.eventually(60*time.Second, fmt.Sprintf("every node orders with %v (f = %d)", want, f), func() (bool, string) {
			for _, i := range n.all() {
				st, err := n.status(i, time.Second)
				if err != nil {
					return false, fmt.Sprintf("node-%d: %v", i, err)
				}
				voters := slices.Sorted(slices.Values(st.Voters))
				member := slices.Contains(want, st.NodeID)
				if !slices.Equal(voters, want) || st.BFT == nil || st.BFT.Running != member || (member && (st.BFT.N != len(want) || st.BFT.F != f)) {
					return false, fmt.Sprintf("node-%d: role %s voters %v bft %+v", i, st.Role, st.Voters, st.BFT)
				}
			}
			return true, ""
		})
	}
	set := []string{"node-1", "node-2", "node-3", "node-4"}
	waitSet(set)

	cfg, err := node.ReadConfig(node.ConfigPath(n.layout, 5))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	veil("validator", "add", "--node", n.node(1).url, "--id", cfg.NodeID, "--raft-addr", cfg.RaftAddr, "--cert", n.layout.NodeCert(5), "--wait")
	addTook := time.Since(start)
	set = append(set, "node-5")
	waitSet(set)
	setTook := time.Since(start)
	// node-5 orders: with one of the first four down, a decision needs
	// 4 votes of the 5, so node-5's. (Killed while node-5 was still
	// syncing, the decision in flight, whose proposal node-5 had set
	// aside, waited for a view change: 4.2 s.)
	n.waitProgress(n.all(), 3)
	leader := n.leader()
	down := n.validatorsOf(n.followers(leader))[0]
	up := without(n.all(), down)
	v0, _ := n.bftView(up)
	n.kill(down)
	h0 := n.maxHeight(up)
	needed, _ := n.waitCommitBy(up, h0, "", time.Now())
	n.waitProgress(up, 3)
	n.sameView(up, v0, fmt.Sprintf("with follower node-%d down, 4 of the 5 validators left", down))
	n.start(down)
	catchUp := n.waitCaughtUp(down, without(n.all(), down))
	t.Logf("node-5 added: the command returned after %v, every node ordered with the 5 after %v; with node-%d down the 4 others (quorum 4 of 5) committed after %v; node-%d caught up in %v",
		addTook.Round(time.Millisecond), setTook.Round(time.Millisecond), down, needed.Round(time.Millisecond), down, catchUp.Round(time.Millisecond))

	old := n.leader()
	other := without(n.all(), old)[0]
	removedAt := time.Now()
	veil("validator", "remove", "--node", n.node(other).url, "--id", n.node(old).id, "--wait")
	removeTook := time.Since(removedAt)
	rest := without(n.all(), old)
	newLeader, took := n.waitNewLeader(old, removedAt, rest)
	set = slices.DeleteFunc(set, func(id string) bool { return id == n.node(old).id })
	waitSet(set)
	n.eventually(30*time.Second, fmt.Sprintf("node-%d reports role observer", old), func() (bool, string) {
		st, err := n.status(old, time.Second)
		return err == nil && st.Role == node.RoleObserver, fmt.Sprintf("%v %v", st, err)
	})
	n.waitProgress(n.all(), 3) // the removed node follows
	t.Logf("node-%d removed as leader: the command returned after %v; node-%d leads after %v", old, removeTook.Round(time.Millisecond), newLeader, took.Round(time.Millisecond))

	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.Reelections = []time.Duration{took}
	o.summary(t, fmt.Sprintf(" add_returned=%v add_ordering=%v commit_needing_the_added=%v remove_returned=%v", addTook.Round(time.Millisecond), setTook.Round(time.Millisecond), needed.Round(time.Millisecond), removeTook.Round(time.Millisecond)))
}
