package faults

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// partitionLogBytes is the raft log kept by the partition network's
// nodes: small, so that an observer cut off for a few seconds of load
// falls behind the trailing log and must catch up by block sync.
const partitionLogBytes = 64 << 10

// probeFallback is what memberlist logs when a probe's packets got no
// ack but a fresh TCP connection reached the node: after a heal, the sign
// of packets held up on a connection that outlived the partition.
const probeFallback = "over TCP but UDP probes failed"

// partitionHold is the shortest time a partition lasts: long enough for
// the cut-off nodes' APIs to accept transactions they cannot pass on.
const partitionHold = 3 * time.Second

// TestNetworkPartitions cuts real links between node processes, each in a
// network namespace of its own (netns_test.go), under steady anonymous
// load, on one network of 5 validators and an observer: the leader
// isolated from the majority, a minority of followers isolated, a 3–2
// split with the leader on the side of 2, a flapping link, and an observer
// cut off for longer than the raft trailing log. Every case ends with the
// full consistency check and its SUMMARY line: re-election time, time to
// converge after the heal, lost/forks/duplicates.
func TestNetworkPartitions(t *testing.T) {
	lab := newNetLab(t, 6)
	n := startNetwork(t, netOptions{Nodes: 6, Validators: 5, Groups: []string{"acme"}, RaftLogBytes: partitionLogBytes, Sandbox: lab})
	members := n.addMembers("acme", "alice", "bob", "carol", "dave")
	parent := n.t

	// run runs one case as a subtest under its own load and watcher, heals
	// every link when it ends (also on failure) and checks the chain.
	run := func(name string, body func(t *testing.T, ld *load) (reelect []time.Duration, extra string)) bool {
		return t.Run(name, func(t *testing.T) {
			n.t, lab.t = t, t
			defer func() { n.t, lab.t = parent, parent }()
			t.Cleanup(func() {
				if err := lab.rejoin(); err != nil {
					t.Error(err)
				}
			})
			fallbacks := n.logCount(probeFallback)
			w := n.watch()
			ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 30, Payload: 128, Presign: 30})
			n.waitProgress(n.all(), 3)
			reelect, extra := body(t, ld)
			ld.stop()
			t.Logf("load: %s", ld)
			o := n.verify(ld, w)
			o.Reelections = reelect
			if o.Reported == 0 {
				t.Error("no event stream reported a commit (the watcher reaches the nodes through their namespaces)")
			}
			o.summary(t, fmt.Sprintf("%s probe_fallbacks=%d", extra, n.logCount(probeFallback)-fallbacks))
		})
	}

	ok := run("leader isolated", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var reelect, stepDown, converge []time.Duration
		whileCut := 0
		for r := 1; r <= rounds(); r++ {
			leader := n.leader()
			majority := without(n.all(), leader)
			cutAt := time.Now()
			lab.cut(leader)
			newLeader, took := n.waitNewLeader(leader, cutAt, majority)
			reelect = append(reelect, took)
			stepDown = append(stepDown, n.waitNoLongerLeads(leader, cutAt))
			frozen := n.holdsStill([]int{leader}, majority, 5)
			healAt := time.Now()
			lab.heal(leader)
			whileCut += ld.acceptedBy([]int{leader}, cutAt, healAt)
			converge = append(converge, n.waitRejoined(leader, majority, healAt))
			t.Logf("round %d: leader node-%d isolated at height %d; node-%d led after %v; the old one stepped down after %v; it rejoined and converged %v after the heal",
				r, leader, frozen[leader], newLeader, took.Round(time.Millisecond), stepDown[len(stepDown)-1].Round(time.Millisecond), converge[len(converge)-1].Round(time.Millisecond))
		}
		return reelect, fmt.Sprintf(" step_down=%s converge=%s accepted_while_cut=%d", durations(stepDown), durations(converge), whileCut)
	})

	ok = ok && run("minority of followers isolated", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var converge []time.Duration
		whileCut := 0
		for r := 1; r <= rounds(); r++ {
			leader := n.leader()
			f := n.followers(leader)
			cut := []int{f[(r-1)%len(f)], f[r%len(f)]}
			cutAt := time.Now()
			for _, i := range cut {
				lab.cut(i)
			}
			others := without(without(n.all(), cut[0]), cut[1])
			n.holdsStill(cut, others, 5)
			if st, err := n.status(others[0], time.Second); err == nil && st.Leader != n.node(leader).id {
				t.Logf("round %d: leadership moved from node-%d to %s while followers %v were cut off", r, leader, st.Leader, cut)
			}
			healAt := time.Now()
			for _, i := range cut {
				lab.heal(i)
			}
			whileCut += ld.acceptedBy(cut, cutAt, healAt)
			for _, i := range cut {
				converge = append(converge, n.waitRejoined(i, others, healAt))
			}
			t.Logf("round %d: followers %v isolated; the others committed without them; converged %s after the heal", r, cut, durations(converge[len(converge)-2:]))
		}
		return nil, fmt.Sprintf(" converge=%s accepted_while_cut=%d", durations(converge), whileCut)
	})

	ok = ok && run("split 3-2", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var reelect, converge []time.Duration
		whileCut := 0
		for r := 1; r <= rounds(); r++ {
			// The side of 2 holds the leader: it must stop committing and
			// the side of 3 (and the observer) must elect its own.
			leader := n.leader()
			f := n.followers(leader)
			two := []int{leader, f[(r-1)%len(f)]}
			three := without(without(n.all(), two[0]), two[1])
			cutAt := time.Now()
			lab.split(two)
			newLeader, took := n.waitNewLeader(leader, cutAt, three)
			reelect = append(reelect, took)
			n.waitNoLongerLeads(leader, cutAt)
			n.holdsStill(two, three, 5)
			healAt := time.Now()
			lab.join()
			whileCut += ld.acceptedBy(two, cutAt, healAt)
			for _, i := range two {
				converge = append(converge, n.waitRejoined(i, three, healAt))
			}
			t.Logf("round %d: split %v | %v; node-%d led the 3 after %v; the 2 committed nothing; converged %s after the heal",
				r, two, three, newLeader, took.Round(time.Millisecond), durations(converge[len(converge)-2:]))
		}
		return reelect, fmt.Sprintf(" converge=%s accepted_by_the_2_while_split=%d", durations(converge), whileCut)
	})

	ok = ok && run("flapping link", func(t *testing.T, _ *load) ([]time.Duration, string) {
		// The leader's link goes down and up every 2 s: each time down for
		// longer than the election timeout.
		const period = 2 * time.Second
		flapFor := 10 * time.Second
		if rounds() > 1 {
			flapFor = 30 * time.Second
		}
		var reelect, converge []time.Duration
		leader := n.leader()
		others := without(n.all(), leader)
		h0 := n.maxHeight(others)
		start := time.Now()
		flaps := 0
		var healAt time.Time
		for time.Since(start) < flapFor {
			cutAt := time.Now()
			led := n.leads(leader)
			lab.cut(leader)
			flaps++
			// While it leads when cut, time the others' re-election.
			if took, ok := n.reelectedWithin(leader, others, cutAt, period); led && ok {
				reelect = append(reelect, took)
			}
			time.Sleep(time.Until(cutAt.Add(period)))
			n.checkAlive()
			lab.heal(leader)
			healAt = time.Now()
			time.Sleep(time.Until(cutAt.Add(2 * period)))
			n.checkAlive()
		}
		h1 := n.maxHeight(others)
		converge = append(converge, n.waitRejoined(leader, others, healAt))
		n.waitProgress(n.all(), 3)
		t.Logf("node-%d (the leader at the start) flapped %d times in %v; the others went from height %d to %d meanwhile; converged %v after the last heal",
			leader, flaps, time.Since(start).Round(time.Millisecond), h0, h1, converge[0].Round(time.Millisecond))
		if h1 <= h0 {
			t.Errorf("the network committed nothing while node-%d's link flapped (height %d)", leader, h0)
		}
		return reelect, fmt.Sprintf(" flaps=%d flap_period=%v heights_during=%d converge=%s", flaps, period, h1-h0, durations(converge))
	})

	_ = ok && run("observer behind the trailing log", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var converge, cutFor []time.Duration
		obs := len(n.nodes)
		for r := 1; r <= rounds(); r++ {
			others := without(n.all(), obs)
			cutAt := time.Now()
			lab.cut(obs)
			// Cut off until the others have committed twice the raft log
			// kept: every entry it lacks is compacted away meanwhile.
			n.eventually(120*time.Second, "the others commit twice the raft log kept", func() (bool, string) {
				b := ld.bytesAcceptedSince(cutAt)
				return b >= 2*partitionLogBytes, fmt.Sprintf("%d bytes of transactions since the cut", b)
			})
			n.holdsStill([]int{obs}, others, 3)
			cutFor = append(cutFor, time.Since(cutAt))
			logAt := len(n.logSince(obs))
			healAt := time.Now()
			lab.heal(obs)
			converge = append(converge, n.waitRejoined(obs, others, healAt))
			restores := strings.Count(n.logSince(obs)[logAt:], "restoring snapshot")
			if restores == 0 {
				t.Errorf("round %d: observer node-%d caught up without a snapshot restore after the heal: it was not behind the trailing log", r, obs)
			}
			t.Logf("round %d: observer node-%d cut off %v; caught up by block sync (%d snapshot restores in its log after the heal) %v after the heal",
				r, obs, cutFor[len(cutFor)-1].Round(time.Millisecond), restores, converge[len(converge)-1].Round(time.Millisecond))
		}
		return nil, fmt.Sprintf(" raft_log_bytes=%d cut_for=%s converge=%s", partitionLogBytes, durations(cutFor), durations(converge))
	})
}

