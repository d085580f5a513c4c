package consensus

import (
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/storage"
)

// Peer is a raft server: its node id and raft address.
type Peer struct {
	ID   string
	Addr string
}

// Config configures an Orderer. DefaultConfig fills the timing defaults.
type Config struct {
	NodeID string
	// Dir holds raft snapshots (the log lives in the RaftStore given to New).
	Dir string
	// BindAddr is the raft listen address, AdvertiseAddr what peers dial
	// (empty: the bound address).
	BindAddr, AdvertiseAddr string
	// ServerTLS accepts raft connections; ClientTLS returns the config to
	// dial a raft address with. Both must require certificates from the
	// chain CA (package p2p builds them).
	ServerTLS *tls.Config
	ClientTLS func(raft.ServerAddress) *tls.Config
	// NodeKey signs the blocks this node proposes (its certificate's key).
	NodeKey ed25519.PrivateKey
	// Validators are the voters of genesis, bootstrapped on first start.
	// A node not among them starts as an observer and waits to be added.
	Validators []Peer

	BlockInterval time.Duration // a block at least this often while txs wait
	MaxBlockTxs   int           // cut a block as soon as this many wait
	MaxBlockBytes int

	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	ApplyTimeout       time.Duration
	// LogPolicy sizes the raft log by bytes: once it holds more than
	// MaxBytes, the orderer takes a snapshot that keeps the newest entries
	// worth KeepBytes (raft's TrailingLogs, derived from the mean entry
	// size). A follower further behind gets the snapshot and block sync.
	LogPolicy storage.RaftLogPolicy
	// LogCheckInterval is how often the log's size is checked.
	LogCheckInterval time.Duration

	Logger *slog.Logger
}

// DefaultConfig returns LAN defaults: a block every 500 ms or at 2,000
// transactions or 4 MiB, raft's default timeouts, the raft log sized by
// storage.DefaultRaftLogPolicy and checked every second.
func DefaultConfig() Config {
	rc := raft.DefaultConfig()
	return Config{
		BlockInterval: 500 * time.Millisecond, MaxBlockTxs: 2000, MaxBlockBytes: 4 << 20,
		HeartbeatTimeout: rc.HeartbeatTimeout, ElectionTimeout: rc.ElectionTimeout,
		LeaderLeaseTimeout: rc.LeaderLeaseTimeout, CommitTimeout: rc.CommitTimeout,
		ApplyTimeout: 10 * time.Second, LogPolicy: storage.DefaultRaftLogPolicy(), LogCheckInterval: time.Second,
		Logger: slog.Default(),
	}
}

// raftSnapshotThreshold turns raft's own entry-count trigger off in
// effect: snapshots follow the log's bytes (Orderer.compactLog).
const raftSnapshotThreshold = 1 << 62

// Orderer orders blocks with raft: the leader cuts blocks from the mempool
// and every node applies committed blocks to its ledger through the FSM.
type Orderer struct {
	cfg    Config
	raft   *raft.Raft
	trans  *raft.NetworkTransport
	fsm    *fsm
	ledger *chain.Ledger
	pool   *chain.Mempool
	logs   *storage.RaftStore
	log    *slog.Logger

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	leaderChanges atomic.Int64  // leaders observed taking office
	barrierTerm   atomic.Uint64 // the term in which this leader's barrier last completed (membership.go)
	observer      *raft.Observer
	fault         *storage.Fault // a block it cannot apply, a failed raft store or snapshot write
}

