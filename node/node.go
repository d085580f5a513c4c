package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"crypto/ed25519"
	"crypto/tls"

	"github.com/hashicorp/raft"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/consensus"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/logspec"
	"github.com/veilchain/veil/p2p"
	"github.com/veilchain/veil/storage"
	"golang.org/x/time/rate"
)

// meta is what a node gossips about itself (memberlist node metadata).
type meta struct {
	API    string `json:"api"`
	Raft   string `json:"raft"`
	Height uint64 `json:"h"`
	Role   string `json:"role"`
	// HeadHash is the hash of the block at Height, for fork detection
	// (fork.go); absent from nodes before it.
	HeadHash []byte `json:"hh,omitempty"`
}

// Roles.
const (
	RoleValidator = "validator"
	RoleObserver  = "observer"
)

// Node is one running veil node: storage, ledger, mempool, gossip, raft
// and the API, wired together.
type Node struct {
	cfg      Config
	log      *slog.Logger
	identity *p2p.Identity
	db       *storage.DB
	logs     *storage.RaftStore
	ledger   *chain.Ledger
	pool     *chain.Mempool
	cluster  *p2p.Cluster
	orderer  *consensus.Orderer // raft's; nil on a BFT chain
	bft      *bftOrdering       // a BFT chain's; nil on raft
	engine   engine             // whichever of the two runs
	hub      *api.Hub
	metrics  *api.Metrics
	apiLn    net.Listener
	api      *api.Server
	txIn     chan []byte
	gossip   gossipState
	syncer   blockSync
	fork     *forkWatch

	// ops is the operations server (api.Operations): created in New
	// before any handler is registered, so every part of the node can
	// mount its endpoints; served on opsLn (ops_addr) or, when that is
	// unset, behind the API's listener (node/ops.go).
	ops   *api.Operations
	opsLn net.Listener
	// apiTLS is the API listener's TLS (api_tls), nil for plain HTTP;
	// apiCert its api_cert/api_key pair when given.
	apiTLS  *tls.Config
	apiCert *keyPair
	// levels are the node's log levels (logspec): PUT /logspec on the
	// operations port and SIGHUP set them.
	levels *logspec.Levels
	obs    observed
	certs  *certWatch

	mu       sync.Mutex
	lastSeen map[string]time.Time // observers, for removal when gone for good
	closers  []func() error
	selfGone chan struct{} // closed when this node's own certificate is revoked
	goneOnce sync.Once
}

