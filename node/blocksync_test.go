package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/p2p"
)

// lie is one kind of bad reply a lying peer serves to reqBlocks: mangle
// turns the honest reply's blocks (or, if nil, the request) into the
// reply, and want is the reason the syncing node must give ("" when the
// request fails without a reply to refuse).
type lie struct {
	name   string
	want   string
	mangle func(ctx context.Context, honest [][]byte) ([]byte, error)
}

// lies are the bad replies of TestBlockSyncRefusesLyingPeer. liarKey is
// the lying validator's own node key; honest replies hold at least two
// blocks of one transaction each.
func lies(t *testing.T, liar string, liarKey ed25519.PrivateKey) []lie {
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	decode := func(raw []byte) *chain.Block {
		b, err := chain.DecodeBlock(raw)
		if err != nil {
			t.Error(err)
			return &chain.Block{}
		}
		return b
	}
	chunks := func(blocks ...[]byte) []byte {
		var out []byte
		for _, b := range blocks {
			out = appendChunk(out, b)
		}
		return out
	}
	// first replaces the first block and keeps the others.
	first := func(h [][]byte, f func(b *chain.Block)) []byte {
		b := decode(h[0])
		f(b)
		return chunks(append([][]byte{b.Encode()}, h[1:]...)...)
	}
	return []lie{
		{"garbage", refusedFraming, func(_ context.Context, h [][]byte) ([]byte, error) {
			g := make([]byte, 1000)
			rand.Read(g)
			g[0] = 0xff // a first length past the end
			return g, nil
		}},
		{"garbage blocks", refusedMalformed, func(_ context.Context, h [][]byte) ([]byte, error) {
			g := make([]byte, 300)
			rand.Read(g)
			g[0] = 7 // not the block version
			return chunks(g, g), nil
		}},
		{"truncated chunk", refusedFraming, func(_ context.Context, h [][]byte) ([]byte, error) {
			b := chunks(h...)
			return b[:len(b)-7], nil
		}},
		{"truncated block", refusedMalformed, func(_ context.Context, h [][]byte) ([]byte, error) {
			last := h[len(h)-1]
			return chunks(append(h[:len(h)-1:len(h)-1], last[:len(last)-5])...), nil
		}},
		{"empty", refusedEmpty, func(context.Context, [][]byte) ([]byte, error) { return nil, nil }},
		{"reordered", refusedHeight, func(_ context.Context, h [][]byte) ([]byte, error) {
			return chunks(append([][]byte{h[1], h[0]}, h[2:]...)...), nil
		}},
		{"gap", refusedHeight, func(_ context.Context, h [][]byte) ([]byte, error) {
			return chunks(append([][]byte{h[0]}, h[2:]...)...), nil
		}},
		{"changed tx", refusedTxRoot, func(_ context.Context, h [][]byte) ([]byte, error) {
			other := decode(h[1])
			return first(h, func(b *chain.Block) { b.Txs = other.Txs }), nil
		}},
		{"changed tx, tx root fixed", refusedProposer, func(_ context.Context, h [][]byte) ([]byte, error) {
			other := decode(h[1])
			return first(h, func(b *chain.Block) { b.Txs, b.TxRoot = other.Txs, other.TxRoot }), nil
		}},
		{"signed by a non-validator", refusedProposer, func(_ context.Context, h [][]byte) ([]byte, error) {
			return first(h, func(b *chain.Block) { b.Time++; b.Sign("intruder", stranger) }), nil
		}},
		{"forged validator signature", refusedProposer, func(_ context.Context, h [][]byte) ([]byte, error) {
			return first(h, func(b *chain.Block) { b.Time++; b.Sign("node-1", stranger) }), nil
		}},
		{"re-signed by the lying validator", refusedLink, func(_ context.Context, h [][]byte) ([]byte, error) {
			return first(h, func(b *chain.Block) { b.Time++; b.Sign(liar, liarKey) }), nil
		}},
		{"other chain", refusedWrongChain, func(_ context.Context, h [][]byte) ([]byte, error) {
			return first(h, func(b *chain.Block) { b.ChainID = "elsewhere"; b.Sign(liar, liarKey) }), nil
		}},
		{"stall", refusedTimeout, func(ctx context.Context, _ [][]byte) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{"error", "", func(context.Context, [][]byte) ([]byte, error) { return nil, errors.New("disk on fire") }},
	}
}

// TestBlockSyncRefusesLyingPeer runs 3 validators, one of them (node-3)
// a liar whose reqBlocks handler serves bad replies, and brings up the
// observer node-4 with an empty data directory after the leader's raft log
// has been compacted: it syncs from genesis by snapshot restore and block
// sync, asking the liar first, and must end on the honest head. Then the
// observer asks for blocks 1..head once per kind of lie, the liar first
// each time: every reply is refused with its reason (logged at warn
// naming the liar, counted in veil_block_sync_refused_total) and the
// blocks come from an honest peer. Last, the nodes' request handlers get
// garbage requests and keep serving.
func TestBlockSyncRefusesLyingPeer(t *testing.T) {
	ln := startLocalWith(t, 4, netOptions{tweak: func(c *Config) {
		c.RaftLogBytes = 8 << 10 // one-tx blocks: a snapshot keeps 4 KiB of entries
		c.MaxBlockTxs = 1        // a block a transaction: many raft entries quickly
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := newKit(t, ln)
	k.waitLeader(ctx, 1, 2, 3)
	ln.stop(4) // the observer comes back empty

	const liar = "node-3"
	liarNode := ln.nodes[3]
	liarKey, err := genesis.ReadPrivateKey(liarNode.cfg.Key)
	if err != nil {
		t.Fatal(err)
	}
	var mode atomic.Pointer[lie]
	var served atomic.Int64 // bad replies the liar served
	lieFn := func(ctx context.Context, from, to uint64) ([]byte, error) {
		body, err := liarNode.serveBlocks(ctx, from, to)
		if err != nil {
			return nil, err
		}
		honest, err := splitChunks(body)
		if err != nil || len(honest) < 3 {
			return body, err // too few blocks to lie with: honest
		}
		served.Add(1)
		return mode.Load().mangle(ctx, honest)
	}
	liarNode.syncer.serve.Store(&lieFn)
	kinds := lies(t, liar, liarKey)
	for i := range kinds {
		if kinds[i].name == "signed by a non-validator" {
			mode.Store(&kinds[i]) // while node-4 syncs
		}
	}

	var fill []string
	for range 48 {
		fill = append(fill, k.submitOnce(ctx, 1, nil)...)
	}
	k.waitEverywhere(ctx, fill[len(fill)-1])
	waitFor(t, ctx, "a raft snapshot on the leader past index 32", func() bool {
		return newestSnapshot(filepath.Join(ln.leader().cfg.DataDir, "raft", "snapshots", "snapshots")) > 32
	})

	// The liar's gossiped height must be its head before node-4 joins, or
	// node-4 would not count it among the peers that hold the blocks.
	waitFor(t, ctx, "node-1 to see the liar's height", func() bool {
		for _, p := range ln.nodes[1].Peers() {
			if p.ID == liar {
				return p.Alive && p.Height == liarNode.ledger.Head().Height
			}
		}
		return false
	})

	// node-4, empty, with the liar first in its order of peers.
	cfg, err := ReadConfig(ConfigPath(ln.layout, 4))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	warnings := &errorLog{}
	refusals := func(reason string) int {
		return warnings.count(slog.LevelWarn, "block sync: refused a peer's reply", map[string]string{"peer": liar, "reason": reason})
	}
	restores := &restoreLog{}
	obs, err := New(cfg, slog.New(&captureHandler{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}), restores: restores, errs: warnings}))
	if err != nil {
		t.Fatal(err)
	}
	obs.syncer.peerTimeout = time.Second // the stalling lie costs a second, not ten
	putLiarFirst := func() {
		now := time.Now()
		obs.syncer.distrusted.add("node-1", now, now.Add(time.Hour))
		obs.syncer.distrusted.add("node-2", now, now.Add(time.Hour))
		obs.syncer.distrusted.add(liar, now, now) // trusted again from now on
	}
	putLiarFirst()
	began := time.Now()
	octx, ocancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- obs.Run(octx) }()
	ln.mu.Lock()
	ln.nodes[4], ln.stops[4], ln.done[4], ln.restores[4] = obs, ocancel, done, restores
	ln.mu.Unlock()
	k.waitSameHead(ctx, 1, 2, 3, 4)
	syncTime := time.Since(began)
	if restores.fromPeers() == 0 {
		t.Fatal("node-4 caught up from the raft log alone: no snapshot was installed, no block sync")
	}
	if got := refusals(refusedProposer); got == 0 || served.Load() == 0 {
		t.Fatalf("node-4 synced without refusing the liar's reply (%d refused, %d bad replies served)", got, served.Load())
	}
	head := obs.ledger.Head()
	if liarNode.ledger.Head().Hash != head.Hash || ln.nodes[1].ledger.Head().Hash != head.Hash {
		t.Fatal("node-4's head differs from the honest nodes'")
	}
	syncRefused := obs.syncer.refusedBy(refusedProposer)

	// One fetch of blocks 1..head per lie, the liar asked first.
	var honest [][]byte
	for h := uint64(1); h <= head.Height; h++ {
		raw, err := obs.ledger.RawBlock(h)
		if err != nil {
			t.Fatal(err)
		}
		honest = append(honest, raw)
	}
	var fetchTime time.Duration
	for i := range kinds {
		l := &kinds[i]
		mode.Store(l)
		putLiarFirst()
		before, logged, bad := obs.syncer.refusedBy(l.want), refusals(l.want), served.Load()
		start := time.Now()
		got, err := obs.FetchBlocks(ctx, 1, head.Height)
		fetchTime += time.Since(start)
		if err != nil {
			t.Fatalf("%s: fetch: %v", l.name, err)
		}
		if served.Load() != bad+1 {
			t.Fatalf("%s: the liar was not asked first", l.name)
		}
		if len(got) != len(honest) {
			t.Fatalf("%s: %d blocks, want %d", l.name, len(got), len(honest))
		}
		for j := range got {
			if !bytes.Equal(got[j], honest[j]) {
				t.Fatalf("%s: block %d differs from the honest one", l.name, j+1)
			}
		}
		if l.want == "" {
			continue
		}
		if n := obs.syncer.refusedBy(l.want); n != before+1 {
			t.Errorf("%s: %s refusals went from %d to %d", l.name, l.want, before, n)
		}
		if n := refusals(l.want); n != logged+1 {
			t.Errorf("%s: no warning naming %s and reason %s", l.name, liar, l.want)
		}
		if !obs.syncer.isDistrusted(liar, time.Now()) {
			t.Errorf("%s: the liar is not distrusted after it", l.name)
		}
	}
	// The metric, from /metrics.
	metrics := scrape(t, ctx, obs)
	var byReason []string
	for _, r := range refusalReasons {
		line := fmt.Sprintf("veil_block_sync_refused_total{reason=%q} %d", r, obs.syncer.refusedBy(r))
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %q", line)
		}
		byReason = append(byReason, fmt.Sprintf("%s=%d", r, obs.syncer.refusedBy(r)))
	}

	t.Run("GarbageRequests", func(t *testing.T) { garbageRequests(t, ctx, ln) })

	k.waitSameHead(ctx, 1, 2, 3, 4)
	t.Logf("SUMMARY block sync with a lying peer: kinds=%d refused=[%s] sync_from_genesis=%v (%d blocks, %d refused on the way) fetches_with_a_lie=%v same_head=yes",
		len(kinds), strings.Join(byReason, " "), syncTime.Round(time.Millisecond), head.Height, syncRefused, fetchTime.Round(time.Millisecond))
}

