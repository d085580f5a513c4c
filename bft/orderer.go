package bft

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	smartapi "github.com/hyperledger-labs/SmartBFT/pkg/api"
	smart "github.com/hyperledger-labs/SmartBFT/pkg/consensus"
	"github.com/hyperledger-labs/SmartBFT/pkg/types"
	"github.com/hyperledger-labs/SmartBFT/pkg/wal"
	protos "github.com/hyperledger-labs/SmartBFT/smartbftprotos"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/storage"
	"google.golang.org/protobuf/proto"
)

// errCommitted refuses a request whose transaction is committed.
var errCommitted = errors.New("already committed")

// clientID is every request's SmartBFT client id: requests are
// transactions, told apart by their ids alone.
const clientID = "veil"

// Orderer orders blocks with SmartBFT among the validators of chain
// state. It is SmartBFT's Application, Comm, Assembler, Signer, Verifier,
// RequestInspector, MembershipNotifier and Synchronizer.
type Orderer struct {
	cfg       Config
	ledger    *chain.Ledger
	pool      *chain.Mempool
	tr        Transport
	follower  *Follower
	onApplied func(*chain.Applied)
	log       *slog.Logger
	metrics   *Metrics
	self      uint64
	signer    *signer
	chainID   string

	cons   *smart.Consensus
	wal    *wal.WriteAheadLogFile
	ticks  [2]*time.Ticker
	mem    atomic.Pointer[memberCache]
	fault  *storage.Fault
	reconf atomic.Bool // the last delivered block changed the validator set
	// leader is the current view's leader (0 before the first view),
	// from the view SmartBFT reports: its GetLeaderID races with its own
	// reconfiguration (it reads the controller without its lock).
	leader  atomic.Uint64
	running atomic.Bool

	stop     chan struct{}
	stopOnce sync.Once
	stopErr  error
	wg       sync.WaitGroup

	outMu  sync.Mutex
	out    map[string]chan []byte
	inCons chan inbound
	inReq  chan inbound
	submit chan *chain.Tx

	gate   sync.RWMutex // Deliver and sync hold it shared; Stop takes it to close
	closed bool
}

type memberCache struct {
	changes uint64
	m       *members
}

type inbound struct {
	from uint64
	body []byte
}

