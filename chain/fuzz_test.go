package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "write the fuzz seed corpus into testdata/fuzz")

// fuzzSeeds builds one transaction of each kind and a block holding them.
func fuzzSeeds(t testing.TB) (txs [][]byte, block []byte) {
	f := newFixture(t, "alice", "bob")
	anon := f.anonTx("alice", "topic", "payload")
	vote := f.voteTx("alice", "ballot", "yes")
	req, resp, _ := f.joinTxs("carol")
	rev := f.revokeTx("bob")
	rule := f.topicTx("ballot", TopicRule{Groups: []string{"acme"}, Tagged: true, Closes: 99})
	add := f.admin1(&Tx{Kind: KindAddGroup, Group: "beta", GroupKey: f.gen.Groups[0].GroupKey, IssuerProof: f.gen.Groups[0].IssuerProof,
		OpenerProof: f.gen.Groups[0].OpenerProof, AdminKey: f.issuer.Public().(ed25519.PublicKey)}, f.admin)
	node := f.admin1(&Tx{Kind: KindRevokeNode, Node: "node-1"}, f.admin)
	_, cert := f.newValidator("node-2")
	addVal := f.addValidatorTx("node-2", "127.0.0.1:7002", cert)
	rmVal := f.removeValidatorTx("node-1")
	for _, tx := range []*Tx{anon, vote, req, resp, rev, rule, add, node, addVal, rmVal} {
		txs = append(txs, tx.Encode())
	}
	return txs, f.block(anon, req)
}

// FuzzDecodeTx: the decoder never panics, refusals wrap a rule, and what it
// accepts re-encodes to the same bytes (the encoding is canonical).
func FuzzDecodeTx(f *testing.F) {
	txs, _ := fuzzSeeds(f)
	for _, tx := range append(txs, thresholdTxSeeds(f)...) {
		f.Add(tx)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := DecodeTx(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("refusal wraps no rule: %v", err)
			}
			return
		}
		if !bytes.Equal(tx.Encode(), data) {
			t.Fatal("accepted bytes re-encode differently")
		}
		if tx.ID() != tx.SigningHash() {
			t.Fatal("id differs from the signing hash")
		}
	})
}

// FuzzDecodeBlock: as FuzzDecodeTx, for blocks.
func FuzzDecodeBlock(f *testing.F) {
	_, block := fuzzSeeds(f)
	f.Add(block)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBlock(data)
		if err != nil {
			return
		}
		if !bytes.Equal(b.Encode(), data) {
			t.Fatal("accepted bytes re-encode differently")
		}
	})
}

func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus to regenerate testdata/fuzz")
	}
	txs, block := fuzzSeeds(t)
	write := func(target string, data []byte) {
		body := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
		sum := sha256.Sum256(body)
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:8])), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tx := range txs {
		write("FuzzDecodeTx", tx)
	}
	write("FuzzDecodeBlock", block)
	fx := newFixture(t, "alice")
	tx := fx.anonTx("alice", "t", "x")
	fx.commit(tx)
	ev, _ := json.Marshal(fx.evidenceFor(tx, "alice"))
	write("FuzzEvidence", ev)
	for i, b := range append(stateSeeds(t), validatorSetSeed(t)) {
		if i == 4 {
			i = 9 // the validator set's case
		}
		body := fmt.Appendf(nil, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", byte(i), b)
		sum := sha256.Sum256(body)
		dir := filepath.Join("testdata", "fuzz", "FuzzDecodeState")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:8])), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// stateSeeds are one record of each kind the ledger reads back from chain
// state: a join entry, a pending request, a topic and a group header
// (validatorSetSeed is the validator set's).
func stateSeeds(t testing.TB) [][]byte {
	fx := newFixture(t, "alice")
	gi, _ := fx.ledger.Group("acme")
	m := gi.Members[0]
	j := &joinEntry{rec: m.Record, cert: m.Cert, org: m.Org, height: 3, revokedAt: 2}
	p := &pendingJoin{req: m.Record.Request, cert: m.Cert, org: m.Org, height: 4}
	tp := &topicState{rule: TopicRule{Groups: []string{"acme"}, Tagged: true, Closes: 9}, height: 2, tally: 5}
	g, _ := fx.ledger.currentView(PriorityAPI).group("acme")
	return [][]byte{j.encode(), p.encode(), tp.encode(), encodeGroupHeader(g)}
}

// FuzzDecodeState: the join entries, pending requests, topic records,
// group headers, validator sets and threshold records (committees, approvals, consents and
// partials, completed openings, notes) read back from chain state never
// panic their decoders,
// and what decodes re-encodes to the same bytes.
func FuzzDecodeState(f *testing.F) {
	for i, b := range stateSeeds(f) {
		f.Add(uint8(i), b)
	}
	for i, b := range thresholdStateSeeds(f) {
		f.Add(uint8(i+4), b)
	}
	f.Add(uint8(9), validatorSetSeed(f))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		var enc func() []byte
		switch which % 10 {
		case 0:
			j, err := decodeJoinEntry(data)
			if err != nil {
				return
			}
			enc = j.encode
		case 1:
			p, err := decodePending(data)
			if err != nil {
				return
			}
			enc = p.encode
		case 2:
			tp, err := decodeTopic(data)
			if err != nil {
				return
			}
			enc = tp.encode
		case 3:
			g, err := decodeGroupHeader("acme", data)
			if err != nil {
				return
			}
			enc = func() []byte { return encodeGroupHeader(g) }
		case 9:
			vs, err := decodeValidatorSet(1, data)
			if err != nil {
				return
			}
			enc = func() []byte { return encodeValidatorSet(vs) }
		default: // the threshold records (threshold_evidence_test.go)
			got := fuzzThresholdState(which%10, data)
			if got == nil {
				return
			}
			enc = func() []byte { return got }
		}
		if !bytes.Equal(enc(), data) {
			t.Fatal("accepted bytes re-encode differently")
		}
	})
}

// FuzzEvidence: a bundle read from a file never panics its check, and no
// mutation of a genuine bundle is accepted unless it names the same
// member for the same transaction.
func FuzzEvidence(f *testing.F) {
	fx := newFixture(f, "alice")
	tx := fx.anonTx("alice", "t", "x")
	fx.commit(tx)
	good, _ := json.Marshal(fx.evidenceFor(tx, "alice"))
	f.Add(good)
	f.Add([]byte(`{"tx":"00","group_evidence":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev Evidence
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		got, err := ev.Check(fx.ca.cert)
		if err != nil {
			return
		}
		if got.TxID != tx.ID() || got.Member.Label != "alice" {
			t.Fatalf("accepted evidence naming %q for %x", got.Member.Label, got.TxID)
		}
	})
}

// validatorSetSeed is a validator set as the ledger stores it after an
// addition: a genesis validator and an added one.
func validatorSetSeed(t testing.TB) []byte {
	fx := newFixture(t)
	_, cert := fx.newValidator("node-2")
	fx.commit(fx.addValidatorTx("node-2", "127.0.0.1:7002", cert))
	raw, err := fx.ledger.db.GetState(validatorsKey(1))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
