package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// equivocate makes node f commit, at its next height, a block of tx
// signed by validator proposer, which raft will never commit there: what
// a Byzantine leader's AppendEntries to f alone would make f do. raft's
// own entry at that height then conflicts with f's committed block, and f
// skips it and every later one (they extend the other block). It returns
// the block. raft may apply a height between the read of f's head and the
// apply; the block is then rebuilt on the new head.
func equivocate(t *testing.T, ctx context.Context, f *Node, proposer string, key ed25519.PrivateKey, tx *chain.Tx) *chain.Block {
	t.Helper()
	for ctx.Err() == nil {
		head := f.ledger.Head()
		txs := []*chain.Tx{tx}
		b := &chain.Block{Header: chain.Header{ChainID: f.ledger.ChainID(), Height: head.Height + 1, PrevHash: head.Hash, Time: max(time.Now().UnixNano(), head.Time), TxRoot: chain.TxRoot(txs)}, Txs: txs}
		b.Sign(proposer, key)
		a, err := f.ledger.Apply(ctx, b.Encode())
		if err == nil {
			f.applied(a)
			return b
		}
		if !errors.Is(err, chain.ErrBlockRejected) {
			t.Fatalf("apply the equivocating block on %s: %v", f.cfg.NodeID, err)
		}
	}
	t.Fatal("no equivocating block applied before the deadline")
	return nil
}

func nodeIndex(t *testing.T, n *Node) int {
	i, err := strconv.Atoi(strings.TrimPrefix(n.cfg.NodeID, "node-"))
	if err != nil {
		t.Fatalf("node id %q: %v", n.cfg.NodeID, err)
	}
	return i
}

var metricLine = regexp.MustCompile(`(?m)^(veil_fork_detected|veil_fork_conflicts_total) (\S+)$`)

// forkMetrics reads veil_fork_detected and veil_fork_conflicts_total from
// node i's /metrics; a metric not exported is -1.
func forkMetrics(t *testing.T, ln *localNet, i int) (detected, conflicts float64) {
	t.Helper()
	resp, err := http.Get("http://" + ln.nodes[i].APIAddr() + "/metrics")
	if err != nil {
		t.Fatalf("node %d metrics: %v", i, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	detected, conflicts = -1, -1
	for _, m := range metricLine.FindAllSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		if string(m[1]) == "veil_fork_detected" {
			detected = v
		} else {
			conflicts = v
		}
	}
	return detected, conflicts
}

// readyz is node i's /readyz: the status code and the body.
func readyz(t *testing.T, ln *localNet, i int) (int, api.ErrorBody) {
	t.Helper()
	resp, err := http.Get("http://" + ln.nodes[i].APIAddr() + "/readyz")
	if err != nil {
		t.Fatalf("node %d readyz: %v", i, err)
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	body, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(body, &eb)
	return resp.StatusCode, eb
}

// loadGen submits anonymous transactions to the nodes in turn, one every
// 50 ms, and keeps the answers.
type loadGen struct {
	mu       sync.Mutex
	admitted map[string]int // tx id → node that answered 202
	forked   map[int]int    // 503 forked answers by node
	other    []error
}

func (lg *loadGen) run(ctx context.Context, ln *localNet, members []*groupsig.MemberFile, expiry func() uint64) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for j := 0; ; j++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		mf := members[j%len(members)]
		tx := &chain.Tx{ChainID: "veil-local", Expiry: expiry(), Group: "acme", Epoch: mf.Key.Epoch(), Topic: "load", Payload: fmt.Appendf(nil, "load %d", j)}
		tx.Nonce, _ = chain.NewNonce(rand.Reader)
		err := tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader)
		i := 1 + j%len(ln.nodes)
		var id string
		if err == nil {
			id, err = ln.client(i).Submit(ctx, tx)
		}
		lg.mu.Lock()
		switch {
		case err == nil:
			lg.admitted[id] = i
		case client.IsCode(err, api.CodeForked):
			lg.forked[i]++
		case ctx.Err() == nil && !client.IsCode(err, api.CodeBusy):
			lg.other = append(lg.other, err)
		}
		lg.mu.Unlock()
	}
}

