package node

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
)

// Fork detection. Under raft a Byzantine leader can hand different
// validator-signed blocks to different followers, and each applies what
// it was given: nothing in raft compares them afterwards. So every node
// compares its committed blocks with its peers', two ways: each gossips
// its head (height and hash, in its memberlist metadata) and compares
// every peer's head at or below its own with its block there; and each
// asks one peer a tick, round robin, for the hashes of a window of heights
// both have committed (reqHashes), which also catches the node whose head
// is below the fork (it cannot compare a higher head). A mismatch is only
// a claim until it is confirmed: the node fetches the peer's block at that
// height (reqBlocks) and checks that it hashes to the claimed hash and is
// signed by a validator of chain state at that height, so a lying peer
// without a validator's key cannot raise the alarm.
const (
	reqHashes         byte = 5 // request: u64 from ‖ u64 to → the 32-byte hashes of committed blocks from..min(to, head)
	forkCheckInterval      = time.Second
	forkWindow             = 64   // heights compared per pull
	maxHashesPerReq        = 256  // heights a reqHashes answer covers at most
	recentHashes           = 1024 // committed hashes kept in memory (the pull window stays inside a peer's)
	maxForkPairs           = 4096 // distinct (peer, height) conflicts remembered for the counter
	unconfirmedFor         = 30 * time.Second
)

// forkWatch is a node's fork detector and alarm. The alarm, once raised,
// stays until the node restarts: a fork is not something a node can
// repair by itself (one side's committed blocks must go), and a node that
// forgot it would accept submissions onto a chain that may be abandoned.
// After an operator's repair, a restart starts clean; a fork still there
// is found again within seconds.
type forkWatch struct {
	detected atomic.Bool
	total    atomic.Uint64 // confirmed (peer, height) conflicts

	rmu    sync.Mutex
	recent [recentHashes]struct {
		height uint64
		hash   [32]byte
	}

	mu          sync.Mutex
	byPeer      map[string]api.ForkConflict // with each peer, the conflict at the lowest height found
	pairs       map[forkPair]bool           // counted conflicts
	unconfirmed *expiring[forkPair]         // claims that did not check out, not refetched for unconfirmedFor
	metaSeen    map[string]chain.Head       // each peer's head as last compared
	next        int                         // round robin over peers for the pull
}

type forkPair struct {
	peer   string
	height uint64
}

func newForkWatch() *forkWatch {
	return &forkWatch{byPeer: map[string]api.ForkConflict{}, pairs: map[forkPair]bool{}, unconfirmed: newExpiring[forkPair](maxForkPairs), metaSeen: map[string]chain.Head{}}
}

// record remembers the hash of a block this node committed.
func (f *forkWatch) record(height uint64, hash [32]byte) {
	f.rmu.Lock()
	e := &f.recent[height%recentHashes]
	e.height, e.hash = height, hash
	f.rmu.Unlock()
}

func (f *forkWatch) lookup(height uint64) ([32]byte, bool) {
	f.rmu.Lock()
	defer f.rmu.Unlock()
	e := f.recent[height%recentHashes]
	return e.hash, e.height == height && height > 0
}

// err is nil, or the *api.ForkedError that Ready and Submit return.
func (f *forkWatch) err() error {
	if !f.detected.Load() {
		return nil
	}
	return &api.ForkedError{Conflicts: f.conflicts()}
}

// conflicts lists, by peer, the conflict at the lowest height found.
func (f *forkWatch) conflicts() []api.ForkConflict {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]api.ForkConflict, 0, len(f.byPeer))
	for _, c := range f.byPeer {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}

// hashAt is the hash of this node's committed block at height.
func (n *Node) hashAt(height uint64) ([32]byte, error) {
	if h, ok := n.fork.lookup(height); ok {
		return h, nil
	}
	if head := n.ledger.Head(); head.Height == height {
		return head.Hash, nil
	}
	b, err := n.ledger.Block(height)
	if err != nil {
		return [32]byte{}, fmt.Errorf("block %d: %w", height, err)
	}
	h := b.Hash()
	n.fork.record(height, h)
	return h, nil
}