// garbageRequests sends node-2's request handlers garbage from node-1:
// each is answered with an error or an empty reply, and node-2 keeps
// serving.
func garbageRequests(t *testing.T, ctx context.Context, ln *localNet) {
	from, to := ln.nodes[1].cluster, "node-2"
	u64s := func(a, b uint64) []byte {
		return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, a), b)
	}
	junk := make([]byte, 64)
	rand.Read(junk)
	for _, c := range []struct {
		name    string
		kind    byte
		req     []byte
		refused bool // with a remote error; else an empty reply
	}{
		{"blocks: no body", reqBlocks, nil, true},
		{"blocks: short", reqBlocks, []byte{1, 2, 3}, true},
		{"blocks: long", reqBlocks, append(u64s(1, 2), 0), true},
		{"blocks: from 0", reqBlocks, u64s(0, 5), true},
		{"blocks: to before from", reqBlocks, u64s(5, 4), true},
		{"blocks: past the head", reqBlocks, u64s(math.MaxUint64-1, math.MaxUint64), false},
		{"txs: not 32-byte ids", reqTxs, junk[:31], true},
		{"txs: unknown ids", reqTxs, junk, false},
		{"mempool ids: a body", reqMempoolIDs, junk, false},
		{"unknown kind", 99, junk, true},
	} {
		resp, err := from.Request(ctx, to, c.kind, c.req)
		var re *p2p.RemoteError
		switch {
		case c.refused && !errors.As(err, &re):
			t.Errorf("%s: %d bytes, %v; want a remote error", c.name, len(resp), err)
		case !c.refused && (err != nil || (c.kind != reqMempoolIDs && len(resp) != 0)):
			t.Errorf("%s: %d bytes, %v; want an empty reply", c.name, len(resp), err)
		}
	}
	body, err := from.Request(ctx, to, reqBlocks, u64s(1, 1))
	blocks, serr := splitChunks(body)
	if err != nil || serr != nil || len(blocks) != 1 || ln.nodes[1].ledger.CheckBlocks(1, blocks) != nil {
		t.Fatalf("node-2 no longer serves block 1: %v %v", err, serr)
	}
}

// scrape returns node n's /metrics page.
func scrape(t *testing.T, ctx context.Context, n *Node) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.APIAddr()+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}
