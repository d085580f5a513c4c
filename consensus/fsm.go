package consensus

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/storage"
)

// BlockFetcher fetches committed blocks from peers: the encodings of
// heights from..to inclusive, in order (fewer is allowed; at least one).
// A node that restores a raft snapshot uses it to catch up, since a
// snapshot records only the chain head. Peers may lie: an implementation
// returns only a reply that chain.Ledger.CheckBlocks accepts from `from`
// and asks another peer otherwise (node.Node.FetchBlocks), so that a bad
// reply costs a retry, not a stalled restore.
type BlockFetcher interface {
	FetchBlocks(ctx context.Context, from, to uint64) ([][]byte, error)
}

// fsm is the raft state machine: every committed entry is a block, and
// applying it is chain.Ledger.Apply. An entry that is not a well-formed,
// validator-signed next block is skipped by every node alike. Any other
// failure (a full disk, a storage fault) means this node cannot follow
// the chain: the fsm reports it through fail and from then on applies
// nothing and refuses snapshots, so that nothing records raft's later
// indexes as applied; the node stops, and on restart raft replays its log
// from the last snapshot onto what the chain database holds.
type fsm struct {
	ledger    *chain.Ledger
	fetcher   BlockFetcher
	onApplied func(*chain.Applied)
	log       *slog.Logger
	stop      <-chan struct{}
	fault     *storage.Fault // the orderer's: what stops this node's ordering
	restores  atomic.Int64   // snapshots restored, for tests and stats
	restoring atomic.Uint64  // the height of the snapshot being restored, 0 when none (sync status)

	// gate is held while the fsm writes the ledger; closed (set by close)
	// turns every later entry away, so that the node may close its
	// databases even when raft could not be waited for (shutdownRaft).
	gate   sync.Mutex
	closed bool
}

// errFSMClosed is what entries get once the orderer has stopped.
var errFSMClosed = errors.New("consensus stopped")

// close waits for an apply in progress and turns every later one away.
func (f *fsm) close() {
	f.gate.Lock()
	f.closed = true
	f.gate.Unlock()
}

// applyResult is what raft hands back to the proposer of an entry.
type applyResult struct {
	applied *chain.Applied
	err     error
}

// ApplyBatch applies committed entries in order (raft.BatchingFSM),
// first queueing the verification of every block's missing signatures on
// the ledger's pool, so that the pool verifies the later blocks while the
// earlier ones commit (a follower catching up on raft's log, a restart).
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	if len(logs) > 1 {
		raws := make([][]byte, 0, len(logs))
		for _, l := range logs {
			if l.Type == raft.LogCommand {
				raws = append(raws, l.Data)
			}
		}
		f.ledger.VerifyAhead(raws)
	}
	out := make([]any, len(logs))
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			out[i] = f.Apply(l)
		}
	}
	return out
}

// Apply applies a committed entry (raft.FSM).
func (f *fsm) Apply(l *raft.Log) any {
	f.gate.Lock()
	defer f.gate.Unlock()
	if f.closed {
		return applyResult{err: errFSMClosed}
	}
	if err := f.fault.Err(); err != nil {
		return applyResult{err: err}
	}
	a, err := f.ledger.Apply(context.Background(), l.Data)
	switch {
	case err == nil:
		if f.onApplied != nil {
			f.onApplied(a)
		}
	case errors.Is(err, chain.ErrAlreadyApplied):
		// raft replays entries after the last snapshot on restart.
	case errors.Is(err, chain.ErrBlockRejected):
		f.log.Warn("skipped raft entry", "index", l.Index, "term", l.Term, "reason", err)
	default:
		// A storage fault: this node cannot follow the chain. Stopping is
		// safer than diverging (skipping it would leave a gap); the node
		// restarts once fixed and raft replays the entry.
		err = f.fault.Set(fmt.Errorf("apply raft entry %d: %w", l.Index, err))
	}
	return applyResult{applied: a, err: err}
}

// snapshot is the chain head at the snapshot's log index.
type snapshot struct{ head chain.Head }

// Snapshot captures the chain head (raft.FSM). After a fault it refuses:
// the head would lag the index raft records for the snapshot.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	if err := f.fault.Err(); err != nil {
		return nil, fmt.Errorf("no snapshot after a fault: %w", err)
	}
	return snapshot{head: f.ledger.Head()}, nil
}

// Persist writes height u64 ‖ hash [32].
func (s snapshot) Persist(sink raft.SnapshotSink) error {
	b := binary.BigEndian.AppendUint64(nil, s.head.Height)
	b = append(b, s.head.Hash[:]...)
	if _, err := sink.Write(b); err != nil {
		sink.Cancel()
		return fmt.Errorf("write snapshot: %w", err)
	}
	return sink.Close()
}