// New opens a node's storage and starts its network parts (gossip, raft,
// API listener); Run serves until the context ends.
func New(cfg Config, log *slog.Logger) (n *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	levels := logspec.LevelsOf(log)
	if levels == nil {
		// A caller's plain logger: log_level's spec filters in front of it.
		if levels, err = logspec.New(cfg.LogLevel); err != nil {
			return nil, err
		}
		log = slog.New(logspec.NewHandler(log.Handler(), levels))
	}
	base := log.With("node", cfg.NodeID) // each part adds its component
	n = &Node{cfg: cfg, log: base.With("component", "node"), levels: levels, lastSeen: map[string]time.Time{}, txIn: make(chan []byte, 8192), selfGone: make(chan struct{}), fork: newForkWatch()}
	n.obs.started = time.Now()
	nd := n // n is nil once New returns an error
	n.gossip.refused = newExpiring[[32]byte](maxRefusedIDs)
	n.syncer.distrusted = newExpiring[string](maxDistrustedPeers)
	defer func() {
		if err != nil {
			nd.close()
			if we := (*storage.WriteError)(nil); errors.As(err, &we) {
				// A full disk at start: say which, plainly, before the
				// process exits with the error.
				nd.log.Error(we.Error(), "err", err)
			}
		}
	}()
	// The lock first: a second process on the same directories must be
	// refused before it opens LevelDB or raft, not by what they make of it.
	dirs := []string{cfg.DataDir}
	if rp := cfg.RaftPath(); filepath.Clean(rp) != filepath.Clean(cfg.DataDir) {
		dirs = append(dirs, rp)
	}
	for _, dir := range dirs {
		lock, err := storage.LockDir(dir)
		if err != nil {
			return nil, err
		}
		n.closers = append(n.closers, lock.Close)
	}
	gf, err := genesis.Read(cfg.Genesis)
	if err != nil {
		return nil, err
	}
	gen, err := gf.Chain()
	if err != nil {
		return nil, err
	}
	if n.identity, err = p2p.LoadIdentity(cfg.Cert, cfg.Key, cfg.CA); err != nil {
		return nil, err
	}
	n.identity.SetLogger(log.With("component", "p2p"))
	if n.identity.NodeID() != cfg.NodeID {
		return nil, fmt.Errorf("node id %q differs from the certificate's %q", cfg.NodeID, n.identity.NodeID())
	}
	n.certs = &certWatch{identity: n.identity, file: cfg.Cert, threshold: cfg.CertExpiryWarning.Duration, log: n.log, now: time.Now}
	nodeKey, err := genesis.ReadPrivateKey(cfg.Key)
	if err != nil {
		return nil, err
	}

	if n.db, err = storage.Open(filepath.Join(cfg.DataDir, "chain"), storage.DefaultOptions()); err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.db.Close)
	isBFT := gen.Engine() == chain.ConsensusBFT
	if !isBFT {
		// A BFT chain runs no raft: no raft store, listener or raft_addr.
		if cfg.RaftAddr == "" {
			return nil, errors.New("config: missing raft_addr (a raft chain's validators and observers need it)")
		}
		if n.logs, err = storage.OpenRaftStore(filepath.Join(cfg.RaftPath(), "raft-log")); err != nil {
			return nil, err
		}
		n.closers = append(n.closers, n.logs.Close)
	}

	n.hub = api.NewHub()
	n.metrics = api.NewMetrics(api.Gauges{
		Height:           func() float64 { return float64(n.ledger.Head().Height) },
		Mempool:          func() float64 { return float64(n.pool.Len()) },
		MempoolBytes:     func() float64 { return float64(n.pool.Bytes()) },
		HeadTime:         func() float64 { return float64(n.ledger.Head().Time) / 1e9 },
		Peers:            func() float64 { return float64(n.alivePeers()) },
		GossipDropped:    func() float64 { return float64(n.cluster.Stats().GossipDropped) },
		EventDrops:       func() float64 { return float64(n.hub.Drops()) },
		EventSubscribers: func() float64 { return float64(n.hub.Subscribers()) },
		TxCopiesPushed:   func() float64 { return float64(n.cluster.Stats().GossipSent) },
		TxCopiesPulled:   func() float64 { return float64(n.gossip.pulledOut.Load()) },
		VerifyQueue:      func(p chain.Priority) float64 { return float64(n.ledger.Verifier().QueueDepth(p)) },
		// raft exists once New returns; /metrics is served only after.
		RaftLeaderChanges: func() float64 {
			return n.raftGauge(func(o *consensus.Orderer) float64 { return float64(o.LeaderChanges()) })
		},
		RaftTerm:  func() float64 { return n.raftGauge(func(o *consensus.Orderer) float64 { return float64(o.Term()) }) },
		RaftState: func() float64 { return n.raftGauge(func(o *consensus.Orderer) float64 { return float64(o.State()) }) },
		RaftCommitIndex: func() float64 {
			return n.raftGauge(func(o *consensus.Orderer) float64 { return float64(o.CommitIndex()) })
		},
		RaftAppliedIndex: func() float64 {
			return n.raftGauge(func(o *consensus.Orderer) float64 { return float64(o.AppliedIndex()) })
		},
		RaftLastContact:  func() float64 { return n.lastContact() },
		VerdictHits:      func() float64 { h, _ := n.ledger.Verdicts().Stats(); return float64(h) },
		VerdictMisses:    func() float64 { _, m := n.ledger.Verdicts().Stats(); return float64(m) },
		SyncTarget:       func() float64 { return float64(n.syncTarget()) },
		BlocksFetched:    func() float64 { return float64(n.obs.fetched.Load()) },
		CertExpiry:       func() float64 { return n.certs.left().Seconds() },
		BlockSyncRefused: n.syncer.metrics(),
		ForkDetected: func() float64 {
			if n.fork.detected.Load() {
				return 1
			}
			return 0
		},
		ForkConflicts: func() float64 { return float64(n.fork.total.Load()) },
	})
	n.ops = n.newOps(base)
	n.registerObservability()
	vc := chain.DefaultVerifierConfig()
	vc.OnVerify = n.metrics.ObserveVerify
	if n.ledger, err = chain.Open(n.db, gen, chain.Config{Logger: base.With("component", "chain"), Verifier: vc}); err != nil {
		return nil, err
	}
	n.pool = chain.NewMempool(n.ledger, chain.MempoolConfig{MaxTxs: cfg.MempoolMaxTxs, MaxBytes: cfg.MempoolMaxMiB << 20})
	revoked := n.ledger.RevokedNodes()
	for _, id := range revoked {
		if id == cfg.NodeID {
			return nil, fmt.Errorf("this node's certificate (%s) was revoked on chain; it cannot rejoin", id)
		}
		n.identity.Revoke(id)
	}

	if n.apiLn, err = net.Listen("tcp", cfg.APIAddr); err != nil {
		return nil, fmt.Errorf("api listener: %w", err)
	}
	// Not closures over n: n is nil in New's deferred close when New fails.
	apiLn := n.apiLn
	n.closers = append(n.closers, func() error { apiLn.Close(); return nil })
	if cfg.APITLS {
		if n.apiTLS, err = n.apiTLSConfig(); err != nil {
			return nil, err
		}
	}
	if cfg.OpsAddr != "" {
		if n.opsLn, err = net.Listen("tcp", cfg.OpsAddr); err != nil {
			return nil, fmt.Errorf("operations listener: %w", err)
		}
		opsLn := n.opsLn
		n.closers = append(n.closers, func() error { opsLn.Close(); return nil })
	}

	pc := p2p.DefaultConfig()
	pc.NodeID, pc.BindAddr, pc.Identity, pc.Label, pc.Logger = cfg.NodeID, cfg.GossipAddr, n.identity, gen.ChainID, log // p2p names the node itself
	pc.Meta = n.meta
	if cfg.Timing == "fast" {
		pc.Timing = p2p.FastTiming()
	}
	if n.cluster, err = p2p.New(pc); err != nil {
		return nil, err
	}
	n.closers = append(n.closers, n.cluster.Shutdown)
	for _, id := range revoked {
		n.cluster.RemoveNode(id)
	}
	n.registerHandlers()
	n.registerForkHandlers()
	n.registerOps()
	n.registerMaintenance()

	if isBFT {
		if err := n.newBFT(nodeKey, base); err != nil {
			return nil, err
		}
	} else if err := n.newRaft(nodeKey, base); err != nil {
		return nil, err
	}
	n.api = api.NewServer(api.Config{SubmitRate: rate.Limit(cfg.SubmitRate), SubmitBurst: int(2 * cfg.SubmitRate), Logger: base,
		Ops: n.ops, OpsApart: n.opsLn != nil}, n, n.hub, n.metrics)
	return n, nil
}

