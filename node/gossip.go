package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/chain"
)

// Gossip message and request kinds on the p2p layer.
const (
	kindTx          byte = 1 // gossip: one encoded transaction
	reqMempoolIDs   byte = 2 // request: → ids of pending transactions (32 bytes each)
	reqTxs          byte = 3 // request: ids → u32-length-prefixed encodings of those still pending
	reqBlocks       byte = 4 // request: u64 from ‖ u64 to → u32-length-prefixed blocks from..to (blocksync.go)
	maxBlocksPerReq      = 512
	maxBlockReply        = 12 << 20
)

// gossipState is anti-entropy's own state. The counters count the
// transaction copies this node sends beyond its pushes (which p2p counts
// as Stats.GossipSent): with them, copies per transaction across a network
// is a plain sum over its nodes' metrics.
type gossipState struct {
	pulledOut atomic.Uint64       // transactions sent in answer to a peer's pull
	pulledIn  atomic.Uint64       // transactions admitted from this node's pulls
	refused   *expiring[[32]byte] // transactions refused after a pull (refusedFor)
}

// refusedFor is how long a transaction this node refused after pulling it
// is not pulled again. A peer that is behind (or ahead) may hold pending
// what this node refuses; without the memory every pull from it fetched
// the transaction again, once a second, until it expired there. Long
// enough to stop that, short enough that a refusal which the next blocks
// undo (a group epoch this node had not reached yet) heals by itself.
const (
	refusedFor    = 10 * time.Second
	maxRefusedIDs = 4096
)

// txCopiesSent is how many transaction copies this node has sent to
// peers: gossip pushes plus answers to anti-entropy pulls.
func (n *Node) txCopiesSent() uint64 {
	return n.cluster.Stats().GossipSent + n.gossip.pulledOut.Load()
}

func (n *Node) registerHandlers() {
	n.cluster.Handle(kindTx, func(_ string, msg []byte) {
		select {
		case n.txIn <- msg:
		default: // the batcher is behind; anti-entropy repairs the gap
		}
	})
	n.cluster.HandleRequest(reqMempoolIDs, func(context.Context, string, []byte) ([]byte, error) {
		ids := n.pool.IDs()
		out := make([]byte, 0, 32*len(ids))
		for _, id := range ids {
			out = append(out, id[:]...)
		}
		return out, nil
	})
	n.cluster.HandleRequest(reqTxs, func(_ context.Context, _ string, req []byte) ([]byte, error) {
		if len(req)%32 != 0 {
			return nil, errors.New("ids must be 32 bytes each")
		}
		var out []byte
		for i := 0; i < len(req); i += 32 {
			if tx, ok := n.pool.Get([32]byte(req[i : i+32])); ok {
				out = appendChunk(out, tx.Encode())
				n.gossip.pulledOut.Add(1)
			}
		}
		return out, nil
	})
	n.cluster.HandleRequest(reqBlocks, n.handleBlocks)
}

// encodeRange is the body of reqBlocks and reqHashes: u64 from ‖ u64 to.
func encodeRange(from, to uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, from), to)
}

// decodeRange reads a range request: 1 ≤ from ≤ to and, if maxHeights is
// not 0, at most maxHeights heights.
func decodeRange(req []byte, maxHeights uint64) (from, to uint64, err error) {
	if len(req) != 16 {
		return 0, 0, errors.New("want u64 from ‖ u64 to")
	}
	from, to = binary.BigEndian.Uint64(req), binary.BigEndian.Uint64(req[8:])
	if from == 0 || to < from || (maxHeights != 0 && to-from >= maxHeights) {
		return 0, 0, fmt.Errorf("heights %d..%d: want 1 ≤ from ≤ to, at most %d heights (0: any)", from, to, maxHeights)
	}
	return from, to, nil
}

func appendChunk(b, chunk []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(chunk)))
	return append(b, chunk...)
}

func splitChunks(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated chunk length")
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(n) > uint64(len(b)-4) {
			return nil, errors.New("truncated chunk")
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out, nil
}

// broadcastTx pushes a transaction this node admitted from its API to
// every live member: n−1 copies. Receivers do not push it on (txBatcher
// only admits), which used to cost n·(n−1) copies a transaction;
// anti-entropy repairs the pushes that miss (see antiEntropy).
func (n *Node) broadcastTx(enc []byte) {
	if err := n.cluster.Broadcast(kindTx, enc); err != nil {
		n.log.Warn("gossip transaction", "err", err)
	}
}

// txBatcher admits gossiped transactions in batches, so that their
// signatures are verified on all cores at once.
func (n *Node) txBatcher(ctx context.Context) {
	const maxBatch = 256
	batch := make([]*chain.Tx, 0, maxBatch)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		n.pool.AddBatch(ctx, batch)
		batch = batch[:0]
	}
	for {
		select {
		case <-ctx.Done():
			return
		case raw := <-n.txIn:
			if tx, err := chain.DecodeTx(raw); err == nil {
				batch = append(batch, tx)
			}
		drain:
			for len(batch) < maxBatch {
				select {
				case raw := <-n.txIn:
					if tx, err := chain.DecodeTx(raw); err == nil {
						batch = append(batch, tx)
					}
				case <-time.After(2 * time.Millisecond):
					break drain
				}
			}
			flush()
		}
	}
}