func (n *Node) registerForkHandlers() {
	n.cluster.HandleRequest(reqHashes, func(_ context.Context, _ string, req []byte) ([]byte, error) {
		from, to, err := decodeRange(req, maxHashesPerReq)
		if err != nil {
			return nil, err
		}
		to = min(to, n.ledger.Head().Height)
		if to < from {
			return nil, nil // below the asked heights (a node that lost its data): nothing to compare
		}
		out := make([]byte, 0, 32*(to-from+1))
		for h := from; h <= to; h++ {
			hash, err := n.hashAt(h)
			if err != nil {
				return nil, err
			}
			out = append(out, hash[:]...)
		}
		return out, nil
	})
}

// decodeHashesReply splits an answer to a reqHashes for from..to: the
// hashes of from onwards, no more than asked (a peer whose head is lower
// answers fewer).
func decodeHashesReply(resp []byte, from, to uint64) ([][32]byte, error) {
	if len(resp)%32 != 0 {
		return nil, fmt.Errorf("hash reply of %d bytes is not a multiple of 32", len(resp))
	}
	if uint64(len(resp)/32) > to-from+1 {
		return nil, fmt.Errorf("%d hashes for %d heights", len(resp)/32, to-from+1)
	}
	out := make([][32]byte, len(resp)/32)
	for i := range out {
		out[i] = [32]byte(resp[32*i:])
	}
	return out, nil
}

// watchForks runs the two comparisons every forkCheckInterval until ctx
// ends.
func (n *Node) watchForks(ctx context.Context) {
	tick := time.NewTicker(forkCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		peers := n.forkPeers()
		n.compareHeads(ctx, peers)
		if len(peers) > 0 {
			n.fork.mu.Lock()
			p := peers[n.fork.next%len(peers)]
			n.fork.next++
			n.fork.mu.Unlock()
			if err := n.compareWindow(ctx, p); err != nil {
				n.log.Debug("fork check: compare hashes", "peer", p.id, "err", err)
			}
		}
	}
}

type forkPeer struct {
	id   string
	head chain.Head // as gossiped; Hash zero if the peer does not gossip it
}

