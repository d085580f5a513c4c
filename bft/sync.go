package bft

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/veilchain/veil/chain"
)

// Peer is a live peer as the transport sees it: its node id and the head
// height it advertises.
type Peer struct {
	ID     string
	Height uint64
}

// Transport is what the engine needs from the node's network (package p2p
// over mutual TLS, wired by package node): the sender of every message it
// is handed is the TLS-verified node id.
type Transport interface {
	// Send delivers an envelope to a peer; it may block (each peer has
	// its own sending goroutine).
	Send(nodeID string, msg []byte) error
	// FetchCertified asks one peer for its blocks from..to with their
	// certificates (DecodeCertified's encoding; an empty reply when it
	// has none).
	FetchCertified(ctx context.Context, peer string, from, to uint64) ([]byte, error)
	// Peers lists the live peers.
	Peers() []Peer
}

// maxSyncRange is how many heights one certified fetch asks for (the
// node serves at most 512 blocks a reply).
const maxSyncRange = 512

// syncDistrust is how long a peer whose reply was refused is asked last.
const syncDistrust = time.Minute

// Follower applies certified blocks fetched from peers: an observer's
// way of following a BFT chain, and a validator's SmartBFT Synchronizer.
// Each block is applied only once its certificate proves it against the
// validator set in force before it, so a lying peer can stall a fetch
// but not feed a fork.
type Follower struct {
	ledger    *chain.Ledger
	tr        Transport
	onApplied func(*chain.Applied)
	metrics   *Metrics
	log       *slog.Logger

	syncMu     sync.Mutex // one sync at a time: the engine's and the observer loop's
	mu         sync.Mutex // guards distrusted
	distrusted map[string]time.Time
	// removed, when set, sees the blocks a sync applied (the engine
	// drops their requests from SmartBFT's pool).
	removed func(*chain.Block)
}

// NewFollower returns a follower of ledger's chain over tr; onApplied
// sees every block it applies.
func NewFollower(ledger *chain.Ledger, tr Transport, onApplied func(*chain.Applied), metrics *Metrics, log *slog.Logger) *Follower {
	if log == nil {
		log = slog.Default()
	}
	if metrics == nil {
		metrics, _ = NewMetrics(nil)
	}
	return &Follower{ledger: ledger, tr: tr, onApplied: onApplied, metrics: metrics, log: log.With("component", "bft"), distrusted: map[string]time.Time{}}
}

// peers orders the live peers above height from−1: trusted first, each
// part highest first, one height in random order.
func (f *Follower) peers(from uint64, validatorsOnly bool) []Peer {
	now := time.Now()
	var ps []Peer
	for _, p := range f.tr.Peers() {
		if p.Height >= from && (!validatorsOnly || f.ledger.IsValidator(p.ID)) {
			ps = append(ps, p)
		}
	}
	rand.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	f.mu.Lock()
	distrusted := func(id string) bool { t, ok := f.distrusted[id]; return ok && now.Before(t) }
	slices.SortStableFunc(ps, func(a, b Peer) int {
		if da, db := distrusted(a.ID), distrusted(b.ID); da != db {
			if da {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.Height, a.Height)
	})
	f.mu.Unlock()
	return ps
}

func (f *Follower) distrust(peer string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for id, t := range f.distrusted {
		if now.After(t) {
			delete(f.distrusted, id)
		}
	}
	f.distrusted[peer] = now.Add(syncDistrust)
}

// Sync fetches and applies certified blocks until no peer that claims a
// higher head has more: the highest head the peers report, as far as
// they prove it. It returns how many blocks it applied.
func (f *Follower) Sync(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := f.SyncOnce(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// SyncOnce asks the peers that claim a higher head, best first, until one
// gives a reply that checks out, and applies it: one round of Sync.
func (f *Follower) SyncOnce(ctx context.Context) (int, error) {
	f.syncMu.Lock()
	defer f.syncMu.Unlock()
	from := f.ledger.Head().Height + 1
	var errs []error
	for _, p := range f.peers(from, false) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		n, err := f.fetchFrom(ctx, p.ID, from)
		if err == nil {
			return n, nil
		}
		var se *storageError
		if errors.As(err, &se) {
			return n, se.err
		}
		errs = append(errs, fmt.Errorf("peer %s: %w", p.ID, err))
		if n > 0 {
			return n, nil // a prefix checked out; the next round asks another peer
		}
	}
	return 0, errors.Join(errs...)
}

// storageError is a ledger write that failed: the node must stop, not
// ask another peer.
type storageError struct{ err error }

func (e *storageError) Error() string { return e.err.Error() }

// fetchFrom fetches from one peer and applies, block by block, what
// checks out: the blocks link to this ledger (chain.Ledger.CheckBlocks)
// and each certificate proves its block against the validator set in
// force before it. A refused reply (or the refused rest of one) is
// counted, logged and its peer distrusted for a while.
func (f *Follower) fetchFrom(ctx context.Context, peer string, from uint64) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	reply, err := f.tr.FetchCertified(rctx, peer, from, from+maxSyncRange-1)
	if err != nil {
		return 0, err
	}
	blocks, certs, err := DecodeCertified(reply)
	if err == nil && len(blocks) > maxSyncRange {
		err = fmt.Errorf("%d blocks for %d heights", len(blocks), maxSyncRange)
	}
	if err == nil && len(blocks) > 0 {
		err = f.ledger.CheckBlocks(from, blocks)
	}
	if err != nil {
		f.refuse(peer, from, err)
		return 0, err
	}
	f.ledger.VerifyAhead(blocks)
	applied := 0
	for i, raw := range blocks {
		if err := f.applyCertified(ctx, raw, certs[i]); err != nil {
			if errors.Is(err, chain.ErrAlreadyApplied) {
				continue // the engine delivered it meanwhile
			}
			var se *storageError
			if errors.As(err, &se) {
				return applied, err
			}
			f.refuse(peer, from+uint64(i), err)
			return applied, err
		}
		applied++
	}
	return applied, nil
}

func (f *Follower) refuse(peer string, at uint64, err error) {
	f.metrics.syncRefused.Add(1)
	f.distrust(peer)
	f.log.Warn("certified block sync: refused a peer's reply", "peer", peer, "height", at, "err", err)
}

// applyCertified checks raw's certificate against the validator set in
// force before it and applies the two together.
func (f *Follower) applyCertified(ctx context.Context, raw, certRaw []byte) error {
	var c Certificate
	if err := c.UnmarshalBinary(certRaw); err != nil {
		return err
	}
	head := f.ledger.Head()
	if err := c.Verify(f.ledger.ChainID(), raw, f.ledger.ValidatorsAt(head.Height)); err != nil {
		return fmt.Errorf("block %d: %w", head.Height+1, err)
	}
	if v := f.ledger.ValidatorChanges(head.Height); c.VerificationSequence != v {
		return fmt.Errorf("block %d: %w: verification sequence %d, want %d", head.Height+1, ErrCertificate, c.VerificationSequence, v)
	}
	a, err := f.ledger.ApplyCertified(ctx, raw, certRaw)
	if err != nil {
		if errors.Is(err, chain.ErrBlockRejected) || errors.Is(err, chain.ErrAlreadyApplied) {
			return err
		}
		return &storageError{err}
	}
	if f.removed != nil {
		f.removed(a.Block)
	}
	if f.onApplied != nil {
		f.onApplied(a)
	}
	return nil
}
