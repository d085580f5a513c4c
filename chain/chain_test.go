package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/veilchain/veil/groupsig/bbs04"
	"github.com/veilchain/veil/storage"
)

func TestTxEncodingIsStrict(t *testing.T) {
	f := newFixture(t, "alice")
	tx := f.anonTx("alice", "invoices", "pay 5")
	enc := tx.Encode()
	back, err := DecodeTx(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Encode(), enc) || back.ID() != tx.ID() || back.Size() != len(enc) {
		t.Fatal("transaction does not round-trip")
	}
	// The id covers everything but the signature.
	resigned := *tx
	if err := resigned.SignAnonymous(f.members["alice"], f.rnd); err != nil {
		t.Fatal(err)
	}
	if resigned.ID() != tx.ID() || bytes.Equal(resigned.Auth, tx.Auth) {
		t.Fatal("re-signing changed the id or kept the signature")
	}
	other := *tx
	other.Payload = []byte("pay 6")
	if other.SigningHash() == tx.ID() {
		t.Fatal("payload not covered by the id")
	}
	for name, bad := range map[string][]byte{
		"trailing byte":   append(bytes.Clone(enc), 0),
		"truncated":       enc[:len(enc)-1],
		"empty":           nil,
		"version 2":       append([]byte{2}, enc[1:]...),
		"unknown kind":    append([]byte{1, 9}, enc[2:]...),
		"too large":       make([]byte, MaxTxSize+1),
		"oversize length": func() []byte { b := bytes.Clone(enc); b[2] = 200; return b }(),
	} {
		if _, err := DecodeTx(bad); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := &Tx{ChainID: testChain, Expiry: 5, Group: "acme", Payload: make([]byte, MaxPayloadLen+1)}
	if err := big.SignAnonymous(f.members["alice"], f.rnd); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize payload: %v", err)
	}
	longTopic := &Tx{ChainID: testChain, Expiry: 5, Group: "acme", Topic: strings.Repeat("t", 65)}
	if err := longTopic.SignAnonymous(f.members["alice"], f.rnd); !errors.Is(err, ErrMalformed) {
		t.Fatalf("65-byte topic: %v", err)
	}
}

func TestValidationRules(t *testing.T) {
	f := newFixture(t, "alice", "bob", "carol")
	committed := f.anonTx("alice", "t", "committed")
	if c := f.commit(committed); c[0] != CodeOK {
		t.Fatalf("commit: %v", c[0])
	}
	staleKey := f.members["carol"]
	rev := f.revokeTx("carol")
	if c := f.commit(rev); c[0] != CodeOK {
		t.Fatalf("revoke: %v", c[0])
	}
	f.updateMembers(rev)

	mutate := func(edit func(tx *Tx)) *Tx {
		tx := f.anonTx("alice", "t", "x")
		edit(tx)
		if err := tx.SignAnonymous(f.members["alice"], f.rnd); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	forged := f.anonTx("alice", "t", "forged")
	forged.Auth = bytes.Clone(forged.Auth)
	forged.Auth[100] ^= 1
	forged, _ = DecodeTx(forged.Encode())
	badAdmin := &Tx{Kind: KindRegisterMember, ChainID: testChain, Expiry: f.ledger.Head().Height + 5, Group: "acme", Label: "dave", Identity: staleKey.Identity()}
	_ = badAdmin.SignAdmin(f.admin) // consortium key, not the issuer's
	badRec := f.revokeTx("bob")
	badRec.Revocation = bytes.Clone(badRec.Revocation)
	badRec.Revocation[len(badRec.Revocation)-1] ^= 1
	_ = badRec.SignAdmin(f.issuer)
	staleTx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 5, Group: "acme", Epoch: 0, Payload: []byte("x")}
	if err := staleTx.SignAnonymous(staleKey, f.rnd); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tx   *Tx
		want error
	}{
		{"valid", f.anonTx("alice", "t", "ok"), nil},
		{"wrong chain", mutate(func(tx *Tx) { tx.ChainID = "other" }), ErrWrongChain},
		{"unknown group", mutate(func(tx *Tx) { tx.Group = "nope" }), ErrUnknownGroup},
		{"stale epoch (revoked signer)", staleTx, ErrStaleEpoch},
		{"future epoch", mutate(func(tx *Tx) { tx.Epoch = 7 }), ErrUnknownGroup},
		{"bad signature", forged, ErrBadSignature},
		{"expired", mutate(func(tx *Tx) { tx.Expiry = f.ledger.Head().Height }), ErrExpired},
		{"expiry too far", mutate(func(tx *Tx) { tx.Expiry = f.ledger.Head().Height + DefaultExpiryWindow + 1 }), ErrExpiryTooFar},
		{"duplicate of committed", committed, ErrDuplicate},
		{"bad admin signature", badAdmin, ErrBadAdminSignature},
		{"invalid revocation record", badRec, ErrInvalidRevocation},
	}
	for _, c := range cases {
		err := f.ledger.CheckTx(c.tx)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if c.want != nil && CodeOf(err).String() == "ok" {
			t.Errorf("%s: code ok for an error", c.name)
		}
	}
	// Pending duplicates are refused by the mempool.
	tx := f.anonTx("bob", "t", "pending")
	if err := f.pool.Add(tx); err != nil {
		t.Fatal(err)
	}
	if err := f.pool.Add(tx); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("pending duplicate: %v", err)
	}
	// A replay with fresh signature bytes over the same content is a duplicate.
	replay := *tx
	_ = replay.SignAnonymous(f.members["bob"], f.rnd)
	if err := f.pool.Add(&replay); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("re-signed replay: %v", err)
	}
	// Oversize encodings are too_large.
	if _, err := DecodeTx(make([]byte, MaxTxSize+10)); CodeOf(err) != CodeTooLarge {
		t.Fatalf("oversize: %v", err)
	}
}

