package faults

import (
	"fmt"
	"testing"
	"time"
)

// pauseFor is how long a node stays frozen: far longer than the fast
// timing profile's raft election timeout (400 ms) and gossip probes.
const pauseFor = 4 * time.Second

// TestPauseNodeNoFork freezes one node with SIGSTOP for longer than
// raft's election timeout, then thaws it with SIGCONT: first a follower
// (the others must keep committing while it is frozen), then the leader
// (the others must elect a new one and go on committing; the old leader
// must step down and follow). Nothing is killed, so every transaction any
// node accepted must commit, and no height may differ between nodes.
func TestPauseNodeNoFork(t *testing.T) {
	n := startNetwork(t, netOptions{Nodes: 4, Validators: 3, Groups: []string{"acme"}})
	members := n.addMembers("acme", "alice", "bob", "carol", "dave")
	w := n.watch()
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 30, Payload: 128})
	n.waitProgress(n.all(), 3)

	var reelect, catchUps []time.Duration
	for r := 1; r <= rounds(); r++ {
		// A follower.
		leader := n.leader()
		f := n.followers(leader)
		follower := f[(r-1)%len(f)]
		pausedAt := n.pause(follower)
		others := without(n.all(), follower)
		n.waitProgress(others, 3) // the network commits without it
		time.Sleep(time.Until(pausedAt.Add(pauseFor)))
		n.resume(follower)
		catchUps = append(catchUps, n.waitCaughtUp(follower, others))
		if got := n.leader(); got != leader {
			t.Logf("round %d: leadership moved from node-%d to node-%d while follower node-%d was frozen", r, leader, got, follower)
		}
		t.Logf("round %d: follower node-%d frozen %v; caught up %v after SIGCONT", r, follower, pauseFor, catchUps[len(catchUps)-1].Round(time.Millisecond))

		// The leader.
		leader = n.leader()
		pausedAt = n.pause(leader)
		others = without(n.all(), leader)
		newLeader, took := n.waitNewLeader(leader, pausedAt, others)
		reelect = append(reelect, took)
		n.waitProgress(others, 3)
		time.Sleep(time.Until(pausedAt.Add(pauseFor)))
		n.resume(leader)
		// The old leader must follow the new one, not lead a fork.
		n.eventually(60*time.Second, fmt.Sprintf("thawed node-%d follows node-%d", leader, newLeader), func() (bool, string) {
			st, err := n.status(leader, time.Second)
			if err != nil {
				return false, err.Error()
			}
			return st.Leader != "" && st.Leader != n.node(leader).id, "it names " + st.Leader
		})
		catchUps = append(catchUps, n.waitCaughtUp(leader, others))
		t.Logf("round %d: leader node-%d frozen %v; node-%d led after %v; the old leader caught up %v after SIGCONT", r, leader, pauseFor, newLeader,
			took.Round(time.Millisecond), catchUps[len(catchUps)-1].Round(time.Millisecond))
	}
	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.Reelections = reelect
	o.summary(t, fmt.Sprintf(" pause=%v catch_up=%s", pauseFor, durations(catchUps)))
}