// raftGauge reads a raft gauge; 0 on a BFT chain.
func (n *Node) raftGauge(f func(*consensus.Orderer) float64) float64 {
	if o := n.orderer; o != nil {
		return f(o)
	}
	return 0
}

// newRaft starts raft ordering (a raft chain).
func (n *Node) newRaft(nodeKey ed25519.PrivateKey, base *slog.Logger) error {
	cfg := n.cfg
	var err error
	oc := consensus.DefaultConfig()
	oc.NodeID, oc.Dir, oc.BindAddr, oc.NodeKey, oc.Logger = cfg.NodeID, filepath.Join(cfg.RaftPath(), "raft"), cfg.RaftAddr, nodeKey, base
	oc.ServerTLS = n.identity.ServerTLSConfig()
	oc.ClientTLS = func(addr raft.ServerAddress) *tls.Config {
		return n.identity.ClientTLSConfig(n.raftPeerID(string(addr)))
	}
	for _, v := range cfg.Validators {
		oc.Validators = append(oc.Validators, consensus.Peer{ID: v.ID, Addr: v.RaftAddr})
	}
	oc.BlockInterval, oc.MaxBlockTxs, oc.MaxBlockBytes = cfg.BlockInterval.Duration, cfg.MaxBlockTxs, cfg.MaxBlockBytes
	if cfg.RaftLogBytes > 0 {
		oc.LogPolicy.MaxBytes, oc.LogPolicy.KeepBytes = cfg.RaftLogBytes, cfg.RaftLogBytes/2
	}
	if cfg.Timing == "fast" {
		// CommitTimeout is also how often an idle leader sends every
		// follower an empty AppendEntries: at 5 ms the leader of an idle
		// 16-node network used 21 % of a core and each follower 3 %; at
		// raft's default of 50 ms, 12 % and 1.9 %.
		oc.HeartbeatTimeout, oc.ElectionTimeout, oc.LeaderLeaseTimeout, oc.CommitTimeout = 400*time.Millisecond, 400*time.Millisecond, 200*time.Millisecond, 50*time.Millisecond
		oc.LogCheckInterval = 200 * time.Millisecond
	}
	if n.orderer, err = consensus.New(oc, n.ledger, n.pool, n.logs, n, n.applied); err != nil {
		return err
	}
	n.engine = raftEngine{n.orderer}
	return nil
}

