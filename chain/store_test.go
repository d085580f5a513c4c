package chain

import (
	"bytes"
	"context"
	"testing"
)

// TestStoredBlocksAreByteIdentical: the ledger stores a block as its header
// and one part per transaction; RawBlock must still return exactly the
// bytes that were applied (block sync and hashes depend on it), and Tx must
// return each committed transaction from its own part, at its position,
// also from a ledger opened anew on the database.
func TestStoredBlocksAreByteIdentical(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	reqTx, respTx, _ := f.joinTxs("carol")
	blocks := [][]*Tx{
		{f.anonTx("alice", "orders", "1")},
		{f.topicTx("votes", TopicRule{Tagged: true}), f.anonTx("bob", "orders", ""), reqTx},
		{respTx, f.anonTx("alice", "orders", string(bytes.Repeat([]byte{0xfe}, 3000)))},
	}
	var raws [][]byte
	var heights []uint64
	for _, txs := range blocks {
		raw := f.block(txs...)
		a, err := f.ledger.Apply(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range a.Codes {
			if c != CodeOK {
				t.Fatalf("block %d tx %d: %v", a.Block.Height, i, c)
			}
		}
		raws, heights = append(raws, raw), append(heights, a.Block.Height)
	}
	check := func(l *Ledger) {
		t.Helper()
		for k, raw := range raws {
			got, err := l.RawBlock(heights[k])
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("RawBlock(%d): %d bytes, %v; applied %d bytes", heights[k], len(got), err, len(raw))
			}
			for i, want := range blocks[k] {
				tx, loc, err := l.Tx(want.ID())
				if err != nil || loc.Height != heights[k] || loc.Index != uint32(i) || !bytes.Equal(tx.Encode(), want.Encode()) {
					t.Fatalf("Tx of block %d position %d: at %v, %v", heights[k], i, loc, err)
				}
			}
		}
	}
	check(f.ledger)
	db := f.ledger.db
	l, err := Open(db, f.gen, Config{})
	if err != nil {
		t.Fatal(err)
	}
	check(l)
}
