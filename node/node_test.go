package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig/bbs04"
)

// localNet runs a local network's nodes in this process.
type localNet struct {
	t      *testing.T
	layout *genesis.Layout
	nodes  map[int]*Node
	stops  map[int]context.CancelFunc
	done   map[int]chan error
	mu     sync.Mutex
}

func startLocal(t *testing.T, n int) *localNet {
	dir := t.TempDir()
	l, err := InitLocal(dir, LocalOptions{Nodes: n, Groups: []string{"acme"}, Tweak: func(c *Config) {
		c.BlockInterval = Duration{50 * time.Millisecond}
		c.LogLevel = "error"
	}})
	if err != nil {
		t.Fatal(err)
	}
	ln := &localNet{t: t, layout: l, nodes: map[int]*Node{}, stops: map[int]context.CancelFunc{}, done: map[int]chan error{}}
	for i := 1; i <= n; i++ {
		ln.start(i)
	}
	t.Cleanup(func() {
		for i := range ln.nodes {
			ln.stop(i)
		}
	})
	return ln
}

func (ln *localNet) start(i int) {
	cfg, err := ReadConfig(ConfigPath(ln.layout, i))
	if err != nil {
		ln.t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	n, err := New(cfg, log)
	if err != nil {
		ln.t.Fatalf("node %d: %v", i, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	ln.mu.Lock()
	ln.nodes[i], ln.stops[i], ln.done[i] = n, cancel, done
	ln.mu.Unlock()
}

func (ln *localNet) stop(i int) {
	ln.mu.Lock()
	cancel, done := ln.stops[i], ln.done[i]
	delete(ln.stops, i)
	ln.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	if err := <-done; err != nil {
		ln.t.Logf("node %d stopped: %v", i, err)
	}
}

func (ln *localNet) client(i int) *client.Client {
	return client.New("http://" + ln.nodes[i].APIAddr())
}

func TestLocalNetworkCommitsEverywhere(t *testing.T) {
	started := time.Now()
	ln := startLocal(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Wait for the cluster to form: a leader and 3 peers everywhere.
	for i := 1; i <= 4; i++ {
		for {
			st, err := ln.client(i).Status(ctx)
			if err == nil && st.Leader != "" && st.Peers == 3 {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("node %d never saw the network: %+v %v", i, st, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("4-node network formed in %v", time.Since(started).Round(time.Millisecond))

	// The issuer registers three members on chain, then each sends
	// anonymous transactions to a different node.
	gd := ln.layout.GroupDir("acme")
	issuerAdmin, err := genesis.ReadPrivateKey(ln.layout.GroupAdminKey("acme"))
	if err != nil {
		t.Fatal(err)
	}
	var members []*bbs04.MemberKey
	for m := range 3 {
		mk, err := gd.AddMember(fmt.Sprintf("member-%d", m), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, mk)
		tx := &chain.Tx{Kind: chain.KindRegisterMember, ChainID: "veil-local", Expiry: 500, Group: "acme", Label: fmt.Sprintf("member-%d", m), Identity: mk.Identity()}
		tx.Nonce, _ = chain.NewNonce(rand.Reader)
		_ = tx.SignAdmin(issuerAdmin)
		if _, err := ln.client(1+m%4).Submit(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	var latencies []time.Duration
	for k := range 12 {
		mk := members[k%3]
		st, _ := ln.client(1).Status(ctx)
		tx := &chain.Tx{ChainID: "veil-local", Expiry: st.Height + 100, Group: "acme", Epoch: 0, Topic: "demo", Payload: []byte(fmt.Sprintf("tx %d", k))}
		tx.Nonce, _ = chain.NewNonce(rand.Reader)
		if err := tx.SignAnonymous(mk, rand.Reader); err != nil {
			t.Fatal(err)
		}
		c := ln.client(1 + k%4)
		sent := time.Now()
		id, err := c.Submit(ctx, tx)
		if err != nil {
			t.Fatalf("submit to node %d: %v", 1+k%4, err)
		}
		if _, err := c.WaitCommitted(ctx, id, st.Height+1); err != nil {
			t.Fatal(err)
		}
		latencies = append(latencies, time.Since(sent))
		ids = append(ids, id)
	}
	t.Logf("submit→commit latencies: %v", latencies)
	// Every node has every transaction at the same place, and the same
	// hash at every height.
	for _, id := range ids {
		var where *uint64
		for i := 1; i <= 4; i++ {
			for {
				r, err := ln.client(i).Tx(ctx, id)
				if err == nil && r.Status == "committed" {
					if where == nil {
						where = r.Height
					} else if *where != *r.Height {
						t.Fatalf("tx %s at height %d on node %d, %d elsewhere", id[:8], *r.Height, i, *where)
					}
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("node %d lacks tx %s", i, id[:8])
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	head, _ := ln.client(1).Status(ctx)
	for h := uint64(1); h <= head.Height; h++ {
		var hash string
		for i := 1; i <= 4; i++ {
			b, err := ln.client(i).Block(ctx, h)
			if err != nil {
				t.Fatalf("node %d block %d: %v", i, h, err)
			}
			if hash == "" {
				hash = b.Hash
			} else if b.Hash != hash {
				t.Fatalf("fork at height %d", h)
			}
		}
	}
}

func TestRevokedNodeIsDroppedAndRefused(t *testing.T) {
	ln := startLocal(t, 4) // node-4 is an observer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitFor(t, ctx, "node-4 in raft", func() bool {
		servers, err := ln.leader().orderer.Servers()
		if err != nil {
			return false
		}
		for _, s := range servers {
			if s.ID == "node-4" {
				return true
			}
		}
		return false
	})
	admin, err := genesis.ReadPrivateKey(ln.layout.AdminKey())
	if err != nil {
		t.Fatal(err)
	}
	st, _ := ln.client(1).Status(ctx)
	tx := &chain.Tx{Kind: chain.KindRevokeNode, ChainID: "veil-local", Expiry: st.Height + 100, Node: "node-4"}
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	_ = tx.SignAdmin(admin)
	id, err := ln.client(1).Submit(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ln.client(1).WaitCommitted(ctx, id, st.Height+1); err != nil {
		t.Fatal(err)
	}
	// node-4 stops itself, the others drop it from gossip and raft.
	select {
	case err := <-ln.done[4]:
		t.Logf("node-4 stopped: %v", err)
		ln.mu.Lock()
		delete(ln.stops, 4)
		ln.mu.Unlock()
	case <-ctx.Done():
		t.Fatal("the revoked node kept running")
	}
	for i := 1; i <= 3; i++ {
		waitFor(t, ctx, fmt.Sprintf("node-%d drops node-4", i), func() bool {
			for _, p := range ln.nodes[i].Peers() {
				if p.ID == "node-4" && p.Alive {
					return false
				}
			}
			return true
		})
	}
	waitFor(t, ctx, "node-4 out of raft", func() bool {
		servers, err := ln.leader().orderer.Servers()
		if err != nil {
			return false
		}
		for _, s := range servers {
			if s.ID == "node-4" {
				return false
			}
		}
		return true
	})
	// With a fresh data directory (no knowledge of its revocation) the
	// revoked node's certificate is refused by every node: it never joins.
	cfg, _ := ReadConfig(ConfigPath(ln.layout, 4))
	cfg.DataDir = t.TempDir()
	n4, err := New(cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n4.Run(rctx) }()
	refusedBefore := ln.nodes[1].cluster.Stats().RefusedConns
	time.Sleep(3 * time.Second)
	for i := 1; i <= 3; i++ {
		for _, p := range ln.nodes[i].Peers() {
			if p.ID == "node-4" && p.Alive {
				t.Fatalf("node-%d let the revoked node back in", i)
			}
		}
	}
	if n4.ledger.Head().Height != 0 {
		t.Fatalf("the revoked node synced %d blocks", n4.ledger.Head().Height)
	}
	t.Logf("refused connections on node-1: %d more", ln.nodes[1].cluster.Stats().RefusedConns-refusedBefore)
	rcancel()
	<-done
}

func (ln *localNet) leader() *Node {
	for {
		for i, n := range ln.nodes {
			ln.mu.Lock()
			_, running := ln.stops[i]
			ln.mu.Unlock()
			if running && n.orderer != nil && n.orderer.IsLeader() {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGroupsOfBothSuites adds a BN254 group on chain next to the genesis
// BLS12-381 group, and commits anonymous transactions of both.
func TestGroupsOfBothSuites(t *testing.T) {
	ln := startLocal(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := ln.client(2)
	waitFor(t, ctx, "a leader", func() bool { st, err := c.Status(ctx); return err == nil && st.Leader != "" })
	admin, _ := genesis.ReadPrivateKey(ln.layout.AdminKey())
	send := func(tx *chain.Tx, sign func(*chain.Tx) error) {
		t.Helper()
		st, _ := c.Status(ctx)
		tx.ChainID, tx.Expiry = "veil-local", st.Height+100
		tx.Nonce, _ = chain.NewNonce(rand.Reader)
		if err := sign(tx); err != nil {
			t.Fatal(err)
		}
		id, err := c.Submit(ctx, tx)
		if err != nil {
			t.Fatalf("%s: %v", tx.Kind, err)
		}
		if _, err := c.WaitCommitted(ctx, id, st.Height+1); err != nil {
			t.Fatal(err)
		}
	}
	bnDir := bbs04.GroupDir{Dir: t.TempDir(), Name: "globex"}
	pk, err := bnDir.CreateSuite(bbs04.SuiteBN254, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkb, _ := pk.MarshalBinary()
	issuerPub, issuer, _ := ed25519.GenerateKey(rand.Reader)
	send(&chain.Tx{Kind: chain.KindAddGroup, Group: "globex", GroupKey: pkb, AdminKey: issuerPub}, func(tx *chain.Tx) error { return tx.SignAdmin(admin) })
	blsIssuer, _ := genesis.ReadPrivateKey(ln.layout.GroupAdminKey("acme"))
	for _, g := range []struct {
		dir    bbs04.GroupDir
		issuer ed25519.PrivateKey
	}{{bnDir, issuer}, {ln.layout.GroupDir("acme"), blsIssuer}} {
		mk, err := g.dir.AddMember("m1", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		send(&chain.Tx{Kind: chain.KindRegisterMember, Group: g.dir.Name, Label: "m1", Identity: mk.Identity()}, func(tx *chain.Tx) error { return tx.SignAdmin(g.issuer) })
		send(&chain.Tx{Group: g.dir.Name, Topic: "mixed", Payload: []byte(mk.PublicKey().Suite().String())}, func(tx *chain.Tx) error { return tx.SignAnonymous(mk, rand.Reader) })
	}
	page, err := c.TopicTxs(ctx, "mixed", "", 10)
	if err != nil || len(page.IDs) != 2 {
		t.Fatalf("topic: %+v %v", page, err)
	}
	gr, err := c.Group(ctx, "globex")
	if err != nil || len(gr.PublicKey) != 2*bbs04.PublicKeySizeOf(bbs04.SuiteBN254) {
		t.Fatalf("bn254 group on chain: %+v %v", gr, err)
	}
}