// New starts raft for this node. logs is the node's raft log and stable
// store; fetcher serves snapshot restores; onApplied is called (on the FSM
// goroutine, so it must be quick) with every block this node applies.
func New(cfg Config, ledger *chain.Ledger, pool *chain.Mempool, logs *storage.RaftStore, fetcher BlockFetcher, onApplied func(*chain.Applied)) (*Orderer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	log := cfg.Logger.With("component", "consensus")
	var adv net.Addr
	if cfg.AdvertiseAddr != "" {
		a, err := net.ResolveTCPAddr("tcp", cfg.AdvertiseAddr)
		if err != nil {
			return nil, fmt.Errorf("raft advertise address: %w", err)
		}
		adv = a
	}
	layer, err := NewTLSStreamLayer(cfg.BindAddr, adv, cfg.ServerTLS, cfg.ClientTLS)
	if err != nil {
		return nil, err
	}
	flt := storage.NewFault()
	hlog := newRaftLogger(cfg.Logger, func() bool { return flt.Err() != nil || logs.Fault().Err() != nil })
	trans := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: layer, MaxPool: 3, Timeout: 10 * time.Second, Logger: hlog})

	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		trans.Close()
		return nil, fmt.Errorf("raft dir: %w", err)
	}
	snapDir := filepath.Join(cfg.Dir, "snapshots")
	files, err := raft.NewFileSnapshotStoreWithLogger(snapDir, 2, hlog)
	if err != nil {
		trans.Close()
		if storage.IsDiskFull(err) {
			err = &storage.WriteError{Dir: snapDir, Err: err}
		}
		return nil, fmt.Errorf("raft snapshot store: %w", err)
	}
	snaps := faultSnapshots{SnapshotStore: files, dir: snapDir, fault: flt}

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = hlog
	rc.HeartbeatTimeout, rc.ElectionTimeout = cfg.HeartbeatTimeout, cfg.ElectionTimeout
	rc.LeaderLeaseTimeout, rc.CommitTimeout = cfg.LeaderLeaseTimeout, cfg.CommitTimeout
	if cfg.LogPolicy.MaxBytes == 0 {
		cfg.LogPolicy = storage.DefaultRaftLogPolicy()
	}
	if cfg.LogCheckInterval <= 0 {
		cfg.LogCheckInterval = time.Second
	}
	rc.SnapshotThreshold = raftSnapshotThreshold
	rc.TrailingLogs = max(1, cfg.LogPolicy.MinEntries) // compactLog sets it from the mean entry size

	o := &Orderer{cfg: cfg, trans: trans, ledger: ledger, pool: pool, logs: logs, log: log, stop: make(chan struct{}), fault: flt}
	o.fsm = &fsm{ledger: ledger, fetcher: fetcher, onApplied: onApplied, log: log, stop: o.stop, fault: flt}

	existing, err := raft.HasExistingState(logs, logs, snaps)
	if err != nil {
		trans.Close()
		return nil, fmt.Errorf("raft state: %w", err)
	}
	if !existing && o.isValidator() {
		var servers []raft.Server
		for _, p := range cfg.Validators {
			servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.Addr)})
		}
		if err := raft.BootstrapCluster(rc, logs, logs, snaps, trans, raft.Configuration{Servers: servers}); err != nil {
			trans.Close()
			return nil, fmt.Errorf("bootstrap raft: %w", err)
		}
	}
	r, err := raft.NewRaft(rc, o.fsm, logs, haltOnFault{logs}, snaps, trans)
	if err != nil {
		trans.Close()
		if ferr := flt.Err(); ferr != nil {
			err = ferr // raft's text would hide it
		} else if ferr := logs.Fault().Err(); ferr != nil {
			err = ferr
		}
		return nil, fmt.Errorf("start raft: %w", err)
	}
	o.raft = r
	obs := make(chan raft.Observation, 16)
	o.observer = raft.NewObserver(obs, false, func(ob *raft.Observation) bool {
		_, ok := ob.Data.(raft.LeaderObservation)
		return ok
	})
	r.RegisterObserver(o.observer)
	o.wg.Add(4)
	go o.watchLeader(obs)
	go o.produce()
	go o.compactLog()
	go o.watchStore()
	return o, nil
}

// Failed is closed once this node cannot go on ordering: a committed
// block it cannot apply (a full or failing chain database), a failed
// write to the raft log, stable store or snapshot store. Fault says
// which; the node must stop. Raft replays its log on restart, and the
// ledger applies by height, so nothing is lost or applied twice.
func (o *Orderer) Failed() <-chan struct{} { return o.fault.Done() }

// Fault returns the error Failed reports, or nil.
func (o *Orderer) Fault() error { return o.fault.Err() }

// watchStore shuts raft down as soon as the raft store fails: raft panics
// when it cannot persist a new term, and one arrives within an election
// timeout when the failing node led (a leader that cannot store its log
// steps down).
func (o *Orderer) watchStore() {
	defer o.wg.Done()
	select {
	case <-o.stop:
		return
	case <-o.logs.Fault().Done():
	}
	o.fault.Set(o.logs.Fault().Err())
	o.raft.Shutdown() // Stop waits for it, bounded
}

// raftHaltWait bounds Stop's wait for raft's goroutines after a raft
// store fault: raft's main goroutine may be parked in haltOnFault for
// good.
const raftHaltWait = 2 * time.Second

