package chain

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

func testRand(seed uint64) io.Reader {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}

// testCA is a chain CA for tests: a self-signed Ed25519 CA that issues
// member identity certificates the way package genesis does.
type testCA struct {
	cert *x509.Certificate
	key  ed25519.PrivateKey
}

func newTestCA(t testing.TB, rnd io.Reader) *testCA {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rnd)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) member(t testing.TB, org, label string, pub ed25519.PublicKey, rnd io.Reader) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: label, Organization: []string{org}},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{OIDDocumentSigning}, Policies: []x509.OID{OIDMemberPolicy}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rnd, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// fixture is a one-validator chain with one group whose founding members
// joined at genesis.
type fixture struct {
	t       testing.TB
	rnd     io.Reader
	gen     *Genesis
	ledger  *Ledger
	pool    *Mempool
	valKey  ed25519.PrivateKey
	admin   ed25519.PrivateKey // consortium admin
	issuer  ed25519.PrivateKey // the group's issuer admin key
	ca      *testCA
	gk      *groupsig.GroupKey // epoch 0
	ik      *groupsig.IssuerKey
	ok      *groupsig.OpenerKey
	ip      *groupsig.IssuerProof
	op      *groupsig.OpenerProof
	reg     *groupsig.Registry
	ids     map[string]ed25519.PrivateKey
	members map[string]*groupsig.MemberKey
	time    int64
}

const testChain = "veil-test"

func newFixture(t testing.TB, members ...string) *fixture {
	t.Helper()
	return newSuiteFixture(t, groupsig.SuiteBLS12381, members...)
}

// newSuiteFixture is newFixture with the group on suite.
func newSuiteFixture(t testing.TB, suite groupsig.Suite, members ...string) *fixture {
	t.Helper()
	rnd := testRand(1)
	_, valKey, _ := ed25519.GenerateKey(rnd)
	_, admin, _ := ed25519.GenerateKey(rnd)
	_, issuer, _ := ed25519.GenerateKey(rnd)
	f := &fixture{t: t, rnd: rnd, valKey: valKey, admin: admin, issuer: issuer, ca: newTestCA(t, rnd),
		ids: map[string]ed25519.PrivateKey{}, members: map[string]*groupsig.MemberKey{}, time: 1}
	var err error
	if f.gk, f.ik, f.ok, f.ip, f.op, err = groupsig.Setup(suite, rnd); err != nil {
		t.Fatal(err)
	}
	if f.reg, err = groupsig.NewRegistry(f.gk); err != nil {
		t.Fatal(err)
	}
	gg := GenesisGroup{Name: "acme", AdminKey: issuer.Public().(ed25519.PublicKey)}
	gg.GroupKey, _ = f.gk.MarshalBinary()
	gg.IssuerProof, _ = f.ip.MarshalBinary()
	gg.OpenerProof, _ = f.op.MarshalBinary()
	for _, m := range members {
		req, cert, js := f.request(m)
		resp, err := f.reg.Issue(f.ik, req, rnd)
		if err != nil {
			t.Fatal(err)
		}
		if f.members[m], err = js.Finish(resp); err != nil {
			t.Fatal(err)
		}
		gm := GenesisMember{Cert: cert}
		gm.Request, _ = req.MarshalBinary()
		gm.Response, _ = resp.MarshalBinary()
		gg.Members = append(gg.Members, gm)
	}
	f.gen = &Genesis{
		ChainID: testChain, Time: 1, AdminKey: admin.Public().(ed25519.PublicKey), CACert: f.ca.cert.Raw,
		Validators: []Validator{{ID: "node-1", PublicKey: valKey.Public().(ed25519.PublicKey)}},
		Groups:     []GenesisGroup{gg},
	}
	f.ledger = f.open(t.TempDir())
	f.pool = NewMempool(f.ledger, MempoolConfig{})
	return f
}

