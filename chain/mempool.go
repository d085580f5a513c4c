package chain

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/veilchain/veil/groupsig"
)

// ErrMempoolFull refuses a transaction when the mempool is at its count or
// byte bound. It is not a validation outcome: the sender may retry.
var ErrMempoolFull = errors.New("mempool full")

// MempoolConfig bounds a Mempool.
type MempoolConfig struct {
	MaxTxs   int // transactions held at most
	MaxBytes int // encoded bytes held at most
}

// DefaultMempoolConfig holds up to 20,000 transactions or 64 MiB.
func DefaultMempoolConfig() MempoolConfig {
	return MempoolConfig{MaxTxs: 20_000, MaxBytes: 64 << 20}
}

type poolEntry struct {
	tx      *Tx
	claim   string // see claimOf; "" when none
	removed bool
}

// claimOf names what tx uses up once committed, so that the mempool holds
// at most one pending transaction per claim: a member's tag on a tagged
// topic (a second pending vote would only fail in its block), or a join
// request (hreq must be new, §7; requests for the same label may both be
// pending, and the first answered wins).
func claimOf(tx *Tx) string {
	switch {
	case tx.Kind == KindAnonymous && groupsig.IsTagged(tx.Auth):
		return "tag\x00" + tx.Group + "\x00" + tx.Topic + "\x00" + string(groupsig.TagOf(tx.Auth))
	case tx.Kind == KindJoinRequest:
		hreq := sha256.Sum256(tx.JoinRequest)
		return "join\x00" + tx.Group + "\x00" + string(hreq[:])
	}
	return ""
}

// Mempool holds valid transactions waiting for a block, first in first
// out, each once. Admission checks capacity and the cheap rules first,
// then verifies the signature once on the ledger's Verifier (gossip at
// PriorityGossip, API at PriorityAPI); the verdict is remembered in the
// ledger's cache, so applying the block later does not verify it again.
// It is safe for concurrent use.
type Mempool struct {
	ledger *Ledger
	cfg    MempoolConfig

	added   chan struct{}             // poked on every admission; see Added
	onAdmit atomic.Pointer[func(*Tx)] // see OnAdmit

	mu     sync.Mutex
	byID   map[[32]byte]*poolEntry
	claims map[string]*poolEntry
	queue  []*poolEntry // FIFO; removed entries are skipped and compacted
	live   int
	bytes  int
}

// NewMempool returns an empty mempool over ledger.
func NewMempool(ledger *Ledger, cfg MempoolConfig) *Mempool {
	def := DefaultMempoolConfig()
	if cfg.MaxTxs <= 0 {
		cfg.MaxTxs = def.MaxTxs
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = def.MaxBytes
	}
	return &Mempool{ledger: ledger, cfg: cfg, byID: map[[32]byte]*poolEntry{}, claims: map[string]*poolEntry{}, added: make(chan struct{}, 1)}
}

// Add validates tx and queues it (an API submission: its signature is
// verified on the ledger's pool at PriorityAPI). It returns nil if tx was
// admitted now, an error wrapping ErrDuplicate if it is already pending or
// committed, ErrMempoolFull, ErrBusy, or the validation error. Capacity
// and pending claims are checked before the signature, so a full mempool
// costs no verification.
func (m *Mempool) Add(tx *Tx) error {
	if m.Has(tx.ID()) {
		return m.pendingDup(tx)
	}
	if err := m.room(tx, 0, 0); err != nil {
		return err
	}
	if err := m.ledger.CheckTx(tx); err != nil {
		return err
	}
	if err := m.insert(tx); err != nil {
		return err
	}
	m.admitted(tx)
	return nil
}

// OnAdmit makes fn see every transaction the mempool admits, after it is
// pending (BFT: each goes to the ordering engine's request pool). fn runs
// on the admitting goroutine and must not block.
func (m *Mempool) OnAdmit(fn func(*Tx)) { m.onAdmit.Store(&fn) }

func (m *Mempool) admitted(tx *Tx) {
	if fn := m.onAdmit.Load(); fn != nil && *fn != nil {
		(*fn)(tx)
	}
}

// room refuses tx, before anything costly, if the mempool could not take
// it after extraTxs more transactions of extraBytes (those of its batch
// ahead of it), or if a pending transaction holds its claim. insert checks
// again under the same lock as it adds.
func (m *Mempool) room(tx *Tx, extraTxs, extraBytes int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fullLocked(tx, extraTxs, extraBytes); err != nil {
		return err
	}
	return m.claimedLocked(tx, claimOf(tx))
}

func (m *Mempool) fullLocked(tx *Tx, extraTxs, extraBytes int) error {
	if m.live+extraTxs >= m.cfg.MaxTxs || m.bytes+extraBytes+tx.Size() > m.cfg.MaxBytes {
		return fmt.Errorf("%w: %d transactions, %d bytes pending", ErrMempoolFull, m.live+extraTxs, m.bytes+extraBytes)
	}
	return nil
}