func TestApplyKeepsInvalidTransactionsMarked(t *testing.T) {
	f := newFixture(t, "alice")
	good := f.anonTx("alice", "orders", "1")
	forged := f.anonTx("alice", "orders", "2")
	if err := f.pool.Add(forged); err != nil {
		t.Fatal(err)
	}
	// Same content (same id), different signature bytes: the cached verdict
	// of the genuine one must not carry over.
	bad := *forged
	bad.Auth = bytes.Clone(forged.Auth)
	bad.Auth[200] ^= 1
	codes := f.commit(good, &bad, good)
	if codes[0] != CodeOK || codes[1] != CodeBadSignature || codes[2] != CodeDuplicate {
		t.Fatalf("codes %v", codes)
	}
	if _, loc, err := f.ledger.Tx(good.ID()); err != nil || loc.Index != 0 {
		t.Fatalf("good tx: %v %v", loc, err)
	}
	if _, _, err := f.ledger.Tx(bad.ID()); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("invalid tx indexed: %v", err)
	}
	res, _ := f.ledger.Results(f.ledger.Head().Height)
	if len(res) != 3 || res[1] != CodeBadSignature {
		t.Fatalf("stored results %v", res)
	}
	// The genuine one commits later.
	if c := f.commit(forged); c[0] != CodeOK {
		t.Fatalf("genuine: %v", c)
	}
	ids, _, _ := f.ledger.TopicTxs("orders", nil, 10)
	if len(ids) != 2 || ids[0] != good.ID() || ids[1] != forged.ID() {
		t.Fatalf("topic index %x", ids)
	}
}