// raftPeerID names the node expected at a raft address, so the TLS client
// checks the server's certificate id (validators from the config and
// chain state, observers from gossip metadata); "" accepts any certified node.
func (n *Node) raftPeerID(addr string) string {
	for _, v := range n.cfg.Validators {
		if v.RaftAddr == addr {
			return v.ID
		}
	}
	if id, ok := n.raftAddrOf(addr); ok {
		return id
	}
	for _, m := range n.cluster.Members() {
		var md meta
		if json.Unmarshal(m.Meta, &md) == nil && md.Raft == addr {
			return m.ID
		}
	}
	return ""
}

func (n *Node) meta() []byte {
	m := meta{API: n.apiLn.Addr().String(), Raft: n.cfg.RaftAddr, Role: n.currentRole()}
	if n.ledger != nil {
		head := n.ledger.Head()
		m.Height = head.Height
		if head.Height > 0 {
			m.HeadHash = head.Hash[:]
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// applied runs on raft's FSM goroutine for every block this node applies.
func (n *Node) applied(a *chain.Applied) {
	n.fork.record(a.Block.Height, a.Block.Hash())
	n.pool.Update(a)
	n.hub.Publish(a)
	n.metrics.ObserveBlockCommit(time.Since(time.Unix(0, a.Block.Time)))
	n.metrics.ObserveBlock(a)
	for i, tx := range a.Block.Txs {
		if a.Codes[i] != chain.CodeOK {
			continue
		}
		switch tx.Kind {
		case chain.KindRevokeNode:
			n.nodeRevoked(tx.Node)
		case chain.KindAddValidator, chain.KindRemoveValidator:
			n.validatorChanged(tx)
			if n.bft != nil {
				n.bft.roleMayChange()
			}
		}
	}
}

// nodeRevoked makes a committed certificate revocation take effect here:
// the node is refused on every new TLS handshake and dropped from gossip;
// the leader's reconcile loop removes it from raft within a second. A node
// whose own certificate is revoked stops.
func (n *Node) nodeRevoked(id string) {
	if id == n.cfg.NodeID {
		n.log.Error("this node's certificate was revoked on chain; stopping")
		n.goneOnce.Do(func() { close(n.selfGone) })
		return
	}
	n.identity.Revoke(id)
	n.cluster.RemoveNode(id)
	n.log.Warn("node certificate revoked on chain: dropped and refused", "revoked", id)
}

// Run joins the cluster, serves the API and runs the node's loops until
// ctx ends, then stops gracefully: leadership handed over, gossip left,
// databases closed.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if len(n.cfg.Seeds) > 0 {
		go n.joinLoop(ctx)
	}
	var wg sync.WaitGroup
	apiErr := make(chan error, 2)
	wg.Add(6)
	apiLn := n.apiLn
	if n.apiTLS != nil {
		apiLn = tls.NewListener(apiLn, n.apiTLS)
	}
	go func() {
		defer wg.Done()
		if err := n.api.Serve(ctx, apiLn); err != nil {
			apiErr <- fmt.Errorf("api server: %w", err)
		}
	}()
	if n.opsLn != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.ops.Serve(ctx, n.opsLn); err != nil {
				apiErr <- fmt.Errorf("operations port: %w", err)
			}
		}()
	}
	go func() { defer wg.Done(); n.txBatcher(ctx) }()
	go func() { defer wg.Done(); n.antiEntropy(ctx) }()
	go func() { defer wg.Done(); n.housekeeping(ctx) }()
	go func() { defer wg.Done(); n.watchForks(ctx) }()
	go func() { defer wg.Done(); n.certs.run(ctx) }()
	if n.bft != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.bft.run(ctx) }()
	}
	n.log.Info("node started", "role", n.currentRole(), "api", n.apiLn.Addr().String(), "ops", n.OpsAddr(), "gossip", n.cluster.Addr(), "raft", n.cfg.RaftAddr, "height", n.ledger.Head().Height)
	var err error
	select {
	case <-ctx.Done():
	case <-n.selfGone:
		err = errors.New("this node's certificate was revoked on chain")
		cancel()
	case err = <-apiErr: // the API's or the operations port's, named
		cancel()
	case <-n.engine.Failed():
		err = n.storageFault(n.engine.Fault())
		cancel()
	case <-n.db.Fault().Done():
		err = n.storageFault(n.db.Fault().Err())
		cancel()
	}
	wg.Wait()
	n.log.Info("stopping")
	if serr := n.Stop(); err == nil {
		err = serr
	}
	return err
}

