package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// localNet runs a local network's nodes in this process.
type localNet struct {
	t        *testing.T
	layout   *genesis.Layout
	nodes    map[int]*Node
	stops    map[int]context.CancelFunc
	done     map[int]chan error
	restores map[int]*restoreLog      // what each node logged about raft snapshot restores
	errLogs  map[int]*errorLog        // each node's warning and error records (fork_test.go)
	logTo    func(i int) slog.Handler // when set, node i logs to this handler instead (observe_test.go)
	mu       sync.Mutex
}

// netOptions are the test's choices for a local network; every network
// has group acme.
type netOptions struct {
	groups  []string // default: acme
	members []string // founding members of every group (LocalOptions.Members)
	// validators is how many of the nodes vote (0: DefaultValidators).
	validators int
	// consensus is the genesis's engine ("": raft).
	consensus string
	tweak     func(*Config)
	log       func(i int) slog.Handler // node i's log handler (default: errors to stderr, captured)
}

func startLocal(t *testing.T, n int) *localNet { return startLocalWith(t, n, netOptions{}) }

func startLocalWith(t *testing.T, n int, opt netOptions) *localNet {
	dir := t.TempDir()
	if opt.groups == nil {
		opt.groups = []string{"acme"}
	}
	l, err := InitLocal(dir, LocalOptions{Nodes: n, Validators: opt.validators, Groups: opt.groups, Members: opt.members, Consensus: opt.consensus, Tweak: func(c *Config) {
		c.BlockInterval = Duration{50 * time.Millisecond}
		// log_level stays info: captureHandler reads info records
		// (restores, fork warnings) and writes only errors to stderr.
		if opt.tweak != nil {
			opt.tweak(c)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ln := &localNet{t: t, layout: l, nodes: map[int]*Node{}, stops: map[int]context.CancelFunc{}, done: map[int]chan error{}, restores: map[int]*restoreLog{}, errLogs: map[int]*errorLog{}, logTo: opt.log}
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
	ln.mu.Lock()
	rl := ln.restores[i]
	if rl == nil {
		rl = &restoreLog{}
		ln.restores[i] = rl
	}
	el := ln.errLogs[i]
	if el == nil {
		el = &errorLog{}
		ln.errLogs[i] = el
	}
	ln.mu.Unlock()
	log := slog.New(&captureHandler{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}), restores: rl, errs: el})
	if ln.logTo != nil {
		log = slog.New(ln.logTo(i))
	}
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

// running lists the nodes started and not stopped.
func (ln *localNet) running() []int {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	var out []int
	for i := range ln.stops {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

func (ln *localNet) client(i int) *client.Client {
	return client.New("http://" + ln.nodes[i].APIAddr())
}

// restoreLog records the raft snapshot restores a node logged: the
// snapshot's height and the node's own height when it began.
type restoreLog struct {
	mu  sync.Mutex
	got []struct{ height, local int64 }
}

// fromPeers counts the restores that brought the node forward (a snapshot
// installed by the leader), not the replay of its own snapshot at start.
func (r *restoreLog) fromPeers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := 0
	for _, g := range r.got {
		if g.height > g.local {
			c++
		}
	}
	return c
}

// errorLog keeps a node's warning and error records: level, message and
// attributes as text.
type errorLog struct {
	mu   sync.Mutex
	recs []loggedError
}

type loggedError struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (e *errorLog) add(r slog.Record, with []slog.Attr) {
	le := loggedError{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range with {
		le.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { le.attrs[a.Key] = a.Value.String(); return true })
	e.mu.Lock()
	e.recs = append(e.recs, le)
	e.mu.Unlock()
}

// find returns the first record at level whose message starts with
// prefix and whose attributes include want.
func (e *errorLog) find(level slog.Level, prefix string, want map[string]string) (loggedError, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
recs:
	for _, r := range e.recs {
		if r.level != level || !strings.HasPrefix(r.msg, prefix) {
			continue
		}
		for k, v := range want {
			if r.attrs[k] != v {
				continue recs
			}
		}
		return r, true
	}
	return loggedError{}, false
}

// count is how many records at level have the message msg and attributes
// including want.
func (e *errorLog) count(level slog.Level, msg string, want map[string]string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
recs:
	for _, r := range e.recs {
		if r.level != level || r.msg != msg {
			continue
		}
		for k, v := range want {
			if r.attrs[k] != v {
				continue recs
			}
		}
		n++
	}
	return n
}

// captureHandler passes records on to inner (errors only, on stderr) and
// notes the consensus package's "restoring snapshot" records.
type captureHandler struct {
	inner    slog.Handler
	restores *restoreLog
	errs     *errorLog
	attrs    []slog.Attr // from WithAttrs, for errs
}

func (h *captureHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *captureHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "restoring snapshot" {
		num := func(v slog.Value) int64 {
			switch v.Kind() {
			case slog.KindUint64:
				return int64(v.Uint64())
			case slog.KindInt64:
				return v.Int64()
			}
			return -1
		}
		var height, local int64
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "height":
				height = num(a.Value)
			case "local_height":
				local = num(a.Value)
			}
			return true
		})
		h.restores.mu.Lock()
		h.restores.got = append(h.restores.got, struct{ height, local int64 }{height, local})
		h.restores.mu.Unlock()
	}
	if r.Level >= slog.LevelWarn {
		h.errs.add(r, h.attrs)
	}
	if h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h *captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &captureHandler{inner: h.inner.WithAttrs(as), restores: h.restores, errs: h.errs, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h *captureHandler) WithGroup(name string) slog.Handler {
	return &captureHandler{inner: h.inner.WithGroup(name), restores: h.restores, errs: h.errs, attrs: h.attrs}
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

	// Three members join by transaction (each request to another node,
	// seen pending on a third, answered through a fourth), then each sends
	// anonymous transactions to a different node.
	k := newKit(t, ln)
	var members []*groupsig.MemberFile
	for m := range 3 {
		members = append(members, k.join(ctx, "acme", fmt.Sprintf("member-%d", m), 1+m%4, 1+(m+1)%4, 1+(m+2)%4))
	}
	var ids []string
	var latencies []time.Duration
	for j := range 12 {
		st, _ := ln.client(1).Status(ctx)
		tx := signWith(t, members[j%3], "acme", "demo", fmt.Sprintf("tx %d", j), false, st.Height+100)
		c := ln.client(1 + j%4)
		sent := time.Now()
		id, err := c.Submit(ctx, tx)
		if err != nil {
			t.Fatalf("submit to node %d: %v", 1+j%4, err)
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
	// And every node serves the same register and join records.
	k.waitSameHead(ctx, 1, 2, 3, 4)
	want := k.read(ctx, 1, "acme", "demo")
	if len(want.Group.Members) != 3 || len(want.Records) != 3 {
		t.Fatalf("register %+v", want.Group)
	}
	for i := 2; i <= 4; i++ {
		k.sameState(ctx, i, "acme", "demo", want, "after the joins")
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
// BLS12-381 group; a member joins each by transaction, and anonymous
// transactions of both commit.
func TestGroupsOfBothSuites(t *testing.T) {
	ln := startLocal(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := ln.client(2)
	waitFor(t, ctx, "a leader", func() bool { st, err := c.Status(ctx); return err == nil && st.Leader != "" })
	k := newKit(t, ln)
	bnDir := groupsig.IssuerDir{Dir: t.TempDir(), Name: "globex"}
	gk, ip, op, err := bnDir.Create(groupsig.SuiteBN254, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{}
	if is.ik, is.reg, err = bnDir.Load(); err != nil {
		t.Fatal(err)
	}
	issuerPub, issuerKey, _ := ed25519.GenerateKey(rand.Reader)
	is.admin = issuerKey
	k.issuers["globex"] = is
	gkb, _ := gk.MarshalBinary()
	ipb, _ := ip.MarshalBinary()
	opb, _ := op.MarshalBinary()
	k.commit(ctx, 2, k.signed(ctx, 2, &chain.Tx{Kind: chain.KindAddGroup, Group: "globex", GroupKey: gkb, IssuerProof: ipb, OpenerProof: opb, AdminKey: issuerPub}, k.admin))
	for _, g := range []string{"globex", "acme"} {
		mf := k.join(ctx, g, "m1", 2, 2, 2)
		k.commit(ctx, 2, k.anon(ctx, 2, g, "m1", "mixed", mf.Group.Suite().String(), false))
	}
	page, err := c.TopicTxs(ctx, "mixed", "", 10)
	if err != nil || len(page.IDs) != 2 {
		t.Fatalf("topic: %+v %v", page, err)
	}
	gr, err := c.Group(ctx, "globex")
	if err != nil || gr.GroupKey != hex.EncodeToString(gkb) || len(gr.Members) != 1 {
		t.Fatalf("bn254 group on chain: %+v %v", gr, err)
	}
	if got, err := c.GroupKey(ctx, "globex", 0); err != nil || got.Suite() != groupsig.SuiteBN254 {
		t.Fatalf("bn254 group key: %v %v", got, err)
	}
}
