package node

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/chain"
)

// Why block sync refused a peer's reply: the reason label of
// veil_block_sync_refused_total.
const (
	refusedFraming    = "framing"     // the reply does not split into length-prefixed blocks
	refusedEmpty      = "empty"       // no block, from a peer that claims the height
	refusedMalformed  = "malformed"   // a block does not decode
	refusedTxRoot     = "tx_root"     // a block's transactions do not match its tx root
	refusedWrongChain = "wrong_chain" // a block of another chain
	refusedHeight     = "height"      // not the consecutive heights from the one asked for
	refusedLink       = "link"        // a block does not extend the one before it
	refusedProposer   = "proposer"    // a block not signed by a validator
	refusedTimeout    = "timeout"     // no reply within blockSyncPeerTimeout
)

// refusalReasons are the reasons in the metric's order; every one is
// exported from the start, at zero.
var refusalReasons = [...]string{refusedFraming, refusedEmpty, refusedMalformed, refusedTxRoot, refusedWrongChain, refusedHeight, refusedLink, refusedProposer, refusedTimeout}

// Block sync timing. A peer gets blockSyncPeerTimeout to answer, so that
// one that stalls leaves the rest of the caller's time (consensus gives a
// fetch 30 s) to the others; a peer whose reply was refused or failed is
// asked last for distrustFor, so that the retries of a snapshot restore
// (from 100 ms apart) go to the other peers first, while a peer that was
// only broken for a while is back in turn within a minute.
const (
	blockSyncPeerTimeout = 10 * time.Second
	distrustFor          = time.Minute
	maxDistrustedPeers   = 1024
)

// blockSync is this node's state as a block sync requester: the peers it
// distrusts for now and the replies it refused.
type blockSync struct {
	peerTimeout time.Duration // blockSyncPeerTimeout; tests shorten it before Run

	distrusted *expiring[string] // peers asked last, until distrustFor has passed

	refused [len(refusalReasons)]atomic.Uint64

	// serve, when set (by tests only), answers reqBlocks instead of
	// serveBlocks: a lying peer.
	serve atomic.Pointer[func(ctx context.Context, from, to uint64) ([]byte, error)]
}

func (s *blockSync) distrust(peer string, now time.Time) {
	s.distrusted.add(peer, now, now.Add(distrustFor))
}

func (s *blockSync) isDistrusted(peer string, now time.Time) bool {
	return s.distrusted.has(peer, now)
}

func (s *blockSync) count(reason string) {
	if i := slices.Index(refusalReasons[:], reason); i >= 0 {
		s.refused[i].Add(1)
	}
}

// refusedBy is how many replies were refused for reason.
func (s *blockSync) refusedBy(reason string) uint64 {
	if i := slices.Index(refusalReasons[:], reason); i >= 0 {
		return s.refused[i].Load()
	}
	return 0
}

// metrics are the counters of veil_block_sync_refused_total by reason.
func (s *blockSync) metrics() map[string]func() float64 {
	out := make(map[string]func() float64, len(refusalReasons))
	for i, r := range refusalReasons {
		out[r] = func() float64 { return float64(s.refused[i].Load()) }
	}
	return out
}

// reasonOf names what chain.Ledger.CheckBlocks found wrong.
func reasonOf(err error) string {
	switch {
	case errors.Is(err, chain.ErrTxRoot):
		return refusedTxRoot
	case errors.Is(err, chain.ErrWrongChain):
		return refusedWrongChain
	case errors.Is(err, chain.ErrBlockHeight):
		return refusedHeight
	case errors.Is(err, chain.ErrBlockLink):
		return refusedLink
	case errors.Is(err, chain.ErrBlockProposer):
		return refusedProposer
	}
	return refusedMalformed
}

// serveBlocks answers a reqBlocks request: u64 from ‖ u64 to → the
// u32-length-prefixed blocks from..to this node holds, at most
// maxBlocksPerReq of them and about maxBlockReply bytes.
func (n *Node) serveBlocks(_ context.Context, from, to uint64) ([]byte, error) {
	return n.appendBlocks(from, to, func(out []byte, _ uint64, raw []byte) ([]byte, error) {
		return appendChunk(out, raw), nil
	})
}