func TestApplyRefusesBadBlocks(t *testing.T) {
	f := newFixture(t, "alice")
	raw := f.block(f.anonTx("alice", "", "x"))
	ctx := context.Background()

	// The tx root covers signature bytes too, so a block whose transaction
	// signature was swapped in transit is refused whole.
	tampered := bytes.Clone(raw)
	tampered[len(tampered)-1] ^= 1
	if _, err := f.ledger.Apply(ctx, tampered); !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("tampered tx signature: %v", err)
	}
	f2 := newFixture(t, "alice")
	_, otherKey, _ := ed25519.GenerateKey(f2.rnd)
	blk := &Block{Header: Header{ChainID: testChain, Height: f2.ledger.Head().Height + 1, PrevHash: f2.ledger.Head().Hash, Time: 99, TxRoot: TxRoot(nil)}}
	blk.Sign("node-1", otherKey)
	if _, err := f2.ledger.Apply(ctx, blk.Encode()); !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("wrong proposer key: %v", err)
	}
	blk.Sign("node-9", otherKey)
	if _, err := f2.ledger.Apply(ctx, blk.Encode()); !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("unknown proposer: %v", err)
	}
	blk.Height += 1
	blk.Sign("node-1", f2.valKey)
	if _, err := f2.ledger.Apply(ctx, blk.Encode()); !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("gap: %v", err)
	}
	if _, err := f2.ledger.Apply(ctx, []byte("garbage")); !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("garbage: %v", err)
	}
	// Re-applying the head is a no-op.
	last, _ := f.ledger.RawBlock(f.ledger.Head().Height)
	if _, err := f.ledger.Apply(ctx, last); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("re-apply head: %v", err)
	}
	first, _ := f.ledger.RawBlock(1)
	if _, err := f.ledger.Apply(ctx, first); !errors.Is(err, ErrAlreadyApplied) {
		t.Fatalf("re-apply block 1: %v", err)
	}
}

func TestVerifiedOncePerNode(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	var txs []*Tx
	for i := range 6 {
		txs = append(txs, f.anonTx([]string{"alice", "bob"}[i%2], "t", string(rune('a'+i))))
	}
	before := f.ledger.Verifications()
	for _, err := range f.pool.AddBatch(context.Background(), txs) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.ledger.Verifications() - before; got != 6 {
		t.Fatalf("admission verified %d signatures, want 6", got)
	}
	reaped := f.pool.Reap(100, 1<<20)
	if len(reaped) != 6 {
		t.Fatalf("reaped %d", len(reaped))
	}
	codes := f.commit(reaped...)
	for i, c := range codes {
		if c != CodeOK {
			t.Fatalf("tx %d: %v", i, c)
		}
	}
	if got := f.ledger.Verifications() - before; got != 6 {
		t.Fatalf("after apply: %d verifications, want still 6", got)
	}
	if f.pool.Len() != 0 {
		t.Fatalf("mempool kept %d committed txs", f.pool.Len())
	}
}

func TestRevocationOnChain(t *testing.T) {
	f := newFixture(t, "alice", "bob", "carol")
	pendingStale := f.anonTx("carol", "t", "before")
	if err := f.pool.Add(pendingStale); err != nil {
		t.Fatal(err)
	}
	oldKey := f.members["bob"]
	rev := f.revokeTx("bob")
	if c := f.commit(rev); c[0] != CodeOK {
		t.Fatalf("revoke: %v", c)
	}
	if f.pool.Has(pendingStale.ID()) {
		t.Fatal("mempool kept a transaction of a superseded epoch")
	}
	f.updateMembers(rev)
	gi, err := f.ledger.Group("acme")
	if err != nil || gi.Epoch != 1 {
		t.Fatalf("group %+v %v", gi, err)
	}
	if !gi.PublicKey.Equal(f.ik.PublicKey()) {
		t.Fatal("on-chain key differs from the issuer's")
	}
	for _, m := range gi.Members {
		if (m.Label == "bob") != (m.RevokedAt == 1) {
			t.Fatalf("member %s revokedAt %d", m.Label, m.RevokedAt)
		}
		if m.Label != "bob" && m.Identity != f.members[m.Label].Identity() {
			t.Fatalf("member %s: on-chain A differs from the updated key", m.Label)
		}
	}
	// The revoked member's key still signs for epoch 0: stale.
	tx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 5, Group: "acme", Epoch: 0}
	_ = tx.SignAnonymous(oldKey, f.rnd)
	if err := f.pool.Add(tx); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("revoked member: %v", err)
	}
	// Claiming the new epoch with the old key fails the signature check.
	tx.Epoch = 1
	_ = tx.SignAnonymous(oldKey, f.rnd)
	if err := f.pool.Add(tx); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("revoked member claiming epoch 1: %v", err)
	}
	for _, l := range []string{"alice", "carol"} {
		if c := f.commit(f.anonTx(l, "t", "after")); c[0] != CodeOK {
			t.Fatalf("%s after revocation: %v", l, c)
		}
	}
	recs, err := f.ledger.Revocations("acme")
	if err != nil || len(recs) != 1 || string(recs[0]) != string(rev.Revocation) {
		t.Fatalf("revocations on chain: %d, %v", len(recs), err)
	}
	// The opener finds the signer of an epoch-1 transaction by A.
	if lbl, ok := gi.LabelOf(1, f.members["carol"].Identity()); !ok || lbl != "carol" {
		t.Fatalf("LabelOf: %q %v", lbl, ok)
	}
	// A revocation whose updates miss a member is refused.
	rec := f.revokeTx("alice")
	rec.Updates = nil
	_ = rec.SignAdmin(f.issuer)
	if err := f.ledger.CheckTx(rec); !errors.Is(err, ErrInvalidRevocation) {
		t.Fatalf("revocation without updates: %v", err)
	}
}

