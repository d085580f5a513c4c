package chain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestCheckBlocks checks a peer's reply the way block sync does: the
// honest chain passes from genesis and from any stored height, and each
// kind of lie is refused with the sentinel that names it.
func TestCheckBlocks(t *testing.T) {
	f := newFixture(t, "alice")
	var txs []*Tx
	for i := range 12 {
		txs = append(txs, f.topicTx(fmt.Sprintf("t%d", i), TopicRule{}))
	}
	raws := syncChain(t, f, txs, 2) // 6 blocks on a scratch ledger
	l := f.open(t.TempDir())
	if err := l.CheckBlocks(1, raws); err != nil {
		t.Fatalf("honest chain from genesis: %v", err)
	}
	if err := l.CheckBlocks(3, raws[2:]); err == nil {
		t.Fatal("checked blocks from 3 on a ledger at 0")
	}
	for _, raw := range raws[:3] {
		if _, err := l.Apply(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
	}
	for from := uint64(1); from <= 4; from++ {
		if err := l.CheckBlocks(from, raws[from-1:]); err != nil {
			t.Fatalf("honest chain from %d on a ledger at 3: %v", from, err)
		}
	}
	if err := l.CheckBlocks(3, raws[3:]); !errors.Is(err, ErrBlockHeight) {
		t.Fatalf("blocks from 4 checked as from 3: %v", err)
	}

	block := func(raw []byte) *Block {
		b, err := DecodeBlock(raw)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	lies := []struct {
		name  string
		reply func() [][]byte
		want  error
	}{
		{"reordered", func() [][]byte { return [][]byte{raws[4], raws[3], raws[5]} }, ErrBlockHeight},
		{"gap", func() [][]byte { return [][]byte{raws[3], raws[5]} }, ErrBlockHeight},
		{"truncated", func() [][]byte { return [][]byte{raws[3][:len(raws[3])-5]} }, ErrMalformed},
		{"changed tx", func() [][]byte {
			b := block(raws[3])
			b.Txs[1] = txs[0] // another, validly signed transaction
			return [][]byte{b.Encode()}
		}, ErrTxRoot},
		{"changed tx, root fixed", func() [][]byte {
			b := block(raws[3])
			b.Txs = b.Txs[:1]
			b.TxRoot = TxRoot(b.Txs)
			return [][]byte{b.Encode()}
		}, ErrBlockProposer},
		{"signed by a non-validator", func() [][]byte {
			b := block(raws[3])
			b.Sign("intruder", stranger)
			return [][]byte{b.Encode()}
		}, ErrBlockProposer},
		{"forged validator signature", func() [][]byte {
			b := block(raws[3])
			b.Sign("node-1", stranger)
			return [][]byte{b.Encode()}
		}, ErrBlockProposer},
		{"re-signed previous block", func() [][]byte {
			b := block(raws[3])
			b.Time++
			b.Sign("node-1", f.valKey) // a validator's key: only the next link shows it
			return [][]byte{b.Encode(), raws[4]}
		}, ErrBlockLink},
		{"other chain", func() [][]byte {
			b := block(raws[3])
			b.ChainID = "elsewhere"
			b.Sign("node-1", f.valKey)
			return [][]byte{b.Encode()}
		}, ErrWrongChain},
	}
	for _, lie := range lies {
		if err := l.CheckBlocks(4, lie.reply()); !errors.Is(err, lie.want) {
			t.Errorf("%s: %v, want %v", lie.name, err, lie.want)
		}
	}
	if h := l.Head().Height; h != 3 {
		t.Fatalf("checking moved the head to %d", h)
	}
}

// BenchmarkCheckBlocks times CheckBlocks on the 50 blocks of 20
// anonymous transactions of BenchmarkSync against syncing them (VerifyAhead
// and Apply on a fresh ledger) in the same iteration; check/sync is the
// share of sync time that checking a peer's reply first adds.
func BenchmarkCheckBlocks(b *testing.B) {
	f := newFixture(b, "alice")
	txs := syncTxs(b, f)
	raws := syncChain(b, f, txs, 20)
	var check, sync time.Duration
	for b.Loop() {
		b.StopTimer()
		ledger := f.open(b.TempDir())
		warmKey(ledger, txs[0])
		b.StartTimer()
		start := time.Now()
		if err := ledger.CheckBlocks(1, raws); err != nil {
			b.Fatal(err)
		}
		check += time.Since(start)
		b.StopTimer()
		start = time.Now()
		ledger.VerifyAhead(raws)
		for _, raw := range raws {
			if _, err := ledger.Apply(context.Background(), raw); err != nil {
				b.Fatal(err)
			}
		}
		sync += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(check.Seconds()/sync.Seconds(), "check/sync")
}
