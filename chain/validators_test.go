package chain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/veilchain/veil/storage"
)

// newValidator makes a node key and certificate for id.
func (f *fixture) newValidator(id string) (ed25519.PrivateKey, []byte) {
	pub, key, _ := ed25519.GenerateKey(f.rnd)
	return key, f.ca.node(f.t, id, pub, f.rnd)
}

func (f *fixture) addValidatorTx(id, raft string, cert []byte) *Tx {
	return f.admin1(&Tx{Kind: KindAddValidator, Node: id, RaftAddr: raft, NodeCert: cert}, f.admin)
}

func (f *fixture) removeValidatorTx(id string) *Tx {
	return f.admin1(&Tx{Kind: KindRemoveValidator, Node: id}, f.admin)
}

// blockBy builds the next block of txs signed by proposer.
func (f *fixture) blockBy(proposer string, key ed25519.PrivateKey, txs ...*Tx) []byte {
	head := f.ledger.Head()
	f.time++
	b := &Block{Header: Header{ChainID: testChain, Height: head.Height + 1, PrevHash: head.Hash, Time: f.time, TxRoot: TxRoot(txs)}, Txs: txs}
	b.Sign(proposer, key)
	return b.Encode()
}

func validatorIDs(vs []ValidatorInfo) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// TestValidatorChanges: an admin-signed addition makes a certified node a
// validator from the next block on (its blocks are refused before and
// accepted after), a removal takes one out the same way, the set is
// chain state (it survives a reopen, and the proposer of an old block
// is checked against the set of its height), and every refusal has its
// code.
func TestValidatorChanges(t *testing.T) {
	f := newFixture(t, "alice")
	dir := t.TempDir()
	db, err := storage.Open(dir, storage.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if f.ledger, err = Open(db, f.gen, Config{}); err != nil {
		t.Fatal(err)
	}
	f.pool = NewMempool(f.ledger, MempoolConfig{})
	key2, cert2 := f.newValidator("node-2")

	// Before: node-2's block is refused.
	early := f.blockBy("node-2", key2)
	if _, err := f.ledger.Apply(context.Background(), early); !errors.Is(err, ErrBlockProposer) {
		t.Fatalf("block from a node not yet a validator: %v", err)
	}
	if got := f.commit(f.removeValidatorTx("node-1")); got[0] != CodeNoQuorum {
		t.Fatalf("removing the last validator: %v", got[0])
	}
	add := f.addValidatorTx("node-2", "127.0.0.1:7002", cert2)
	if err := f.ledger.CheckTx(add); err != nil {
		t.Fatalf("check add: %v", err)
	}
	after, err := f.ledger.ValidatorsAfter(add)
	if err != nil || len(after) != 2 {
		t.Fatalf("set after the add: %v %v", validatorIDs(after), err)
	}
	// A second change in the same block is refused: one at a time.
	_, cert3 := f.newValidator("node-3")
	if got := f.commit(add, f.addValidatorTx("node-3", "127.0.0.1:7003", cert3)); got[0] != CodeOK || got[1] != CodeConflict {
		t.Fatalf("add, then a second change in the block: %v", got)
	}
	addHeight := f.ledger.Head().Height
	if got := validatorIDs(f.ledger.Validators()); len(got) != 2 || got[0] != "node-1" || got[1] != "node-2" || !f.ledger.IsValidator("node-2") {
		t.Fatalf("validators after the add: %v", got)
	}
	if v := f.ledger.Validators()[1]; v.RaftAddr != "127.0.0.1:7002" || v.Since != addHeight || !v.PublicKey.Equal(key2.Public()) {
		t.Fatalf("node-2 in state: %+v", v)
	}
	// node-2 now proposes.
	if _, err := f.ledger.Apply(context.Background(), f.blockBy("node-2", key2)); err != nil {
		t.Fatalf("block from the added validator: %v", err)
	}

	// Refusals, each with its code.
	_, otherCert := f.newValidator("node-9")
	_, memberCert, _ := f.request("dora")
	notAdmin := f.admin1(&Tx{Kind: KindRemoveValidator, Node: "node-2"}, f.issuer)
	cases := []struct {
		name string
		tx   *Tx
		want Code
	}{
		{"not admin-signed", notAdmin, CodeBadAdminSignature},
		{"remove a node that is not a validator", f.removeValidatorTx("node-9"), CodeUnknownNode},
		{"add with another node's certificate", f.addValidatorTx("node-4", "127.0.0.1:7004", otherCert), CodeUnknownNode},
		{"add with a member certificate", f.addValidatorTx("dora", "127.0.0.1:7004", memberCert), CodeUnknownNode},
		{"add with garbage", f.addValidatorTx("node-4", "127.0.0.1:7004", []byte{1, 2, 3}), CodeUnknownNode},
		{"add a validator again", f.addValidatorTx("node-2", "127.0.0.1:7005", cert2), CodeConflict},
		{"add at another validator's raft address", f.addValidatorTx("node-3", "127.0.0.1:7002", cert3), CodeConflict},
		{"add without a raft address on a raft chain", f.addValidatorTx("node-3", "", cert3), CodeMalformed},
	}
	for _, c := range cases {
		if err := f.ledger.CheckTx(c.tx); CodeOf(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	for _, a := range []string{"127.0.0.1:0", "127.0.0.1", ":7000", "127.0.0.1:070", "127.0.0.1:65536"} {
		bad := &Tx{Kind: KindAddValidator, ChainID: testChain, Expiry: 9, Node: "node-4", RaftAddr: a, NodeCert: cert3}
		if err := bad.SignAdmin(f.admin); !errors.Is(err, ErrMalformed) {
			t.Errorf("raft address %q: %v", a, err)
		}
	}

	// Remove node-1: from the next block its blocks are refused, while
	// its old blocks still check against the set of their height.
	if got := f.commit(f.removeValidatorTx("node-1")); got[0] != CodeOK {
		t.Fatalf("remove node-1: %v", got)
	}
	if _, err := f.ledger.Apply(context.Background(), f.block()); !errors.Is(err, ErrBlockProposer) {
		t.Fatalf("block from the removed validator: %v", err)
	}
	old, err := f.ledger.Block(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ledger.CheckProposer(old, old.Hash()); err != nil {
		t.Fatalf("node-1's block 1 against the set of its height: %v", err)
	}
	zero := *old
	zero.Height = 0
	if err := f.ledger.CheckProposer(&zero, zero.Hash()); !errors.Is(err, ErrBlockProposer) {
		t.Fatalf("a block at height 0: %v, want ErrBlockProposer", err)
	}
	if got := f.ledger.ValidatorsAt(addHeight - 1); len(got) != 1 || got[0].ID != "node-1" {
		t.Fatalf("set before the add: %v", validatorIDs(got))
	}
	if err := f.ledger.CheckTx(f.removeValidatorTx("node-2")); CodeOf(err) != CodeNoQuorum {
		t.Fatalf("removing the last validator: %v", err)
	}

	// The set is chain state: a reopened ledger has it.
	head := f.ledger.Head()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	re := f.open(dir)
	if re.Head() != head {
		t.Fatalf("head after reopen")
	}
	if got := validatorIDs(re.Validators()); len(got) != 1 || got[0] != "node-2" {
		t.Fatalf("validators after reopen: %v", got)
	}
	if got := re.ValidatorsAt(addHeight); len(got) != 2 {
		t.Fatalf("set at the add's height after reopen: %v", validatorIDs(got))
	}
}

// TestCheckBlocksFollowsValidatorChanges: a run of blocks fetched from a
// peer, in which one block adds a validator and the next is that
// validator's, passes CheckBlocks before any of it is applied.
func TestCheckBlocksFollowsValidatorChanges(t *testing.T) {
	f := newFixture(t, "alice")
	dst := f.open(t.TempDir())
	key2, cert2 := f.newValidator("node-2")
	// run builds, on a ledger of its own, a block adding node-2 signed
	// with admin, then a block of node-2's.
	run := func(admin ed25519.PrivateKey) [][]byte {
		f.ledger = f.open(t.TempDir())
		add := f.admin1(&Tx{Kind: KindAddValidator, Node: "node-2", RaftAddr: "127.0.0.1:7002", NodeCert: cert2}, admin)
		first := f.block(add)
		if _, err := f.ledger.Apply(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		return [][]byte{first, f.blockBy("node-2", key2)}
	}
	if err := dst.CheckBlocks(1, run(f.admin)); err != nil {
		t.Fatalf("check a run that adds a validator: %v", err)
	}
	// Without the admin's signature the addition does not count.
	if err := dst.CheckBlocks(1, run(f.issuer)); !errors.Is(err, ErrBlockProposer) {
		t.Fatalf("a run whose addition is not admin-signed: %v", err)
	}
}

func TestCheckQuorum(t *testing.T) {
	set := func(ids ...string) []ValidatorInfo {
		var out []ValidatorInfo
		for _, id := range ids {
			out = append(out, ValidatorInfo{ID: id})
		}
		return out
	}
	up := func(ids ...string) func(string) bool {
		return func(id string) bool {
			for _, u := range ids {
				if u == id {
					return true
				}
			}
			return false
		}
	}
	cases := []struct {
		name  string
		after []ValidatorInfo
		up    func(string) bool
		ok    bool
	}{
		{"empty", nil, up(), false},
		{"2 of 3", set("a", "b", "c"), up("a", "b"), true},
		{"1 of 3", set("a", "b", "c"), up("a"), false},
		{"2 of 4", set("a", "b", "c", "d"), up("a", "b"), false},
		{"3 of 4", set("a", "b", "c", "d"), up("a", "b", "d"), true},
		{"1 of 1", set("a"), up("a"), true},
	}
	for _, c := range cases {
		err := CheckQuorum(c.after, Majority, c.up)
		if (err == nil) != c.ok || (err != nil && CodeOf(err) != CodeNoQuorum) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestMempoolReapsOneValidatorChangeABlock: two pending validator changes
// go in two blocks, both valid, rather than one refused with conflict.
func TestMempoolReapsOneValidatorChangeABlock(t *testing.T) {
	f := newFixture(t, "alice")
	_, cert2 := f.newValidator("node-2")
	_, cert3 := f.newValidator("node-3")
	anon := f.anonTx("alice", "t", "x")
	for _, tx := range []*Tx{f.addValidatorTx("node-2", "127.0.0.1:7002", cert2), f.addValidatorTx("node-3", "127.0.0.1:7003", cert3), anon} {
		if err := f.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	for want := 2; want <= 3; want++ {
		txs := f.pool.Reap(100, 1<<20)
		codes := f.commit(txs...)
		if slices.ContainsFunc(codes, func(c Code) bool { return c != CodeOK }) || len(f.ledger.Validators()) != want {
			t.Fatalf("block of %d transactions: codes %v, %d validators", len(txs), codes, len(f.ledger.Validators()))
		}
	}
	if f.pool.Len() != 0 {
		t.Fatalf("%d transactions left pending", f.pool.Len())
	}
}

// BenchmarkCheckProposer measures the proposer check against the set of
// a block's height, on a ledger whose set changed 16 times, as a ratio
// to the bare Ed25519 verification it makes (check/verify, interleaved
// in one run): the set lookup by height should cost next to nothing.
func BenchmarkCheckProposer(b *testing.B) {
	f := newFixture(b, "alice")
	for i := range 16 {
		_, cert := f.newValidator(fmt.Sprintf("node-%d", i+2))
		f.commit(f.addValidatorTx(fmt.Sprintf("node-%d", i+2), fmt.Sprintf("127.0.0.1:%d", 7002+i), cert))
	}
	blk, err := DecodeBlock(f.block())
	if err != nil {
		b.Fatal(err)
	}
	hash := blk.Hash()
	key := f.valKey.Public().(ed25519.PublicKey)
	var check, verify time.Duration
	for b.Loop() {
		start := time.Now()
		if err := f.ledger.CheckProposer(blk, hash); err != nil {
			b.Fatal(err)
		}
		check += time.Since(start)
		start = time.Now()
		if !ed25519.Verify(key, hash[:], blk.Signature) {
			b.Fatal("bad signature")
		}
		verify += time.Since(start)
	}
	b.ReportMetric(check.Seconds()/verify.Seconds(), "check/verify")
}
