package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/bft"
	"github.com/veilchain/veil/consensus"
	"github.com/veilchain/veil/storage"
)

// BFT message and request kinds on the p2p layer (1–5 are gossip.go's
// and fork.go's).
const (
	kindBFT        byte = 6 // message: a bft envelope (consensus message or forwarded request)
	reqCertBlocks  byte = 7 // request: u64 from ‖ u64 to → bft.AppendCertified pairs from..to
	observerPoll        = 200 * time.Millisecond
	bftRoleRecheck      = 200 * time.Millisecond
)

// engine is what the node needs of its ordering engine, raft's or BFT's.
type engine interface {
	// Failed is closed once the engine cannot go on; Fault says why.
	Failed() <-chan struct{}
	Fault() error
	// IsLeader and LeaderID name who proposes now ("" if unknown).
	IsLeader() bool
	LeaderID() string
	Stop() error
}

// raftEngine is raft's Orderer as an engine.
type raftEngine struct{ o *consensus.Orderer }

func (r raftEngine) Failed() <-chan struct{} { return r.o.Failed() }
func (r raftEngine) Fault() error            { return r.o.Fault() }
func (r raftEngine) IsLeader() bool          { return r.o.IsLeader() }
func (r raftEngine) Stop() error             { return r.o.Stop() }
func (r raftEngine) LeaderID() string        { id, _ := r.o.Leader(); return id }

// bftOrdering is a BFT chain's ordering on this node: the SmartBFT engine
// while chain state names this node a validator, certified block sync
// (bft.Follower) while it does not. Role changes (an add_validator or
// remove_validator applied) start and stop the engine.
type bftOrdering struct {
	n       *Node
	cfg     bft.Config
	metrics *bft.Metrics
	follow  *bft.Follower
	fault   *storage.Fault
	kick    chan struct{}

	mu      sync.Mutex
	orderer *bft.Orderer
	cur     atomic.Pointer[bft.Orderer]
	stopped bool
}

// newBFT builds the BFT ordering and, on a validator, starts its engine.
func (n *Node) newBFT(nodeKey ed25519.PrivateKey, log *slog.Logger) error {
	c := bft.DefaultConfig()
	if n.cfg.Timing == "fast" {
		c = bft.FastConfig()
	}
	m, err := bft.NewMetrics(n.metrics.Registerer())
	if err != nil {
		return fmt.Errorf("bft metrics: %w", err)
	}
	c.NodeID, c.NodeKey, c.WALDir, c.Metrics, c.Logger = n.cfg.NodeID, nodeKey, filepath.Join(n.cfg.DataDir, "bft-wal"), m, log
	c.BlockInterval, c.MaxBlockTxs, c.MaxBlockBytes = n.cfg.BlockInterval.Duration, n.cfg.MaxBlockTxs, n.cfg.MaxBlockBytes
	c.RequestPoolSize = max(c.RequestPoolSize, n.cfg.MempoolMaxTxs)
	if d := n.cfg.BFTForwardTimeout.Duration; d > 0 {
		c.RequestForwardTimeout = d
	}
	if d := n.cfg.BFTComplainTimeout.Duration; d > 0 {
		c.RequestComplainTimeout = d
	}
	if c.RequestComplainTimeout < c.RequestForwardTimeout {
		return fmt.Errorf("config: bft_complain_timeout %v is shorter than bft_forward_timeout %v", c.RequestComplainTimeout, c.RequestForwardTimeout)
	}
	c.RequestAutoRemoveTimeout = max(c.RequestAutoRemoveTimeout, 2*c.RequestComplainTimeout)
	b := &bftOrdering{n: n, cfg: c, metrics: m, fault: storage.NewFault(), kick: make(chan struct{}, 1)}
	b.follow = bft.NewFollower(n.ledger, bftTransport{n}, n.applied, m, log)
	n.bft, n.engine = b, b
	n.cluster.Handle(kindBFT, func(from string, msg []byte) {
		if o := b.cur.Load(); o != nil {
			o.Receive(from, msg)
		}
	})
	n.cluster.HandleRequest(reqCertBlocks, n.handleCertBlocks)
	return b.reconcile()
}

// reconcile starts the engine when chain state names this node a
// validator and stops it when it no longer does.
func (b *bftOrdering) reconcile() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return nil
	}
	b.metrics.SetValidators(len(b.n.ledger.Validators()))
	want := b.n.ledger.IsValidator(b.n.cfg.NodeID)
	switch {
	case want && b.orderer == nil:
		o, err := bft.New(b.cfg, b.n.ledger, b.n.pool, bftTransport{b.n}, b.n.applied)
		if err != nil {
			return err
		}
		b.orderer = o
		b.cur.Store(o)
		go func() {
			<-o.Failed()
			b.fault.Set(o.Fault())
		}()
	case !want && b.orderer != nil:
		o := b.orderer
		b.orderer = nil
		b.cur.Store(nil)
		err := o.Stop()
		// A removed validator's SmartBFT state is of a set it is not in;
		// re-added, it starts afresh from its head's certificate.
		if rerr := os.RemoveAll(b.cfg.WALDir); rerr != nil {
			err = errors.Join(err, rerr)
		}
		b.n.log.Info("bft engine stopped: this node is no longer a validator; following as an observer", "height", b.n.ledger.Head().Height)
		return err
	}
	return nil
}