func (m *Mempool) claimedLocked(tx *Tx, claim string) error {
	if claim == "" {
		return nil
	}
	other, ok := m.claims[claim]
	if !ok {
		return nil
	}
	oid := other.tx.ID()
	if tx.Kind == KindAnonymous {
		return errorf(ErrAlreadyActed, "this member of %q has a pending action on topic %q (transaction %x)", tx.Group, tx.Topic, oid[:8])
	}
	return errorf(ErrDuplicate, "this join request to %q is already pending (transaction %x)", tx.Group, oid[:8])
}

func (m *Mempool) pendingDup(tx *Tx) error {
	id := tx.ID()
	return errorf(ErrDuplicate, "transaction %x is already pending", id[:8])
}

func (m *Mempool) insert(tx *Tx) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[tx.ID()]; ok {
		return m.pendingDup(tx)
	}
	// The transaction was checked against the ledger before its signature
	// was verified; a block holding it may have been applied (and Update
	// run) since. Looking again under the lock closes that gap: Update
	// takes the same lock after the block's batch is on disk.
	if id := tx.ID(); m.ledger.Committed(id) {
		return errorf(ErrDuplicate, "transaction %x was committed while it was being checked", id[:8])
	}
	if tx.Kind == KindAnonymous && groupsig.IsTagged(tx.Auth) {
		if _, acted := m.ledger.TagTx(tx.Group, tx.Topic, groupsig.TagOf(tx.Auth)); acted {
			return errorf(ErrAlreadyActed, "this member of %q acted on topic %q while the transaction was being checked", tx.Group, tx.Topic)
		}
	}
	// Likewise a block that set the topic's rule or moved the group's
	// epoch: its Update ran before tx got here, so nothing else would
	// drop tx, and the leader would refuse it for as long as it waits.
	if err := m.lapsed(tx, m.ledger.Head().Height+1, nil); err != nil {
		return err
	}
	if err := m.fullLocked(tx, 0, 0); err != nil {
		return err
	}
	e := &poolEntry{tx: tx, claim: claimOf(tx)}
	if err := m.claimedLocked(tx, e.claim); err != nil {
		return err
	}
	if e.claim != "" {
		m.claims[e.claim] = e
	}
	m.byID[tx.ID()] = e
	m.queue = append(m.queue, e)
	m.live++
	m.bytes += tx.Size()
	select {
	case m.added <- struct{}{}:
	default:
	}
	return nil
}

// Added is signalled (without blocking, coalesced) whenever a transaction
// is admitted, so a block producer can cut a block as soon as the mempool
// holds a full one instead of polling.
func (m *Mempool) Added() <-chan struct{} { return m.added }

// AddBatch admits transactions that arrived together (from gossip or
// anti-entropy), verifying their signatures on the ledger's pool at
// PriorityGossip: all are queued at once, so they verify on every worker
// the pool can spare from block apply. Capacity, duplicates and the cheap
// rules are checked first, so nothing is verified that could not be
// admitted. It returns one result per transaction, as Add would.
func (m *Mempool) AddBatch(ctx context.Context, txs []*Tx) []error {
	errs := make([]error, len(txs))
	keys := make([]*groupsig.GroupKey, len(txs))
	v := m.ledger.currentView(PriorityGossip)
	seen := make(map[[32]byte]bool, len(txs))
	ahead, aheadBytes := 0, 0
	for i, tx := range txs {
		if seen[tx.ID()] || m.Has(tx.ID()) {
			errs[i] = m.pendingDup(tx)
			continue
		}
		seen[tx.ID()] = true
		if errs[i] = m.room(tx, ahead, aheadBytes); errs[i] != nil {
			continue
		}
		if keys[i], errs[i] = v.precheck(tx); errs[i] != nil {
			continue
		}
		ahead, aheadBytes = ahead+1, aheadBytes+tx.Size()
		if keys[i] != nil {
			m.ledger.verifier.Prefetch(PriorityGossip, tx, keys[i])
		}
	}
	for i, tx := range txs {
		if errs[i] != nil {
			continue
		}
		if errs[i] = v.checkAuth(ctx, tx, keys[i]); errs[i] == nil {
			errs[i] = v.checkTag(tx, keys[i])
		}
		if errs[i] == nil {
			if errs[i] = m.insert(tx); errs[i] == nil {
				m.admitted(tx)
			}
		}
	}
	return errs
}

// Has reports whether a transaction with this id is pending.
func (m *Mempool) Has(id [32]byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.byID[id]
	return ok
}

// Get returns the pending transaction with this id.
func (m *Mempool) Get(id [32]byte) (*Tx, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.byID[id]
	if !ok {
		return nil, false
	}
	return e.tx, true
}

// Len is the number of pending transactions.
func (m *Mempool) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live
}

// Bytes is the encoded size of the transactions waiting.
func (m *Mempool) Bytes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// IDs lists the pending ids in FIFO order (for anti-entropy with peers).
func (m *Mempool) IDs() [][32]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][32]byte, 0, m.live)
	for _, e := range m.queue {
		if !e.removed {
			out = append(out, e.tx.ID())
		}
	}
	return out
}