func TestStateIsAPureFunctionOfBlocks(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	f.commit(f.anonTx("alice", "x", "1"), f.anonTx("bob", "y", "2"))
	rev := f.revokeTx("alice")
	f.commit(rev)
	f.updateMembers(rev)
	f.commit(f.anonTx("bob", "x", "3"))

	replica := f.open(t.TempDir())
	for h := uint64(1); h <= f.ledger.Head().Height; h++ {
		raw, _ := f.ledger.RawBlock(h)
		if _, err := replica.Apply(context.Background(), raw); err != nil {
			t.Fatalf("replica block %d: %v", h, err)
		}
	}
	if replica.Head() != f.ledger.Head() {
		t.Fatal("replica head differs")
	}
	a, _ := f.ledger.Group("acme")
	b, _ := replica.Group("acme")
	if a.Epoch != b.Epoch || len(a.Members) != len(b.Members) || !a.PublicKey.Equal(b.PublicKey) {
		t.Fatal("replica group state differs")
	}
}

func TestReopenKeepsState(t *testing.T) {
	f := newFixture(t, "alice")
	dir := t.TempDir()
	db, err := storage.Open(dir, storage.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	f.ledger, err = Open(db, f.gen, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mk, _ := f.reg.Issue(f.ik, "zed", f.rnd)
	f.members["zed"] = mk
	f.commit(f.registerTx("zed", mk.Identity()))
	tx := f.anonTx("zed", "t", "1")
	f.commit(tx)
	head := f.ledger.Head()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	reopened := f.open(dir)
	if reopened.Head() != head {
		t.Fatalf("head %+v after reopen, want %+v", reopened.Head(), head)
	}
	gi, _ := reopened.Group("acme")
	if len(gi.Members) != 1 || gi.Members[0].Label != "zed" || gi.Members[0].Identity != mk.Identity() {
		t.Fatalf("members %+v", gi.Members)
	}
	if err := reopened.CheckTx(tx); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("committed tx after reopen: %v", err)
	}
	// A database from another genesis is refused.
	other := *f.gen
	other.ChainID = "other-chain"
	db3, _ := storage.Open(t.TempDir(), storage.DefaultOptions())
	defer db3.Close()
	if _, err := Open(db3, &other, Config{}); err != nil {
		t.Fatal(err)
	}
}

func TestMempoolBoundsAndOrder(t *testing.T) {
	f := newFixture(t, "alice")
	pool := NewMempool(f.ledger, MempoolConfig{MaxTxs: 3, MaxBytes: 1 << 20})
	var txs []*Tx
	for i := range 4 {
		txs = append(txs, f.anonTx("alice", "t", string(rune('a'+i))))
	}
	for _, tx := range txs[:3] {
		if err := pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := pool.Add(txs[3]); !errors.Is(err, ErrMempoolFull) {
		t.Fatalf("over count: %v", err)
	}
	got := pool.Reap(2, 1<<20)
	if len(got) != 2 || got[0] != txs[0] || got[1] != txs[1] {
		t.Fatal("reap is not FIFO")
	}
	if got := pool.Reap(10, txs[0].Size()+1); len(got) != 1 {
		t.Fatalf("byte bound: %d", len(got))
	}
	// Expired transactions leave at the next block.
	short := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 1, Nonce: f.nonce(), Group: "acme"}
	_ = short.SignAnonymous(f.members["alice"], f.rnd)
	pool2 := NewMempool(f.ledger, MempoolConfig{})
	if err := pool2.Add(short); err != nil {
		t.Fatal(err)
	}
	a, err := f.ledger.Apply(context.Background(), f.block())
	if err != nil {
		t.Fatal(err)
	}
	pool2.Update(a)
	if pool2.Len() != 0 {
		t.Fatal("expired transaction kept")
	}
}

func TestMempoolConcurrentAdd(t *testing.T) {
	f := newFixture(t, "alice")
	var txs []*Tx
	for i := range 8 {
		txs = append(txs, f.anonTx("alice", "t", string(rune('a'+i))))
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*len(txs))
	for i := range errs {
		wg.Go(func() { errs[i] = f.pool.Add(txs[i%len(txs)]) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrDuplicate) {
			t.Fatal(err)
		}
	}
	if ok != len(txs) || f.pool.Len() != len(txs) {
		t.Fatalf("%d admitted, %d pending, want %d", ok, f.pool.Len(), len(txs))
	}
}

func TestAddGroupAfterGenesis(t *testing.T) {
	f := newFixture(t)
	pk, _, _, _ := bbs04.Setup(f.rnd)
	pkb, _ := pk.MarshalBinary()
	_, issuer2, _ := ed25519.GenerateKey(f.rnd)
	tx := &Tx{Kind: KindAddGroup, ChainID: testChain, Expiry: 5, Nonce: f.nonce(), Group: "beta", GroupKey: pkb, AdminKey: issuer2.Public().(ed25519.PublicKey)}
	_ = tx.SignAdmin(f.issuer) // not the consortium admin
	if err := f.ledger.CheckTx(tx); !errors.Is(err, ErrBadAdminSignature) {
		t.Fatalf("group added by a group issuer: %v", err)
	}
	_ = tx.SignAdmin(f.admin)
	if c := f.commit(tx); c[0] != CodeOK {
		t.Fatalf("add group: %v", c)
	}
	if _, err := f.ledger.GroupKey("beta", 0); err != nil {
		t.Fatal(err)
	}
	tx2 := *tx
	tx2.Nonce = f.nonce()
	_ = tx2.SignAdmin(f.admin)
	if err := f.ledger.CheckTx(&tx2); CodeOf(err) != CodeConflict {
		t.Fatalf("adding it twice: %v", err)
	}
}

func TestRevokeNode(t *testing.T) {
	f := newFixture(t, "alice")
	tx := &Tx{Kind: KindRevokeNode, ChainID: testChain, Expiry: f.ledger.Head().Height + 5, Nonce: f.nonce(), Node: "node-1"}
	_ = tx.SignAdmin(f.issuer)
	if err := f.ledger.CheckTx(tx); !errors.Is(err, ErrBadAdminSignature) {
		t.Fatalf("node revoked by a group issuer: %v", err)
	}
	if _, err := DecodeTx(tx.Encode()); err != nil {
		t.Fatal(err)
	}
	bad := *tx
	bad.Group = "acme"
	if err := bad.SignAdmin(f.admin); !errors.Is(err, ErrMalformed) {
		t.Fatalf("node revocation naming a group: %v", err)
	}
	_ = tx.SignAdmin(f.admin)
	if c := f.commit(tx); c[0] != CodeOK {
		t.Fatalf("revoke node: %v", c)
	}
	if got := f.ledger.RevokedNodes(); len(got) != 1 || got[0] != "node-1" {
		t.Fatalf("revoked %v", got)
	}
	again := *tx
	again.Nonce = f.nonce()
	_ = again.SignAdmin(f.admin)
	if err := f.ledger.CheckTx(&again); CodeOf(err) != CodeConflict {
		t.Fatalf("revoking twice: %v", err)
	}
	// Blocks proposed by the revoked node are refused from now on.
	head := f.ledger.Head()
	b := &Block{Header: Header{ChainID: testChain, Height: head.Height + 1, PrevHash: head.Hash, Time: f.time + 1, TxRoot: TxRoot(nil)}}
	b.Sign("node-1", f.valKey)
	if _, err := f.ledger.Apply(context.Background(), b.Encode()); !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("block from a revoked proposer: %v", err)
	}
}