// TestForkDetectedOnBothSides: under steady anonymous load, one follower
// of a 3-validator network commits at one height a block that the leader
// signed but raft never committed (an equivocating leader), while the
// others commit raft's. Both sides must raise the alarm within a bounded
// time: the error log naming the peer, the height and both hashes,
// veil_fork_detected 1 and veil_fork_conflicts_total, /readyz 503 forked
// and /v1/status naming the conflict, and submissions refused with 503
// forked. Every transaction a node admitted is committed by the two
// honest nodes, which stay on one chain.
func TestForkDetectedOnBothSides(t *testing.T) {
	started := time.Now()
	ln := startLocalWith(t, 3, netOptions{members: []string{"m1", "m2"}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	k := newKit(t, ln, "m1", "m2")
	k.waitLeader(ctx, 1, 2, 3)
	for i := 1; i <= 3; i++ {
		if d, c := forkMetrics(t, ln, i); d != 0 || c != 0 {
			t.Fatalf("node %d before any fork: veil_fork_detected %v, veil_fork_conflicts_total %v; want both exported as 0", i, d, c)
		}
		if code, eb := readyz(t, ln, i); code != http.StatusOK {
			t.Fatalf("node %d not ready before any fork: %d %+v", i, code, eb)
		}
	}

	leader := ln.leader()
	li := nodeIndex(t, leader)
	fi := 1 + li%3 // a follower: the forked side
	honest := []int{1, 2, 3}
	honest = slices.DeleteFunc(honest, func(i int) bool { return i == fi })
	leaderKey, err := genesis.ReadPrivateKey(ln.layout.NodeKey(li))
	if err != nil {
		t.Fatal(err)
	}

	lg := &loadGen{admitted: map[string]int{}, forked: map[int]int{}}
	lctx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	members := []*groupsig.MemberFile{k.members[memberKey("acme", "m1")], k.members[memberKey("acme", "m2")]}
	go func() {
		defer close(loadDone)
		lg.run(lctx, ln, members, func() uint64 { return leader.ledger.Head().Height + 100 })
	}()
	defer func() { stopLoad(); <-loadDone }()
	waitFor(t, ctx, "load committing", func() bool { return leader.ledger.Head().Height >= 5 })

	etx := signWith(t, members[1], "acme", "equivocation", "only node "+strconv.Itoa(fi)+" commits this", false, leader.ledger.Head().Height+100)
	f := ln.nodes[fi]
	b := equivocate(t, ctx, f, leader.cfg.NodeID, leaderKey, etx)
	forkAt := time.Now()
	height, bHash := b.Height, b.Hash()
	waitFor(t, ctx, "the honest nodes past the fork", func() bool {
		for _, i := range honest {
			if ln.nodes[i].ledger.Head().Height <= height {
				return false
			}
		}
		return true
	})
	aBlock, err := ln.nodes[honest[0]].ledger.Block(height)
	if err != nil {
		t.Fatal(err)
	}
	aHash := aBlock.Hash()
	if aHash == bHash {
		t.Fatal("raft committed the equivocating block itself")
	}

	detectedIn := map[int]time.Duration{}
	waitFor(t, ctx, "every node to raise the fork alarm", func() bool {
		for i := 1; i <= 3; i++ {
			if _, ok := detectedIn[i]; !ok && ln.nodes[i].fork.detected.Load() {
				detectedIn[i] = time.Since(forkAt)
			}
		}
		return len(detectedIn) == 3
	})

	hexOf := func(h [32]byte) string { return hex.EncodeToString(h[:]) }
	// What each node must name: the forked node conflicts with both honest
	// ones, each honest one with the forked one, all at the fork height.
	want := map[int][]api.ForkConflict{fi: {}}
	for _, i := range honest {
		want[i] = []api.ForkConflict{{Peer: ln.layout.NodeID(fi), Height: height, LocalHash: hexOf(aHash), PeerHash: hexOf(bHash), PeerProposer: leader.cfg.NodeID}}
		want[fi] = append(want[fi], api.ForkConflict{Peer: ln.layout.NodeID(i), Height: height, LocalHash: hexOf(bHash), PeerHash: hexOf(aHash), PeerProposer: aBlock.Proposer})
	}
	sameConflicts := func(got, want []api.ForkConflict) bool {
		if len(got) != len(want) {
			return false
		}
		for j := range got {
			g := got[j]
			g.DetectedAt = time.Time{}
			if g != want[j] {
				return false
			}
		}
		return true
	}
	// The forked node may find its second conflict a tick after its first.
	waitFor(t, ctx, "every conflict found", func() bool {
		for i := 1; i <= 3; i++ {
			if !sameConflicts(ln.nodes[i].fork.conflicts(), want[i]) {
				return false
			}
		}
		return true
	})
	for i := 1; i <= 3; i++ {
		st, err := ln.client(i).Status(ctx)
		if err != nil {
			t.Fatalf("node %d status: %v", i, err)
		}
		if !st.Forked || !sameConflicts(st.Forks, want[i]) {
			t.Errorf("node %d /v1/status: forked %v forks %+v; want %+v", i, st.Forked, st.Forks, want[i])
		}
		if d, c := forkMetrics(t, ln, i); d != 1 || c != float64(len(want[i])) {
			t.Errorf("node %d: veil_fork_detected %v, veil_fork_conflicts_total %v; want 1 and %d", i, d, c, len(want[i]))
		}
		if code, eb := readyz(t, ln, i); code != http.StatusServiceUnavailable || eb.Error.Code != api.CodeForked || !sameConflicts(eb.Forks, want[i]) {
			t.Errorf("node %d /readyz: %d %+v; want 503 forked naming %+v", i, code, eb, want[i])
		}
		probe := signWith(t, members[0], "acme", "probe", "after the alarm", false, leader.ledger.Head().Height+100)
		var ce *client.Error
		if _, err := ln.client(i).Submit(ctx, probe); !errors.As(err, &ce) || ce.Status != http.StatusServiceUnavailable || ce.Code != api.CodeForked {
			t.Errorf("node %d accepted a submission after the alarm: %v; want 503 forked", i, err)
		}
		for _, c := range want[i] {
			if _, ok := ln.errLogs[i].find(slog.LevelError, "fork detected", map[string]string{"peer": c.Peer, "height": strconv.FormatUint(c.Height, 10), "local_hash": c.LocalHash, "peer_hash": c.PeerHash}); !ok {
				t.Errorf("node %d logged no error naming peer %s, height %d and both hashes", i, c.Peer, c.Height)
			}
		}
	}
	if t.Failed() {
		return
	}

	// The load goes on until every node has refused some of it.
	waitFor(t, ctx, "load refused everywhere", func() bool {
		lg.mu.Lock()
		defer lg.mu.Unlock()
		return lg.forked[1] > 0 && lg.forked[2] > 0 && lg.forked[3] > 0
	})
	stopLoad()
	<-loadDone
	// Nothing admitted is lost on the honest side, which stays one chain.
	lg.mu.Lock()
	admitted := make([]string, 0, len(lg.admitted))
	for id := range lg.admitted {
		admitted = append(admitted, id)
	}
	refused := lg.forked[1] + lg.forked[2] + lg.forked[3]
	others := lg.other
	lg.mu.Unlock()
	if len(others) > 0 {
		t.Errorf("%d submissions failed otherwise, first: %v", len(others), others[0])
	}
	for _, i := range honest {
		k.waitCommitted(ctx, i, admitted...)
	}
	k.waitSameHead(ctx, honest...)
	if got := f.ledger.Head(); got.Height != height || got.Hash != bHash {
		t.Errorf("the forked node moved off its block: head %d %x", got.Height, got.Hash[:8])
	}

	var det []string
	var slowest time.Duration
	for i := 1; i <= 3; i++ {
		det = append(det, fmt.Sprintf("%s=%v", ln.layout.NodeID(i), detectedIn[i].Round(time.Millisecond)))
		slowest = max(slowest, detectedIn[i])
	}
	t.Logf("SUMMARY %s: nodes=3 leader=%s forked_node=%s fork_height=%d alarmed=3/3 detection=[%s] max_detection=%v accepted=%d lost=0 refused_forked=%d wall=%v",
		t.Name(), leader.cfg.NodeID, ln.layout.NodeID(fi), height, strings.Join(det, " "), slowest.Round(time.Millisecond), len(admitted), refused, time.Since(started).Round(100*time.Millisecond))
	if slowest > 20*time.Second {
		t.Errorf("detection took %v; the checks run every %v", slowest, forkCheckInterval)
	}
}

// FuzzForkHashes: a reqHashes request of any bytes decodes to a range it
// re-encodes to, or an error; a reply of any bytes to any decoded range
// gives at most the hashes asked, each its 32 bytes, or an error.
func FuzzForkHashes(f *testing.F) {
	f.Add(encodeRange(1, 64), bytes.Repeat([]byte{0xab}, 64*32))
	f.Add(encodeRange(100, 100), make([]byte, 32))
	f.Add(encodeRange(5, 4), []byte{1, 2, 3})
	f.Add(encodeRange(1, maxHashesPerReq+1), []byte{})
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		from, to, err := decodeRange(req, maxHashesPerReq)
		if err != nil {
			return
		}
		if from == 0 || to < from || to-from >= maxHashesPerReq || !bytes.Equal(encodeRange(from, to), req) {
			t.Fatalf("decoded %q to %d..%d", req, from, to)
		}
		hashes, err := decodeHashesReply(resp, from, to)
		if err != nil {
			return
		}
		if uint64(len(hashes)) > to-from+1 || 32*len(hashes) != len(resp) {
			t.Fatalf("%d hashes from %d bytes for %d..%d", len(hashes), len(resp), from, to)
		}
		for i, h := range hashes {
			if !bytes.Equal(h[:], resp[32*i:32*i+32]) {
				t.Fatalf("hash %d differs from its bytes", i)
			}
		}
	})
}