// forkPeers lists the alive peers with their gossiped heads, by id.
func (n *Node) forkPeers() []forkPeer {
	var out []forkPeer
	for _, m := range n.cluster.Members() {
		if !m.Alive || m.ID == n.cfg.NodeID {
			continue
		}
		var md meta
		if json.Unmarshal(m.Meta, &md) != nil {
			continue
		}
		p := forkPeer{id: m.ID, head: chain.Head{Height: md.Height}}
		if len(md.HeadHash) == 32 {
			p.head.Hash = [32]byte(md.HeadHash)
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// compareHeads compares each peer's gossiped head, if this node has
// committed its height, with this node's block there.
func (n *Node) compareHeads(ctx context.Context, peers []forkPeer) {
	own := n.ledger.Head().Height
	for _, p := range peers {
		if p.head.Height == 0 || p.head.Height > own || p.head.Hash == ([32]byte{}) {
			continue
		}
		n.fork.mu.Lock()
		same := n.fork.metaSeen[p.id] == p.head
		n.fork.metaSeen[p.id] = p.head
		n.fork.mu.Unlock()
		if same {
			continue // compared already
		}
		local, err := n.hashAt(p.head.Height)
		if err != nil {
			n.log.Warn("fork check: read own block", "height", p.head.Height, "err", err)
			continue
		}
		if local != p.head.Hash {
			n.suspect(ctx, p.id, p.head.Height, local, p.head.Hash)
		}
	}
}

// compareWindow asks peer for its hashes at the newest forkWindow heights
// both have committed and confirms the lowest that differs. It skips a
// peer far ahead: those heights left the peer's recent hashes (it would
// read them from disk), and this node is catching up by raft or block
// sync, which check the hash chain; the peer compares this node's head.
func (n *Node) compareWindow(ctx context.Context, p forkPeer) error {
	to := min(n.ledger.Head().Height, p.head.Height)
	if to == 0 || p.head.Height-to > recentHashes-forkWindow {
		return nil
	}
	from := max(1, to+1-min(to, forkWindow))
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := n.cluster.Request(rctx, p.id, reqHashes, encodeRange(from, to))
	if err != nil {
		return fmt.Errorf("hashes %d..%d: %w", from, to, err)
	}
	hashes, err := decodeHashesReply(resp, from, to)
	if err != nil {
		return err
	}
	for i, theirs := range hashes {
		h := from + uint64(i)
		local, err := n.hashAt(h)
		if err != nil {
			return fmt.Errorf("own block: %w", err)
		}
		if local != theirs {
			n.suspect(ctx, p.id, h, local, theirs)
			return nil
		}
	}
	return nil
}

// suspect confirms that peer holds a validator-signed block at height
// that hashes to theirs, and if so raises the alarm.
func (n *Node) suspect(ctx context.Context, peer string, height uint64, local, theirs [32]byte) {
	key := forkPair{peer, height}
	now := time.Now()
	n.fork.mu.Lock()
	skip := n.fork.pairs[key]
	n.fork.mu.Unlock()
	skip = skip || n.fork.unconfirmed.has(key, now)
	if skip {
		return
	}
	b, err := n.peerBlock(ctx, peer, height)
	if err == nil {
		err = n.checkForeignBlock(b, height, theirs)
	}
	if err != nil {
		n.log.Warn("fork check: a peer's differing hash did not check out; not a fork alarm", "peer", peer, "height", height,
			"local_hash", hex.EncodeToString(local[:]), "peer_hash", hex.EncodeToString(theirs[:]), "err", err)
		n.fork.unconfirmed.add(key, now, now.Add(unconfirmedFor))
		return
	}
	c := api.ForkConflict{Peer: peer, Height: height, LocalHash: hex.EncodeToString(local[:]), PeerHash: hex.EncodeToString(theirs[:]), PeerProposer: b.Proposer, DetectedAt: now.UTC()}
	n.fork.mu.Lock()
	if len(n.fork.pairs) < maxForkPairs {
		n.fork.pairs[key] = true
		n.fork.total.Add(1)
	}
	first, had := n.fork.byPeer[peer]
	if !had || height < first.Height {
		n.fork.byPeer[peer] = c
	}
	n.fork.mu.Unlock()
	n.fork.detected.Store(true)
	n.log.Error("fork detected: a peer committed a different validator-signed block at a height this node committed; refusing submissions until an operator repairs the fork and restarts this node",
		"peer", peer, "height", height, "local_hash", c.LocalHash, "peer_hash", c.PeerHash, "peer_proposer", b.Proposer)
}

// peerBlock fetches peer's committed block at height (reqBlocks).
func (n *Node) peerBlock(ctx context.Context, peer string, height uint64) (*chain.Block, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	body, err := n.cluster.Request(rctx, peer, reqBlocks, encodeRange(height, height))
	if err != nil {
		return nil, fmt.Errorf("fetch block %d: %w", height, err)
	}
	chunks, err := splitChunks(body)
	if err != nil {
		return nil, fmt.Errorf("block %d reply: %w", height, err)
	}
	if len(chunks) != 1 {
		return nil, fmt.Errorf("block %d reply holds %d blocks", height, len(chunks))
	}
	b, err := chain.DecodeBlock(chunks[0])
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", height, err)
	}
	return b, nil
}

// checkForeignBlock checks that b is this chain's block at height, hashes
// to want and is signed by a validator of chain state at its height.
func (n *Node) checkForeignBlock(b *chain.Block, height uint64, want [32]byte) error {
	hash := b.Hash()
	switch {
	case b.ChainID != n.ledger.ChainID():
		return fmt.Errorf("block of chain %q", b.ChainID)
	case b.Height != height:
		return fmt.Errorf("block at height %d, asked for %d", b.Height, height)
	case hash != want:
		return fmt.Errorf("block hashes to %x, the peer claimed %x", hash[:8], want[:8])
	}
	return n.ledger.CheckProposer(b, hash)
}