// New starts this node's SmartBFT engine on ledger's head: its last
// decision comes from the head's certificate, its in-flight state from
// the WAL. The node must be a validator at the head. Every transaction
// pool admits from then on is submitted to SmartBFT; onApplied sees every
// block the engine applies (delivered or synced) and must be quick.
func New(cfg Config, ledger *chain.Ledger, pool *chain.Mempool, tr Transport, onApplied func(*chain.Applied)) (*Orderer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultConfig().Tick
	}
	if cfg.Metrics == nil {
		var err error
		if cfg.Metrics, err = NewMetrics(nil); err != nil {
			return nil, err
		}
	}
	log := cfg.Logger.With("component", "bft")
	if !ledger.IsValidator(cfg.NodeID) {
		return nil, fmt.Errorf("bft: %s is not a validator at height %d", cfg.NodeID, ledger.Head().Height)
	}
	o := &Orderer{
		cfg: cfg, ledger: ledger, pool: pool, tr: tr, onApplied: onApplied, log: log, metrics: cfg.Metrics,
		self: NumericID(cfg.NodeID), chainID: ledger.ChainID(), fault: storage.NewFault(),
		stop: make(chan struct{}), out: map[string]chan []byte{},
		inCons: make(chan inbound, max(cfg.InboundQueue, 16)), inReq: make(chan inbound, max(cfg.InboundQueue, 16)),
		submit: make(chan *chain.Tx, max(cfg.RequestPoolSize, 1024)),
	}
	o.signer = &signer{chainID: o.chainID, self: o.self, key: cfg.NodeKey}
	o.follower = NewFollower(ledger, tr, o.applied, cfg.Metrics, cfg.Logger)
	o.follower.removed = o.unpool
	o.follower.askValidators = true
	m, err := o.refreshMembers()
	if err != nil {
		return nil, err
	}
	_, f := Quorum(len(m.ids))
	o.metrics.SetValidators(len(m.ids))

	blog := logger{log}
	w, entries, err := wal.InitializeAndReadAll(blog, cfg.WALDir, wal.DefaultOptions())
	if err != nil {
		if storage.IsDiskFull(err) {
			err = &storage.WriteError{Dir: cfg.WALDir, Err: err}
		}
		return nil, fmt.Errorf("bft wal: %w", err)
	}
	o.wal = w
	last, sigs, md, err := o.lastDecision()
	if err != nil {
		w.Close()
		return nil, err
	}
	o.ticks = [2]*time.Ticker{time.NewTicker(cfg.Tick), time.NewTicker(cfg.Tick)}
	o.cons = &smart.Consensus{
		Config: cfg.smart(o.self), Application: o, Assembler: o, WAL: walWriter{w, o.fault, cfg.WALDir}, WALInitialContent: entries,
		Comm: o, Signer: o.signer, Verifier: o, MembershipNotifier: o, RequestInspector: o, Synchronizer: o,
		Logger: blog, Metrics: smartapi.NewMetrics(provider{cfg.Metrics}), Metadata: md, LastProposal: last, LastSignatures: sigs,
		Scheduler: o.ticks[0].C, ViewChangerTicker: o.ticks[1].C,
	}
	onView := func(old, cur uint64) {
		leader := o.members().leader(cur)
		if o.leader.Swap(leader) != leader {
			cfg.Metrics.leaderChanges.Add(1)
			log.Info("bft leader", "leader", o.nodeID(leader), "view", cur, "height", ledger.Head().Height)
		}
		if cur != old {
			log.Info("bft view", "view", cur, "previous", old, "height", ledger.Head().Height)
		}
	}
	cfg.Metrics.onView.Store(&onView)
	o.wg.Add(3)
	go o.consLoop()
	go o.reqLoop()
	go o.submitLoop()
	if err := o.cons.Start(); err != nil {
		close(o.stop)
		o.wg.Wait()
		o.stopTickers()
		w.Close()
		return nil, fmt.Errorf("start smartbft: %w", err)
	}
	o.running.Store(true)
	pool.OnAdmit(o.enqueue)
	for _, id := range pool.IDs() {
		if tx, ok := pool.Get(id); ok {
			o.enqueue(tx)
		}
	}
	log.Info("bft engine started", "id", o.self, "validators", len(m.ids), "f", f, "height", ledger.Head().Height, "view", md.ViewId)
	return o, nil
}

// walWriter is the WAL SmartBFT gets: a failed append latches the
// orderer's fault, so that the node stops (it cannot vote safely without
// its log).
type walWriter struct {
	w     *wal.WriteAheadLogFile
	fault *storage.Fault
	dir   string
}

// Append appends an entry (SmartBFT's WriteAheadLog).
func (w walWriter) Append(entry []byte, truncateTo bool) error {
	err := w.w.Append(entry, truncateTo)
	if err != nil {
		w.fault.Set(&storage.WriteError{Dir: w.dir, Err: err})
	}
	return err
}

// lastDecision is the head's decision, from its certificate: SmartBFT's
// LastProposal, LastSignatures and Metadata on start. At genesis there is
// none.
func (o *Orderer) lastDecision() (types.Proposal, []types.Signature, *protos.ViewMetadata, error) {
	d, err := o.latest()
	if err != nil {
		return types.Proposal{}, nil, nil, err
	}
	md := &protos.ViewMetadata{}
	if err := proto.Unmarshal(d.Proposal.Metadata, md); err != nil {
		return types.Proposal{}, nil, nil, fmt.Errorf("head certificate metadata: %w", err)
	}
	return d.Proposal, d.Signatures, md, nil
}

// latest is the decision of the head block (empty at genesis).
func (o *Orderer) latest() (types.Decision, error) {
	head := o.ledger.Head()
	if head.Height == 0 {
		return types.Decision{}, nil
	}
	raw, err := o.ledger.RawBlock(head.Height)
	if err != nil {
		return types.Decision{}, fmt.Errorf("head block %d: %w", head.Height, err)
	}
	cr, err := o.ledger.Certificate(head.Height)
	if err != nil {
		return types.Decision{}, fmt.Errorf("certificate of head block %d: %w", head.Height, err)
	}
	var c Certificate
	if err := c.UnmarshalBinary(cr); err != nil {
		return types.Decision{}, fmt.Errorf("certificate of head block %d: %w", head.Height, err)
	}
	return types.Decision{Proposal: c.Proposal(raw), Signatures: c.Signatures}, nil
}