// storageFault logs a fault that stops the node, once, at error: the
// failed write's own text ("disk full: <dir>: …") when there is one.
func (n *Node) storageFault(err error) error {
	msg := err.Error()
	if we := (*storage.WriteError)(nil); errors.As(err, &we) {
		msg = we.Error()
	}
	n.log.Error(msg, "err", err, "then", "stopping; restart once fixed: raft replays its log, block sync fetches the rest")
	return fmt.Errorf("storage fault: %w", err)
}

// Stop stops raft (handing leadership over), leaves the cluster and
// closes the databases. Run calls it; call it directly only after New
// without Run.
func (n *Node) Stop() error {
	var errs []error
	if n.engine != nil {
		errs = append(errs, n.engine.Stop())
		n.engine, n.orderer = nil, nil
	}
	if n.cluster != nil {
		if err := n.cluster.Leave(2 * time.Second); err != nil && !errors.Is(err, p2p.ErrClosed) {
			n.log.Warn("leave cluster", "err", err)
		}
	}
	errs = append(errs, n.close())
	return errors.Join(errs...)
}

func (n *Node) close() error {
	var errs []error
	for i := len(n.closers) - 1; i >= 0; i-- {
		if err := n.closers[i](); err != nil && !errors.Is(err, p2p.ErrClosed) {
			errs = append(errs, err)
		}
	}
	n.closers = nil
	return errors.Join(errs...)
}

