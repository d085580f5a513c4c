package chain

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// forgeries returns n copies of tx under fresh nonces: their ids differ,
// so each costs a full verification (which fails), and no signing.
func forgeries(t testing.TB, tx *Tx, n int) []*Tx {
	t.Helper()
	out := make([]*Tx, n)
	for i := range out {
		c := *tx
		c.Nonce[0], c.Nonce[1] = byte(i), byte(i>>8)
		c.Nonce[2] ^= 0xa5
		d, err := DecodeTx(c.Encode())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = d
	}
	return out
}

// held makes v's workers wait at a gate before each verification and
// report which transaction they took.
type held struct {
	gate  chan struct{}
	taken chan *Tx
}

func hold(v *Verifier) *held {
	h := &held{gate: make(chan struct{}), taken: make(chan *Tx, 64)}
	v.verify = func(key *groupsig.GroupKey, tx *Tx) bool {
		h.taken <- tx
		<-h.gate
		return verifyGroupSig(key, tx)
	}
	return h
}

// waitFor polls cond: the test waits on the pool's state, it asserts no
// timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 20_000 {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestVerifierPriorityOrderAndShedding(t *testing.T) {
	f := newFixture(t, "alice")
	key, err := f.ledger.GroupKey("acme", 0)
	if err != nil {
		t.Fatal(err)
	}
	good := f.anonTx("alice", "t", "genuine")
	txs := append([]*Tx{good}, forgeries(t, good, 6)...)
	v := NewVerifier(VerifierConfig{Workers: 1, APIQueue: 2}, NewVerdictCache(100))
	h := hold(v)
	ctx := context.Background()

	results := make([]bool, len(txs)+1) // the last: tx 1 asked again
	var wg sync.WaitGroup
	ask := func(i int, p Priority) {
		slot := i
		if i == 1 && p == PriorityApply {
			slot = len(txs)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if results[slot], err = v.Verify(ctx, p, txs[i], key); err != nil {
				t.Errorf("tx %d: %v", i, err)
			}
		}()
	}
	depth := func() (n int) {
		for _, p := range Priorities {
			n += v.QueueDepth(p)
		}
		return n
	}
	// The one worker takes tx 0 and holds it; the rest queue behind it in
	// a known order.
	ask(0, PriorityAPI)
	if got := <-h.taken; got != txs[0] {
		t.Fatal("the worker took another transaction first")
	}
	for i, p := range []Priority{PriorityAPI, PriorityAPI, PriorityGossip, PriorityApply, PriorityGossip} {
		ask(i+1, p)
		waitFor(t, "queued", func() bool { return depth() == i+1 })
	}
	// The API share (2) is full: a third submission is shed at once.
	extra := forgeries(t, txs[6], 1)[0]
	if _, err := v.Verify(ctx, PriorityAPI, extra, key); !errors.Is(err, ErrBusy) {
		t.Fatalf("API submission over the queue bound: %v, want ErrBusy", err)
	}
	// Gossip and apply are never shed.
	ask(6, PriorityGossip)
	waitFor(t, "queued", func() bool { return depth() == 6 })
	// A block needing tx 1 (queued for the API) promotes it behind tx 4.
	ask(1, PriorityApply)
	waitFor(t, "promoted", func() bool { return v.QueueDepth(PriorityApply) == 2 })
	if v.QueueDepth(PriorityAPI) != 1 {
		t.Fatalf("API queue depth %d after the promotion, want 1", v.QueueDepth(PriorityAPI))
	}

	want := []int{0, 4, 1, 3, 5, 6, 2}
	for k := range want {
		h.gate <- struct{}{}
		if k+1 < len(want) {
			if got := <-h.taken; got != txs[want[k+1]] {
				t.Fatalf("verification %d was of another transaction than tx %d", k+1, want[k+1])
			}
		}
	}
	wg.Wait()
	if !results[0] {
		t.Error("the genuine signature did not verify")
	}
	for i := 1; i < len(results); i++ {
		if results[i] {
			t.Errorf("forgery %d verified", i)
		}
	}
	for p, n := range map[Priority]int64{PriorityApply: 2, PriorityGossip: 3, PriorityAPI: 2} {
		if got := v.Verified(p); got != n {
			t.Errorf("%s verifications: %d, want %d", p, got, n)
		}
	}
	// Every verdict is cached: asking again verifies nothing.
	for _, tx := range txs {
		if _, err := v.Verify(ctx, PriorityAPI, tx, key); err != nil {
			t.Fatal(err)
		}
	}
	if got := v.Verified(PriorityAPI); got != 2 {
		t.Errorf("cached verdicts were verified again: %d API verifications", got)
	}
}