// members is the validator set at the head, as SmartBFT ids.
func (o *Orderer) members() *members {
	changes := o.ledger.ValidatorChanges(o.ledger.Head().Height)
	if mc := o.mem.Load(); mc != nil && mc.changes == changes {
		return mc.m
	}
	m, err := o.refreshMembers()
	if err != nil {
		o.log.Error("validator set unusable for BFT; keeping the previous one", "err", err)
		return o.mem.Load().m
	}
	return m
}

func (o *Orderer) refreshMembers() (*members, error) {
	head := o.ledger.Head().Height
	m, err := membersOf(o.ledger.ValidatorsAt(head))
	if err != nil {
		return nil, err
	}
	o.mem.Store(&memberCache{changes: o.ledger.ValidatorChanges(head), m: m})
	return m, nil
}

func (o *Orderer) nodeID(num uint64) string {
	if v, ok := o.members().byNum[num]; ok {
		return v.ID
	}
	return ""
}

// Receive hands the engine an envelope from peer from (its TLS-verified
// node id). Only a validator's messages are taken; the SmartBFT id is
// derived from from, never read from the message. It does not block: a
// full queue drops (veil_bft_dropped_total{dir="in"}).
func (o *Orderer) Receive(from string, msg []byte) {
	num := NumericID(from)
	if v, ok := o.members().byNum[num]; !ok || v.ID != from {
		return
	}
	typ, body, err := DecodeEnvelope(msg)
	if err != nil {
		o.log.Debug("bad consensus envelope", "peer", from, "err", err)
		return
	}
	ch := o.inCons
	if typ == MsgRequest {
		ch = o.inReq
	}
	select {
	case ch <- inbound{from: num, body: body}:
	default:
		o.metrics.droppedIn.Add(1)
	}
}

func (o *Orderer) consLoop() {
	defer o.wg.Done()
	for {
		select {
		case <-o.stop:
			return
		case in := <-o.inCons:
			m := &protos.Message{}
			if err := proto.Unmarshal(in.body, m); err != nil {
				o.log.Debug("undecodable consensus message", "from", o.nodeID(in.from), "err", err)
				continue
			}
			o.cons.HandleMessage(in.from, m)
		}
	}
}

func (o *Orderer) reqLoop() {
	defer o.wg.Done()
	for {
		select {
		case <-o.stop:
			return
		case in := <-o.inReq:
			o.cons.HandleRequest(in.from, in.body)
		}
	}
}

// enqueue queues an admitted transaction for SmartBFT's pool (the
// mempool's OnAdmit: it must not block admission).
func (o *Orderer) enqueue(tx *chain.Tx) {
	select {
	case o.submit <- tx:
	default:
		o.metrics.droppedIn.Add(1)
	}
}

// submitLoop submits admitted transactions to SmartBFT's pool, retrying
// while it has no leader yet or is full, for as long as the transaction
// is pending. One that committed meanwhile is taken out again (its
// block's delivery may have cleared the pool before it got there).
func (o *Orderer) submitLoop() {
	defer o.wg.Done()
	for {
		var tx *chain.Tx
		select {
		case <-o.stop:
			return
		case tx = <-o.submit:
		}
		raw, id := tx.Encode(), tx.ID()
		for {
			if o.ledger.Committed(id) || !o.pool.Has(id) {
				break
			}
			err := o.cons.SubmitRequest(raw)
			if err == nil || settled(err) {
				if o.ledger.Committed(id) {
					_ = o.cons.Pool.RemoveRequest(types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(id[:])})
				}
				break
			}
			select {
			case <-o.stop:
				return
			case <-time.After(o.cfg.Tick):
			}
		}
	}
}

// settled reports a SmartBFT pool refusal that retrying cannot change:
// the request is there already, was ordered, or is too big (its errors
// are in an internal package, so matched by text).
func settled(err error) bool {
	s := err.Error()
	return strings.Contains(s, "already exists") || strings.Contains(s, "already processed") || strings.Contains(s, "bigger than")
}

