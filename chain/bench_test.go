package chain

import (
	"context"
	"sync"
	"testing"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// benchTxs signs n transactions once per process (signing dominates setup).
var benchTxs = sync.OnceValues(func() (*fixture, []*Tx) {
	f := newFixture(&testing.T{}, "alice")
	txs := make([]*Tx, 1000)
	for i := range txs {
		txs[i] = f.anonTx("alice", "bench", "a payload of moderate size, like an invoice reference or a hash")
	}
	return f, txs
})

// BenchmarkVerify is the baseline: one group signature verification of a
// transaction id, as admission does when no verdict is cached.
func BenchmarkVerify(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	key, _ := f.ledger.GroupKey("acme", 0)
	id := txs[0].ID()
	_, _ = groupsig.Verify(key, id[:], nil, txs[0].Auth) // build the key's tables outside the timing
	for b.Loop() {
		if _, err := groupsig.Verify(key, id[:], nil, txs[0].Auth); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMempoolAdmit admits transactions with no verdict cached: the
// cost is the signature check plus everything else admission does.
func BenchmarkMempoolAdmit(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	var pool *Mempool
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(txs) == 0 {
			b.StopTimer()
			ledger := f.open(b.TempDir()) // empty verdict cache
			warmKey(ledger, txs[0])
			pool = NewMempool(ledger, MempoolConfig{MaxTxs: len(txs)})
			b.StartTimer()
		}
		if err := pool.Add(txs[i%len(txs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// warmKey builds the group key's precomputed tables (once per key, ≈40
// ms), so that benchmarks time steady-state admission.
func warmKey(l *Ledger, tx *Tx) {
	key, _ := l.GroupKey(tx.Group, tx.Epoch)
	id := tx.ID()
	_, _ = groupsig.Verify(key, id[:], nil, tx.Auth)
}

// BenchmarkMempoolAdmitCached admits transactions whose verdicts are
// cached (gossip re-delivery, or a second submission of the same bytes).
func BenchmarkMempoolAdmitCached(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	ledger := f.open(b.TempDir())
	for _, tx := range txs {
		ledger.Verdicts().Put(tx, true)
	}
	var pool *Mempool
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(txs) == 0 {
			pool = NewMempool(ledger, MempoolConfig{MaxTxs: len(txs)})
		}
		if err := pool.Add(txs[i%len(txs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply1000Cached applies a block of 1,000 transactions whose
// verdicts are cached, as after mempool admission; ns/op is per block.
// Compare with 1,000 × BenchmarkVerify.
func BenchmarkApply1000Cached(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	base := f.ledger.Head()
	blk := &Block{Header: Header{ChainID: testChain, Height: base.Height + 1, PrevHash: base.Hash, Time: 1 << 40, TxRoot: TxRoot(txs)}, Txs: txs}
	blk.Sign("node-1", f.valKey)
	raw := blk.Encode()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		b.StopTimer()
		db, err := storage.Open(b.TempDir(), storage.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		ledger, err := Open(db, f.gen, Config{})
		if err != nil {
			b.Fatal(err)
		}
		// The fixture's chain has the registration block; copy it over.
		for h := uint64(1); h <= base.Height; h++ {
			r, _ := f.ledger.RawBlock(h)
			if _, err := ledger.Apply(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		for _, tx := range txs {
			ledger.Verdicts().Put(tx, true)
		}
		before := ledger.Verifications()
		b.StartTimer()
		a, err := ledger.Apply(context.Background(), raw)
		b.StopTimer()
		if err != nil || a.Codes[999] != CodeOK || ledger.Verifications() != before {
			b.Fatalf("apply: %v", err)
		}
		db.Close()
		b.StartTimer()
	}
}