// request makes label's identity key, certificate and join request.
func (f *fixture) request(label string) (*groupsig.JoinRequest, []byte, *groupsig.JoinSecret) {
	f.t.Helper()
	pub, id, _ := ed25519.GenerateKey(f.rnd)
	f.ids[label] = id
	cert := f.ca.member(f.t, "org-"+label, label, pub, f.rnd)
	req, js, err := groupsig.NewJoinRequest(f.gk, f.ip, f.op, label, id, f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	return req, cert, js
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

// key is the group's key at the member key's epoch.
func (f *fixture) key(mk *groupsig.MemberKey) *groupsig.GroupKey {
	gk, err := f.gk.AtEpoch(mk.Epoch())
	if err != nil {
		f.t.Fatal(err)
	}
	return gk
}

// anonTx signs an untagged transaction as member with its current key.
func (f *fixture) anonTx(member, topic, payload string) *Tx {
	return f.signed(member, topic, payload, false)
}

// voteTx signs a tagged transaction (one per member on a tagged topic).
func (f *fixture) voteTx(member, topic, payload string) *Tx {
	return f.signed(member, topic, payload, true)
}

func (f *fixture) signed(member, topic, payload string, tagged bool) *Tx {
	f.t.Helper()
	mk := f.members[member]
	tx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 10, Nonce: f.nonce(), Group: "acme",
		Epoch: mk.Epoch(), Topic: topic, Payload: []byte(payload)}
	if err := tx.SignAnonymous(f.key(mk), mk, tagged, f.rnd); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

func (f *fixture) admin1(tx *Tx, key ed25519.PrivateKey) *Tx {
	f.t.Helper()
	tx.ChainID, tx.Expiry, tx.Nonce = testChain, f.ledger.Head().Height+10, f.nonce()
	if err := tx.SignAdmin(key); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// joinTxs makes label's join request transaction and the issuer's
// response transaction (the issuer's registry answers it at its epoch).
func (f *fixture) joinTxs(label string) (reqTx, respTx *Tx, js *groupsig.JoinSecret) {
	f.t.Helper()
	req, cert, js := f.request(label)
	reqBytes, _ := req.MarshalBinary()
	reqTx = f.admin1(&Tx{Kind: KindJoinRequest, Group: "acme", JoinRequest: reqBytes, MemberCert: cert}, f.ids[label])
	resp, err := f.reg.Issue(f.ik, req, f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	respBytes, _ := resp.MarshalBinary()
	respTx = f.admin1(&Tx{Kind: KindJoinResponse, Group: "acme", JoinResponse: respBytes}, f.issuer)
	return reqTx, respTx, js
}

// revokeTx revokes labels in the issuer's registry and builds the
// transaction carrying the record.
func (f *fixture) revokeTx(labels ...string) *Tx {
	f.t.Helper()
	rec, err := f.reg.Revoke(f.ik, labels, f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	recBytes, _ := rec.MarshalBinary()
	return f.admin1(&Tx{Kind: KindRevokeMember, Group: "acme", Revocation: recBytes}, f.issuer)
}

// updateMembers moves every remaining member key across the record of tx,
// as the members would from chain state.
func (f *fixture) updateMembers(tx *Tx) {
	f.t.Helper()
	var rec groupsig.RevocationRecord
	if err := rec.UnmarshalBinary(tx.Revocation); err != nil {
		f.t.Fatal(err)
	}
	recs := f.reg.Records()
	var prev [32]byte
	if i := rec.Epoch() - 1; i > 0 {
		prev = recs[i-1].Hash()
	}
	for l, mk := range f.members {
		if mk.Epoch()+1 != rec.Epoch() {
			continue
		}
		if nk, err := mk.Update(f.gk, l, prev, &rec); err == nil {
			f.members[l] = nk
		}
	}
}

// topicTx sets a topic's rule.
func (f *fixture) topicTx(topic string, rule TopicRule) *Tx {
	return f.admin1(&Tx{Kind: KindTopicRule, Topic: topic, Rule: rule}, f.admin)
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
