package faults

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
)

// ---- the chain check ----

type txLoc struct {
	Height uint64
	Index  int
}

// chainReport is what checkChain found on every node.
type chainReport struct {
	Height  uint64
	OK      map[string]txLoc // transactions that took effect ("ok"), on the reference node
	Dups    []string         // ids that took effect more than once
	Forks   []string         // differences between nodes, or a broken hash chain
	Hashes  map[uint64]string
	Refused map[string]int // results other than ok, by code
	// Reproposed lists committed transactions that a later block holds
	// again (marked duplicate, so without effect).
	Reproposed []string
	Blocks     int
	Nodes      int
	Problems   []string // nodes that could not be read, or lag
}

// checkChain reads every block of every node of among (they should have
// settled at one height) and compares them: the same hash, prev hash,
// transactions and results at every height; no transaction that took
// effect twice.
func (n *network) checkChain(among []int) *chainReport {
	n.t.Helper()
	rep := &chainReport{OK: map[string]txLoc{}, Hashes: map[uint64]string{}, Refused: map[string]int{}, Nodes: len(among)}
	heights := map[int]uint64{}
	for _, i := range among {
		st, err := n.status(i, 5*time.Second)
		if err != nil {
			n.t.Fatalf("chain check: node-%d: %v", i, err)
		}
		heights[i] = st.Height
		rep.Height = max(rep.Height, st.Height)
	}
	chains := make(map[int][]*chain.BlockJSON, len(among))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, i := range among {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var blocks []*chain.BlockJSON
			for h := uint64(1); h <= heights[i]; h++ {
				var b *chain.BlockJSON
				var err error
				for try := 0; try < 5; try++ {
					if b, err = n.block(i, h); err == nil {
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
				if err != nil {
					mu.Lock()
					rep.Problems = append(rep.Problems, fmt.Sprintf("node-%d block %d: %v", i, h, err))
					mu.Unlock()
					break
				}
				blocks = append(blocks, b)
			}
			mu.Lock()
			chains[i] = blocks
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, i := range among {
		if heights[i] != rep.Height {
			rep.Problems = append(rep.Problems, fmt.Sprintf("node-%d is at height %d, another at %d (compared up to its height)", i, heights[i], rep.Height))
		}
	}
	ref := among[0]
	for _, i := range among {
		if len(chains[i]) > len(chains[ref]) {
			ref = i
		}
	}
	okCount := map[string]int{}
	prev := ""
	for k, b := range chains[ref] {
		h := uint64(k + 1)
		rep.Blocks++
		rep.Hashes[h] = b.Hash
		if b.Height != h {
			rep.Forks = append(rep.Forks, fmt.Sprintf("node-%d answered block %d for height %d", ref, b.Height, h))
		}
		if k > 0 && b.PrevHash != prev {
			rep.Forks = append(rep.Forks, fmt.Sprintf("node-%d block %d: prev hash %.16s, block %d is %.16s", ref, h, b.PrevHash, h-1, prev))
		}
		prev = b.Hash
		for j, id := range b.TxIDs {
			code := "?"
			if j < len(b.Results) {
				code = b.Results[j]
			}
			if code != "ok" {
				rep.Refused[code]++
				if first, ok := rep.OK[id]; ok && code == "duplicate" {
					rep.Reproposed = append(rep.Reproposed, fmt.Sprintf("%.16s… took effect at %d/%d and was proposed again at %d/%d by %s", id, first.Height, first.Index, h, j, b.Proposer))
				}
				continue
			}
			if okCount[id]++; okCount[id] == 1 {
				rep.OK[id] = txLoc{Height: h, Index: j}
			} else {
				rep.Dups = append(rep.Dups, fmt.Sprintf("%s took effect again at %d/%d (first at %d/%d)", id, h, j, rep.OK[id].Height, rep.OK[id].Index))
			}
		}
		for _, i := range among {
			if i == ref || k >= len(chains[i]) {
				continue
			}
			o := chains[i][k]
			if o.Hash != b.Hash || !slices.Equal(o.TxIDs, b.TxIDs) || !slices.Equal(o.Results, b.Results) {
				rep.Forks = append(rep.Forks, fmt.Sprintf("height %d: node-%d has %.16s results %v, node-%d has %.16s results %v", h, i, o.Hash, o.Results, ref, b.Hash, b.Results))
			}
		}
	}
	return rep
}

// ---- outcome of a test ----

// excuseWindow: a transaction the API accepted may be lost only if the
// node that accepted it was SIGKILLed within this time after answering
// (it gossips a transaction before it answers, so in practice never).
const excuseWindow = 2 * time.Second

// outcome is a test's result: printed as its SUMMARY line and asserted.
type outcome struct {
	Rounds    int
	Accepted  int // transactions the API accepted from the honest load
	Committed int // of those, how many took effect on chain
	Reported  int // ids the API reported committed (event streams)
	Lost      int // reported committed but not on every node at that place, or accepted by a node not killed and never committed
	Excused   int // accepted by a node SIGKILLed right after, never committed
	// AcceptedSteady counts transactions accepted by nodes never killed:
	// every one of them must commit.
	AcceptedSteady int
	Forks          int
	// StaleMempool counts mempool entries left when everything settled;
	// InvalidInBlocks counts transactions blocks hold but marked invalid,
	// by code (a "duplicate" there is a committed transaction proposed
	// again).
	StaleMempool    int
	InvalidInBlocks map[string]int
	Dups            int
	Height          uint64
	Reelections     []time.Duration
}

// verify settles the network, checks the chain on every node and compares
// it with what the load was told (accepted) and what the watcher was told
// (committed). It reports every problem as a test error.
func (n *network) verify(ld *load, w *watcher) outcome {
	n.t.Helper()
	all := n.all()
	same, mempool, obs := n.settle(all, 60*time.Second)
	if !same {
		n.t.Errorf("nodes did not settle on one head: %s", obs)
	}
	w.stop()
	rep := n.checkChain(all)
	o := outcome{Rounds: rounds(), Height: rep.Height, Dups: len(rep.Dups), Forks: len(rep.Forks)}
	for _, f := range rep.Forks {
		n.t.Errorf("FORK: %s", f)
	}
	for _, d := range rep.Dups {
		n.t.Errorf("DUPLICATE: %s", d)
	}
	for _, p := range rep.Problems {
		n.t.Errorf("chain check: %s", p)
	}
	lost := func(format string, args ...any) {
		if o.Lost <= 20 {
			n.t.Errorf(format, args...)
		}
	}
	// What the event streams reported (block hashes and committed txs)
	// must be what every node holds now.
	w.mu.Lock()
	o.Reported = len(w.committed)
	for h, hash := range w.blockHash {
		if got, ok := rep.Hashes[h]; ok && got != hash.hash {
			o.Forks++
			n.t.Errorf("FORK: node-%d reported block %d = %.16s, the chain now has %.16s", hash.node, h, hash.hash, got)
		}
	}
	for _, c := range w.conflicts {
		o.Forks++
		n.t.Errorf("FORK: %s", c)
	}
	for id, c := range w.committed {
		if got, ok := rep.OK[id]; !ok || got != c.loc {
			o.Lost++
			lost("LOST: node-%d reported %s committed at %d/%d; the chain has it at %v (present: %v)", c.node, id, c.loc.Height, c.loc.Index, got, ok)
		}
	}
	w.mu.Unlock()
	// What the API accepted must commit, unless the accepting node was
	// killed right after.
	ld.mu.Lock()
	o.Accepted = len(ld.accepted)
	for id, a := range ld.accepted {
		steady := !n.node(a.node).everKilled()
		if steady {
			o.AcceptedSteady++
		}
		if _, ok := rep.OK[id]; ok {
			o.Committed++
			continue
		}
		if !steady && n.node(a.node).killedWithin(a.at, excuseWindow) {
			o.Excused++
			continue
		}
		o.Lost++
		lost("LOST: node-%d accepted %s at %s and was not killed within %v after, but it never committed", a.node, id, a.at.Format("15:04:05.000"), excuseWindow)
	}
	// Entries left in a mempool once the load stopped, every accepted
	// transaction committed and the heads agree for a while can never
	// commit: committed transactions admitted again (see the report).
	for i, m := range mempool {
		o.StaleMempool += m
		if m > 0 {
			why := "while some accepted transaction is lost"
			if o.Lost == 0 {
				why = "although every accepted transaction committed: committed transactions admitted again"
			}
			n.t.Logf("NODE BUG (stale mempool): node-%d keeps %d transaction(s) in its mempool after the heads agreed and stayed put for 5 s, %s (%s)", i, m, why, obs)
		}
	}
	ld.mu.Unlock()
	o.InvalidInBlocks = rep.Refused
	for k, r := range rep.Reproposed {
		if k == 5 {
			n.t.Logf("NODE BUG (stale mempool): … and %d more committed transactions proposed again", len(rep.Reproposed)-k)
			break
		}
		n.t.Logf("NODE BUG (stale mempool): %s", r)
	}
	return o
}

func (o outcome) summary(t *testing.T, extra string) {
	t.Helper()
	var re []string
	for _, d := range o.Reelections {
		re = append(re, d.Round(time.Millisecond).String())
	}
	t.Logf("SUMMARY %s: rounds=%d txs_committed=%d accepted=%d (by never-killed nodes %d) reported_committed=%d lost=%d excused_unsent=%d forks=%d duplicates=%d height=%d stale_mempool=%d invalid_in_blocks=%v reelection=[%s]%s",
		t.Name(), o.Rounds, o.Committed, o.Accepted, o.AcceptedSteady, o.Reported, o.Lost, o.Excused, o.Forks, o.Dups, o.Height, o.StaleMempool, o.InvalidInBlocks, strings.Join(re, " "), extra)
	if o.Lost > 0 || o.Forks > 0 || o.Dups > 0 {
		t.Errorf("lost=%d forks=%d duplicates=%d: want 0 of each", o.Lost, o.Forks, o.Dups)
	}
	if *strictFlag && (o.StaleMempool > 0 || o.InvalidInBlocks["duplicate"] > 0) {
		t.Errorf("-strict: %d stale mempool entries, %d committed transactions proposed again", o.StaleMempool, o.InvalidInBlocks["duplicate"])
	}
}

func durations(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Round(time.Millisecond).String())
	}
	return "[" + strings.Join(s, " ") + "]"
}
