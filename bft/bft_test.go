package bft

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger-labs/SmartBFT/pkg/types"
	protos "github.com/hyperledger-labs/SmartBFT/smartbftprotos"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/storage"
	"google.golang.org/protobuf/proto"
)

// fixture is a BFT chain of 4 validators on a real ledger (LevelDB in a
// temp dir), with the validators' node keys.
type fixture struct {
	ledger *chain.Ledger
	pool   *chain.Mempool
	keys   map[string]ed25519.PrivateKey // node id → key
	ids    []string
	o      *Orderer // not started: its checks only
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	l, err := genesis.Init(dir, genesis.InitOptions{ChainID: "veil-test", Nodes: 4, Consensus: chain.ConsensusBFT})
	if err != nil {
		t.Fatal(err)
	}
	gf, err := genesis.Read(l.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	gen, err := gf.Chain()
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(filepath.Join(dir, "chain"), storage.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ledger, err := chain.Open(db, gen, chain.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ledger: ledger, pool: chain.NewMempool(ledger, chain.MempoolConfig{}), keys: map[string]ed25519.PrivateKey{}}
	for i := 1; i <= 4; i++ {
		k, err := genesis.ReadPrivateKey(l.NodeKey(i))
		if err != nil {
			t.Fatal(err)
		}
		f.keys[l.NodeID(i)] = k
		f.ids = append(f.ids, l.NodeID(i))
	}
	cfg := FastConfig()
	cfg.NodeID, cfg.NodeKey = f.ids[0], f.keys[f.ids[0]]
	f.o = &Orderer{cfg: cfg, ledger: ledger, pool: f.pool, chainID: ledger.ChainID(), self: NumericID(cfg.NodeID), log: cfg.Logger}
	if _, err := f.o.refreshMembers(); err != nil {
		t.Fatal(err)
	}
	return f
}

// leader is the node id leading view v.
func (f *fixture) leader(v uint64) string {
	m := f.o.members()
	return m.byNum[m.leader(v)].ID
}

// block builds the next block on the head, proposed by proposer, after
// edit changes it (before signing).
func (f *fixture) block(proposer string, txs []*chain.Tx, edit func(*chain.Block)) []byte {
	head := f.ledger.Head()
	b := &chain.Block{Header: chain.Header{ChainID: f.ledger.ChainID(), Height: head.Height + 1, PrevHash: head.Hash, Time: max(time.Now().UnixNano(), head.Time), TxRoot: chain.TxRoot(txs)}, Txs: txs}
	if edit != nil {
		edit(b)
		b.TxRoot = chain.TxRoot(b.Txs)
	}
	b.Sign(proposer, f.keys[proposer])
	return b.Encode()
}

func metadata(view, seq uint64) []byte {
	b, _ := proto.Marshal(&protos.ViewMetadata{ViewId: view, LatestSequence: seq})
	return b
}

// sign returns the commit votes of the given validators on p.
func (f *fixture) sign(p types.Proposal, by ...string) []types.Signature {
	var out []types.Signature
	for _, id := range by {
		s := &signer{chainID: f.ledger.ChainID(), self: NumericID(id), key: f.keys[id]}
		out = append(out, *s.SignProposal(p, []byte("aux")))
	}
	return out
}

func adminTx(t *testing.T, nonce byte) *chain.Tx {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	tx := &chain.Tx{Kind: chain.KindTopicRule, ChainID: "veil-test", Expiry: 50, Topic: "t" + string('a'+rune(nonce))}
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := tx.SignAdmin(key); err != nil {
		t.Fatal(err)
	}
	return tx
}

func TestNumericIDs(t *testing.T) {
	a, b := NumericID("node-1"), NumericID("node-2")
	if a == 0 || b == 0 || a == b || NumericID("node-1") != a {
		t.Fatalf("ids: node-1 %d, node-2 %d (again %d): want distinct, stable, non-zero", a, b, NumericID("node-1"))
	}
	vals := []chain.ValidatorInfo{{ID: "node-1"}, {ID: "node-2"}, {ID: "node-1"}}
	if _, err := membersOf(vals); err == nil || !strings.Contains(err.Error(), "same BFT id") {
		t.Fatalf("a set whose ids collide: %v, want refused", err)
	}
	m, err := membersOf(vals[:2])
	if err != nil {
		t.Fatal(err)
	}
	if m.ids[0] > m.ids[1] || m.leader(0) != m.ids[0] || m.leader(3) != m.ids[1] {
		t.Fatalf("leaders: ids %v, view 0 → %d, view 3 → %d", m.ids, m.leader(0), m.leader(3))
	}
	for _, c := range []struct{ n, q, f int }{{1, 1, 0}, {4, 3, 1}, {5, 4, 1}, {6, 4, 1}, {7, 5, 2}, {10, 7, 3}} {
		if q, f := Quorum(c.n); q != c.q || f != c.f {
			t.Errorf("Quorum(%d) = %d, %d; want %d, %d", c.n, q, f, c.q, c.f)
		}
	}
}

func TestSignerVerifier(t *testing.T) {
	f := newFixture(t)
	m := f.o.members()
	s := &signer{chainID: "veil-test", self: NumericID(f.ids[1]), key: f.keys[f.ids[1]]}
	data := []byte("view data")
	sig := types.Signature{ID: s.self, Value: s.Sign(data), Msg: data}
	if err := verifyMessage("veil-test", m, sig); err != nil {
		t.Fatalf("a validator's message signature: %v", err)
	}
	for name, bad := range map[string]types.Signature{
		"another signer's id": {ID: NumericID(f.ids[2]), Value: sig.Value, Msg: data},
		"a non-validator":     {ID: NumericID("node-9"), Value: sig.Value, Msg: data},
		"other data":          {ID: sig.ID, Value: sig.Value, Msg: []byte("view datb")},
	} {
		if verifyMessage("veil-test", m, bad) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if verifyMessage("other-chain", m, sig) == nil {
		t.Error("a signature of another chain: accepted")
	}
	raw := f.block(f.leader(0), nil, nil)
	p := types.Proposal{Payload: raw, Metadata: metadata(0, 1)}
	vote := f.sign(p, f.ids[1])[0]
	if aux, err := f.o.VerifyConsenterSig(vote, p); err != nil || string(aux) != "aux" {
		t.Fatalf("commit vote: aux %q, %v", aux, err)
	}
	if verifyMessage("veil-test", m, vote) == nil {
		t.Error("a commit vote passed as a view-change signature (domain tags)")
	}
	p2 := p
	p2.Metadata = metadata(1, 1)
	if _, err := f.o.VerifyConsenterSig(vote, p2); err == nil {
		t.Error("a commit vote on another proposal: accepted")
	}
}

func TestCertificateCodecAndVerify(t *testing.T) {
	f := newFixture(t)
	raw := f.block(f.leader(0), nil, nil)
	p := types.Proposal{Payload: raw, Metadata: metadata(0, 1)}
	c := newCertificate(p, f.sign(p, f.ids[3], f.ids[0], f.ids[2]))
	enc, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Certificate
	if err := back.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if again, _ := back.MarshalBinary(); !bytes.Equal(again, enc) {
		t.Fatal("certificate does not round-trip")
	}
	if err := back.Verify("veil-test", raw, f.ledger.Validators()); err != nil {
		t.Fatalf("3 of 4 validators: %v", err)
	}
	// Strictness: every truncation, a trailing byte, another version.
	for i := range enc {
		if (&Certificate{}).UnmarshalBinary(enc[:i]) == nil {
			t.Fatalf("truncated at %d of %d: decoded", i, len(enc))
		}
	}
	if (&Certificate{}).UnmarshalBinary(append(bytes.Clone(enc), 0)) == nil {
		t.Fatal("a trailing byte: decoded")
	}
	v2 := bytes.Clone(enc)
	v2[0] = 2
	if (&Certificate{}).UnmarshalBinary(v2) == nil {
		t.Fatal("version 2: decoded")
	}
	unsorted := *c
	unsorted.Signatures = []types.Signature{c.Signatures[1], c.Signatures[0]}
	if _, err := unsorted.MarshalBinary(); err == nil {
		t.Fatal("unsorted signatures: encoded")
	}

	for name, cert := range map[string]*Certificate{
		"2 of 4 validators":       newCertificate(p, f.sign(p, f.ids[0], f.ids[1])),
		"one validator thrice":    newCertificate(p, append(f.sign(p, f.ids[0]), append(f.sign(p, f.ids[0]), f.sign(p, f.ids[0])...)...)),
		"votes on other metadata": newCertificate(p, f.sign(types.Proposal{Payload: raw, Metadata: metadata(1, 1)}, f.ids[0], f.ids[1], f.ids[2])),
	} {
		if err := cert.Verify("veil-test", raw, f.ledger.Validators()); !errors.Is(err, ErrCertificate) {
			t.Errorf("%s: %v, want ErrCertificate", name, err)
		}
	}
	other := f.block(f.ids[1], nil, nil) // another block for the same height
	if err := back.Verify("veil-test", other, f.ledger.Validators()); !errors.Is(err, ErrCertificate) {
		t.Errorf("the certificate of another block: %v, want ErrCertificate", err)
	}
	if err := back.Verify("other-chain", raw, f.ledger.Validators()); !errors.Is(err, ErrCertificate) {
		t.Errorf("another chain's tag: %v, want ErrCertificate", err)
	}
	// The certificate applies with its block, atomically, and reads back.
	if _, err := f.ledger.ApplyCertified(context.Background(), raw, enc); err != nil {
		t.Fatal(err)
	}
	if got, err := f.ledger.Certificate(1); err != nil || !bytes.Equal(got, enc) {
		t.Fatalf("stored certificate: %v", err)
	}
}

func TestVerifyProposalRefusals(t *testing.T) {
	f := newFixture(t)
	leader := f.leader(0)
	notLeader := f.ids[0]
	if notLeader == leader {
		notLeader = f.ids[1]
	}
	tx := adminTx(t, 0)
	good := f.block(leader, []*chain.Tx{tx}, nil)
	if infos, err := f.o.VerifyProposal(types.Proposal{Payload: good, Metadata: metadata(0, 1)}); err != nil || len(infos) != 1 {
		t.Fatalf("the leader's next block: %d infos, %v", len(infos), err)
	}
	head := f.ledger.Head()
	cases := []struct {
		name string
		p    types.Proposal
		want string
	}{
		{"wrong height", types.Proposal{Payload: f.block(leader, nil, func(b *chain.Block) { b.Height = 2 }), Metadata: metadata(0, 2)}, "head"},
		{"sequence not the height", types.Proposal{Payload: good, Metadata: metadata(0, 2)}, "sequence"},
		{"wrong previous hash", types.Proposal{Payload: f.block(leader, nil, func(b *chain.Block) { b.PrevHash[0] ^= 1 }), Metadata: metadata(0, 1)}, "extend"},
		{"not the view's leader", types.Proposal{Payload: f.block(notLeader, nil, nil), Metadata: metadata(0, 1)}, "leader of view 0"},
		{"leader of another view", types.Proposal{Payload: good, Metadata: metadata(1, 1)}, "leader of view 1"},
		{"time far ahead", types.Proposal{Payload: f.block(leader, nil, func(b *chain.Block) { b.Time = time.Now().Add(time.Minute).UnixNano() }), Metadata: metadata(0, 1)}, "ahead"},
		{"time before the head's", types.Proposal{Payload: f.block(leader, nil, func(b *chain.Block) { b.Time = head.Time - 1 }), Metadata: metadata(0, 1)}, "backwards"},
		{"a request twice", types.Proposal{Payload: f.block(leader, []*chain.Tx{tx, tx}, nil), Metadata: metadata(0, 1)}, "twice"},
		{"a header", types.Proposal{Payload: good, Header: []byte{1}, Metadata: metadata(0, 1)}, "header"},
		{"verification sequence", types.Proposal{Payload: good, Metadata: metadata(0, 1), VerificationSequence: 1}, "verification sequence"},
		{"garbage", types.Proposal{Payload: []byte("garbage"), Metadata: metadata(0, 1)}, "block"},
		{"bad signature", types.Proposal{Payload: func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(), Metadata: metadata(0, 1)}, ""},
	}
	for _, c := range cases {
		_, err := f.o.VerifyProposal(c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", c.name, err, c.want)
		}
	}
}

func TestEnvelopeAndCertifiedReply(t *testing.T) {
	env := encodeEnvelope(MsgRequest, []byte("tx"))
	if typ, body, err := DecodeEnvelope(env); err != nil || typ != MsgRequest || string(body) != "tx" {
		t.Fatalf("envelope: %d %q %v", typ, body, err)
	}
	for _, bad := range [][]byte{nil, {MsgConsensus}, {9, 1}} {
		if _, _, err := DecodeEnvelope(bad); err == nil {
			t.Errorf("envelope %x: decoded", bad)
		}
	}
	reply := AppendCertified(AppendCertified(nil, []byte("b1"), []byte("c1")), []byte("b2"), []byte("c2"))
	blocks, certs, err := DecodeCertified(reply)
	if err != nil || len(blocks) != 2 || string(blocks[1]) != "b2" || string(certs[0]) != "c1" {
		t.Fatalf("reply: %q %q %v", blocks, certs, err)
	}
	for i := 1; i < len(reply); i++ {
		if _, _, err := DecodeCertified(reply[:i]); err == nil && i != len(reply)/2 {
			t.Errorf("reply truncated at %d: decoded", i)
		}
	}
	if _, _, err := DecodeCertified(AppendCertified(nil, []byte("b"), nil)); err == nil {
		t.Error("a block without a certificate: decoded")
	}
}
