package node

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestGossipDeliversEverywhereWithBoundedCopies sends transactions to the
// nodes of a 4-, an 8- and (without -race or -short) a 16-node network while one node is down (it misses
// every push of the first half), restarts it, sends the second half, and
// checks that every node then holds every transaction (anti-entropy
// repaired what the pushes missed) and that the network sent at most
// 2 (n − 1) copies per transaction, pushes and pull answers counted. Blocks
// are cut only hourly, so the transactions stay pending and the test sees
// gossip alone, not block replication.
func TestGossipDeliversEverywhereWithBoundedCopies(t *testing.T) {
	sizes := []int{4, 8}
	switch {
	case testing.Short():
		sizes = sizes[:1]
	case !raceDetector:
		sizes = append(sizes, 16)
	}
	for _, n := range sizes {
		t.Run(fmt.Sprintf("nodes=%d", n), func(t *testing.T) { testGossipDelivery(t, n, 24) })
	}
}

func testGossipDelivery(t *testing.T, n, m int) {
	ln := startLocalWith(t, n, netOptions{members: []string{"m0"}, tweak: func(c *Config) {
		c.BlockInterval = Duration{time.Hour}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	formed := func(nodes []int) {
		t.Helper()
		for _, i := range nodes {
			waitFor(t, ctx, fmt.Sprintf("node %d to see %d peers", i, len(nodes)-1), func() bool {
				return ln.nodes[i].alivePeers() == len(nodes)-1
			})
		}
	}
	all := ln.running()
	formed(all)
	late := n // an observer: the others keep their quorum
	ln.stop(late)
	up := all[:n-1]
	formed(up)

	k := newKit(t, ln, "m0")
	mf := k.members[memberKey("acme", "m0")]
	var before uint64
	for _, i := range up {
		before += ln.nodes[i].txCopiesSent()
	}
	var ids [][32]byte
	send := func(count int, to []int) {
		for j := range count {
			tx := signWith(t, mf, "acme", "demo", fmt.Sprintf("tx %d", len(ids)), false, 100)
			k.submit(ctx, to[j%len(to)], tx)
			ids = append(ids, tx.ID())
		}
	}
	send(m/2, up) // node `late` is down: no push reaches it
	ln.start(late)
	formed(all)
	send(m-m/2, all)

	for _, i := range all {
		waitFor(t, ctx, fmt.Sprintf("node %d to hold all %d transactions", i, m), func() bool {
			for _, id := range ids {
				if !ln.nodes[i].pool.Has(id) {
					return false
				}
			}
			return true
		})
	}
	time.Sleep(2 * time.Second) // let late pulls land, so that they are counted
	var copies, pulled uint64
	for _, i := range all {
		copies += ln.nodes[i].txCopiesSent()
		pulled += ln.nodes[i].gossip.pulledIn.Load()
	}
	copies -= before
	perTx := float64(copies) / float64(m)
	repaired := ln.nodes[late].gossip.pulledIn.Load()
	t.Logf("%d nodes, %d txs: %d copies = %.2f per tx (n−1 = %d, bound 2(n−1) = %d); %d admitted by anti-entropy, %d of them on the late node",
		n, m, copies, perTx, n-1, 2*(n-1), pulled, repaired)
	if repaired < uint64(m/2) {
		t.Errorf("the late node admitted %d transactions by anti-entropy; it missed the pushes of %d", repaired, m/2)
	}
	if copies > uint64(2*(n-1)*m) {
		t.Errorf("%d copies for %d transactions on %d nodes: more than 2(n−1) = %d per transaction", copies, m, n, 2*(n-1))
	}
}
