package chain

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/veilchain/veil/groupsig"
)

// revocationOfSize is a revocation transaction of the group acme signed by
// its issuer admin key whose encoding is size bytes. Its record is
// filler: the size rules apply before the record is read. When size is
// over the limit, SignAdmin's error is returned with the transaction,
// which still encodes (with a zero signature).
func revocationOfSize(f *fixture, size int) (*Tx, error) {
	f.t.Helper()
	probe := f.admin1(&Tx{Kind: KindRevokeMember, Group: "acme", Revocation: []byte{1}}, f.issuer)
	tx := &Tx{Kind: KindRevokeMember, Group: "acme", Revocation: make([]byte, size-probe.Size()+1)}
	tx.ChainID, tx.Expiry, tx.Nonce = testChain, f.ledger.Head().Height+10, f.nonce()
	err := tx.SignAdmin(f.issuer)
	if got := len(tx.Encode()); got != size {
		f.t.Fatalf("made a %d-byte revocation, want %d", got, size)
	}
	return tx, err
}

func wantTooLarge(t *testing.T, what string, err error) {
	t.Helper()
	if CodeOf(err) != CodeTooLarge || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%s: code %v, want too_large: %v", what, CodeOf(err), err)
	}
	for _, s := range []string{"revocation transaction", "at most", "block", "too many members"} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("%s: message %q does not say %q", what, err, s)
		}
	}
}

// A revocation record may take a whole block, not just MaxTxSize: a group
// with more members than 1 MiB re-issues (about 9,300 of 64-byte labels)
// must still be able to revoke. One that does not fit alone in a block is
// refused, too_large, wherever it shows up: building it, decoding it,
// applying a block that holds it.
func TestRevocationOverBlockSizeRefused(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	tx, err := revocationOfSize(f, MaxRevocationTxSize+1)
	wantTooLarge(t, "sign", err)
	enc := tx.Encode()
	_, err = DecodeTx(enc)
	wantTooLarge(t, "decode", err)

	// A block holding it alone stays under MaxBlockSize with this chain's
	// short id and proposer: the transaction's own limit refuses it.
	raw := f.block(tx)
	if len(raw) > MaxBlockSize {
		t.Fatalf("block is %d bytes, over MaxBlockSize: the test would not reach the transaction", len(raw))
	}
	_, err = DecodeBlock(raw)
	wantTooLarge(t, "decode block", err)
	head := f.ledger.Head()
	_, err = f.ledger.Apply(context.Background(), raw)
	if !errors.Is(err, ErrBlockRejected) {
		t.Fatalf("apply: %v, want a rejected block", err)
	}
	wantTooLarge(t, "apply", err)
	if f.ledger.Head() != head {
		t.Fatal("a rejected block moved the head")
	}

	// Every other kind keeps MaxTxSize.
	other := append([]byte{TxVersion, byte(KindAnonymous)}, make([]byte, MaxTxSize-1)...)
	if _, err := DecodeTx(other); CodeOf(err) != CodeTooLarge || strings.Contains(err.Error(), "revocation") {
		t.Fatalf("an anonymous transaction of %d bytes: %v", len(other), err)
	}
}

// The largest revocation transaction fits a block with the longest chain
// id and proposer, and is past the size rules: the ledger reads its
// record (filler here, so invalid_revocation).
func TestRevocationUpToBlockSizeAccepted(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	tx, err := revocationOfSize(f, MaxRevocationTxSize)
	if err != nil {
		t.Fatalf("sign a %d-byte revocation: %v", MaxRevocationTxSize, err)
	}
	if tx.Size() <= MaxTxSize {
		t.Fatal("the largest revocation is within MaxTxSize: nothing to test")
	}
	back, err := DecodeTx(tx.Encode())
	if err != nil || back.ID() != tx.ID() {
		t.Fatalf("decode: %v", err)
	}
	b := &Block{Header: Header{ChainID: strings.Repeat("c", MaxChainIDLen), Height: 1, Time: 2, TxRoot: TxRoot([]*Tx{tx})}, Txs: []*Tx{tx}}
	b.Sign(strings.Repeat("n", MaxNodeIDLen), f.valKey)
	raw := b.Encode()
	if len(raw) != MaxBlockSize {
		t.Fatalf("a block of the largest revocation is %d bytes, want exactly MaxBlockSize %d", len(raw), MaxBlockSize)
	}
	if _, err := DecodeBlock(raw); err != nil {
		t.Fatalf("decode block: %v", err)
	}
	if err := f.ledger.CheckTx(tx); CodeOf(err) != CodeInvalidRevocation {
		t.Fatalf("check: %v, want invalid_revocation (the filler record)", err)
	}
}

// A record is 142 bytes plus the revoked label, plus 1 + len(label) + 48
// bytes (BLS12-381) a re-issued member: what MaxRevocationTxSize's
// comment counts on, and why MaxTxSize (1 MiB) alone capped a group at
// about 9,300 members of 64-byte labels.
func TestRevocationRecordSize(t *testing.T) {
	long := strings.Repeat("l", MaxOrgLen-len("org-")) // the fixture's org is "org-" + label
	f := newFixture(t, "alice", "bob", long)
	tx := f.revokeTx("bob")
	var rec groupsig.RevocationRecord
	if err := rec.UnmarshalBinary(tx.Revocation); err != nil {
		t.Fatal(err)
	}
	const g1 = 48
	want := 2 + 32 + 8 + 4 + (1 + len("bob")) + 4 + (1 + len("alice") + g1) + (1 + len(long) + g1) + 2*32
	if len(tx.Revocation) != want {
		t.Fatalf("record is %d bytes, want %d", len(tx.Revocation), want)
	}
	perLong := 1 + MaxLabelLen + g1
	if n := (MaxTxSize - 200) / perLong; n > 9_300 || n < 9_200 {
		t.Fatalf("1 MiB holds %d members of 64-byte labels", n)
	}
	if n := (MaxRevocationTxSize - 400) / perLong; n < 74_000 {
		t.Fatalf("a block holds only %d members of 64-byte labels", n)
	}
	if n := (MaxRevocationTxSize - 400) / (1 + 8 + g1); n < 147_000 {
		t.Fatalf("a block holds only %d members of 8-byte labels", n)
	}
}