// TestForkClaimWithoutValidatorSignatureRaisesNoAlarm: an observer (no
// validator key) answers every hash request with the hashes of blocks it
// forged from the real ones (its own signature under a validator's name)
// and serves those blocks. The others must find each claim unconfirmed
// and raise no alarm.
func TestForkClaimWithoutValidatorSignatureRaisesNoAlarm(t *testing.T) {
	ln := startLocalWith(t, 4, netOptions{members: []string{"m1"}}) // node-4 is an observer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	k := newKit(t, ln, "m1")
	k.waitLeader(ctx, 1, 2, 3, 4)
	liar := ln.nodes[4]
	liarKey, err := genesis.ReadPrivateKey(ln.layout.NodeKey(4))
	if err != nil {
		t.Fatal(err)
	}
	forged := func(h uint64) (*chain.Block, error) {
		b, err := liar.ledger.Block(h)
		if err != nil {
			return nil, err
		}
		b.Time++
		b.Sign("node-1", liarKey) // a validator's name, the observer's signature
		return b, nil
	}
	liar.cluster.HandleRequest(reqHashes, func(_ context.Context, _ string, req []byte) ([]byte, error) {
		from, to, err := decodeRange(req, maxHashesPerReq)
		if err != nil {
			return nil, err
		}
		var out []byte
		for h := from; h <= min(to, liar.ledger.Head().Height); h++ {
			b, err := forged(h)
			if err != nil {
				return nil, err
			}
			hash := b.Hash()
			out = append(out, hash[:]...)
		}
		return out, nil
	})
	liar.cluster.HandleRequest(reqBlocks, func(_ context.Context, _ string, req []byte) ([]byte, error) {
		from, _, err := decodeRange(req, maxHashesPerReq)
		if err != nil {
			return nil, err
		}
		b, err := forged(from)
		if err != nil {
			return nil, err
		}
		return appendChunk(nil, b.Encode()), nil
	})
	for j := range 3 {
		k.commit(ctx, 1+j%3, k.anon(ctx, 1+j%3, "acme", "m1", "claims", fmt.Sprintf("tx %d", j), false))
	}
	for i := 1; i <= 3; i++ {
		var rec loggedError
		waitFor(t, ctx, fmt.Sprintf("node %d to refuse node-4's claim", i), func() bool {
			var ok bool
			rec, ok = ln.errLogs[i].find(slog.LevelWarn, "fork check: a peer's differing hash did not check out", map[string]string{"peer": "node-4"})
			return ok
		})
		if !strings.Contains(rec.attrs["err"], "bad signature of proposer node-1") {
			t.Errorf("node %d refused node-4's claim for another reason: %v", i, rec.attrs)
		}
	}
	for i := 1; i <= 4; i++ {
		if ln.nodes[i].fork.detected.Load() {
			t.Errorf("node %d raised the fork alarm on an unsigned claim: %+v", i, ln.nodes[i].fork.conflicts())
		}
		if d, c := forkMetrics(t, ln, i); d != 0 || c != 0 {
			t.Errorf("node %d: veil_fork_detected %v, veil_fork_conflicts_total %v; want 0 and 0", i, d, c)
		}
		if code, eb := readyz(t, ln, i); code != http.StatusOK {
			t.Errorf("node %d not ready: %d %+v", i, code, eb)
		}
	}
	k.commit(ctx, 2, k.anon(ctx, 2, "acme", "m1", "claims", "after the claims", false))
}