// TestTxByAPIAndGossipVerifiedOnce: the same transaction submitted by a
// client and arriving by gossip while its signature is being verified is
// verified once, and not again when its block is applied.
func TestTxByAPIAndGossipVerifiedOnce(t *testing.T) {
	f := newFixture(t, "alice")
	tx := f.anonTx("alice", "t", "twice")
	v := f.ledger.Verifier()
	h := hold(v)
	before := f.ledger.Verifications()

	var apiErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); apiErr = f.pool.Add(tx) }()
	<-h.taken // the API's verification is under way, held
	var gossipErrs []error
	go func() { defer wg.Done(); gossipErrs = f.pool.AddBatch(context.Background(), []*Tx{tx}) }()
	k := verdictKey(tx)
	waitFor(t, "gossip joins the API's verification", func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		j, ok := v.flights[k]
		return ok && j.waiters >= 2
	})
	close(h.gate)
	wg.Wait()
	switch {
	case apiErr == nil && errors.Is(gossipErrs[0], ErrDuplicate), gossipErrs[0] == nil && errors.Is(apiErr, ErrDuplicate):
	default:
		t.Fatalf("API: %v, gossip: %v; want one admitted, one duplicate", apiErr, gossipErrs[0])
	}
	if got := f.ledger.Verifications() - before; got != 1 {
		t.Fatalf("%d verifications, want 1", got)
	}
	if codes := f.commit(tx); codes[0] != CodeOK {
		t.Fatalf("block: %s", codes[0])
	}
	if got := f.ledger.Verifications() - before; got != 1 {
		t.Fatalf("%d verifications after the block, want 1", got)
	}
}

// TestMempoolFullCostsNoVerification: capacity is checked before the
// signature, on both admission paths.
func TestMempoolFullCostsNoVerification(t *testing.T) {
	f := newFixture(t, "alice")
	pool := NewMempool(f.ledger, MempoolConfig{MaxTxs: 1})
	if err := pool.Add(f.anonTx("alice", "t", "first")); err != nil {
		t.Fatal(err)
	}
	before := f.ledger.Verifications()
	if err := pool.Add(f.anonTx("alice", "t", "second")); !errors.Is(err, ErrMempoolFull) {
		t.Fatalf("API: %v, want ErrMempoolFull", err)
	}
	for _, err := range pool.AddBatch(context.Background(), []*Tx{f.anonTx("alice", "t", "third"), f.anonTx("alice", "t", "fourth")}) {
		if !errors.Is(err, ErrMempoolFull) {
			t.Fatalf("gossip: %v, want ErrMempoolFull", err)
		}
	}
	if got := f.ledger.Verifications() - before; got != 0 {
		t.Fatalf("a full mempool cost %d verifications", got)
	}
}

// TestVerifyAheadSkipsAppliedBlocks: raft replays entries already applied
// on every restart; their signatures (whose verdicts a restarted node no
// longer remembers) are not verified again.
func TestVerifyAheadSkipsAppliedBlocks(t *testing.T) {
	f := newFixture(t, "alice")
	raw := f.block(f.anonTx("alice", "t", "replayed"))
	dir := t.TempDir()
	open := func() (*storage.DB, *Ledger) {
		db, err := storage.Open(dir, storage.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		l, err := Open(db, f.gen, Config{})
		if err != nil {
			t.Fatal(err)
		}
		return db, l
	}
	db, l := open()
	if _, err := l.Apply(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	if l.Verifications() != 1 {
		t.Fatalf("%d verifications applying the block, want 1", l.Verifications())
	}
	db.Close()
	db, l = open() // a restart: an empty verdict cache
	defer db.Close()
	l.VerifyAhead([][]byte{raw})
	l.verifier.mu.Lock()
	queued := len(l.verifier.flights)
	l.verifier.mu.Unlock()
	if queued != 0 || l.Verifications() != 0 {
		t.Fatalf("verify-ahead of an applied block: %d queued, %d verified; want none", queued, l.Verifications())
	}
	if _, err := l.Apply(context.Background(), raw); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("replayed block: %v, want ErrAlreadyApplied", err)
	}
}
