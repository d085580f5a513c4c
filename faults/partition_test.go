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
		var reelect, stepDown []time.Duration
		var heals healTimes
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
			rj := heals.add(n.waitRejoined([]int{leader}, majority, healAt))
			t.Logf("round %d: leader node-%d isolated at height %d; node-%d led after %v; the old one stepped down after %v; after the heal it rejoined %s",
				r, leader, frozen[leader], newLeader, took.Round(time.Millisecond), stepDown[len(stepDown)-1].Round(time.Millisecond), rj)
		}
		return reelect, fmt.Sprintf(" step_down=%s%s accepted_while_cut=%d", durations(stepDown), heals, whileCut)
	})

	ok = ok && run("minority of followers isolated", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var heals healTimes
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
			rj := heals.add(n.waitRejoined(cut, others, healAt))
			t.Logf("round %d: followers %v isolated; the others committed without them; after the heal they rejoined %s", r, cut, rj)
		}
		return nil, fmt.Sprintf("%s accepted_while_cut=%d", heals, whileCut)
	})

	ok = ok && run("split 3-2", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var reelect []time.Duration
		var heals healTimes
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
			rj := heals.add(n.waitRejoined(two, three, healAt))
			t.Logf("round %d: split %v | %v; node-%d led the 3 after %v; the 2 committed nothing; after the heal they rejoined %s",
				r, two, three, newLeader, took.Round(time.Millisecond), rj)
		}
		return reelect, fmt.Sprintf("%s accepted_by_the_2_while_split=%d", heals, whileCut)
	})

	ok = ok && run("flapping link", func(t *testing.T, _ *load) ([]time.Duration, string) {
		// The leader's link goes down and up every 2 s: each time down for
		// longer than the election timeout.
		const period = 2 * time.Second
		flapFor := 10 * time.Second
		if rounds() > 1 {
			flapFor = 30 * time.Second
		}
		var reelect []time.Duration
		var heals healTimes
		leader := n.leader()
		others := without(n.all(), leader)
		h0 := n.maxHeight(others)
		start := time.Now()
		flaps := 0
		var healAt time.Time
		for {
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
			if time.Since(start) >= flapFor-period {
				break // time the last heal from here
			}
			time.Sleep(time.Until(cutAt.Add(2 * period)))
			n.checkAlive()
		}
		h1 := n.maxHeight(others)
		rj := heals.add(n.waitRejoined([]int{leader}, others, healAt))
		n.waitProgress(n.all(), 3)
		t.Logf("node-%d (the leader at the start) flapped %d times in %v; the others went from height %d to %d meanwhile; after the last heal it rejoined %s",
			leader, flaps, time.Since(start).Round(time.Millisecond), h0, h1, rj)
		if h1 <= h0 {
			t.Errorf("the network committed nothing while node-%d's link flapped (height %d)", leader, h0)
		}
		return reelect, fmt.Sprintf(" flaps=%d flap_period=%v heights_during=%d%s", flaps, period, h1-h0, heals)
	})

	_ = ok && run("observer behind the trailing log", func(t *testing.T, ld *load) ([]time.Duration, string) {
		var cutFor []time.Duration
		var heals healTimes
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
			rj := heals.add(n.waitRejoined([]int{obs}, others, healAt))
			restores := strings.Count(n.logSince(obs)[logAt:], "restoring snapshot")
			if restores == 0 {
				t.Errorf("round %d: observer node-%d caught up without a snapshot restore after the heal: it was not behind the trailing log", r, obs)
			}
			t.Logf("round %d: observer node-%d cut off %v; after the heal it rejoined %s, by block sync (%d snapshot restores in its log since)",
				r, obs, cutFor[len(cutFor)-1].Round(time.Millisecond), rj, restores)
		}
		return nil, fmt.Sprintf(" raft_log_bytes=%d cut_for=%s%s", partitionLogBytes, durations(cutFor), heals)
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

// rejoin is how long after a heal a node had its membership back (it
// names a leader and sees every peer) and had converged (it holds the
// others' block at the height they had at the heal).
type rejoin struct{ members, converge time.Duration }

// waitRejoined waits until every healed node has rejoined the others, and
// returns the times since the heal, watching all of them at once.
func (n *network) waitRejoined(healed, others []int, healAt time.Time) []rejoin {
	n.t.Helper()
	target, ref, want := n.highestBlock(others)
	out := make([]rejoin, len(healed))
	n.eventually(90*time.Second, fmt.Sprintf("healed nodes %v rejoin and reach height %d", healed, target), func() (bool, string) {
		var waiting []string
		for k, i := range healed {
			if out[k].converge > 0 {
				continue
			}
			st, err := n.status(i, time.Second)
			if err != nil {
				waiting = append(waiting, fmt.Sprintf("node-%d: %v", i, err))
				continue
			}
			if out[k].members == 0 && st.Leader != "" && st.Peers == len(n.nodes)-1 {
				out[k].members = time.Since(healAt)
			}
			if out[k].members > 0 && st.Height >= target {
				if b, err := n.block(i, target); err == nil {
					if b.Hash != want.Hash {
						n.t.Errorf("FORK: node-%d has block %d hash %s, node-%d has %s", i, target, b.Hash, ref, want.Hash)
					}
					out[k].converge = time.Since(healAt)
					continue
				}
			}
			waiting = append(waiting, fmt.Sprintf("node-%d: leader %q, %d peers, height %d", i, st.Leader, st.Peers, st.Height))
		}
		return len(waiting) == 0, strings.Join(waiting, "; ")
	})
	return out
}

// healTimes collects a case's rejoin times for its SUMMARY line.
type healTimes struct{ members, converge []time.Duration }

// add records rs and formats them for a log line.
func (h *healTimes) add(rs []rejoin) string {
	var parts []string
	for _, r := range rs {
		h.members = append(h.members, r.members)
		h.converge = append(h.converge, r.converge)
		parts = append(parts, fmt.Sprintf("(members %v, converged %v)", r.members.Round(time.Millisecond), r.converge.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

// String is the SUMMARY fields: " members_back=[…] converge=[…]".
func (h healTimes) String() string {
	return fmt.Sprintf(" members_back=%s converge=%s", durations(h.members), durations(h.converge))
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
