package node

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/veilchain/veil/bft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// startBFT starts a BFT network of n nodes in this process, the first
// validators of them validators (0: DefaultBFTValidators), with founding
// members m1..m4 of group acme.
func startBFT(t *testing.T, n, validators int) (*localNet, *kit) {
	t.Helper()
	members := []string{"m1", "m2", "m3", "m4"}
	ln := startLocalWith(t, n, netOptions{consensus: chain.ConsensusBFT, validators: validators, members: members})
	return ln, newKit(t, ln, members...)
}

func (k *kit) memberFiles() []*groupsig.MemberFile {
	var out []*groupsig.MemberFile
	for _, l := range []string{"m1", "m2", "m3", "m4"} {
		out = append(out, k.members[memberKey("acme", l)])
	}
	return out
}

// bftLeader is the index of the running node that leads its view.
func (ln *localNet) bftLeader(ctx context.Context, t *testing.T) int {
	t.Helper()
	li := 0
	waitFor(t, ctx, "a BFT leader", func() bool {
		for _, i := range ln.running() {
			if e := ln.nodes[i].engine; e != nil && e.IsLeader() {
				li = i
				return true
			}
		}
		return false
	})
	return li
}

// waitCommitted waits until every running node has committed every id.
func (ln *localNet) waitCommitted(t *testing.T, ctx context.Context, ids []string) {
	t.Helper()
	for _, i := range ln.running() {
		l := ln.nodes[i].ledger
		waitFor(t, ctx, fmt.Sprintf("node %d commits %d transactions", i, len(ids)), func() bool {
			for _, id := range ids {
				raw, _ := hex.DecodeString(id)
				if !l.Committed([32]byte(raw)) {
					return false
				}
			}
			return true
		})
	}
}

// checkOneChain fails unless the running nodes hold the same blocks up
// to the lowest head, every block with a certificate, and no transaction
// took effect twice; it returns the committed ids.
func (ln *localNet) checkOneChain(t *testing.T) map[[32]byte]bool {
	t.Helper()
	running := ln.running()
	low := uint64(1 << 62)
	for _, i := range running {
		low = min(low, ln.nodes[i].ledger.Head().Height)
	}
	ok := map[[32]byte]bool{}
	ref := ln.nodes[running[0]].ledger
	for h := uint64(1); h <= low; h++ {
		want, err := ref.RawBlock(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range running[1:] {
			got, err := ln.nodes[i].ledger.RawBlock(h)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("node %d block %d differs from node %d's (err %v): a fork", i, h, running[0], err)
			}
			if _, err := ln.nodes[i].ledger.Certificate(h); err != nil {
				t.Fatalf("node %d block %d has no certificate: %v", i, h, err)
			}
		}
		b, _ := chain.DecodeBlock(want)
		codes, _ := ref.Results(h)
		for j, tx := range b.Txs {
			if codes[j] != chain.CodeOK {
				continue
			}
			if ok[tx.ID()] {
				t.Fatalf("transaction %x took effect twice (block %d)", tx.ID(), h)
			}
			ok[tx.ID()] = true
		}
	}
	return ok
}

// latencies logs, for a few transactions submitted one at a time to
// validator at, how long each took to commit there and on the observer
// (node 5): the observer's lag behind the validators.
func (ln *localNet) latencies(t *testing.T, ctx context.Context, k *kit, at int) {
	t.Helper()
	var val, obs []time.Duration
	for j := range 5 {
		id := k.submitLoad(ctx, []int{at}, 1, fmt.Sprintf("latency %d", j))[0]
		raw, _ := hex.DecodeString(id)
		start := time.Now()
		var dv time.Duration
		waitFor(t, ctx, "commit", func() bool {
			if dv == 0 && ln.nodes[at].ledger.Committed([32]byte(raw)) {
				dv = time.Since(start)
			}
			return dv != 0 && ln.nodes[5].ledger.Committed([32]byte(raw))
		})
		val, obs = append(val, dv), append(obs, time.Since(start))
	}
	t.Logf("commit latency (submission to applied, 50 ms polls): validator %v, observer %v", val, obs)
}