func (n *Node) joinLoop(ctx context.Context) {
	backoff := 200 * time.Millisecond
	for {
		joined, err := n.cluster.Join(n.cfg.Seeds)
		if err == nil && joined > 0 {
			n.log.Info("joined cluster", "contacted", joined)
			return
		}
		n.log.Debug("join failed; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// ReloadIdentity re-reads the node's certificate, key and CA from disk
// (SIGHUP, POST /admin/reload-identity), and api_cert and api_key when
// set, so a renewed certificate needs no restart; the expiry check runs
// again on the node certificate it loaded.
func (n *Node) ReloadIdentity() error {
	err := n.identity.Reload()
	if err == nil {
		n.certs.check("reload")
	}
	if n.apiCert != nil {
		err = errors.Join(err, n.apiCert.reload())
	}
	return err
}

// APIAddr is the address the API listens on.
func (n *Node) APIAddr() string { return n.apiLn.Addr().String() }

// APIURL is the API's base URL: https:// with api_tls.
func (n *Node) APIURL() string { api, _ := n.urls(); return api }

// OpsURL is the base URL of the operations routes: the ops port's
// (https:// with ops_tls), or the API's when ops_addr is unset.
func (n *Node) OpsURL() string { _, ops := n.urls(); return ops }

// urls are Config.URLs at the addresses the listeners got (a port 0
// resolved).
func (n *Node) urls() (api, ops string) {
	c := n.cfg
	c.APIAddr = n.APIAddr()
	if n.opsLn != nil {
		c.OpsAddr = n.opsLn.Addr().String()
	}
	return c.URLs()
}

// OpsAddr is the address the operations routes are served on: ops_addr's
// listener, or the API's when ops_addr is unset.
func (n *Node) OpsAddr() string {
	if n.opsLn != nil {
		return n.opsLn.Addr().String()
	}
	return n.apiLn.Addr().String()
}

// Ledger is the node's ledger (api.Backend).
func (n *Node) Ledger() *chain.Ledger { return n.ledger }

// Mempool is the node's mempool (api.Backend).
func (n *Node) Mempool() *chain.Mempool { return n.pool }

// Submit admits a transaction and gossips it (api.Backend); once the
// node has found a fork it refuses every submission (*api.ForkedError).
func (n *Node) Submit(_ context.Context, tx *chain.Tx) error {
	if err := n.fork.err(); err != nil {
		return err
	}
	if tx.Kind == chain.KindAddValidator || tx.Kind == chain.KindRemoveValidator {
		if err := n.checkValidatorChange(tx); err != nil {
			return err
		}
	}
	if err := n.pool.Add(tx); err != nil {
		return err
	}
	n.broadcastTx(tx.Encode())
	return nil
}

// Status reports the node (api.Backend).
func (n *Node) Status() api.Status {
	st := api.Status{NodeID: n.cfg.NodeID, Leader: n.engine.LeaderID(), Peers: n.alivePeers(), Role: n.currentRole(), Forked: n.fork.detected.Load()}
	if st.Forked {
		st.Forks = n.fork.conflicts()
	}
	if n.bft != nil {
		n.fillBFTStatus(&st)
	} else {
		n.fillRaftStatus(&st)
	}
	return st
}

// Ready reports whether the node can serve (api.Backend): a leader is
// known and no fork was found.
func (n *Node) Ready() error {
	if err := n.fork.err(); err != nil {
		return err
	}
	switch {
	case n.bft != nil:
		if n.ledger.IsValidator(n.cfg.NodeID) && n.engine.LeaderID() == "" {
			return errors.New("no BFT leader known")
		}
	case n.engine.LeaderID() == "":
		return errors.New("no raft leader known")
	}
	return nil
}

// Peers lists gossip peers (api.Backend).
func (n *Node) Peers() []api.Peer {
	out := []api.Peer{}
	for _, m := range n.cluster.Members() {
		if m.ID == n.cfg.NodeID {
			continue
		}
		var md meta
		_ = json.Unmarshal(m.Meta, &md)
		out = append(out, api.Peer{ID: m.ID, Addr: m.Addr, APIAddr: md.API, Role: md.Role, Height: md.Height, Alive: m.Alive})
	}
	return out
}

func (n *Node) alivePeers() int {
	c := 0
	for _, m := range n.cluster.Members() {
		if m.Alive && m.ID != n.cfg.NodeID {
			c++
		}
	}
	return c
}

// housekeeping refreshes the gossiped height (and role) and, on the
// leader, keeps raft's voters in step with the validator set of chain
// state (validators.go) and raft's observers in step with gossip
// membership (as Consul reconciles
// serf members into raft): a certified observer that appears is added as
// a non-voter, one gone for good is removed. Validators are never removed
// for being unreachable: a failed node is not a removed node.
func (n *Node) housekeeping(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastHeight uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n.obs.sawPeers(n.alivePeers())
		if h := n.ledger.Head().Height; h != lastHeight {
			lastHeight = h
			_ = n.cluster.UpdateMeta(time.Second)
		}
		if n.orderer != nil && n.orderer.IsLeader() {
			n.reconcileValidators()
			n.reconcileObservers()
		}
	}
}

const observerGoneAfter = 30 * time.Second

func (n *Node) reconcileObservers() {
	servers, err := n.orderer.Servers()
	if err != nil {
		return
	}
	inRaft := map[string]raft.ServerSuffrage{}
	for _, s := range servers {
		inRaft[string(s.ID)] = s.Suffrage
	}
	for _, id := range n.ledger.RevokedNodes() {
		if _, ok := inRaft[id]; ok {
			if err := n.orderer.RemoveServer(id); err == nil {
				n.log.Info("removed revoked node from raft", "revoked", id)
				delete(inRaft, id)
			}
		}
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range n.cluster.Members() {
		var md meta
		if json.Unmarshal(m.Meta, &md) != nil || md.Role != RoleObserver || n.identity.IsRevoked(m.ID) {
			continue
		}
		if m.Alive {
			n.lastSeen[m.ID] = now
			if _, ok := inRaft[m.ID]; !ok && md.Raft != "" {
				if err := n.orderer.AddObserver(m.ID, md.Raft); err != nil {
					n.log.Warn("add observer", "id", m.ID, "err", err)
				} else {
					n.log.Info("added observer to raft", "id", m.ID, "raft", md.Raft)
				}
			}
		}
	}
	for id, suffrage := range inRaft {
		if suffrage != raft.Nonvoter || n.ledger.IsValidator(id) {
			continue // a validator catching up is reconcileValidators's
		}
		seen, ok := n.lastSeen[id]
		if !ok {
			n.lastSeen[id] = now // first sight since this node leads
			continue
		}
		if now.Sub(seen) > observerGoneAfter {
			if err := n.orderer.RemoveServer(id); err == nil {
				n.log.Info("removed observer gone for good", "id", id)
				delete(n.lastSeen, id)
			}
		}
	}
}