// Anti-entropy timing. A transaction that a peer lists and this node lacks
// is fetched only if it is still missing pullGrace later: a push on its way
// (or being verified by the batcher) lands in that time, so the pull does
// not fetch a second copy of it. On 16 nodes sharing 2 busy cores at
// 20 tx/s, a quarter second and no skipping let pulls send 2.6 and 5.9
// copies a transaction (two runs); half a second and the skip, 0.25–0.76.
const (
	pullInterval = time.Second
	pullGrace    = 500 * time.Millisecond
	maxPullSkips = 3 // consecutive pulls skipped while pushes queue for admission
)

// antiEntropy repairs gossip gaps: every pullInterval it asks a random
// peer for its pending ids and fetches the transactions this node lacks.
// Pushes go out once, from the node that admitted a transaction from its
// API, so this pull is what delivers a transaction to a node that the push
// missed (a member that joined or came back later, a lost connection, a
// full queue); epidemic pulls from random peers reach every node.
func (n *Node) antiEntropy(ctx context.Context) {
	tick := time.NewTicker(pullInterval)
	defer tick.Stop()
	skipped := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Still admitting pushes: a pull now would fetch them again. But
		// never skip for long, or a saturated node would not repair at all.
		if len(n.txIn) > 0 && skipped < maxPullSkips {
			skipped++
			continue
		}
		skipped = 0
		var alive []string
		for _, p := range n.Peers() {
			if p.Alive {
				alive = append(alive, p.ID)
			}
		}
		if len(alive) == 0 {
			continue
		}
		p := alive[rand.IntN(len(alive))]
		if err := n.pullFrom(ctx, p); err != nil {
			n.log.Debug("anti-entropy pull", "peer", p, "err", err)
		}
	}
}

// pullFrom fetches the pending transactions of peer that this node lacks.
func (n *Node) pullFrom(ctx context.Context, peer string) error {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := n.cluster.Request(rctx, peer, reqMempoolIDs, nil)
	if err != nil {
		return fmt.Errorf("pending ids of %s: %w", peer, err)
	}
	if len(n.missing(resp)) == 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(pullGrace):
	}
	want := n.missing(resp)
	if len(want) == 0 {
		return nil
	}
	body, err := n.cluster.Request(rctx, peer, reqTxs, want)
	if err != nil {
		return fmt.Errorf("%d transactions from %s: %w", len(want)/32, peer, err)
	}
	chunks, err := splitChunks(body)
	if err != nil {
		return fmt.Errorf("transactions from %s: %w", peer, err)
	}
	var txs []*chain.Tx
	for _, c := range chunks {
		if tx, err := chain.DecodeTx(c); err == nil {
			txs = append(txs, tx)
		}
	}
	admitted := 0
	now := time.Now()
	for i, err := range n.pool.AddBatch(ctx, txs) {
		switch {
		case err == nil:
			admitted++
		case errors.Is(err, chain.ErrDuplicate), errors.Is(err, chain.ErrBusy), errors.Is(err, chain.ErrMempoolFull), ctx.Err() != nil:
			// Not a verdict on the transaction: pull it again if it is
			// still missing.
		default:
			id := txs[i].ID()
			if n.gossip.refused.add(id, now, now.Add(refusedFor)) {
				n.log.Info("anti-entropy: refused a transaction a peer holds pending", "peer", peer, "tx", fmt.Sprintf("%x", id[:8]), "err", err)
			}
		}
	}
	n.gossip.pulledIn.Add(uint64(admitted))
	if admitted > 0 {
		n.log.Debug("anti-entropy repaired gossip gaps", "peer", peer, "txs", admitted)
	}
	return nil
}

// missing returns the ids, of the concatenation ids (32 bytes each), that
// are neither pending nor committed here nor refused lately, at most 1,024
// of them.
func (n *Node) missing(ids []byte) []byte {
	var want []byte
	now := time.Now()
	for i := 0; i+32 <= len(ids) && len(want) < 32*1024; i += 32 {
		id := [32]byte(ids[i : i+32])
		if !n.pool.Has(id) && !n.ledger.Committed(id) && !n.gossip.refused.has(id, now) {
			want = append(want, id[:]...)
		}
	}
	return want
}