// waitNoLongerLeads waits until node i, cut off, no longer names itself
// leader, and returns the time since since.
func (n *network) waitNoLongerLeads(i int, since time.Time) time.Duration {
	n.t.Helper()
	var took time.Duration
	n.eventually(60*time.Second, fmt.Sprintf("cut-off node-%d steps down", i), func() (bool, string) {
		st, err := n.status(i, time.Second)
		if err != nil {
			return false, err.Error()
		}
		took = time.Since(since)
		return st.Leader != n.node(i).id, "it names " + st.Leader
	})
	return took
}

// holdsStill checks a partition: for at least partitionHold, and until
// the connected nodes have committed blocks more blocks, no cut-off node's
// height moves. A cut-off node may still
// apply what was committed before the cut, so its height is taken once
// the others have committed a first block without it. It returns the
// cut-off nodes' heights.
func (n *network) holdsStill(cut, connected []int, blocks uint64) map[int]uint64 {
	n.t.Helper()
	start := time.Now()
	n.waitProgress(connected, 1)
	frozen := map[int]uint64{}
	for _, i := range cut {
		st, err := n.status(i, 2*time.Second)
		if err != nil {
			n.t.Fatalf("cut-off node-%d: %v", i, err)
		}
		frozen[i] = st.Height
	}
	n.waitProgress(connected, blocks)
	time.Sleep(time.Until(start.Add(partitionHold)))
	for _, i := range cut {
		st, err := n.status(i, 2*time.Second)
		if err != nil {
			n.t.Fatalf("cut-off node-%d: %v", i, err)
		}
		if st.Height != frozen[i] {
			n.t.Errorf("cut-off node-%d went from height %d to %d while the others committed without it", i, frozen[i], st.Height)
		}
	}
	return frozen
}

