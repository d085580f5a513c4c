package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/veilchain/veil/groupsig"
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
	if err := resigned.SignAnonymous(f.gk, f.members["alice"], false, f.rnd); err != nil {
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
		"version 1":       append([]byte{1}, enc[1:]...),
		"unknown kind":    append([]byte{TxVersion, 99}, enc[2:]...),
		"too large":       make([]byte, MaxTxSize+1),
		"oversize length": func() []byte { b := bytes.Clone(enc); b[2] = 200; return b }(),
	} {
		if _, err := DecodeTx(bad); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := &Tx{ChainID: testChain, Expiry: 5, Group: "acme", Payload: make([]byte, MaxPayloadLen+1)}
	if err := big.SignAnonymous(f.gk, f.members["alice"], false, f.rnd); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize payload: %v", err)
	}
	longTopic := &Tx{ChainID: testChain, Expiry: 5, Group: "acme", Topic: strings.Repeat("t", 65)}
	if err := longTopic.SignAnonymous(f.gk, f.members["alice"], false, f.rnd); !errors.Is(err, ErrMalformed) {
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
		if err := tx.SignAnonymous(f.key(f.members["alice"]), f.members["alice"], false, f.rnd); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	forged := f.anonTx("alice", "t", "forged")
	forged.Auth = bytes.Clone(forged.Auth)
	forged.Auth[100] ^= 1
	forged, _ = DecodeTx(forged.Encode())
	_, badAdmin, _ := f.joinTxs("dave")
	_ = badAdmin // the secret half is not needed
	daveReq, daveResp, _ := f.joinTxs("dave2")
	if c := f.commit(daveReq); c[0] != CodeOK {
		t.Fatalf("dave2's request: %v", c)
	}
	wrongSigner := *daveResp
	_ = wrongSigner.SignAdmin(f.admin) // consortium key, not the issuer's
	badRec := f.revokeTx("bob")
	badRec.Revocation = bytes.Clone(badRec.Revocation)
	badRec.Revocation[len(badRec.Revocation)-1] ^= 1
	_ = badRec.SignAdmin(f.issuer)
	staleTx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 5, Group: "acme", Epoch: 0, Payload: []byte("x")}
	if err := staleTx.SignAnonymous(f.gk, staleKey, false, f.rnd); err != nil {
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
		{"bad admin signature", &wrongSigner, ErrBadAdminSignature},
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
	_ = replay.SignAnonymous(f.key(f.members["bob"]), f.members["bob"], false, f.rnd)
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
	f.commit(f.anonTx("alice", "", "y"))
	f.commit(f.anonTx("alice", "", "z"))
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
	if !gi.GroupKey.Equal(f.reg.GroupKey()) {
		t.Fatal("on-chain key differs from the issuer's")
	}
	for _, m := range gi.Members {
		if (m.Label == "bob") != (m.RevokedAt == 1) {
			t.Fatalf("member %s revokedAt %d", m.Label, m.RevokedAt)
		}
	}
	// The revoked member's key still signs for epoch 0: stale.
	tx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 5, Group: "acme", Epoch: 0}
	_ = tx.SignAnonymous(f.gk, oldKey, false, f.rnd)
	if err := f.pool.Add(tx); !errors.Is(err, ErrStaleEpoch) {
		t.Fatalf("revoked member: %v", err)
	}
	// Claiming the new epoch with the old key fails the signature check
	// (its member key is bound to epoch 0, so sign under gpk_0 and relabel).
	tx.Epoch = 1
	tx.Auth = make([]byte, groupsig.SignatureSizes()[0])
	_ = tx.seal()
	sig, _ := groupsig.Sign(f.gk, oldKey, tx.id[:], nil, f.rnd)
	tx.Auth = sig
	if err := f.pool.Add(tx); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("revoked member claiming epoch 1: %v", err)
	}
	for _, l := range []string{"alice", "carol"} {
		if f.members[l].Epoch() != 1 {
			t.Fatalf("%s was not re-issued", l)
		}
		if c := f.commit(f.anonTx(l, "t", "after")); c[0] != CodeOK {
			t.Fatalf("%s after revocation: %v", l, c)
		}
	}
	recs, err := f.ledger.Revocations("acme")
	if err != nil || len(recs) != 1 || string(recs[0]) != string(rev.Revocation) {
		t.Fatalf("revocations on chain: %d, %v", len(recs), err)
	}
	// A record that does not list exactly the current members is refused:
	// one made for a group with another member.
	other := newFixture(t, "alice", "carol", "zed")
	if err := f.ledger.CheckTx(other.revokeTx("alice")); !errors.Is(err, ErrInvalidRevocation) {
		t.Fatalf("another group's record: %v", err)
	}
	// The same record again is refused: its epoch is past and its prev no
	// longer the chain's last record.
	if err := f.ledger.CheckTx(rev); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replayed revocation: %v", err)
	}
	replayed := *rev
	replayed.Nonce = f.nonce()
	_ = replayed.SignAdmin(f.issuer)
	if err := f.ledger.CheckTx(&replayed); !errors.Is(err, ErrInvalidRevocation) {
		t.Fatalf("the epoch-1 record again: %v", err)
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
	if a.Epoch != b.Epoch || len(a.Members) != len(b.Members) || !a.GroupKey.Equal(b.GroupKey) {
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
	reqTx, respTx, js := f.joinTxs("zed")
	if c := f.commit(reqTx); c[0] != CodeOK {
		t.Fatalf("request: %v", c)
	}
	pendingReq, pendingResp, _ := f.joinTxs("yan")
	f.commit(pendingReq)
	if c := f.commit(respTx); c[0] != CodeOK {
		t.Fatalf("response: %v", c)
	}
	f.members["zed"], err = js.Finish(decodeResp(t, respTx))
	if err != nil {
		t.Fatal(err)
	}
	f.commit(f.topicTx("vote", TopicRule{Tagged: true}))
	vote := f.voteTx("zed", "vote", "yes")
	if c := f.commit(vote); c[0] != CodeOK {
		t.Fatalf("vote: %v", c)
	}
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
	if zed, ok := gi.Member("zed"); !ok || len(gi.Members) != 2 || zed.Height != 3 || len(gi.Pending) != 1 || gi.Pending[0].Label != "yan" {
		t.Fatalf("%d members, pending %d", len(gi.Members), len(gi.Pending))
	}
	if err := reopened.CheckTx(tx); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("committed tx after reopen: %v", err)
	}
	// The tag set and the tally survive the restart, and the pending
	// request can still be answered.
	if err := reopened.CheckTx(f.voteTx("zed", "vote", "again")); !errors.Is(err, ErrAlreadyActed) {
		t.Fatalf("second vote after reopen: %v", err)
	}
	if ti, ok := reopened.Topic("vote"); !ok || ti.Tally != 1 || !ti.Rule.Tagged {
		t.Fatalf("topic after reopen: %+v %v", ti, ok)
	}
	if err := reopened.CheckTx(pendingResp); err != nil {
		t.Fatalf("answering the pending request after reopen: %v", err)
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
	_ = short.SignAnonymous(f.gk, f.members["alice"], false, f.rnd)
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
	gk, _, _, ip, op, err := groupsig.Setup(groupsig.SuiteBN254, f.rnd)
	if err != nil {
		t.Fatal(err)
	}
	gkb, _ := gk.MarshalBinary()
	ipb, _ := ip.MarshalBinary()
	opb, _ := op.MarshalBinary()
	_, issuer2, _ := ed25519.GenerateKey(f.rnd)
	tx := &Tx{Kind: KindAddGroup, Group: "beta", GroupKey: gkb, IssuerProof: ipb, OpenerProof: opb, AdminKey: issuer2.Public().(ed25519.PublicKey)}
	f.admin1(tx, f.issuer) // not the consortium admin
	if err := f.ledger.CheckTx(tx); !errors.Is(err, ErrBadAdminSignature) {
		t.Fatalf("group added by a group issuer: %v", err)
	}
	// Proofs that are not this key's are refused (§7).
	_, _, _, ip2, _, _ := groupsig.Setup(groupsig.SuiteBN254, f.rnd)
	badProof := *tx
	badProof.IssuerProof, _ = ip2.MarshalBinary()
	f.admin1(&badProof, f.admin)
	if err := f.ledger.CheckTx(&badProof); !errors.Is(err, ErrMalformed) {
		t.Fatalf("another group's issuer proof: %v", err)
	}
	_ = tx.SignAdmin(f.admin)
	if c := f.commit(tx); c[0] != CodeOK {
		t.Fatalf("add group: %v", c)
	}
	if _, err := f.ledger.GroupKey("beta", 0); err != nil {
		t.Fatal(err)
	}
	tx2 := *tx
	f.admin1(&tx2, f.admin)
	if err := f.ledger.CheckTx(&tx2); CodeOf(err) != CodeConflict {
		t.Fatalf("adding it twice: %v", err)
	}
	// The same gpk_0 under another name: its gid is known.
	tx3 := *tx
	tx3.Group = "gamma"
	f.admin1(&tx3, f.admin)
	if err := f.ledger.CheckTx(&tx3); CodeOf(err) != CodeConflict {
		t.Fatalf("the same gid under another name: %v", err)
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

func decodeResp(t testing.TB, tx *Tx) *groupsig.JoinResponse {
	t.Helper()
	var r groupsig.JoinResponse
	if err := r.UnmarshalBinary(tx.JoinResponse); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestJoinByTransaction(t *testing.T) {
	f := newFixture(t, "alice")
	reqTx, respTx, js := f.joinTxs("dave")
	// A response before its request is posted answers nothing.
	if err := f.ledger.CheckTx(respTx); !errors.Is(err, ErrInvalidJoin) {
		t.Fatalf("response without request: %v", err)
	}
	// A request signed by another key than its identity key is refused.
	stolen := *reqTx
	_ = stolen.SignAdmin(f.ids["alice"])
	if err := f.ledger.CheckTx(&stolen); !errors.Is(err, ErrBadAdminSignature) {
		t.Fatalf("request signed by another key: %v", err)
	}
	// A certificate for another label, or from another CA, is refused.
	wrongCert := *reqTx
	wrongCert.MemberCert = f.ca.member(t, "org", "mallory", f.ids["dave"].Public().(ed25519.PublicKey), f.rnd)
	_ = wrongCert.SignAdmin(f.ids["dave"])
	if err := f.ledger.CheckTx(&wrongCert); !errors.Is(err, ErrInvalidJoin) {
		t.Fatalf("certificate for another label: %v", err)
	}
	otherCA := newTestCA(t, f.rnd)
	foreign := *reqTx
	foreign.MemberCert = otherCA.member(t, "org", "dave", f.ids["dave"].Public().(ed25519.PublicKey), f.rnd)
	_ = foreign.SignAdmin(f.ids["dave"])
	if err := f.ledger.CheckTx(&foreign); !errors.Is(err, ErrInvalidJoin) {
		t.Fatalf("certificate from another CA: %v", err)
	}
	// A tampered proof of y is refused.
	tampered := *reqTx
	tampered.JoinRequest = bytes.Clone(reqTx.JoinRequest)
	tampered.JoinRequest[len(tampered.JoinRequest)-70] ^= 1 // inside s
	_ = tampered.SignAdmin(f.ids["dave"])
	if err := f.ledger.CheckTx(&tampered); !errors.Is(err, ErrInvalidJoin) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("tampered proof: %v", err)
	}
	if c := f.commit(reqTx); c[0] != CodeOK {
		t.Fatalf("request: %v", c)
	}
	gi, _ := f.ledger.Group("acme")
	if len(gi.Pending) != 1 || gi.Pending[0].Label != "dave" || gi.Pending[0].Org != "org-dave" {
		t.Fatalf("pending %+v", gi.Pending)
	}
	// The same request again is a duplicate, even in a new transaction.
	again := *reqTx
	f.admin1(&again, f.ids["dave"])
	if err := f.ledger.CheckTx(&again); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("request posted twice: %v", err)
	}
	if c := f.commit(respTx); c[0] != CodeOK {
		t.Fatalf("response: %v", c)
	}
	mk, err := js.Finish(decodeResp(t, respTx))
	if err != nil {
		t.Fatal(err)
	}
	f.members["dave"] = mk
	if c := f.commit(f.anonTx("dave", "t", "hello")); c[0] != CodeOK {
		t.Fatalf("dave's first transaction: %v", c)
	}
	gi, _ = f.ledger.Group("acme")
	if m, ok := gi.Member("dave"); !ok || len(gi.Pending) != 0 || m.Org != "org-dave" || m.Joined != 0 {
		t.Fatalf("dave %+v, pending %d", m, len(gi.Pending))
	}
	// One response per request: answering it again is refused.
	respAgain := *respTx
	f.admin1(&respAgain, f.issuer)
	if err := f.ledger.CheckTx(&respAgain); !errors.Is(err, ErrInvalidJoin) {
		t.Fatalf("second response: %v", err)
	}
	// A label is never reused, not even by another identity.
	pub, id, _ := ed25519.GenerateKey(f.rnd)
	req2, _, err := groupsig.NewJoinRequest(f.gk, f.ip, f.op, "dave", id, f.rnd)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := req2.MarshalBinary()
	relabel := f.admin1(&Tx{Kind: KindJoinRequest, Group: "acme", JoinRequest: rb, MemberCert: f.ca.member(t, "org", "dave", pub, f.rnd)}, id)
	if err := f.ledger.CheckTx(relabel); !errors.Is(err, ErrInvalidJoin) {
		t.Fatalf("label reused: %v", err)
	}
}

func TestJoinResponseAtStaleEpoch(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	// A copy of the issuer's book before dave's answer: the record it makes
	// lists exactly the members the ledger has admitted.
	enc, _ := f.reg.MarshalBinary()
	before := new(groupsig.Registry)
	if err := before.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	reqTx, respTx, _ := f.joinTxs("dave") // answered at epoch 0
	f.commit(reqTx)
	f.reg = before
	if c := f.commit(f.revokeTx("bob")); c[0] != CodeOK {
		t.Fatalf("revoke: %v", c)
	}
	if err := f.ledger.CheckTx(respTx); !errors.Is(err, ErrInvalidJoin) {
		t.Fatalf("response at a superseded epoch: %v", err)
	}
}

func TestTaggedTopic(t *testing.T) {
	f := newFixture(t, "alice", "bob", "carol")
	if c := f.commit(f.topicTx("ballot-1", TopicRule{Groups: []string{"acme"}, Tagged: true, Closes: 50})); c[0] != CodeOK {
		t.Fatalf("topic rule: %v", c)
	}
	// Untagged signatures are refused on a tagged topic, and tagged ones
	// on a topic without a rule.
	if err := f.ledger.CheckTx(f.anonTx("alice", "ballot-1", "yes")); !errors.Is(err, ErrTagRequired) {
		t.Fatalf("untagged vote: %v", err)
	}
	if err := f.ledger.CheckTx(f.voteTx("alice", "chatter", "x")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("tagged transaction on an untagged topic: %v", err)
	}
	// One vote per member: a second vote by alice in the same block, or
	// later, is refused; bob and carol vote.
	a1, a2 := f.voteTx("alice", "ballot-1", "yes"), f.voteTx("alice", "ballot-1", "no")
	codes := f.commit(a1, a2, f.voteTx("bob", "ballot-1", "no"))
	if codes[0] != CodeOK || codes[1] != CodeAlreadyActed || codes[2] != CodeOK {
		t.Fatalf("codes %v", codes)
	}
	if err := f.ledger.CheckTx(f.voteTx("alice", "ballot-1", "maybe")); !errors.Is(err, ErrAlreadyActed) {
		t.Fatalf("third vote: %v", err)
	}
	// The tally counts members, not transactions.
	f.commit(f.voteTx("carol", "ballot-1", "yes"))
	if ti, _ := f.ledger.Topic("ballot-1"); ti.Tally != 3 {
		t.Fatalf("tally %d, want 3", ti.Tally)
	}
	if id, ok := f.ledger.TagTx("acme", "ballot-1", groupsig.TagOf(a1.Auth)); !ok || id != a1.ID() {
		t.Fatal("tag not indexed to alice's vote")
	}
	// The tag survives a revocation: a re-issued member still cannot vote
	// again (τ does not change across epochs).
	rev := f.revokeTx("carol")
	f.commit(rev)
	f.updateMembers(rev)
	if err := f.ledger.CheckTx(f.voteTx("alice", "ballot-1", "after")); !errors.Is(err, ErrAlreadyActed) {
		t.Fatalf("vote after re-issue: %v", err)
	}
	// The rule is set once; other groups and late transactions are refused.
	if err := f.ledger.CheckTx(f.topicTx("ballot-1", TopicRule{})); !errors.Is(err, ErrConflict) {
		t.Fatalf("rule set twice: %v", err)
	}
	if err := f.ledger.CheckTx(f.topicTx("b2", TopicRule{Groups: []string{"nope"}})); !errors.Is(err, ErrUnknownGroup) {
		t.Fatalf("rule naming an unknown group: %v", err)
	}
	f.commit(f.topicTx("closed", TopicRule{Closes: f.ledger.Head().Height + 1}))
	f.commit()
	if err := f.ledger.CheckTx(f.anonTx("alice", "closed", "late")); !errors.Is(err, ErrTopicClosed) {
		t.Fatalf("after closing: %v", err)
	}
	repeated := &Tx{Kind: KindTopicRule, ChainID: testChain, Expiry: 99, Topic: "b3", Rule: TopicRule{Groups: []string{"acme", "acme"}}}
	if err := repeated.SignAdmin(f.admin); !errors.Is(err, ErrMalformed) {
		t.Fatalf("repeated group: %v", err)
	}
}

func TestTopicRuleGroups(t *testing.T) {
	f := newFixture(t, "alice")
	gk, _, _, ip, op, _ := groupsig.Setup(groupsig.SuiteBLS12381, f.rnd)
	gkb, _ := gk.MarshalBinary()
	ipb, _ := ip.MarshalBinary()
	opb, _ := op.MarshalBinary()
	f.commit(f.admin1(&Tx{Kind: KindAddGroup, Group: "beta", GroupKey: gkb, IssuerProof: ipb, OpenerProof: opb, AdminKey: f.issuer.Public().(ed25519.PublicKey)}, f.admin))
	f.commit(f.topicTx("beta-only", TopicRule{Groups: []string{"beta"}}))
	if err := f.ledger.CheckTx(f.anonTx("alice", "beta-only", "x")); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("acme on beta's topic: %v", err)
	}
}
