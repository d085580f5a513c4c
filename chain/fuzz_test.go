package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/veilchain/veil/groupsig/bbs04"
)

var writeCorpus = flag.Bool("write-corpus", false, "write the fuzz seed corpus into testdata/fuzz")

// fuzzSeeds builds one transaction of each kind and a block holding them.
func fuzzSeeds(t testing.TB) (txs [][]byte, block []byte) {
	f := newFixture(t, "alice", "bob")
	anon := f.anonTx("alice", "topic", "payload")
	reg := f.registerTx("carol", f.members["bob"].Identity())
	rev := f.revokeTx("bob")
	for _, tx := range []*Tx{anon, reg, rev} {
		txs = append(txs, tx.Encode())
	}
	return txs, f.block(anon, reg)
}

// FuzzDecodeTx: the decoder never panics, refusals wrap a rule, and what it
// accepts re-encodes to the same bytes (the encoding is canonical).
func FuzzDecodeTx(f *testing.F) {
	txs, _ := fuzzSeeds(f)
	for _, tx := range txs {
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
}

// FuzzDecodeMember: the registry entries read back from chain state never
// panic the decoder, and what decodes re-encodes to the same bytes.
func FuzzDecodeMember(f *testing.F) {
	m := &member{joined: 1, revokedAt: 3, as: make([]bbs04.Identity, 2)}
	f.Add(m.encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMember(data)
		if err != nil {
			return
		}
		if !bytes.Equal(m.encode(), data) {
			t.Fatal("accepted bytes re-encode differently")
		}
	})
}
