package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKillLeaderAndFollowerUnderLoad: under steady anonymous load, each
// round SIGKILLs the leader (timing the re-election), restarts it and
// waits until it has caught up, then does the same with a follower. In
// the end every transaction the API reported committed is on every node
// at the same height and index, every node has the same block hash at
// every height, no transaction took effect twice, and every transaction a
// node accepted commits unless that node was killed right after.
func TestKillLeaderAndFollowerUnderLoad(t *testing.T) {
	for _, tc := range []struct {
		name              string
		nodes, validators int
	}{
		{"3 validators + 1 observer", 4, 3},
		{"5 validators", 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNetwork(t, netOptions{Nodes: tc.nodes, Validators: tc.validators, Groups: []string{"acme"}, RaftLogBytes: 1 << 20})
			members := n.addMembers("acme", "alice", "bob", "carol", "dave")
			w := n.watch()
			ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 30, Payload: 128})
			n.waitProgress(n.all(), 3)

			var reelect, commitResumed, catchUps []time.Duration
			for r := 1; r <= rounds(); r++ {
				// The leader.
				leader := n.leader()
				killedAt := n.kill(leader)
				survivors := without(n.all(), leader)
				newLeader, took := n.waitNewLeader(leader, killedAt, survivors)
				reelect = append(reelect, took)
				n.waitProgress(survivors, 2)
				commitResumed = append(commitResumed, time.Since(killedAt))
				t.Logf("round %d: killed leader node-%d; node-%d leads after %v; commits resumed after %v", r, leader, newLeader,
					took.Round(time.Millisecond), commitResumed[len(commitResumed)-1].Round(time.Millisecond))
				n.start(leader)
				catchUps = append(catchUps, n.waitCaughtUp(leader, survivors))

				// A follower: validators in turn, then (where there is one)
				// the observer.
				leader = n.leader()
				others := without(n.all(), leader)
				follower := others[(r-1)%len(others)]
				n.kill(follower)
				survivors = without(n.all(), follower)
				n.waitProgress(survivors, 3)
				n.start(follower)
				catchUps = append(catchUps, n.waitCaughtUp(follower, survivors))
				t.Logf("round %d: killed follower node-%d; it caught up in %v", r, follower, catchUps[len(catchUps)-1].Round(time.Millisecond))
			}
			ld.stop()
			t.Logf("load: %s", ld)
			o := n.verify(ld, w)
			o.Reelections = reelect
			o.summary(t, fmt.Sprintf(" commit_resumed=%s catch_up=%s", durations(commitResumed), durations(catchUps)))
		})
	}
}

