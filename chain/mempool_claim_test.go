package chain

import (
	"errors"
	"testing"
)

// TestMempoolHoldsOneActionPerTag: a member's second tagged action on a
// topic is refused while the first is pending, not only once it commits;
// the claim is released when the first leaves the mempool uncommitted.
func TestMempoolHoldsOneActionPerTag(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	f.commit(f.topicTx("vote", TopicRule{Tagged: true}))
	first := f.voteTx("alice", "vote", "yes")
	first.Expiry = f.ledger.Head().Height + 1
	first.Nonce = f.nonce()
	mk := f.members["alice"]
	if err := first.SignAnonymous(f.key(mk), mk, true, f.rnd); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.Add(first); err != nil {
		t.Fatal(err)
	}
	second := f.voteTx("alice", "vote", "no")
	if err := f.pool.Add(second); !errors.Is(err, ErrAlreadyActed) {
		t.Fatalf("second pending vote: %v", err)
	}
	if err := f.pool.Add(f.voteTx("bob", "vote", "no")); err != nil {
		t.Fatalf("another member: %v", err)
	}
	// Two blocks without alice's first vote: it expires, and her claim
	// with it.
	f.commit()
	f.commit()
	if f.pool.Has(first.ID()) {
		t.Fatal("expired vote still pending")
	}
	if err := f.pool.Add(f.voteTx("alice", "vote", "later")); err != nil {
		t.Fatalf("vote after the first expired: %v", err)
	}
	// The same join request twice while pending is a duplicate.
	req, _, _ := f.joinTxs("carol")
	again := *req
	again.Nonce = f.nonce()
	_ = again.SignAdmin(f.ids["carol"])
	if err := f.pool.Add(req); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.Add(&again); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("repeated join request: %v", err)
	}
}