// unpool drops a synced block's transactions from SmartBFT's pool:
// SmartBFT removes a delivered block's itself, not a synced one's, and
// a request left there would be forwarded and complained about.
func (o *Orderer) unpool(b *chain.Block) {
	for _, tx := range b.Txs {
		id := tx.ID()
		_ = o.cons.Pool.RemoveRequest(types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(id[:])})
	}
}

// unpoolID drops one transaction from SmartBFT's pool.
func (o *Orderer) unpoolID(id [32]byte) {
	_ = o.cons.Pool.RemoveRequest(types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(id[:])})
}

// SendConsensus queues a consensus message for a validator (Comm).
func (o *Orderer) SendConsensus(target uint64, m *protos.Message) {
	b, err := proto.Marshal(m)
	if err != nil {
		o.log.Error("marshal consensus message", "err", err)
		return
	}
	if byzantineSend != nil {
		b = byzantineSend(o, target, m, b)
	}
	o.send(target, encodeEnvelope(MsgConsensus, b))
}

// SendTransaction queues a forwarded request for a validator (Comm).
func (o *Orderer) SendTransaction(target uint64, req []byte) {
	o.send(target, encodeEnvelope(MsgRequest, req))
}

// send queues msg on the target's bounded queue, dropping it when full:
// SmartBFT must never block on a slow or dead peer.
func (o *Orderer) send(target uint64, msg []byte) {
	peer := o.nodeID(target)
	if peer == "" || target == o.self {
		return
	}
	o.outMu.Lock()
	q, ok := o.out[peer]
	if !ok {
		select {
		case <-o.stop:
			o.outMu.Unlock()
			return
		default:
		}
		q = make(chan []byte, max(o.cfg.OutboundQueue, 16))
		o.out[peer] = q
		go o.sendLoop(peer, q) // not waited for by Stop: see sendLoop
	}
	o.outMu.Unlock()
	select {
	case q <- msg:
	default:
		o.metrics.droppedOut.Add(1)
	}
}

// sendLoop sends one peer's queue in order. Stop does not wait for it:
// a send to a peer that hangs lasts until the transport's timeout or its
// shutdown, and what it sends after Stop the peer may take or drop.
func (o *Orderer) sendLoop(peer string, q <-chan []byte) {
	for {
		select {
		case <-o.stop:
			return
		case msg := <-q:
			if err := o.tr.Send(peer, msg); err != nil {
				o.log.Debug("send consensus message", "peer", peer, "err", err)
			}
		}
	}
}

// Nodes is the validator set at the head as SmartBFT ids (Comm).
func (o *Orderer) Nodes() []uint64 { return append([]uint64(nil), o.members().ids...) }

// AssembleProposal builds the next block on the ledger head from the
// requests SmartBFT batched (Assembler): all of them, a transaction that
// fails validation marked by Apply as on raft, except that a second
// validator change waits for a later block (the ledger would refuse it
// as a conflict). The leader signs it; its time is max(now, head time).
func (o *Orderer) AssembleProposal(metadata []byte, requests [][]byte) types.Proposal {
	if byzantineAssemble != nil {
		requests = byzantineAssemble(o, requests)
	}
	head := o.ledger.Head()
	txs := make([]*chain.Tx, 0, len(requests))
	valChange := false
	for _, r := range requests {
		tx, err := chain.DecodeTx(r)
		if err != nil {
			continue // VerifyRequest and admission let none through
		}
		if id := tx.ID(); o.ledger.Committed(id) {
			// Left in this pool by a race with the delivery of its block
			// (found by faults' TestBFTHaltsBeyondF: after the halt a new
			// leader proposed 7 transactions of the block before again,
			// marked duplicate): as Mempool.Reap on raft, never propose a
			// committed transaction; and drop it from the pool.
			o.unpoolID(id)
			continue
		}
		if tx.Kind == chain.KindAddValidator || tx.Kind == chain.KindRemoveValidator {
			if valChange {
				continue
			}
			valChange = true
		}
		txs = append(txs, tx)
	}
	b := &chain.Block{Header: chain.Header{ChainID: o.chainID, Height: head.Height + 1, PrevHash: head.Hash,
		Time: max(time.Now().UnixNano(), head.Time), TxRoot: chain.TxRoot(txs)}, Txs: txs}
	b.Sign(o.cfg.NodeID, o.cfg.NodeKey)
	return types.Proposal{Payload: b.Encode(), Metadata: metadata, VerificationSequence: int64(o.VerificationSequence())}
}

