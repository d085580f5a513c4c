package chain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
	"golang.org/x/sync/errgroup"
)

// benchTxs signs n transactions once per process (signing dominates setup).
var benchTxs = sync.OnceValues(func() (*fixture, []*Tx) {
	f := newFixture(&testing.T{}, "alice")
	txs := make([]*Tx, 1000)
	for i := range txs {
		txs[i] = f.anonTx("alice", "bench", "a payload of moderate size, like an invoice reference or a hash")
	}
	return f, txs
})

// BenchmarkVerify is the baseline: one group signature verification of a
// transaction id, as admission does when no verdict is cached.
func BenchmarkVerify(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	key, _ := f.ledger.GroupKey("acme", 0)
	id := txs[0].ID()
	_, _ = groupsig.Verify(key, id[:], nil, txs[0].Auth) // build the key's tables outside the timing
	for b.Loop() {
		if _, err := groupsig.Verify(key, id[:], nil, txs[0].Auth); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMempoolAdmit admits transactions with no verdict cached: the
// cost is the signature check plus everything else admission does.
func BenchmarkMempoolAdmit(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	var pool *Mempool
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(txs) == 0 {
			b.StopTimer()
			ledger := f.open(b.TempDir()) // empty verdict cache
			warmKey(ledger, txs[0])
			pool = NewMempool(ledger, MempoolConfig{MaxTxs: len(txs)})
			b.StartTimer()
		}
		if err := pool.Add(txs[i%len(txs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// warmKey builds the group key's precomputed tables (once per key, ≈40
// ms), so that benchmarks time steady-state admission.
func warmKey(l *Ledger, tx *Tx) {
	key, _ := l.GroupKey(tx.Group, tx.Epoch)
	id := tx.ID()
	_, _ = groupsig.Verify(key, id[:], nil, tx.Auth)
}

// BenchmarkMempoolAdmitCached admits transactions whose verdicts are
// cached (gossip re-delivery, or a second submission of the same bytes).
func BenchmarkMempoolAdmitCached(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	ledger := f.open(b.TempDir())
	for _, tx := range txs {
		ledger.Verdicts().Put(tx, true)
	}
	var pool *Mempool
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(txs) == 0 {
			pool = NewMempool(ledger, MempoolConfig{MaxTxs: len(txs)})
		}
		if err := pool.Add(txs[i%len(txs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply1000Cached applies a block of 1,000 transactions whose
// verdicts are cached, as after mempool admission; ns/op is per block.
// Compare with 1,000 × BenchmarkVerify.
func BenchmarkApply1000Cached(b *testing.B) {
	f, txs := benchTxs()
	f.t = b
	base := f.ledger.Head()
	blk := &Block{Header: Header{ChainID: testChain, Height: base.Height + 1, PrevHash: base.Hash, Time: 1 << 40, TxRoot: TxRoot(txs)}, Txs: txs}
	blk.Sign("node-1", f.valKey)
	raw := blk.Encode()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		b.StopTimer()
		db, err := storage.Open(b.TempDir(), storage.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		ledger, err := Open(db, f.gen, Config{})
		if err != nil {
			b.Fatal(err)
		}
		// The fixture's chain has the registration block; copy it over.
		for h := uint64(1); h <= base.Height; h++ {
			r, _ := f.ledger.RawBlock(h)
			if _, err := ledger.Apply(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
		for _, tx := range txs {
			ledger.Verdicts().Put(tx, true)
		}
		before := ledger.Verifications()
		b.StartTimer()
		a, err := ledger.Apply(context.Background(), raw)
		b.StopTimer()
		if err != nil || a.Codes[999] != CodeOK || ledger.Verifications() != before {
			b.Fatalf("apply: %v", err)
		}
		db.Close()
		b.StartTimer()
	}
}

// BenchmarkApplyRevocation applies blocks that each hold one revocation
// record (groupsig v2) revoking one member of a group of n founding
// members and re-issuing the others: Ledger.Apply on the raw block decodes
// the record, checks the issuer's proof chained to the previous record,
// that it lists exactly the current members, every re-issued certificate
// (one batched pairing check) and writes the state in one synced batch.
// ns/op is per block. The issuer makes each record outside the timing.
// Iterations revoke one member after another on one ledger, so each
// applies a real, new record; a group is rebuilt (outside the timing)
// before more than 5 % of its members are gone, so every block works on
// 95–100 % of n. It reports the record's and the block's bytes, the mean
// bytes a re-issued member adds to the record, the time of Ledger.CheckTx
// on the same transaction just before the apply (the admission check
// alone), and the setup time of the group (setup-s, not per op).
func BenchmarkApplyRevocation(b *testing.B) {
	for _, n := range []int{10, 1000, 10_000} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) { benchRevocation(b, n) })
	}
}

func benchRevocation(b *testing.B, n int) {
	start := time.Now()
	f, times := groupFixture(b, n)
	setup := time.Since(start)
	b.Logf("setup of %d members: %.1f s (requests %.1f s on %d cores, issue %.1f s, ledger open %.1f s)",
		n, setup.Seconds(), times["requests"].Seconds(), runtime.GOMAXPROCS(0), times["issue"].Seconds(), times["open"].Seconds())
	budget, revoked := max(1, n/20), 0
	var recBytes, blkBytes, iters int
	var entryBytes float64
	var check time.Duration
	for b.Loop() {
		b.StopTimer()
		if revoked == budget {
			f.ledger.db.Close() // its cleanup's second close is a no-op error
			f, _ = groupFixture(b, n)
			revoked = 0
		}
		f.t = b
		tx := f.revokeTx(fmt.Sprintf("m%d", revoked))
		revoked++
		raw := f.block(tx)
		t0 := time.Now()
		if err := f.ledger.CheckTx(tx); err != nil {
			b.Fatalf("check: %v", err)
		}
		check += time.Since(t0)
		height := f.ledger.Head().Height
		b.StartTimer()
		a, err := f.ledger.Apply(context.Background(), raw)
		b.StopTimer()
		if err != nil || a.Codes[0] != CodeOK {
			b.Fatalf("apply: %v %v", err, a)
		}
		if gi, _ := f.ledger.Group("acme"); gi.Epoch != uint64(revoked) || f.ledger.Head().Height != height+1 {
			b.Fatalf("group at epoch %d after %d revocations", gi.Epoch, revoked)
		}
		var rec groupsig.RevocationRecord
		if err := rec.UnmarshalBinary(tx.Revocation); err != nil {
			b.Fatal(err)
		}
		entries := 0
		for _, l := range rec.Reissued() {
			pt, _ := rec.ReissuedA(l)
			entries += 1 + len(l) + len(pt)
		}
		recBytes, blkBytes, iters = recBytes+len(tx.Revocation), blkBytes+len(raw), iters+1
		entryBytes += float64(entries) / float64(len(rec.Reissued()))
		b.StartTimer()
	}
	b.ReportMetric(float64(recBytes)/float64(iters), "record-B")
	b.ReportMetric(float64(blkBytes)/float64(iters), "block-B")
	b.ReportMetric(entryBytes/float64(iters), "B/member")
	b.ReportMetric(float64(check.Nanoseconds())/float64(iters), "check-ns/op")
	b.ReportMetric(setup.Seconds(), "setup-s")
}

// groupFixture is a fixture whose group acme has n founding members,
// joined at genesis: each member has an identity key and certificate and
// makes its join request (on its own machine; here on all cores), the
// issuer answers each with Registry.Issue, and the ledger opens on the
// genesis, checking every founding member once as it writes the genesis
// state. No member key is finished: nothing here signs as a member.
func groupFixture(tb testing.TB, n int) (*fixture, map[string]time.Duration) {
	tb.Helper()
	times := map[string]time.Duration{}
	start := time.Now()
	f := newFixture(tb)
	empty := f.ledger
	type made struct {
		id   ed25519.PrivateKey
		cert []byte
		req  *groupsig.JoinRequest
	}
	out := make([]made, n)
	for i := range out {
		label := fmt.Sprintf("m%d", i)
		pub, id, _ := ed25519.GenerateKey(f.rnd)
		out[i] = made{id: id, cert: f.ca.member(tb, "org-"+label, label, pub, f.rnd)}
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			rnd := testRand(uint64(1000 + w))
			for i := w; i < n; i += workers {
				out[i].req, _, errs[w] = groupsig.NewJoinRequest(f.gk, f.ip, f.op, fmt.Sprintf("m%d", i), out[i].id, rnd)
				if errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	times["requests"] = time.Since(start)
	start = time.Now()
	gg := &f.gen.Groups[0]
	for _, m := range out {
		resp, err := f.reg.Issue(f.ik, m.req, f.rnd)
		if err != nil {
			tb.Fatal(err)
		}
		gm := GenesisMember{Cert: m.cert}
		gm.Request, _ = m.req.MarshalBinary()
		gm.Response, _ = resp.MarshalBinary()
		gg.Members = append(gg.Members, gm)
	}
	times["issue"] = time.Since(start)
	start = time.Now()
	empty.db.Close() // newFixture's, of no members; its cleanup's second close is a no-op error
	f.ledger = f.open(tb.TempDir())
	f.pool = NewMempool(f.ledger, MempoolConfig{})
	times["open"] = time.Since(start)
	// Build the ledger key's precomputed tables (once per group and
	// process, ≈40 ms, like warmKey) so that the benchmarks time the
	// steady state: a running node has them from its first check.
	key, err := f.ledger.GroupKey("acme", 0)
	if err == nil {
		err = out[0].req.Verify(key)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return f, times
}

// syncChain applies txs in blocks of per on a scratch ledger and returns
// the raw blocks: a chain for a fresh ledger to catch up.
func syncChain(b testing.TB, f *fixture, txs []*Tx, per int) [][]byte {
	src := f.open(b.TempDir())
	var raws [][]byte
	for i := 0; i < len(txs); i += per {
		head := src.Head()
		part := txs[i:min(i+per, len(txs))]
		blk := &Block{Header: Header{ChainID: testChain, Height: head.Height + 1, PrevHash: head.Hash, Time: 1<<40 + int64(i), TxRoot: TxRoot(part)}, Txs: part}
		blk.Sign("node-1", f.valKey)
		raw := blk.Encode()
		if a, err := src.Apply(context.Background(), raw); err != nil || a.Codes[0] != CodeOK {
			b.Fatalf("build chain: %v", err)
		}
		raws = append(raws, raw)
	}
	return raws
}

// syncTxs signs the 1,000 anonymous transactions of alice that the sync
// benchmarks commit, in blocks of 20 (not benchTxs: those expire at height
// 10).
func syncTxs(b *testing.B, f *fixture) []*Tx {
	mk := f.members["alice"]
	txs := make([]*Tx, 1000)
	for i := range txs {
		txs[i] = &Tx{ChainID: testChain, Expiry: 900, Nonce: f.nonce(), Group: "acme", Epoch: mk.Epoch(), Topic: "sync", Payload: []byte("a payload of moderate size, like an invoice reference or a hash")}
		if err := txs[i].SignAnonymous(f.key(mk), mk, false, f.rnd); err != nil {
			b.Fatal(err)
		}
	}
	return txs
}

// BenchmarkSync times a fresh ledger catching up a chain of 1,000
// transactions in 50 blocks of 20 (a block of the 4-node network at
// saturation on 2 cores holds 20–40), verifying every signature once, as
// block sync does (consensus's catchUp, raft's ApplyBatch): ahead=true
// queues the whole batch's signatures on the pool first
// (Ledger.VerifyAhead), so the pool verifies the next blocks while each
// block commits; ahead=false applies block by block (each block's own
// signatures in parallel, nothing ahead: the previous behaviour). It
// reports tx/s and ceiling, the share of the verify-bound ceiling reached:
// before each timed sync, the same signatures are verified bare on one
// goroutine a core (groupsig.Verify, nothing else), and ceiling is that
// time ÷ the sync's, so both see the same machine.
func BenchmarkSync(b *testing.B) {
	f := newFixture(b, "alice")
	txs := syncTxs(b, f)
	raws := syncChain(b, f, txs, 20)
	key, _ := f.ledger.GroupKey("acme", 0)
	bare := func() time.Duration {
		start := time.Now()
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		for _, tx := range txs {
			g.Go(func() error {
				id := tx.ID()
				_, err := groupsig.Verify(key, id[:], nil, tx.Auth)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for _, ahead := range []bool{true, false} {
		b.Run(fmt.Sprintf("ahead=%v", ahead), func(b *testing.B) {
			var spent, ceiling time.Duration
			verified := 0
			for b.Loop() {
				b.StopTimer()
				ledger := f.open(b.TempDir()) // empty verdict cache
				warmKey(ledger, txs[0])
				ceiling += bare()
				b.StartTimer()
				start := time.Now()
				if ahead {
					ledger.VerifyAhead(raws)
				}
				for _, raw := range raws {
					if _, err := ledger.Apply(context.Background(), raw); err != nil {
						b.Fatal(err)
					}
				}
				spent += time.Since(start)
				b.StopTimer()
				if got := ledger.Verifications(); got != int64(len(txs)) {
					b.Fatalf("%d verifications for %d transactions", got, len(txs))
				}
				verified += len(txs)
				b.StartTimer()
			}
			b.ReportMetric(float64(verified)/spent.Seconds(), "tx/s")
			b.ReportMetric(ceiling.Seconds()/spent.Seconds(), "ceiling")
		})
	}
}
