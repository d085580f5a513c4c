package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
)

// raftVoters is node i's own view of raft's configuration: its voters and
// non-voters, sorted.
func (ln *localNet) raftVoters(i int) (voters, nonvoters []string) {
	servers, err := ln.nodes[i].orderer.Servers()
	if err != nil {
		return nil, nil
	}
	for _, s := range servers {
		if s.Suffrage == raft.Voter {
			voters = append(voters, string(s.ID))
		} else {
			nonvoters = append(nonvoters, string(s.ID))
		}
	}
	slices.Sort(voters)
	slices.Sort(nonvoters)
	return voters, nonvoters
}

// leaderIndex is the index of the running node that leads raft.
func (ln *localNet) leaderIndex() int {
	id := ln.leader().cfg.NodeID
	for i, n := range ln.nodes {
		if n.cfg.NodeID == id {
			return i
		}
	}
	return 0
}

// nodeCertDER is node i's certificate from the layout, DER.
func (k *kit) nodeCertDER(i int) []byte {
	k.t.Helper()
	pemCert, err := os.ReadFile(k.ln.layout.NodeCert(i))
	if err != nil {
		k.t.Fatal(err)
	}
	c, err := genesis.ParseCertificatePEM(pemCert)
	if err != nil {
		k.t.Fatal(err)
	}
	return c.Raw
}

func (k *kit) addValidatorTx(ctx context.Context, at, i int) *chain.Tx {
	cfg, err := ReadConfig(ConfigPath(k.ln.layout, i))
	if err != nil {
		k.t.Fatal(err)
	}
	return k.signed(ctx, at, &chain.Tx{Kind: chain.KindAddValidator, Node: cfg.NodeID, RaftAddr: cfg.RaftAddr, NodeCert: k.nodeCertDER(i)}, k.admin)
}

func (k *kit) removeValidatorTx(ctx context.Context, at int, id string) *chain.Tx {
	return k.signed(ctx, at, &chain.Tx{Kind: chain.KindRemoveValidator, Node: id}, k.admin)
}

// load submits an anonymous transaction every 50 ms to nodes 1 and 2 in
// turn until stop, and returns the ids admitted.
type load struct {
	mu   sync.Mutex
	ids  []string
	errs int
	stop chan struct{}
	done chan struct{}
}

func startLoad(ctx context.Context, k *kit) *load {
	ld := &load{stop: make(chan struct{}), done: make(chan struct{})}
	mf := k.members[memberKey("acme", "alice")]
	// The clients are made here: the test restarts other nodes meanwhile,
	// which writes ln.nodes.
	clients := []*client.Client{k.c(1), k.c(2)}
	go func() {
		defer close(ld.done)
		for seq := 0; ; seq++ {
			select {
			case <-ld.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			c := clients[seq%2]
			st, err := c.Status(ctx)
			if err != nil {
				continue
			}
			tx := &chain.Tx{ChainID: "veil-local", Expiry: st.Height + 100, Group: "acme", Epoch: mf.Key.Epoch(), Topic: "load", Payload: fmt.Appendf(nil, "%d", seq)}
			tx.Nonce, _ = chain.NewNonce(rand.Reader)
			if err := tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader); err != nil {
				continue
			}
			id, err := c.Submit(ctx, tx)
			ld.mu.Lock()
			if err != nil {
				ld.errs++
			} else {
				ld.ids = append(ld.ids, id)
			}
			ld.mu.Unlock()
		}
	}()
	return ld
}

func (ld *load) end() []string {
	close(ld.stop)
	<-ld.done
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return slices.Clone(ld.ids)
}

