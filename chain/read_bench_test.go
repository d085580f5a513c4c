package chain

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/veilchain/veil/storage"
)

// txLedger is a ledger of 10,000 committed transactions in blocks of per.
type txLedger struct {
	ledger *Ledger
	ids    [][32]byte
	next   int
}

func newTxLedger(b *testing.B, f *fixture, signed []*Tx, per int) *txLedger {
	db, err := storage.Open(filepath.Join(b.TempDir(), "chain"), storage.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ledger, err := Open(db, f.gen, Config{})
	if err != nil {
		b.Fatal(err)
	}
	tl := &txLedger{ledger: ledger}
	payload := func() []byte { return make([]byte, 128) }
	for n := 0; n < 10_000; n += per {
		txs := resigned(b, ledger, signed, per, n, payload)
		raw, _ := nextBlock(f, ledger, txs)
		if _, err := ledger.Apply(context.Background(), raw); err != nil {
			b.Fatal(err)
		}
		for _, tx := range txs {
			tl.ids = append(tl.ids, tx.ID())
		}
	}
	for range tl.ids { // warm the caches: both ledgers are timed warm
		tl.lookup(b)
	}
	return tl
}

// lookup reads the next id, round robin with a prime stride so that
// consecutive lookups land in different blocks.
func (tl *txLedger) lookup(b *testing.B) {
	id := tl.ids[tl.next%len(tl.ids)]
	tl.next += 7919
	tx, _, err := tl.ledger.Tx(id)
	if err != nil || tx.ID() != id {
		b.Fatalf("Tx(%x): %v", id[:4], err)
	}
}

// BenchmarkTxByID looks committed transactions up by id (Ledger.Tx, what
// GET /v1/txs/{id} serves) in a ledger of 10-transaction blocks and in one
// of 2,000-transaction blocks, each holding the same 10,000 transactions
// with warm caches. "interleaved" alternates the two in one loop, so that
// the machine's noise hits both alike, and reports their ratio
// (x2000/10: ~1 means a lookup does not grow with its block).
func BenchmarkTxByID(b *testing.B) {
	f, signed := benchTxs()
	f.t = b
	small, big := newTxLedger(b, f, signed, 10), newTxLedger(b, f, signed, 2000)
	b.Run("block=10", func(b *testing.B) {
		for b.Loop() {
			small.lookup(b)
		}
	})
	b.Run("block=2000", func(b *testing.B) {
		for b.Loop() {
			big.lookup(b)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		var ts, tb time.Duration
		timed := func(tl *txLedger) time.Duration {
			t0 := time.Now()
			tl.lookup(b)
			return time.Since(t0)
		}
		odd := false
		for b.Loop() {
			// Alternate which goes first, so that neither always pays for
			// what the other left (a GC cycle, a cold cache line).
			if odd = !odd; odd {
				ts += timed(small)
				tb += timed(big)
			} else {
				tb += timed(big)
				ts += timed(small)
			}
		}
		b.ReportMetric(float64(ts.Nanoseconds())/float64(b.N), "ns/lookup-block10")
		b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "ns/lookup-block2000")
		b.ReportMetric(float64(tb)/float64(ts), "x2000/10")
	})
}

// BenchmarkRawBlock2000 reads a stored 2,000-transaction block back as its
// raw bytes (block sync serves these); MB/s counts the block's size.
func BenchmarkRawBlock2000(b *testing.B) {
	f, signed := benchTxs()
	f.t = b
	db, err := storage.Open(filepath.Join(b.TempDir(), "chain"), storage.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ledger, err := Open(db, f.gen, Config{})
	if err != nil {
		b.Fatal(err)
	}
	txs := resigned(b, ledger, signed, 2000, 0, func() []byte { return make([]byte, 128) })
	raw, blk := nextBlock(f, ledger, txs)
	if _, err := ledger.Apply(context.Background(), raw); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		got, err := ledger.RawBlock(blk.Height)
		if err != nil || len(got) != len(raw) {
			b.Fatalf("RawBlock: %d bytes, %v", len(got), err)
		}
	}
}