// VerifyProposal checks a leader's proposal (Verifier): a strictly
// decoded block that is the next on this ledger's head (chain, height =
// head+1 = SmartBFT's sequence, previous hash, time from the head's to
// MaxClockSkew past this node's clock, tx root), proposed and signed by
// this view's leader, within the block limits, no transaction twice, and
// the verification sequence. Group signatures are not verified here:
// the verdict cache knows most, and VerifyAhead starts the rest so that
// Apply finds them done.
func (o *Orderer) VerifyProposal(p types.Proposal) ([]types.RequestInfo, error) {
	b, err := o.checkProposal(p)
	if err != nil {
		return nil, err
	}
	o.ledger.VerifyAhead([][]byte{p.Payload})
	return requestInfos(b), nil
}

func (o *Orderer) checkProposal(p types.Proposal) (*chain.Block, error) {
	if len(p.Header) != 0 {
		return nil, errors.New("proposal header must be empty")
	}
	b, err := chain.DecodeBlock(p.Payload)
	if err != nil {
		return nil, fmt.Errorf("proposal block: %w", err)
	}
	md := &protos.ViewMetadata{}
	if err := proto.Unmarshal(p.Metadata, md); err != nil {
		return nil, fmt.Errorf("proposal metadata: %w", err)
	}
	head := o.ledger.Head()
	if b.Height != head.Height+1 || md.LatestSequence != b.Height {
		return nil, fmt.Errorf("%w: block %d, sequence %d, head %d", chain.ErrBlockHeight, b.Height, md.LatestSequence, head.Height)
	}
	if err := o.ledger.CheckBlocks(b.Height, [][]byte{p.Payload}); err != nil {
		return nil, err
	}
	m := o.members()
	if leader := m.byNum[m.leader(md.ViewId)].ID; b.Proposer != leader {
		return nil, fmt.Errorf("%w: block %d proposed by %s, the leader of view %d is %s", chain.ErrBlockProposer, b.Height, b.Proposer, md.ViewId, leader)
	}
	if limit := time.Now().Add(o.cfg.MaxClockSkew).UnixNano(); b.Time > limit {
		return nil, fmt.Errorf("%w: block %d time is %v ahead of this node's clock", chain.ErrBlockLink, b.Height, time.Duration(b.Time-time.Now().UnixNano()))
	}
	if len(b.Txs) > o.cfg.MaxBlockTxs {
		return nil, fmt.Errorf("block %d holds %d transactions, at most %d", b.Height, len(b.Txs), o.cfg.MaxBlockTxs)
	}
	size := 0
	seen := make(map[[32]byte]bool, len(b.Txs))
	for _, tx := range b.Txs {
		id := tx.ID()
		if seen[id] {
			return nil, fmt.Errorf("block %d holds transaction %x twice", b.Height, id[:8])
		}
		seen[id] = true
		size += tx.Size()
	}
	if size > o.cfg.MaxBlockBytes && len(b.Txs) > 1 {
		return nil, fmt.Errorf("block %d holds %d bytes of transactions, at most %d", b.Height, size, o.cfg.MaxBlockBytes)
	}
	if want := o.VerificationSequence(); uint64(p.VerificationSequence) != want {
		return nil, fmt.Errorf("verification sequence %d, want %d", p.VerificationSequence, want)
	}
	return b, nil
}

func requestInfos(b *chain.Block) []types.RequestInfo {
	out := make([]types.RequestInfo, len(b.Txs))
	for i, tx := range b.Txs {
		id := tx.ID()
		out[i] = types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(id[:])}
	}
	return out
}

// RequestsFromProposal lists a proposal's requests (Verifier).
func (o *Orderer) RequestsFromProposal(p types.Proposal) []types.RequestInfo {
	b, err := chain.DecodeBlock(p.Payload)
	if err != nil {
		return nil
	}
	return requestInfos(b)
}