// TestValidatorChangesAtRuntime grows 3 validators to 5 under steady load
// (two observers added one at a time; raft's configuration then holds 5
// voters on every node), refuses the changes it must with their reasons,
// removes a follower validator (it becomes an observer and keeps
// following) and then the leader (another is elected, the chain goes
// on, the old leader follows as an observer), then the other genesis
// validators, so that a promoted observer leads and its blocks commit.
// Every admitted transaction commits on every node, once, and no fork is
// found; a restarted node takes its validator set from chain state, in
// agreement with raft.
func TestValidatorChangesAtRuntime(t *testing.T) {
	ln := startLocalWith(t, 5, netOptions{members: []string{"alice"}, validators: 3})
	k := newKit(t, ln, "alice")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	all := []int{1, 2, 3, 4, 5}
	ids := func(ns ...int) []string {
		var out []string
		for _, i := range ns {
			out = append(out, ln.layout.NodeID(i))
		}
		slices.Sort(out)
		return out
	}
	waitConfig := func(voters, nonvoters []string, nodes ...int) {
		t.Helper()
		for _, i := range nodes {
			waitFor(t, ctx, fmt.Sprintf("node-%d's raft configuration: voters %v, non-voters %v", i, voters, nonvoters), func() bool {
				v, nv := ln.raftVoters(i)
				return slices.Equal(v, voters) && slices.Equal(nv, nonvoters)
			})
		}
	}
	waitRole := func(i int, role string) {
		t.Helper()
		waitFor(t, ctx, fmt.Sprintf("node-%d reports role %s", i, role), func() bool {
			st, err := k.c(i).Status(ctx)
			return err == nil && st.Role == role
		})
	}
	waitConfig(ids(1, 2, 3), ids(4, 5), all...)
	ld := startLoad(ctx, k)

	// Refused: not admin-signed, unknown node, a removal that would leave
	// no quorum (node-3 down: after removing node-2, 1 of 2 reachable).
	notAdmin := k.signed(ctx, 1, &chain.Tx{Kind: chain.KindRemoveValidator, Node: "node-2"}, k.issuers["acme"].admin)
	k.refused(ctx, 1, notAdmin, "bad_admin_signature", "a removal not signed by the consortium admin")
	k.refused(ctx, 1, k.removeValidatorTx(ctx, 1, "node-9"), "unknown_node", "removing a node that is no validator")
	ln.stop(3)
	waitFor(t, ctx, "node-1 sees node-3 gone", func() bool {
		for _, p := range ln.nodes[1].Peers() {
			if p.ID == "node-3" && p.Alive {
				return false
			}
		}
		return true
	})
	k.refused(ctx, 1, k.removeValidatorTx(ctx, 1, "node-2"), "no_quorum", "a removal that leaves 1 of 2 validators reachable")
	ln.start(3)

	// Grow: node-4, then node-5.
	k.commit(ctx, 1, k.addValidatorTx(ctx, 1, 4))
	waitConfig(ids(1, 2, 3, 4), ids(5), all...)
	waitRole(4, RoleValidator)
	k.commit(ctx, 2, k.addValidatorTx(ctx, 2, 5))
	waitConfig(ids(1, 2, 3, 4, 5), nil, all...)
	waitRole(5, RoleValidator)
	k.refused(ctx, 1, k.addValidatorTx(ctx, 1, 5), "conflict", "adding a validator twice")

	// Remove a follower validator: it goes on as an observer.
	follower := 0
	for _, i := range []int{2, 3, 4, 5} {
		if i != ln.leaderIndex() {
			follower = i
			break
		}
	}
	k.commit(ctx, 1, k.removeValidatorTx(ctx, 1, ln.layout.NodeID(follower)))
	rest := slices.DeleteFunc(slices.Clone(all), func(i int) bool { return i == follower })
	waitConfig(ids(rest...), ids(follower), all...)
	waitRole(follower, RoleObserver)

	// Remove the leader: another takes over, the old one follows.
	old := ln.leaderIndex()
	k.commit(ctx, follower, k.removeValidatorTx(ctx, follower, ln.layout.NodeID(old)))
	voters := slices.DeleteFunc(slices.Clone(rest), func(i int) bool { return i == old })
	waitConfig(ids(voters...), ids(follower, old), all...)
	waitRole(old, RoleObserver)
	if now := ln.leaderIndex(); now == old || !slices.Contains(voters, now) {
		t.Fatalf("leader after removing node-%d's leadership: node-%d", old, now)
	}
	k.commit(ctx, old, k.anon(ctx, old, "acme", "alice", "after", "x", false)) // the chain goes on

	// Remove the genesis validators left, leader or not, so that an
	// observer made a validator must lead: its blocks commit.
	removed := []int{follower, old}
	for _, i := range []int{1, 2, 3} {
		if slices.Contains(removed, i) {
			continue
		}
		k.commit(ctx, old, k.removeValidatorTx(ctx, old, ln.layout.NodeID(i)))
		removed = append(removed, i)
		voters = slices.DeleteFunc(voters, func(j int) bool { return j == i })
		waitConfig(ids(voters...), ids(removed...), all...)
	}
	last := k.anon(ctx, 1, "acme", "alice", "promoted", "x", false)
	k.commit(ctx, 1, last)
	lastID := last.ID()
	r, err := k.c(1).Tx(ctx, hex.EncodeToString(lastID[:]))
	if err != nil || r.Height == nil {
		t.Fatalf("the last transaction: %+v %v", r, err)
	}
	if b, err := k.c(1).Block(ctx, *r.Height); err != nil || !slices.Contains(ids(voters...), b.Proposer) {
		t.Fatalf("block %d after the genesis validators left: %+v (%v), validators %v", *r.Height, b, err, ids(voters...))
	}

	admitted := ld.end()
	if len(admitted) < 20 {
		t.Fatalf("only %d load transactions admitted", len(admitted))
	}
	k.waitEverywhere(ctx, admitted...)
	k.waitSameHead(ctx, all...)

	// lost/forks/duplicates: every admitted id in exactly one block.
	seen := map[string]int{}
	head, _ := k.c(1).Status(ctx)
	for h := uint64(1); h <= head.Height; h++ {
		b, err := k.c(1).Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range b.TxIDs {
			seen[id]++
		}
	}
	lost, dups := 0, 0
	for _, id := range admitted {
		switch seen[id] {
		case 0:
			lost++
		case 1:
		default:
			dups++
		}
	}
	forks := 0
	for _, i := range all {
		if st, err := k.c(i).Status(ctx); err != nil || st.Forked {
			forks++
		}
	}
	t.Logf("%d load transactions (%d refused by load): lost/forks/duplicates %d/%d/%d", len(admitted), ld.errs, lost, forks, dups)
	if lost+forks+dups != 0 {
		t.Fatalf("lost/forks/duplicates %d/%d/%d", lost, forks, dups)
	}

	// After a restart the old leader's validator set comes from chain
	// state, and raft's configuration agrees with it.
	ln.stop(old)
	ln.start(old)
	waitConfig(ids(voters...), ids(removed...), old)
	var fromChain []string
	for _, v := range ln.nodes[old].ledger.Validators() {
		fromChain = append(fromChain, v.ID)
	}
	if !slices.Equal(fromChain, ids(voters...)) {
		t.Fatalf("node-%d's validator set after restart: %v, raft's voters %v", old, fromChain, ids(voters...))
	}
	waitRole(old, RoleObserver)
}