// shutdownRaft shuts raft down and waits for its goroutines, for at most
// raftHaltWait once the raft store has failed.
func (o *Orderer) shutdownRaft() error {
	done := make(chan error, 1)
	go func() { done <- o.raft.Shutdown().Error() }()
	if o.logs.Fault().Err() == nil {
		return <-done
	}
	select {
	case err := <-done:
		return err
	case <-time.After(raftHaltWait):
		o.log.Warn("raft's main goroutine is parked in a failed stable-store write; stopping without it")
		return nil
	}
}

// haltOnFault is the stable store raft gets: after a failed write it
// never returns. raft panics when it cannot persist a new term
// (setCurrentTerm), which turned a clean stop on a full disk into a crash
// (TestDiskFullStopsOrdering under -race, TestDiskFull); and answering
// without persisting would let this node vote twice in one term after a
// restart. The goroutine (raft's main loop, being shut down) goes with
// the process; it holds no lock of raft's or LevelDB's.
type haltOnFault struct{ *storage.RaftStore }

// Set stores val under key or, failing, parks the caller for good.
func (h haltOnFault) Set(key, val []byte) error {
	if err := h.RaftStore.Set(key, val); err != nil {
		select {}
	}
	return nil
}

// SetUint64 stores val under key or, failing, parks the caller for good.
func (h haltOnFault) SetUint64(key []byte, val uint64) error {
	if err := h.RaftStore.SetUint64(key, val); err != nil {
		select {}
	}
	return nil
}

// compactLog keeps the raft log within cfg.LogPolicy: when the stored log
// holds more than MaxBytes, it sets raft's TrailingLogs to the entries that
// make KeepBytes at the log's mean entry size and takes a snapshot (the
// chain head only), after which raft deletes the older entries.
func (o *Orderer) compactLog() {
	defer o.wg.Done()
	tick := time.NewTicker(o.cfg.LogCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-tick.C:
		}
		if o.fault.Err() != nil {
			continue // the FSM refuses snapshots; the node is stopping
		}
		entries, size := o.logs.LogSize()
		keep, due := o.cfg.LogPolicy.Compact(entries, size)
		if !due {
			continue
		}
		rc := o.raft.ReloadableConfig()
		rc.TrailingLogs = keep
		if err := o.raft.ReloadConfig(rc); err != nil {
			o.log.Warn("raft log compaction: set trailing logs", "err", err)
			continue
		}
		err := o.raft.Snapshot().Error()
		switch {
		case errors.Is(err, raft.ErrNothingNewToSnapshot):
			// Nothing applied since the last snapshot: the log is all
			// unapplied or trailing entries, and stays until it is.
		case err != nil:
			o.log.Warn("raft log compaction: snapshot", "err", err)
		default:
			after, afterSize := o.logs.LogSize()
			o.log.Debug("raft log compacted", "entries", entries, "bytes", size, "kept_entries", after, "kept_bytes", afterSize)
		}
	}
}

// watchLeader counts the leaders this node sees take office. raft emits
// a LeaderObservation whenever the leader it knows changes, "" (none)
// included; a leader that steps down and is re-elected counts again.
func (o *Orderer) watchLeader(obs <-chan raft.Observation) {
	defer o.wg.Done()
	for {
		select {
		case <-o.stop:
			return
		case ob := <-obs:
			if lo := ob.Data.(raft.LeaderObservation); lo.LeaderID != "" {
				o.leaderChanges.Add(1)
				o.log.Info("raft leader", "leader", string(lo.LeaderID), "term", o.raft.CurrentTerm())
			} else {
				o.log.Info("raft leader lost", "term", o.raft.CurrentTerm())
			}
		}
	}
}

// LeaderChanges counts the leaders this node has seen take office since
// it started, the first election included (veil_raft_leader_changes_total).
func (o *Orderer) LeaderChanges() int64 { return o.leaderChanges.Load() }

// Term is this node's current raft term.
func (o *Orderer) Term() uint64 { return o.raft.CurrentTerm() }

// State is this node's raft state (follower, candidate, leader, shutdown).
func (o *Orderer) State() raft.RaftState { return o.raft.State() }

// CommitIndex is the index of the newest raft entry known committed.
func (o *Orderer) CommitIndex() uint64 { return o.raft.CommitIndex() }

// AppliedIndex is the index of the newest raft entry applied to the FSM.
func (o *Orderer) AppliedIndex() uint64 { return o.raft.AppliedIndex() }

// LastContact is when this node last heard from the leader (the zero time
// if never; raft does not update it on the leader itself).
func (o *Orderer) LastContact() time.Time { return o.raft.LastContact() }

// RestoreTarget is the chain height of the raft snapshot this node is
// restoring by block sync, or 0 when it restores none.
func (o *Orderer) RestoreTarget() uint64 { return o.fsm.restoring.Load() }