// TestKillDuringBlockWrites SIGKILLs a node at random moments while blocks
// are being written under load (a follower, then in a second pass the
// leader), several times; each time the restarted node must open its
// databases (no corruption), report a head that is a block it holds, and
// catch up to the others' hash. A third pass restarts the observer from a
// copy of its data directory taken while it was writing (the process
// frozen mid-write, the copy then made: what a crash at that instant
// leaves on disk) after it had run on past that point.
func TestKillDuringBlockWrites(t *testing.T) {
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -args -seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 6))

	n := startNetwork(t, netOptions{Nodes: 4, Validators: 3, Groups: []string{"acme"}, RaftLogBytes: 2 << 20})
	members := n.addMembers("acme", "alice", "bob", "carol", "dave")
	w := n.watch()
	// Bigger transactions make bigger blocks: longer writes to land in.
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 40, Payload: 4096})
	n.waitProgress(n.all(), 3)

	kills := 2 * rounds()
	if kills < 2 {
		kills = 2
	}
	var reelect, catchUps []time.Duration
	for _, pass := range []string{"follower", "leader"} {
		for k := 1; k <= kills; k++ {
			leader := n.leader()
			target := leader
			if pass == "follower" {
				f := n.followers(leader)
				target = f[rng.IntN(len(f))]
			}
			// A random moment inside the writing of blocks: right after the
			// target applied a block, plus up to two block intervals.
			n.afterNextBlock(target)
			time.Sleep(time.Duration(rng.Int64N(int64(2 * n.blockInterval))))
			killedAt := n.kill(target)
			survivors := without(n.all(), target)
			if target == leader {
				_, took := n.waitNewLeader(leader, killedAt, survivors)
				reelect = append(reelect, took)
			}
			n.waitProgress(survivors, 2)
			n.start(target)
			n.checkRestart(target, survivors)
			catchUps = append(catchUps, n.waitCaughtUp(target, survivors))
			t.Logf("%s pass, kill %d: node-%d SIGKILLed; restarted, consistent, caught up in %v", pass, k, target, catchUps[len(catchUps)-1].Round(time.Millisecond))
		}
	}

	// The observer, restarted from a copy of its data taken mid-write.
	obs := len(n.nodes)
	for k := 1; k <= rounds(); k++ {
		n.afterNextBlock(obs)
		time.Sleep(time.Duration(rng.Int64N(int64(n.blockInterval))))
		n.pause(obs)
		snap := filepath.Join(t.TempDir(), "data")
		if err := os.CopyFS(snap, os.DirFS(n.dataDir(obs))); err != nil {
			t.Fatalf("copy node-%d's data: %v", obs, err)
		}
		n.resume(obs)
		n.waitProgress(n.all(), 5) // it runs on past the copy
		n.kill(obs)
		if err := os.RemoveAll(n.dataDir(obs)); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(snap, n.dataDir(obs)); err != nil {
			t.Fatal(err)
		}
		n.start(obs)
		others := without(n.all(), obs)
		n.checkRestart(obs, others)
		catchUps = append(catchUps, n.waitCaughtUp(obs, others))
		t.Logf("observer pass %d: node-%d restarted from a mid-write copy of its data; caught up in %v", k, obs, catchUps[len(catchUps)-1].Round(time.Millisecond))
	}

	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.Reelections = reelect
	o.summary(t, fmt.Sprintf(" kills=%d copy_restores=%d catch_up=%s", 2*kills, rounds(), durations(catchUps)))
}

func (n *network) dataDir(i int) string { return filepath.Join(n.layout.NodeDir(i), "data") }

// afterNextBlock returns as soon as node i's height moves (polling fast).
func (n *network) afterNextBlock(i int) {
	n.t.Helper()
	st, err := n.status(i, 2*time.Second)
	if err != nil {
		n.t.Fatalf("node-%d: %v", i, err)
	}
	h0 := st.Height
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := n.status(i, time.Second); err == nil && st.Height > h0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	n.t.Fatalf("node-%d: no new block after height %d in 30 s", i, h0)
}

// checkRestart checks a restarted node: it answers (its databases opened),
// its log since the start shows no corruption or panic, its head is a
// block it holds with that hash, and that block is the others' block at
// that height.
func (n *network) checkRestart(i int, others []int) {
	n.t.Helper()
	var head uint64
	var hash string
	n.eventually(60*time.Second, fmt.Sprintf("restarted node-%d answers", i), func() (bool, string) {
		st, err := n.status(i, time.Second)
		if err != nil {
			return false, err.Error()
		}
		head, hash = st.Height, st.HeadHash
		return true, ""
	})
	log := strings.ToLower(n.logSince(i))
	for _, bad := range []string{"corrupt", "panic", "cannot apply committed block", "fatal"} {
		if strings.Contains(log, bad) {
			n.t.Errorf("NODE BUG? node-%d's log after a restart mentions %q:\n%s", i, bad, tail([]byte(n.logSince(i)), 40))
		}
	}
	if head == 0 {
		return
	}
	b, err := n.block(i, head)
	if err != nil {
		n.t.Fatalf("restarted node-%d: its head block %d: %v", i, head, err)
	}
	if b.Hash != hash {
		n.t.Errorf("NODE BUG? restarted node-%d reports head %d = %.16s but holds block %d = %.16s", i, head, hash, head, b.Hash)
	}
	for _, o := range others {
		if ob, err := n.block(o, head); err == nil {
			if ob.Hash != b.Hash {
				n.t.Errorf("FORK: restarted node-%d has block %d = %.16s, node-%d has %.16s", i, head, b.Hash, o, ob.Hash)
			}
			return
		}
	}
}