// appendBlocks is a block reply's loop: each block from..to this node
// holds, at most maxBlocksPerReq and until the reply passes about
// maxBlockReply bytes, appended by add (reqBlocks and reqCertBlocks).
func (n *Node) appendBlocks(from, to uint64, add func(out []byte, h uint64, raw []byte) ([]byte, error)) ([]byte, error) {
	last := uint64(math.MaxUint64)
	if from <= math.MaxUint64-(maxBlocksPerReq-1) {
		last = from + maxBlocksPerReq - 1
	}
	to = min(to, n.ledger.Head().Height, last)
	var out []byte
	for h := from; h <= to && len(out) < maxBlockReply; h++ {
		raw, err := n.ledger.RawBlock(h)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", h, err)
		}
		if out, err = add(out, h, raw); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// handleBlocks answers reqBlocks: serveBlocks, or the lie a test installed.
func (n *Node) handleBlocks(ctx context.Context, _ string, req []byte) ([]byte, error) {
	from, to, err := decodeRange(req, 0) // serveBlocks answers at most maxBlocksPerReq
	if err != nil {
		return nil, err
	}
	if lie := n.syncer.serve.Load(); lie != nil {
		return (*lie)(ctx, from, to)
	}
	return n.serveBlocks(ctx, from, to)
}

// FetchBlocks fetches committed blocks from..to from peers
// (consensus.BlockFetcher: snapshot restores) and returns only a reply
// that chain.Ledger.CheckBlocks accepts: blocks that decode, at the
// heights from `from` on, each extending the one before (the first this
// node's own block from−1), signed by a validator, with matching tx
// roots. It asks the live peers that claim the height, highest first and
// those it distrusts last; a reply it refuses, or a peer that fails or
// stalls, is logged with the reason and the peer, and the next peer is
// asked.
func (n *Node) FetchBlocks(ctx context.Context, from, to uint64) ([][]byte, error) {
	if from == 0 || to < from {
		return nil, fmt.Errorf("fetch blocks %d..%d: want 1 ≤ from ≤ to", from, to)
	}
	req := encodeRange(from, to)
	var errs []error
	for _, peer := range n.syncPeers(from) {
		blocks, reason, err := n.fetchFrom(ctx, peer, req, from, to)
		if err == nil {
			n.obs.fetched.Add(uint64(len(blocks)))
			return blocks, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fetch blocks %d..%d: %w", from, to, ctx.Err())
		}
		n.syncer.distrust(peer, time.Now())
		if reason != "" {
			n.syncer.count(reason)
			n.log.Warn("block sync: refused a peer's reply", "peer", peer, "reason", reason, "from", from, "to", to, "err", err)
		} else {
			n.log.Info("block sync: request failed", "peer", peer, "from", from, "to", to, "err", err)
		}
		errs = append(errs, fmt.Errorf("peer %s: %w", peer, err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("fetch blocks %d..%d: no live peer has them", from, to)
	}
	return nil, fmt.Errorf("fetch blocks %d..%d: %w", from, to, errors.Join(errs...))
}

// syncPeers orders the live peers that claim height from: those this
// node does not distrust first, each part highest first, peers of one
// height in random order so that syncing nodes spread over them.
func (n *Node) syncPeers(from uint64) []string {
	type cand struct {
		id        string
		height    uint64
		distrusts bool
	}
	now := time.Now()
	var cs []cand
	for _, p := range n.Peers() {
		if p.Alive && p.Height >= from {
			cs = append(cs, cand{p.ID, p.Height, n.syncer.isDistrusted(p.ID, now)})
		}
	}
	rand.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	slices.SortStableFunc(cs, func(a, b cand) int {
		if a.distrusts != b.distrusts {
			if a.distrusts {
				return 1
			}
			return -1
		}
		switch {
		case a.height > b.height:
			return -1
		case a.height < b.height:
			return 1
		}
		return 0
	})
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}

// fetchFrom asks one peer for blocks from..to and checks its reply; a
// refused reply comes back with its reason, a failed request without one.
func (n *Node) fetchFrom(ctx context.Context, peer string, req []byte, from, to uint64) ([][]byte, string, error) {
	timeout := n.syncer.peerTimeout
	if timeout <= 0 {
		timeout = blockSyncPeerTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := n.cluster.Request(rctx, peer, reqBlocks, req)
	if err != nil {
		// The connection's deadline may fire before rctx's timer does.
		if ctx.Err() == nil && (rctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
			return nil, refusedTimeout, fmt.Errorf("no reply within %v", timeout)
		}
		return nil, "", err
	}
	blocks, err := splitChunks(body)
	switch {
	case err != nil:
		return nil, refusedFraming, err
	case len(blocks) == 0:
		return nil, refusedEmpty, errors.New("no blocks")
	case uint64(len(blocks)) > to-from+1:
		return nil, refusedHeight, fmt.Errorf("%d blocks for heights %d..%d", len(blocks), from, to)
	}
	if err := n.ledger.CheckBlocks(from, blocks); err != nil {
		return nil, reasonOf(err), err
	}
	return blocks, "", nil
}