func (o *Orderer) isValidator() bool {
	for _, p := range o.cfg.Validators {
		if p.ID == o.cfg.NodeID {
			return true
		}
	}
	return false
}

// IsLeader reports whether this node leads raft now.
func (o *Orderer) IsLeader() bool { return o.raft.State() == raft.Leader }

// Leader returns the current leader's node id and raft address, if known.
func (o *Orderer) Leader() (id, addr string) {
	a, i := o.raft.LeaderWithID()
	return string(i), string(a)
}

// Servers lists raft's configuration: every voter and non-voter.
func (o *Orderer) Servers() ([]raft.Server, error) {
	f := o.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	return f.Configuration().Servers, nil
}

// AddObserver adds a node as a raft non-voter (leader only): it receives
// and applies every block but does not vote.
func (o *Orderer) AddObserver(id, addr string) error {
	return o.raft.AddNonvoter(raft.ServerID(id), raft.ServerAddress(addr), 0, o.cfg.ApplyTimeout).Error()
}

// RemoveServer removes a node from raft (leader only).
func (o *Orderer) RemoveServer(id string) error {
	return o.raft.RemoveServer(raft.ServerID(id), 0, o.cfg.ApplyTimeout).Error()
}

// Stop stops producing, hands leadership to another voter if this node
// leads (so the network keeps committing without an election timeout),
// and shuts raft down (after a raft store fault, waiting for raft at most
// raftHaltWait); once it returns the FSM writes nothing.
func (o *Orderer) Stop() error {
	o.stopOnce.Do(func() { close(o.stop) })
	o.wg.Wait()
	o.raft.DeregisterObserver(o.observer)
	if o.IsLeader() {
		if err := o.raft.LeadershipTransfer().Error(); err != nil {
			o.log.Warn("leadership transfer on stop failed", "err", err)
		}
	}
	err := o.shutdownRaft()
	o.fsm.close()
	if cerr := o.trans.Close(); err == nil {
		err = cerr
	}
	return err
}

// produce is the leader's block producer: while this node leads, it cuts a
// block from the mempool every BlockInterval, or at once when the mempool
// holds a full block, and waits until raft has committed and applied it
// before building the next on the new head.
func (o *Orderer) produce() {
	defer o.wg.Done()
	tick := time.NewTicker(o.cfg.BlockInterval)
	defer tick.Stop()
	for {
		select {
		case <-o.stop:
			return
		case <-tick.C:
		case <-o.pool.Added():
			if o.pool.Len() < o.cfg.MaxBlockTxs {
				continue
			}
		}
		if !o.IsLeader() || o.fault.Err() != nil {
			continue
		}
		if err := o.leaderBarrier(); err != nil {
			o.log.Warn("barrier after election failed", "err", err)
			continue
		}
		// A leader that chain state no longer names a validator proposes
		// nothing (every node would refuse its blocks): it is handing
		// over (ReconcileVoters).
		if !o.ledger.IsValidator(o.cfg.NodeID) {
			continue
		}
		for o.IsLeader() && o.pool.Len() > 0 {
			if err := o.proposeOne(); err != nil {
				o.log.Warn("block proposal failed", "err", err)
				break
			}
			if o.pool.Len() < o.cfg.MaxBlockTxs {
				break // a partial block waits for the next tick
			}
			select {
			case <-o.stop:
				return
			default:
			}
		}
	}
}

// proposeOne builds, signs and commits the next block through raft.
func (o *Orderer) proposeOne() error {
	txs := o.pool.Reap(o.cfg.MaxBlockTxs, o.cfg.MaxBlockBytes)
	if len(txs) == 0 {
		return nil
	}
	head := o.ledger.Head()
	now := max(time.Now().UnixNano(), head.Time)
	b := &chain.Block{Header: chain.Header{ChainID: o.ledger.ChainID(), Height: head.Height + 1, PrevHash: head.Hash, Time: now, TxRoot: chain.TxRoot(txs)}, Txs: txs}
	b.Sign(o.cfg.NodeID, o.cfg.NodeKey)
	f := o.raft.Apply(b.Encode(), o.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		return fmt.Errorf("commit block %d: %w", b.Height, err)
	}
	if res, ok := f.Response().(applyResult); ok && res.err != nil && !errors.Is(res.err, chain.ErrAlreadyApplied) {
		return fmt.Errorf("block %d committed but not applied: %w", b.Height, res.err)
	}
	return nil
}