// Reap returns, oldest first, up to maxTxs pending transactions whose
// encodings total at most maxBytes (or one larger transaction alone): the
// next block's content. They stay
// pending until Update removes them. A block takes one validator change
// at most (the ledger refuses a second with conflict): later ones wait
// for the next blocks.
func (m *Mempool) Reap(maxTxs, maxBytes int) []*Tx {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*Tx
	size := 0
	valChange := false
	for _, e := range m.queue {
		if len(out) >= maxTxs {
			break
		}
		if e.removed {
			continue
		}
		if k := e.tx.Kind; k == KindAddValidator || k == KindRemoveValidator {
			if valChange {
				continue
			}
			valChange = true
		}
		if size+e.tx.Size() > maxBytes {
			// A transaction over maxBytes on its own (a large revocation:
			// up to a whole block) goes alone in a block rather than hold
			// up the queue behind it for ever; the chain's limits already
			// make it fit a block.
			if len(out) == 0 {
				out = append(out, e.tx)
			}
			break
		}
		out = append(out, e.tx)
		size += e.tx.Size()
	}
	return out
}

// Update removes what a committed block holds, and drops transactions that
// can no longer commit (see lapsed) or that repeat a tag (or join request)
// the block used up.
func (m *Mempool) Update(applied *Applied) {
	next := m.ledger.Head().Height + 1
	memo := &stateMemo{epochs: map[string]uint64{}, rules: map[string]*TopicRule{}}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, tx := range applied.Block.Txs {
		m.removeLocked(tx.ID())
		// A committed action uses up its claim: another pending
		// transaction with the same tag (a repeat vote that reached this
		// node first) can only fail in a block now.
		if i < len(applied.Codes) && applied.Codes[i] == CodeOK {
			if c := claimOf(tx); c != "" {
				if e, ok := m.claims[c]; ok {
					m.removeLocked(e.tx.ID())
				}
			}
		}
	}
	for _, e := range m.queue {
		if !e.removed && m.lapsed(e.tx, next, memo) != nil {
			m.removeLocked(e.tx.ID())
		}
	}
	if len(m.queue) > 2*m.live+64 {
		kept := m.queue[:0]
		for _, e := range m.queue {
			if !e.removed {
				kept = append(kept, e)
			}
		}
		clear(m.queue[len(kept):])
		m.queue = kept
	}
}

// stateMemo keeps the group epochs and topic rules one Update has looked
// up: the mempool may hold thousands of transactions of a few groups and
// topics.
type stateMemo struct {
	epochs map[string]uint64
	rules  map[string]*TopicRule
}

// lapsed returns why tx, valid when admitted, can no longer commit in the
// block at height next: it expires first, it is signed under an epoch its
// group has left, or its topic's rule (set or closed since) refuses it. A
// node a moment behind the leader admits what the leader already refuses
// (an untagged vote on a topic made tagged in the block it has not yet
// applied); held pending, it waited for a commit that could not come.
// memo may be nil.
func (m *Mempool) lapsed(tx *Tx, next uint64, memo *stateMemo) error {
	if tx.Expiry < next {
		return errorf(ErrExpired, "expired at height %d, next block is %d", tx.Expiry, next)
	}
	if tx.Kind != KindAnonymous {
		return nil
	}
	ep, ok := memo.epoch(tx.Group)
	if !ok {
		if pk, err := m.ledger.currentKey(tx.Group); err == nil {
			ep = pk.Epoch()
		}
		memo.setEpoch(tx.Group, ep)
	}
	if tx.Epoch < ep {
		return errorf(ErrStaleEpoch, "group %q moved to epoch %d while the transaction (epoch %d) was pending", tx.Group, ep, tx.Epoch)
	}
	rule, ok := memo.rule(tx.Topic)
	if !ok {
		rule = m.ledger.currentRule(tx.Topic)
		memo.setRule(tx.Topic, rule)
	}
	return checkTopicRule(rule, tx, next)
}

func (s *stateMemo) epoch(g string) (uint64, bool) {
	if s == nil {
		return 0, false
	}
	ep, ok := s.epochs[g]
	return ep, ok
}

func (s *stateMemo) setEpoch(g string, ep uint64) {
	if s != nil {
		s.epochs[g] = ep
	}
}

func (s *stateMemo) rule(topic string) (*TopicRule, bool) {
	if s == nil {
		return nil, false
	}
	r, ok := s.rules[topic]
	return r, ok
}

func (s *stateMemo) setRule(topic string, r *TopicRule) {
	if s != nil {
		s.rules[topic] = r
	}
}

func (m *Mempool) removeLocked(id [32]byte) {
	e, ok := m.byID[id]
	if !ok {
		return
	}
	e.removed = true
	delete(m.byID, id)
	if e.claim != "" && m.claims[e.claim] == e {
		delete(m.claims, e.claim)
	}
	m.live--
	m.bytes -= e.tx.Size()
}
