package chain

import (
	"errors"
	"testing"
)

// TestMempoolRefusesWhatCommittedDuringItsCheck: a transaction checked
// while the ledger was behind, then committed before its insertion, must
// not enter the mempool (it would stay there and be proposed again).
func TestMempoolRefusesWhatCommittedDuringItsCheck(t *testing.T) {
	f := newFixture(t, "alice")
	tx := f.anonTx("alice", "t", "x")
	if err := f.ledger.CheckTx(tx); err != nil { // admission's check, before the block
		t.Fatal(err)
	}
	f.commit(tx) // the block lands (and Update runs) before insertion
	if err := f.pool.insert(tx); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("insert after commit: %v", err)
	}
	if f.pool.Len() != 0 {
		t.Fatal("a committed transaction entered the mempool")
	}
}