// VerifyRequest checks a request a validator forwarded (Verifier), and
// the pool's requests when the validator set changes. A transaction this
// node has already judged is not verified again: pending here, or with
// a valid verdict cached, it is accepted; otherwise it goes through the
// node's normal admission once (which verifies and caches). A committed
// transaction is refused, so that SmartBFT prunes it.
func (o *Orderer) VerifyRequest(raw []byte) (types.RequestInfo, error) {
	tx, err := chain.DecodeTx(raw)
	if err != nil {
		return types.RequestInfo{}, fmt.Errorf("request: %w", err)
	}
	id := tx.ID()
	info := types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(id[:])}
	if o.ledger.Committed(id) {
		return info, fmt.Errorf("transaction %x: %w", id[:8], errCommitted)
	}
	if o.pool.Has(id) {
		return info, nil
	}
	if valid, ok := o.ledger.Verdicts().Get(tx); ok && valid {
		return info, nil
	}
	if err := o.pool.Add(tx); err != nil && !errors.Is(err, chain.ErrDuplicate) {
		return info, err
	}
	return info, nil
}

// VerifyConsenterSig checks a validator's commit vote on p (Verifier)
// and returns its auxiliary data.
func (o *Orderer) VerifyConsenterSig(sig types.Signature, p types.Proposal) ([]byte, error) {
	d, err := proposalDigest(p)
	if err != nil {
		return nil, err
	}
	if err := verifyCommit(o.chainID, o.members(), sig, d); err != nil {
		return nil, err
	}
	return auxiliary(sig.Msg), nil
}

// VerifySignature checks a validator's signature on view-change data
// (Verifier).
func (o *Orderer) VerifySignature(sig types.Signature) error {
	return verifyMessage(o.chainID, o.members(), sig)
}

// VerificationSequence counts the validator set changes up to the head
// (Verifier): the same on every node at the same height.
func (o *Orderer) VerificationSequence() uint64 {
	return o.ledger.ValidatorChanges(o.ledger.Head().Height)
}

// AuxiliaryData is a commit vote's auxiliary data (Verifier).
func (o *Orderer) AuxiliaryData(msg []byte) []byte { return auxiliary(msg) }

// MembershipChange reports whether the last delivered block changed the
// validator set (MembershipNotifier).
func (o *Orderer) MembershipChange() bool { return o.reconf.Load() }

// RequestID names a request by its transaction id (RequestInspector).
func (o *Orderer) RequestID(raw []byte) types.RequestInfo {
	if tx, err := chain.DecodeTx(raw); err == nil {
		id := tx.ID()
		return types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(id[:])}
	}
	h := sha256.Sum256(raw)
	return types.RequestInfo{ClientID: clientID, ID: hex.EncodeToString(h[:])}
}

// Deliver applies a decided block with its certificate (Application):
// chain.Ledger.ApplyCertified, then the node's callback. A failed write
// latches Failed; a block whose validators changed reconfigures SmartBFT.
func (o *Orderer) Deliver(p types.Proposal, sigs []types.Signature) types.Reconfig {
	o.gate.RLock()
	defer o.gate.RUnlock()
	if o.closed || o.fault.Err() != nil {
		return types.Reconfig{}
	}
	cert, err := newCertificate(p, sigs).MarshalBinary()
	if err != nil {
		o.fault.Set(fmt.Errorf("bft: certificate of a decided block: %w", err))
		return types.Reconfig{}
	}
	before := o.VerificationSequence()
	a, err := o.ledger.ApplyCertified(context.Background(), p.Payload, cert)
	switch {
	case errors.Is(err, chain.ErrAlreadyApplied):
		return types.Reconfig{}
	case errors.Is(err, chain.ErrBlockRejected):
		// A quorum decided a block this ledger refuses: it cannot follow
		// the chain any more.
		o.fault.Set(fmt.Errorf("bft: decided block refused by the ledger: %w", err))
		return types.Reconfig{}
	case err != nil:
		o.fault.Set(err)
		return types.Reconfig{}
	}
	o.applied(a)
	changed := o.VerificationSequence() != before
	o.reconf.Store(changed)
	if !changed {
		return types.Reconfig{}
	}
	return o.reconfig()
}