// submitLoad submits count anonymous transactions to the given nodes in
// turn and returns the ids they admitted.
func (k *kit) submitLoad(ctx context.Context, nodes []int, count int, tag string) []string {
	k.t.Helper()
	mfs := k.memberFiles()
	var ids []string
	exp := k.expiry(ctx, nodes[0]) + 500
	for j := range count {
		i := nodes[j%len(nodes)]
		tx := signWith(k.t, mfs[j%len(mfs)], "acme", "load", fmt.Sprintf("%s %d", tag, j), false, exp)
		id, err := k.c(i).Submit(ctx, tx)
		if err != nil {
			k.t.Fatalf("node %d refused load transaction %d: %v", i, j, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestBFTOrdersAndRecovers: 4 validators and an observer on a BFT chain
// order anonymous transactions submitted to every node into one chain
// (every block certified, nothing lost or applied twice), the observer
// following by certified block sync; with the leader stopped, a view
// change elects another and commits go on; the stopped node restarts
// from its WAL and head certificate and catches up.
func TestBFTOrdersAndRecovers(t *testing.T) {
	ln, k := startBFT(t, 5, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	li := ln.bftLeader(ctx, t)
	if ln.nodes[5].bft.cur.Load() != nil {
		t.Fatal("the observer runs a BFT engine")
	}
	for i := 1; i <= 5; i++ {
		st := ln.nodes[i].Status()
		if st.Consensus != chain.ConsensusBFT || st.BFT == nil || st.BFT.N != 4 || st.BFT.F != 1 || st.BFT.Quorum != 3 {
			t.Fatalf("node %d status: consensus %q, bft %+v; want bft, n 4, f 1, quorum 3", i, st.Consensus, st.BFT)
		}
	}

	ids := k.submitLoad(ctx, []int{1, 2, 3, 4, 5}, 40, "first")
	ln.waitCommitted(t, ctx, ids)
	ln.checkOneChain(t)
	before := ln.nodes[li].bft.metrics.ViewChanges()
	t.Logf("leader node-%d; %d transactions committed at height %d", li, len(ids), ln.nodes[li].ledger.Head().Height)

	ln.latencies(t, ctx, k, li)

	ln.stop(li)
	others := slices.DeleteFunc([]int{1, 2, 3, 4, 5}, func(i int) bool { return i == li })
	stopped := time.Now()
	first := k.submitLoad(ctx, others[:1], 1, "first-after-stop")
	ln.waitCommitted(t, ctx, first)
	t.Logf("leader node-%d stopped: the first transaction after it committed on every running node %v later (view change included)", li, time.Since(stopped).Round(time.Millisecond))
	ids2 := k.submitLoad(ctx, others, 20, "after-stop")
	ids2 = append(ids2, first...)
	ln.waitCommitted(t, ctx, ids2)
	nl := ln.bftLeader(ctx, t)
	t.Logf("with node-%d stopped, node-%d leads; %d more committed %v after the stop", li, nl, len(ids2), time.Since(stopped).Round(time.Millisecond))
	if nl == li {
		t.Fatalf("the stopped node %d still leads", li)
	}
	vc := uint64(0)
	for _, i := range others[:len(others)-1] {
		vc = max(vc, ln.nodes[i].bft.metrics.ViewChanges())
	}
	if vc == 0 {
		t.Fatalf("no view change counted after the leader stopped (before: %d)", before)
	}

	ln.start(li)
	ids3 := k.submitLoad(ctx, []int{1, 2, 3, 4, 5}, 20, "after-restart")
	all := slices.Concat(ids, ids2, ids3)
	ln.waitCommitted(t, ctx, all)
	waitFor(t, ctx, "every node at one head", func() bool {
		h := ln.nodes[1].ledger.Head()
		for i := 2; i <= 5; i++ {
			if ln.nodes[i].ledger.Head() != h {
				return false
			}
		}
		return true
	})
	// Metrics and health name the engine on every node; raft's stay 0.
	for _, i := range []int{1, nl, 5} {
		text := scrape(t, ctx, ln.nodes[i])
		if v := metricValue(t, text, "veil_bft_f"); v != 1 {
			t.Errorf("node %d veil_bft_f %v, want 1", i, v)
		}
		for _, name := range []string{"veil_bft_view", "veil_bft_leader_changes_total", "veil_bft_dropped_total", "veil_bft_sync_refused_total"} {
			metricValue(t, text, name)
		}
		if i != 5 {
			metricValue(t, text, "veil_bft_pool_count_of_elements")
			if v := metricValue(t, text, "veil_bft_view_changes_total"); v < 1 {
				t.Errorf("node %d veil_bft_view_changes_total %v after the leader stopped", i, v)
			}
		}
		if v := metricValue(t, text, "veil_raft_term"); v != 0 {
			t.Errorf("node %d veil_raft_term %v on a BFT chain", i, v)
		}
		health := ln.nodes[i].Health()
		if len(health) != 3 || health[1].Component != "bft" || health[1].Err != nil {
			t.Errorf("node %d health %+v, want storage, bft (ok), gossip", i, health)
		}
	}
	committed := ln.checkOneChain(t)
	for _, id := range all {
		raw, _ := hex.DecodeString(id)
		if !committed[[32]byte(raw)] {
			t.Fatalf("admitted transaction %s is not on the chain with code ok", id)
		}
	}
	t.Logf("%d transactions, 0 lost, 0 duplicated, height %d; view changes %d", len(all), ln.nodes[1].ledger.Head().Height, vc)
}

// engineRunning reports whether node i runs a BFT engine.
func (ln *localNet) engineRunning(i int) bool { return ln.nodes[i].bft.cur.Load() != nil }

// TestBFTValidatorChanges: an admin add_validator makes the observer a
// fifth validator: its engine starts from its head's certificate, every
// node reconfigures SmartBFT to n = 5 (quorum 4), and with one original
// validator stopped blocks still commit, which needs the new validator's
// votes. A remove_validator stops its engine again: the others go on with
// n = 4 and it follows as an observer.
func TestBFTValidatorChanges(t *testing.T) {
	ln, k := startBFT(t, 5, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ln.bftLeader(ctx, t)
	if ln.engineRunning(5) {
		t.Fatal("the observer runs an engine")
	}
	add := k.submit(ctx, 1, k.addValidatorTx(ctx, 1, 5))
	ln.waitCommitted(t, ctx, []string{add})
	waitFor(t, ctx, "node-5's engine starts and every node has n = 5", func() bool {
		if !ln.engineRunning(5) {
			return false
		}
		for i := 1; i <= 5; i++ {
			if st := ln.nodes[i].Status(); st.BFT == nil || st.BFT.N != 5 || st.BFT.Quorum != 4 || st.Role != RoleValidator {
				return false
			}
		}
		return true
	})
	// With node-1 (or whichever original validator) down, a quorum of 4
	// of the 5 needs node-5.
	down := 1
	if ln.nodes[1].engine.IsLeader() {
		down = 2 // keep the leader: no view change needed, only node-5's votes
	}
	ln.stop(down)
	up := slices.DeleteFunc([]int{1, 2, 3, 4, 5}, func(i int) bool { return i == down })
	ids := k.submitLoad(ctx, up, 10, "five")
	ln.waitCommitted(t, ctx, ids)
	h := ln.nodes[5].ledger.Head().Height
	cert, err := ln.nodes[5].ledger.Certificate(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("with node-%d down, %d transactions committed by 4 of 5 validators; certificate at %d: %d bytes", down, len(ids), h, len(cert))
	ln.start(down)
	waitFor(t, ctx, "the stopped validator catches up", func() bool {
		return ln.nodes[down].ledger.Head().Height >= h
	})

	rm := k.submit(ctx, 1, k.removeValidatorTx(ctx, 1, "node-5"))
	ln.waitCommitted(t, ctx, []string{rm})
	waitFor(t, ctx, "node-5's engine stops and every node has n = 4", func() bool {
		if ln.engineRunning(5) {
			return false
		}
		for i := 1; i <= 5; i++ {
			if st := ln.nodes[i].Status(); st.BFT == nil || st.BFT.N != 4 {
				return false
			}
		}
		return ln.nodes[5].Status().Role == RoleObserver
	})
	ids2 := k.submitLoad(ctx, []int{1, 2, 3, 4, 5}, 10, "four-again")
	ln.waitCommitted(t, ctx, ids2)
	ln.checkOneChain(t)
}

// TestBFTBlockSyncRefusesBadCertificate: an observer that was down syncs
// from validators that all lie at first, each reply's blocks linked and
// validator-signed but its certificates wrong (too few signatures, the
// certificate of the real block served with a block the liar re-signed,
// garbage): it applies none of them and counts the refusals; once one
// validator answers honestly it catches up onto the one chain.
func TestBFTBlockSyncRefusesBadCertificate(t *testing.T) {
	ln, k := startBFT(t, 5, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ln.bftLeader(ctx, t)
	ln.stop(5)
	ids := k.submitLoad(ctx, []int{1, 2, 3, 4}, 20, "while-down")
	ln.waitCommitted(t, ctx, ids)
	lies := []func(n *Node, from, to uint64) ([]byte, error){
		func(n *Node, from, to uint64) ([]byte, error) { // two of the certificate's signatures only
			raw, _ := n.ledger.RawBlock(from)
			cr, _ := n.ledger.Certificate(from)
			var c bft.Certificate
			if err := c.UnmarshalBinary(cr); err != nil {
				return nil, err
			}
			c.Signatures = c.Signatures[:2]
			enc, _ := c.MarshalBinary()
			return bft.AppendCertified(nil, raw, enc), nil
		},
		func(n *Node, from, to uint64) ([]byte, error) { // a re-signed block of the liar's own, with the real certificate
			b, _ := n.ledger.Block(from)
			b.Txs = nil
			b.TxRoot = chain.TxRoot(nil)
			key, err := genesis.ReadPrivateKey(ln.layout.NodeKey(nodeIndex(t, n)))
			if err != nil {
				return nil, err
			}
			b.Sign(n.cfg.NodeID, key)
			cr, _ := n.ledger.Certificate(from)
			return bft.AppendCertified(nil, b.Encode(), cr), nil
		},
		func(n *Node, from, to uint64) ([]byte, error) { // garbage for a certificate
			raw, _ := n.ledger.RawBlock(from)
			return bft.AppendCertified(nil, raw, []byte("not a certificate")), nil
		},
	}
	for i := 1; i <= 4; i++ {
		n, lie := ln.nodes[i], lies[(i-1)%len(lies)]
		fn := func(_ context.Context, from, to uint64) ([]byte, error) { return lie(n, from, to) }
		n.syncer.serve.Store(&fn)
	}
	ln.start(5)
	o := ln.nodes[5]
	waitFor(t, ctx, "the observer refuses lying replies", func() bool { return o.bft.metrics.SyncRefused() >= 4 })
	if h := o.ledger.Head().Height; h != 0 {
		t.Fatalf("the observer applied %d blocks from liars", h)
	}
	ln.nodes[2].syncer.serve.Store(nil)
	waitFor(t, ctx, "the observer catches up from the honest validator", func() bool {
		return o.ledger.Head().Height >= ln.nodes[2].ledger.Head().Height
	})
	for i := 1; i <= 4; i++ {
		ln.nodes[i].syncer.serve.Store(nil)
	}
	ln.waitCommitted(t, ctx, ids)
	ln.checkOneChain(t)
	t.Logf("refused %d lying replies, then synced %d blocks", o.bft.metrics.SyncRefused(), o.ledger.Head().Height)
}

// TestBFTSingleValidator: a one-node BFT chain (f = 0, quorum 1) commits.
func TestBFTSingleValidator(t *testing.T) {
	ln, k := startBFT(t, 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids := k.submitLoad(ctx, []int{1}, 5, "alone")
	ln.waitCommitted(t, ctx, ids)
	ln.checkOneChain(t)
	if st := ln.nodes[1].Status(); st.Leader != "node-1" || st.BFT == nil || st.BFT.Quorum != 1 || !st.BFT.Running {
		t.Fatalf("status: leader %q, bft %+v", st.Leader, st.BFT)
	}
}

// TestBFTHaltedChainNamesNoLeader: with more than f validators down the
// survivors name no leader (SmartBFT still holds the last view's), so
// `veil status` exits 1 and /readyz fails on a halted chain; once one
// returns, a quorum is back and a leader is named again.
func TestBFTHaltedChainNamesNoLeader(t *testing.T) {
	ln, _ := startBFT(t, 4, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	li := ln.bftLeader(ctx, t)
	others := slices.DeleteFunc([]int{1, 2, 3, 4}, func(i int) bool { return i == li })
	ln.stop(others[0])
	ln.stop(others[1])
	waitFor(t, ctx, "the survivors name no leader with 2 of 4 validators down", func() bool {
		for _, i := range ln.running() {
			if l := ln.nodes[i].Status().Leader; l != "" {
				return false
			}
			if ln.nodes[i].Ready() == nil {
				return false
			}
		}
		return true
	})
	ln.start(others[0])
	waitFor(t, ctx, "a leader named again with 3 of 4 validators up", func() bool {
		for _, i := range ln.running() {
			if ln.nodes[i].Status().Leader == "" {
				return false
			}
		}
		return true
	})
}
