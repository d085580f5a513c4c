package chain

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/veilchain/veil/groupsig/bbs04"
	"github.com/veilchain/veil/storage"
)

func testRand(seed uint64) io.Reader {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// fixture is a one-validator chain with one group of members.
type fixture struct {
	t       testing.TB
	rnd     io.Reader
	gen     *Genesis
	ledger  *Ledger
	pool    *Mempool
	valKey  ed25519.PrivateKey
	admin   ed25519.PrivateKey // consortium admin
	issuer  ed25519.PrivateKey // the group's issuer admin key
	ik      *bbs04.IssuerKey
	reg     *bbs04.Registry
	members map[string]*bbs04.MemberKey
	time    int64
}

const testChain = "veil-test"

func newFixture(t testing.TB, members ...string) *fixture {
	t.Helper()
	rnd := testRand(1)
	_, valKey, _ := ed25519.GenerateKey(rnd)
	_, admin, _ := ed25519.GenerateKey(rnd)
	_, issuer, _ := ed25519.GenerateKey(rnd)
	pk, ik, _, err := bbs04.Setup(rnd)
	if err != nil {
		t.Fatal(err)
	}
	pkb, _ := pk.MarshalBinary()
	gen := &Genesis{
		ChainID: testChain, Time: 1, AdminKey: admin.Public().(ed25519.PublicKey),
		Validators: []Validator{{ID: "node-1", PublicKey: valKey.Public().(ed25519.PublicKey)}},
		Groups:     []GenesisGroup{{Name: "acme", PublicKey: pkb, AdminKey: issuer.Public().(ed25519.PublicKey)}},
	}
	f := &fixture{t: t, rnd: rnd, gen: gen, valKey: valKey, admin: admin, issuer: issuer, ik: ik,
		reg: bbs04.NewRegistry(pk), members: map[string]*bbs04.MemberKey{}, time: 1}
	f.ledger = f.open(t.TempDir())
	f.pool = NewMempool(f.ledger, MempoolConfig{})
	for _, m := range members {
		mk, err := f.reg.Issue(f.ik, m, rnd)
		if err != nil {
			t.Fatal(err)
		}
		f.members[m] = mk
		f.commit(f.registerTx(m, mk.Identity()))
	}
	return f
}

func (f *fixture) open(dir string) *Ledger {
	f.t.Helper()
	db, err := storage.Open(dir, storage.DefaultOptions())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	l, err := Open(db, f.gen, Config{})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

func (f *fixture) nonce() [NonceSize]byte {
	n, _ := NewNonce(f.rnd)
	return n
}

// anonTx signs a transaction as member with the member's current key.
func (f *fixture) anonTx(member, topic, payload string) *Tx {
	f.t.Helper()
	mk := f.members[member]
	tx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 10, Nonce: f.nonce(), Group: "acme",
		Epoch: mk.PublicKey().Epoch(), Topic: topic, Payload: []byte(payload)}
	if err := tx.SignAnonymous(mk, f.rnd); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

func (f *fixture) registerTx(label string, id bbs04.Identity) *Tx {
	f.t.Helper()
	tx := &Tx{Kind: KindRegisterMember, ChainID: testChain, Expiry: f.ledger.Head().Height + 10, Nonce: f.nonce(),
		Group: "acme", Label: label, Identity: id}
	if err := tx.SignAdmin(f.issuer); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// revokeTx revokes label in the issuer's registry and builds the admin
// transaction; members' keys are updated as they would be by the members.
func (f *fixture) revokeTx(label string) *Tx {
	f.t.Helper()
	rec, nik, err := f.reg.Revoke(f.ik, label)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ik = nik
	recBytes, _ := rec.MarshalBinary()
	tx := &Tx{Kind: KindRevokeMember, ChainID: testChain, Expiry: f.ledger.Head().Height + 10, Nonce: f.nonce(),
		Group: "acme", Label: label, Revocation: recBytes}
	for _, m := range f.reg.Members() {
		if !m.Revoked {
			tx.Updates = append(tx.Updates, MemberUpdate{Label: m.Label, Identity: m.Identity})
		}
	}
	if err := tx.SignAdmin(f.issuer); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// updateMembers moves every remaining member key across rec.
func (f *fixture) updateMembers(tx *Tx) {
	var rec bbs04.RevocationRecord
	if err := rec.UnmarshalBinary(tx.Revocation); err != nil {
		f.t.Fatal(err)
	}
	for l, mk := range f.members {
		if nk, err := mk.Update(&rec); err == nil {
			f.members[l] = nk
		}
	}
}

// block builds and signs the next block holding txs.
func (f *fixture) block(txs ...*Tx) []byte {
	head := f.ledger.Head()
	f.time++
	b := &Block{Header: Header{ChainID: testChain, Height: head.Height + 1, PrevHash: head.Hash, Time: f.time, TxRoot: TxRoot(txs)}, Txs: txs}
	b.Sign("node-1", f.valKey)
	return b.Encode()
}

// commit applies a block of txs and returns the per-transaction codes.
func (f *fixture) commit(txs ...*Tx) []Code {
	f.t.Helper()
	a, err := f.ledger.Apply(context.Background(), f.block(txs...))
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	f.pool.Update(a)
	return a.Codes
}

func labels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%d", i)
	}
	return out
}