// run keeps the engine in step with this node's role and, while it is an
// observer, follows the chain by certified block sync, asking a validator
// for new blocks every observerPoll.
func (b *bftOrdering) run(ctx context.Context) {
	tick := time.NewTicker(min(observerPoll, bftRoleRecheck))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-b.kick:
		}
		if err := b.reconcile(); err != nil {
			b.n.log.Error("bft engine", "err", err)
		}
		if b.cur.Load() != nil {
			continue
		}
		if _, err := b.follow.Sync(ctx); err != nil && ctx.Err() == nil {
			b.n.log.Debug("bft observer sync", "err", err)
		}
	}
}

// roleMayChange wakes run (a validator change was applied).
func (b *bftOrdering) roleMayChange() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Failed is closed once the engine fails (a decided block it could not
// store, a failed WAL write).
func (b *bftOrdering) Failed() <-chan struct{} { return b.fault.Done() }

// Fault is the engine's failure, or nil.
func (b *bftOrdering) Fault() error { return b.fault.Err() }

// IsLeader reports whether this node leads the current view.
func (b *bftOrdering) IsLeader() bool {
	o := b.cur.Load()
	return o != nil && o.IsLeader()
}

// LeaderID is the current view's leader: "" on an observer, and while
// this node cannot reach that leader or a quorum of the validators.
// SmartBFT keeps the last view's leader while the chain is halted (more
// than f validators down, or this node cut off), and a leader named then
// made `veil status` and /readyz report a halted chain as healthy.
func (b *bftOrdering) LeaderID() string {
	o := b.cur.Load()
	if o == nil {
		return ""
	}
	leader := o.Leader()
	if leader == "" || !b.reaches(leader) {
		return ""
	}
	return leader
}

// reaches reports whether leader and a quorum of the validator set are
// this node or live members of its cluster.
func (b *bftOrdering) reaches(leader string) bool {
	live := map[string]bool{b.n.cfg.NodeID: true}
	for _, m := range b.n.cluster.Members() {
		if m.Alive {
			live[m.ID] = true
		}
	}
	vals := b.n.ledger.Validators()
	count := 0
	for _, v := range vals {
		if live[v.ID] {
			count++
		}
	}
	q, _ := bft.Quorum(len(vals))
	return live[leader] && count >= q
}

// Stop stops the engine for good.
func (b *bftOrdering) Stop() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	if b.orderer == nil {
		return nil
	}
	o := b.orderer
	b.orderer = nil
	b.cur.Store(nil)
	return o.Stop()
}

// status is /v1/status's bft field.
func (b *bftOrdering) status() *api.BFTStatus {
	vals := b.n.ledger.Validators()
	q, f := bft.Quorum(len(vals))
	st := &api.BFTStatus{View: b.metrics.View(), Sequence: b.n.ledger.Head().Height, N: len(vals), F: f, Quorum: q, ViewChanges: b.metrics.ViewChanges()}
	if o := b.cur.Load(); o != nil {
		s := o.Status()
		st.Running = s.Running
	}
	return st
}

// health is the engine's failure, if any: a failed engine, or the
// engine stopped on a validator.
func (b *bftOrdering) health() error {
	if err := b.fault.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return errors.New("bft engine is stopped")
	}
	return nil
}

// bftTransport is the engine's network: p2p over mutual TLS.
type bftTransport struct{ n *Node }

// Send sends an envelope to a peer (kind 6), waiting until it queued it.
func (t bftTransport) Send(nodeID string, msg []byte) error {
	return t.n.cluster.SendTo(nodeID, kindBFT, msg)
}

// FetchCertified asks a peer for certified blocks from..to (kind 7).
func (t bftTransport) FetchCertified(ctx context.Context, peer string, from, to uint64) ([]byte, error) {
	return t.n.cluster.Request(ctx, peer, reqCertBlocks, encodeRange(from, to))
}

// Peers lists the live peers with the heads they gossip.
func (t bftTransport) Peers() []bft.Peer {
	var out []bft.Peer
	for _, m := range t.n.cluster.Members() {
		if !m.Alive || m.ID == t.n.cfg.NodeID {
			continue
		}
		var md meta
		_ = json.Unmarshal(m.Meta, &md)
		out = append(out, bft.Peer{ID: m.ID, Height: md.Height})
	}
	return out
}

// handleCertBlocks answers reqCertBlocks: the blocks from..to this node
// holds with their certificates, at most maxBlocksPerReq and about
// maxBlockReply bytes (or the lie a test installed).
func (n *Node) handleCertBlocks(ctx context.Context, _ string, req []byte) ([]byte, error) {
	from, to, err := decodeRange(req, 0)
	if err != nil {
		return nil, err
	}
	if lie := n.syncer.serve.Load(); lie != nil {
		return (*lie)(ctx, from, to)
	}
	return n.appendBlocks(from, to, func(out []byte, h uint64, raw []byte) ([]byte, error) {
		cert, err := n.ledger.Certificate(h)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", h, err)
		}
		return bft.AppendCertified(out, raw, cert), nil
	})
}
