package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/veilchain/veil/storage"
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

// TestMempoolDropsWhatANewRuleRefuses: a node that had not yet applied a
// topic's new rule admitted an untagged vote (and one of a group the rule
// leaves out); the leader, ahead of it, refuses them, so once the rule's
// block lands here they must go, not stay pending until they expire (the
// demo's vote waited 60 s for a commit that could not come).
func TestMempoolDropsWhatANewRuleRefuses(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	untagged := f.anonTx("alice", "vote", "yes")
	other := f.anonTx("bob", "other", "kept")
	closing := f.anonTx("bob", "closing", "too late")
	for _, tx := range []*Tx{untagged, other, closing} {
		if err := f.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	closes := f.ledger.Head().Height + 1
	for i, c := range f.commit(f.topicTx("vote", TopicRule{Tagged: true}), f.topicTx("closing", TopicRule{Closes: closes})) {
		if c != CodeOK {
			t.Fatalf("rule %d: %v", i, c)
		}
	}
	if f.pool.Has(untagged.ID()) {
		t.Error("an untagged vote stays pending after its topic became tagged")
	}
	if f.pool.Has(closing.ID()) {
		t.Error("a transaction stays pending on a topic that has closed")
	}
	if !f.pool.Has(other.ID()) {
		t.Error("a transaction on a topic without a rule was dropped")
	}
	if err := f.pool.Add(untagged); !errors.Is(err, ErrTagRequired) {
		t.Errorf("the untagged vote again: %v, want %v", err, ErrTagRequired)
	}
}

// TestForgedAdminTxIsRefusedBeforeItsChecks: an admin transaction signed
// by the wrong key is refused for its signature, whatever its body: a
// garbage revocation record or join response costs its sender nothing but
// must not cost the nodes a pairing check either.
func TestForgedAdminTxIsRefusedBeforeItsChecks(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	_, stranger, _ := ed25519.GenerateKey(f.rnd)
	garbage := bytes.Repeat([]byte{0x11}, 4096)
	for name, tx := range map[string]*Tx{
		"revocation": f.admin1(&Tx{Kind: KindRevokeMember, Group: "acme", Revocation: garbage}, stranger),
		"response":   f.admin1(&Tx{Kind: KindJoinResponse, Group: "acme", JoinResponse: garbage}, stranger),
		"add group":  f.admin1(&Tx{Kind: KindAddGroup, Group: "beta", GroupKey: garbage, IssuerProof: garbage, OpenerProof: garbage, AdminKey: stranger.Public().(ed25519.PublicKey)}, stranger),
		"topic rule": f.admin1(&Tx{Kind: KindTopicRule, Topic: "x", Rule: TopicRule{Tagged: true}}, stranger),
	} {
		if err := f.ledger.CheckTx(tx); !errors.Is(err, ErrBadAdminSignature) {
			t.Errorf("%s signed by a stranger: %v", name, err)
		}
	}
	req, _, _ := f.joinTxs("carol")
	forged := *req
	_ = forged.SignAdmin(stranger)
	if err := f.ledger.CheckTx(&forged); !errors.Is(err, ErrBadAdminSignature) {
		t.Errorf("join request signed by a stranger: %v", err)
	}
}

// TestReapTakesAnOversizeTransactionAlone: a transaction larger than the
// producer's byte budget (a large revocation) is reaped alone instead of
// holding up the queue behind it.
func TestReapTakesAnOversizeTransactionAlone(t *testing.T) {
	f := newFixture(t, "alice")
	big := f.anonTx("alice", "t", string(bytes.Repeat([]byte{'x'}, 10_000)))
	small := f.anonTx("alice", "t", "small")
	for _, tx := range []*Tx{big, small} {
		if err := f.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.pool.Reap(10, 1000); len(got) != 1 || got[0].ID() != big.ID() {
		t.Fatalf("reaped %d transactions, want the big one alone", len(got))
	}
	f.commit(big)
	if got := f.pool.Reap(10, 1000); len(got) != 1 || got[0].ID() != small.ID() {
		t.Fatalf("then %d transactions, want the small one", len(got))
	}
}

// TestGenesisMembersAreCheckedWhenTheLedgerIsWritten: a founding member
// whose certificate is another's, or whose response is another request's,
// keeps a fresh database from being written; nothing is left behind.
func TestGenesisMembersAreCheckedWhenTheLedgerIsWritten(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	ms := f.gen.Groups[0].Members
	for name, edit := range map[string]func(m []GenesisMember){
		"swapped certificate": func(m []GenesisMember) { m[0].Cert = ms[1].Cert },
		"swapped response":    func(m []GenesisMember) { m[0].Response = ms[1].Response },
	} {
		gen := *f.gen
		gen.Groups = []GenesisGroup{f.gen.Groups[0]}
		gen.Groups[0].Members = append([]GenesisMember(nil), ms...)
		edit(gen.Groups[0].Members)
		db, err := storage.Open(t.TempDir(), storage.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(db, &gen, Config{}); !errors.Is(err, ErrInvalidJoin) {
			t.Errorf("%s: %v", name, err)
		}
		if _, _, ok, _ := db.Head(); ok {
			t.Errorf("%s: a head was written", name)
		}
		db.Close()
	}
}

// TestAddBatchRefusesACommittedTag: the gossip path (AddBatch) applies
// the same rules as Add, the tag set included.
func TestAddBatchRefusesACommittedTag(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	f.commit(f.topicTx("vote", TopicRule{Tagged: true}))
	if c := f.commit(f.voteTx("alice", "vote", "yes")); c[0] != CodeOK {
		t.Fatal(c)
	}
	errs := f.pool.AddBatch(context.Background(), []*Tx{f.voteTx("alice", "vote", "again"), f.voteTx("bob", "vote", "no")})
	if !errors.Is(errs[0], ErrAlreadyActed) || errs[1] != nil {
		t.Fatalf("batch: %v", errs)
	}
}

// TestUpdateDropsARepeatOfACommittedTag: a node holding alice's vote while
// another vote of hers commits (made on another node) drops its own.
func TestUpdateDropsARepeatOfACommittedTag(t *testing.T) {
	f := newFixture(t, "alice")
	f.commit(f.topicTx("vote", TopicRule{Tagged: true}))
	mine := f.voteTx("alice", "vote", "yes")
	if err := f.pool.Add(mine); err != nil {
		t.Fatal(err)
	}
	if c := f.commit(f.voteTx("alice", "vote", "no")); c[0] != CodeOK {
		t.Fatal(c)
	}
	if f.pool.Has(mine.ID()) {
		t.Fatal("the repeat of a committed tag stayed pending")
	}
}