// Release has nothing to free (raft.FSMSnapshot).
func (snapshot) Release() {}

// Restore brings the ledger to the snapshot's head by fetching the missing
// blocks from peers and applying them, checking that the block at the
// snapshot's height has the recorded hash. A ledger already past the head
// has nothing to do: raft replays later entries, and those it already
// holds are no-ops.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	f.restores.Add(1)
	var buf [40]byte
	if _, err := io.ReadFull(rc, buf[:]); err != nil {
		return fmt.Errorf("read snapshot: %w", err)
	}
	target := chain.Head{Height: binary.BigEndian.Uint64(buf[:8])}
	copy(target.Hash[:], buf[8:])
	f.restoring.Store(target.Height)
	defer f.restoring.Store(0)
	f.log.Info("restoring snapshot", "height", target.Height, "hash", hex.EncodeToString(target.Hash[:8]), "local_height", f.ledger.Head().Height)
	backoff := 100 * time.Millisecond
	for {
		head := f.ledger.Head()
		if head.Height >= target.Height {
			return f.checkHash(target)
		}
		if err := f.gatedCatchUp(head.Height+1, target.Height); err != nil {
			if we := (*storage.WriteError)(nil); errors.As(err, &we) {
				// No retry can write; raft's restore error would lose
				// this one's text, so the fault keeps it.
				return f.fault.Set(fmt.Errorf("restore snapshot at height %d: %w", target.Height, err))
			}
			f.log.Warn("block sync for snapshot restore failed; retrying", "err", err, "in", backoff)
			select {
			case <-f.stop:
				return fmt.Errorf("restore snapshot at height %d: stopped", target.Height)
			case <-f.fault.Done():
				return fmt.Errorf("restore snapshot at height %d: %w", target.Height, f.fault.Err())
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

func (f *fsm) checkHash(target chain.Head) error {
	if target.Height == 0 {
		return nil
	}
	b, err := f.ledger.Block(target.Height)
	if err != nil {
		return fmt.Errorf("restore snapshot: read block %d: %w", target.Height, err)
	}
	if b.Hash() != target.Hash {
		return fmt.Errorf("restore snapshot: local block %d differs from the snapshot's: this node has forked", target.Height)
	}
	return nil
}

func (f *fsm) gatedCatchUp(from, to uint64) error {
	f.gate.Lock()
	defer f.gate.Unlock()
	if f.closed {
		return errFSMClosed
	}
	return f.catchUp(from, to)
}

// catchUp fetches and applies blocks from..to, verifying the whole
// fetched batch ahead on the ledger's pool (at apply priority, in block
// order) so that sync uses every core while each block commits in turn.
func (f *fsm) catchUp(from, to uint64) error {
	if f.fetcher == nil {
		return errors.New("no block fetcher")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	blocks, err := f.fetcher.FetchBlocks(ctx, from, to)
	if err != nil {
		return err
	}
	if len(blocks) == 0 {
		return fmt.Errorf("peers returned no blocks from %d", from)
	}
	f.ledger.VerifyAhead(blocks)
	for _, raw := range blocks {
		a, err := f.ledger.Apply(ctx, raw)
		if err != nil && !errors.Is(err, chain.ErrAlreadyApplied) {
			return fmt.Errorf("apply fetched block: %w", err)
		}
		if a != nil && f.onApplied != nil {
			f.onApplied(a)
		}
	}
	return nil
}

// faultSnapshots is raft's snapshot store with its write errors latched:
// raft formats them with %v, which would lose the ENOSPC a node must
// report, and only logs them.
type faultSnapshots struct {
	raft.SnapshotStore
	dir   string
	fault *storage.Fault
}

func (s faultSnapshots) fail(err error) error {
	if err == nil {
		return nil
	}
	s.fault.Set(&storage.WriteError{Dir: s.dir, Err: err})
	return err
}

// Create opens a sink whose failed writes latch the fault.
func (s faultSnapshots) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration, configurationIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(version, index, term, configuration, configurationIndex, trans)
	if err != nil {
		return nil, s.fail(fmt.Errorf("create snapshot: %w", err))
	}
	return faultSink{SnapshotSink: sink, s: s}, nil
}

type faultSink struct {
	raft.SnapshotSink
	s faultSnapshots
}

func (k faultSink) Write(p []byte) (int, error) {
	n, err := k.SnapshotSink.Write(p)
	return n, k.s.fail(err)
}

func (k faultSink) Close() error { return k.s.fail(k.SnapshotSink.Close()) }