func (o *Orderer) reconfig() types.Reconfig {
	m, err := o.refreshMembers()
	if err != nil {
		o.fault.Set(fmt.Errorf("bft: new validator set: %w", err))
		return types.Reconfig{}
	}
	_, f := Quorum(len(m.ids))
	o.metrics.SetValidators(len(m.ids))
	o.log.Info("bft validator set changed: reconfiguring", "validators", len(m.ids), "f", f, "height", o.ledger.Head().Height, "member", m.byNum[o.self].ID != "")
	return types.Reconfig{InLatestDecision: true, CurrentNodes: append([]uint64(nil), m.ids...), CurrentConfig: o.cfg.smart(o.self)}
}

func (o *Orderer) applied(a *chain.Applied) {
	if o.onApplied != nil {
		o.onApplied(a)
	}
}

// Sync fetches certified blocks from peers up to the highest head they
// prove (Synchronizer) and returns the latest decision, with a
// reconfiguration when the synced blocks changed the validator set.
func (o *Orderer) Sync() types.SyncResponse {
	o.gate.RLock()
	defer o.gate.RUnlock()
	if o.closed {
		return types.SyncResponse{}
	}
	before := o.VerificationSequence()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-o.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	n, err := o.follower.Sync(ctx)
	if err != nil {
		var se *storageError
		if errors.As(err, &se) {
			o.fault.Set(se.err)
		} else {
			o.log.Debug("bft sync", "applied", n, "err", err)
		}
	}
	if n > 0 {
		o.log.Info("bft synced", "blocks", n, "height", o.ledger.Head().Height)
	}
	d, err := o.latest()
	if err != nil {
		o.log.Error("bft sync: latest decision", "err", err)
		return types.SyncResponse{}
	}
	resp := types.SyncResponse{Latest: d}
	if o.VerificationSequence() != before {
		r := o.reconfig()
		resp.Reconfig = types.ReconfigSync{InReplicatedDecisions: r.InLatestDecision, CurrentNodes: r.CurrentNodes, CurrentConfig: r.CurrentConfig}
	}
	return resp
}

// Failed is closed once this node cannot go on ordering: a decided block
// it could not store, a failed WAL write. Fault says which.
func (o *Orderer) Failed() <-chan struct{} { return o.fault.Done() }

// Fault returns the error Failed reports, or nil.
func (o *Orderer) Fault() error { return o.fault.Err() }

// IsLeader reports whether this node leads the current view.
func (o *Orderer) IsLeader() bool { return o.running.Load() && o.leader.Load() == o.self }

// Leader is the current view's leader's node id ("" when unknown).
func (o *Orderer) Leader() string {
	if !o.running.Load() {
		return ""
	}
	return o.nodeID(o.leader.Load())
}

// Status is what /v1/status reports of the engine.
type Status struct {
	Running     bool
	View        uint64
	Sequence    uint64 // the last decided sequence: the head height
	N, F        int
	Quorum      int
	ViewChanges uint64
	Leader      string
}

// Status reports the engine.
func (o *Orderer) Status() Status {
	m := o.members()
	q, f := Quorum(len(m.ids))
	return Status{Running: o.running.Load() && o.leader.Load() != 0, View: o.metrics.View(), Sequence: o.ledger.Head().Height, N: len(m.ids), F: f, Quorum: q,
		ViewChanges: o.metrics.ViewChanges(), Leader: o.Leader()}
}

// Follower is the engine's certified block sync.
func (o *Orderer) Follower() *Follower { return o.follower }

// Stop stops the engine: its loops, SmartBFT, the WAL; once it returns
// nothing it started writes the ledger.
func (o *Orderer) Stop() error {
	o.stopOnce.Do(func() {
		o.running.Store(false)
		o.pool.OnAdmit(nil)
		close(o.stop)
		o.wg.Wait()
		o.cons.Stop()
		o.gate.Lock()
		o.closed = true
		o.gate.Unlock()
		o.stopTickers()
		o.stopErr = o.wal.Close()
	})
	return o.stopErr
}

func (o *Orderer) stopTickers() {
	for _, t := range o.ticks {
		if t != nil {
			t.Stop()
		}
	}
}