// waitRejoined waits until healed node i follows a leader of the others
// and has caught up with them, and returns the time since the heal.
func (n *network) waitRejoined(i int, others []int, healAt time.Time) time.Duration {
	n.t.Helper()
	n.eventually(60*time.Second, fmt.Sprintf("healed node-%d follows a leader", i), func() (bool, string) {
		st, err := n.status(i, time.Second)
		if err != nil {
			return false, err.Error()
		}
		return st.Leader != "" && st.Peers == len(n.nodes)-1, fmt.Sprintf("it names %q, %d peers", st.Leader, st.Peers)
	})
	n.waitCaughtUp(i, others)
	return time.Since(healAt)
}

func (n *network) maxHeight(among []int) uint64 {
	var h uint64
	for _, i := range among {
		if st, err := n.status(i, 2*time.Second); err == nil {
			h = max(h, st.Height)
		}
	}
	return h
}

// bytesAcceptedSince sums the encodings of the transactions the API
// accepted after t.
func (ld *load) bytesAcceptedSince(t time.Time) int {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	total := 0
	for id, a := range ld.accepted {
		if a.at.After(t) {
			total += len(ld.raw[id])
		}
	}
	return total
}

// leads reports whether node i names itself leader.
func (n *network) leads(i int) bool {
	st, err := n.status(i, time.Second)
	return err == nil && st.Leader == n.node(i).id
}

// reelectedWithin polls among for up to d for a node that names itself
// leader and is not old, and returns the time since since.
func (n *network) reelectedWithin(old int, among []int, since time.Time, d time.Duration) (time.Duration, bool) {
	for time.Since(since) < d {
		for _, i := range among {
			if st, err := n.status(i, 250*time.Millisecond); err == nil && st.Leader == n.node(i).id && i != old {
				return time.Since(since), true
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	return 0, false
}

// acceptedBy counts the transactions the API of one of nodes accepted in
// [from, to].
func (ld *load) acceptedBy(nodes []int, from, to time.Time) int {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	k := 0
	for _, a := range ld.accepted {
		if slices.Contains(nodes, a.node) && !a.at.Before(from) && !a.at.After(to) {
			k++
		}
	}
	return k
}

// logCount counts the occurrences of s in every node's log.
func (n *network) logCount(s string) int {
	k := 0
	for _, p := range n.nodes {
		b, _ := os.ReadFile(p.log)
		k += strings.Count(string(b), s)
	}
	return k
}
