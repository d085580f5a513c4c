package chain

import (
	"context"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// Config tunes a Ledger.
type Config struct {
	// VerdictCacheSize bounds the remembered signature verdicts; it should
	// hold at least a full mempool plus a few blocks.
	VerdictCacheSize int
	// Verifier sizes the node's one verification pool (see Verifier),
	// which block apply, gossip and API admission share.
	Verifier VerifierConfig
	// Logger receives the ledger's logs.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults: 200,000 verdicts and
// DefaultVerifierConfig.
func DefaultConfig() Config {
	return Config{VerdictCacheSize: 200_000, Verifier: DefaultVerifierConfig(), Logger: slog.Default()}
}

// Head is the newest committed block.
type Head struct {
	Height uint64
	Hash   [32]byte
	Time   int64
}

// Ledger is the chain's state machine over a storage.DB: it validates
// transactions against chain state and applies blocks. Reads and CheckTx
// are safe for concurrent use with each other and with Apply; Apply calls
// are serialised.
type Ledger struct {
	db       *storage.DB
	gen      *Genesis
	ca       *x509.Certificate // member identities chain to it
	cfg      Config
	verdicts *VerdictCache
	verifier *Verifier

	applyMu sync.Mutex
	mu      sync.RWMutex // guards head, groups and topics; their values are never mutated once published
	head    Head
	groups  map[string]*group
	topics  map[string]*topicState
	revoked map[string]bool // node ids whose certificates are revoked
	// sets holds the validator set after every change, in height order;
	// sets[0] is genesis's (validators.go).
	sets []*validatorSet
	thr  map[string]*thresholdGroup // committees and approvals per group (threshold.go)
}

// ErrAlreadyApplied is returned by Apply for a block at or below the head
// that matches the stored one: raft re-applies entries after a restart.
var ErrAlreadyApplied = errors.New("block already applied")

// ErrBlockRejected wraps the reason a block was not applied: not the next
// block, not signed by a validator, malformed. Every node reaches the same
// verdict, so every node skips it alike.
var ErrBlockRejected = errors.New("block rejected")

// Why a block is not the next one, wrapped (with ErrBlockRejected by
// Apply) so that block sync can say what a peer's reply got wrong.
var (
	// ErrBlockHeight: the block is not at the height after the head.
	ErrBlockHeight = errors.New("not the next height")
	// ErrBlockLink: the block does not extend the head: another previous
	// hash, or a time before the head's.
	ErrBlockLink = errors.New("does not extend the previous block")
	// ErrBlockProposer: the block is not signed by its proposer, or its
	// proposer is not a validator or has a revoked certificate.
	ErrBlockProposer = errors.New("not signed by a validator")
)

// Open loads the ledger from db, writing the genesis state first if db is
// empty. It refuses a database made from another genesis.
func Open(db *storage.DB, gen *Genesis, cfg Config) (*Ledger, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	ca, err := gen.CA()
	if err != nil {
		return nil, err
	}
	def := DefaultConfig()
	if cfg.VerdictCacheSize <= 0 {
		cfg.VerdictCacheSize = def.VerdictCacheSize
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	verdicts := NewVerdictCache(cfg.VerdictCacheSize)
	l := &Ledger{db: db, gen: gen, ca: ca, cfg: cfg, verdicts: verdicts, verifier: NewVerifier(cfg.Verifier, verdicts),
		groups: map[string]*group{}, topics: map[string]*topicState{}, revoked: map[string]bool{}}
	height, hash, ok, err := db.Head()
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	genHash := gen.Hash()
	if !ok {
		if err := l.writeGenesis(genHash); err != nil {
			return nil, err
		}
		height, hash = 0, genHash
	} else {
		stored, err := db.GetState([]byte(stateGenesis))
		if err != nil {
			return nil, fmt.Errorf("open ledger: read genesis hash: %w", err)
		}
		if string(stored) != string(genHash[:]) {
			return nil, fmt.Errorf("open ledger: the database belongs to another chain (genesis %x, this config's %x)", stored[:min(8, len(stored))], genHash[:8])
		}
	}
	l.head = Head{Height: height, Hash: hash, Time: gen.Time}
	if height > 0 {
		b, err := l.Block(height)
		if err != nil {
			return nil, fmt.Errorf("open ledger: head block: %w", err)
		}
		l.head.Time = b.Time
	}
	if err := l.loadState(); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	if err := l.loadThreshold(); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	if err := l.loadValidators(); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return l, nil
}

func (l *Ledger) writeGenesis(genHash [32]byte) error {
	groups, err := l.gen.groups(l.ca)
	if err != nil {
		return err
	}
	b := l.db.NewBatch()
	for _, g := range groups {
		b.PutState([]byte(stateGroup+g.name), encodeGroupHeader(g))
		for label, j := range g.joins {
			b.PutState(joinKey(g.name, label), j.encode())
		}
	}
	b.PutState([]byte(stateGenesis), genHash[:])
	b.SetHead(0, genHash)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("write genesis state: %w", err)
	}
	return nil
}

// loadState reads groups (with their members and pending requests),
// topics and revoked nodes. Tag sets stay in the database.
func (l *Ledger) loadState() error {
	err := l.db.IterateState([]byte(stateGroup), func(k, v []byte) error {
		name := string(k[len(stateGroup):])
		g, err := decodeGroupHeader(name, v)
		if err != nil {
			return fmt.Errorf("group %q: %w: %w", name, err, storage.ErrCorrupt)
		}
		prefix := named(stateJoin, name)
		err = l.db.IterateState(prefix, func(k, v []byte) error {
			j, err := decodeJoinEntry(v)
			if err != nil {
				return fmt.Errorf("group %q member %q: %w: %w", name, k[len(prefix):], err, storage.ErrCorrupt)
			}
			g.joins[string(k[len(prefix):])] = j
			g.hs[string(j.rec.Request.H())] = true
			g.xs[string(j.rec.Response.X())] = true
			return nil
		})
		if err != nil {
			return err
		}
		prefix = named(statePending, name)
		err = l.db.IterateState(prefix, func(k, v []byte) error {
			p, err := decodePending(v)
			if err != nil || len(k) != len(prefix)+32 {
				return fmt.Errorf("group %q pending request: %v: %w", name, err, storage.ErrCorrupt)
			}
			g.pending[[32]byte(k[len(prefix):])] = p
			return nil
		})
		l.groups[name] = g
		return err
	})
	if err != nil {
		return err
	}
	err = l.db.IterateState([]byte(stateTopic), func(k, v []byte) error {
		t, err := decodeTopic(v)
		if err != nil {
			return fmt.Errorf("topic %q: %w: %w", k[len(stateTopic):], err, storage.ErrCorrupt)
		}
		l.topics[string(k[len(stateTopic):])] = t
		return nil
	})
	if err != nil {
		return err
	}
	return l.db.IterateState([]byte(stateNode), func(k, _ []byte) error {
		l.revoked[string(k[len(stateNode):])] = true
		return nil
	})
}

// RevokedNodes lists the node ids whose certificates a committed
// revocation has revoked.
func (l *Ledger) RevokedNodes() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]string, 0, len(l.revoked))
	for id := range l.revoked {
		out = append(out, id)
	}
	return out
}

// ChainID is the chain's id.
func (l *Ledger) ChainID() string { return l.gen.ChainID }

// Genesis returns the genesis the ledger was opened with.
func (l *Ledger) Genesis() *Genesis { return l.gen }

// CA is the chain CA that member identities chain to.
func (l *Ledger) CA() *x509.Certificate { return l.ca }

// Verdicts is the ledger's signature verdict cache, shared with the
// mempool.
func (l *Ledger) Verdicts() *VerdictCache { return l.verdicts }

// Verifier is the node's verification pool, shared by Apply, the mempool
// and (through it) gossip and API admission.
func (l *Ledger) Verifier() *Verifier { return l.verifier }

// Head returns the newest committed block.
func (l *Ledger) Head() Head {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.head
}

// Group returns a group's public state.
func (l *Ledger) Group(name string) (GroupInfo, error) {
	l.mu.RLock()
	g, ok := l.groups[name]
	l.mu.RUnlock()
	if !ok {
		return GroupInfo{}, errorf(ErrUnknownGroup, "no group %q", name)
	}
	return g.info(), nil
}

// Groups lists the names of every group.
func (l *Ledger) Groups() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return sortedKeys(l.groups)
}

// currentKey returns a group's key at its current epoch.
func (l *Ledger) currentKey(name string) (*groupsig.GroupKey, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	g, ok := l.groups[name]
	if !ok {
		return nil, errorf(ErrUnknownGroup, "no group %q", name)
	}
	return g.key, nil
}

// GroupKey returns a group's key at an epoch it has reached.
func (l *Ledger) GroupKey(name string, epoch uint64) (*groupsig.GroupKey, error) {
	l.mu.RLock()
	g, ok := l.groups[name]
	l.mu.RUnlock()
	if !ok {
		return nil, errorf(ErrUnknownGroup, "no group %q", name)
	}
	pk, ok := g.keys[epoch]
	if !ok {
		return nil, errorf(ErrUnknownGroup, "group %q has no epoch %d", name, epoch)
	}
	return pk, nil
}

// Topic returns a topic's rule and tally; ok is false for a topic without
// a rule (open to every group, untagged).
func (l *Ledger) Topic(topic string) (TopicInfo, bool) {
	l.mu.RLock()
	t, ok := l.topics[topic]
	l.mu.RUnlock()
	if !ok {
		return TopicInfo{Topic: topic}, false
	}
	return TopicInfo{Topic: topic, Rule: t.rule, Height: t.height, Tally: t.tally}, true
}

// TagTx returns the transaction that acted with tag on a tagged topic in
// group's scope, if any.
func (l *Ledger) TagTx(group, topic string, tag []byte) ([32]byte, bool) {
	gk, err := l.currentKey(group)
	if err != nil {
		return [32]byte{}, false
	}
	v, err := l.db.GetState(tagKey(gk.Ref(), TopicScope(l.gen.ChainID, topic), tag))
	if err != nil || len(v) != 32 {
		return [32]byte{}, false
	}
	return [32]byte(v), true
}

// Revocations returns a group's revocation records in epoch order (the
// record at index i moved the group to epoch i+1), so that a member key of
// any epoch can be brought up to date from chain state alone.
func (l *Ledger) Revocations(name string) ([][]byte, error) {
	pk, err := l.currentKey(name)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, pk.Epoch())
	for e := uint64(1); e <= pk.Epoch(); e++ {
		rec, err := l.db.GetState(revocationKey(name, e))
		if err != nil {
			return nil, fmt.Errorf("group %q revocation for epoch %d: %w", name, e, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// Block returns the committed block at height (height ≥ 1).
func (l *Ledger) Block(height uint64) (*Block, error) {
	raw, err := l.db.BlockByHeight(height)
	if err != nil {
		return nil, err
	}
	b, err := DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("stored block %d: %w: %w", height, err, storage.ErrCorrupt)
	}
	return b, nil
}

// RawBlock returns the stored encoding of the block at height.
func (l *Ledger) RawBlock(height uint64) ([]byte, error) { return l.db.BlockByHeight(height) }

// Results returns the validation code of each transaction of the block at
// height, in order.
func (l *Ledger) Results(height uint64) ([]Code, error) {
	raw, err := l.db.GetState(resultsKey(height))
	if err != nil {
		return nil, err
	}
	codes := make([]Code, len(raw))
	for i, c := range raw {
		codes[i] = Code(c)
	}
	return codes, nil
}

// Committed reports whether a transaction with this id has taken effect,
// from the index alone (no block is read).
func (l *Ledger) Committed(id [32]byte) bool {
	_, _, err := l.db.TxLocation(id)
	return err == nil
}

// TxLocation is where a committed transaction is.
type TxLocation struct {
	Height uint64
	Index  uint32
}

// Tx returns a committed (valid) transaction and where it is. It returns
// an error wrapping storage.ErrNotFound for an unknown id.
func (l *Ledger) Tx(id [32]byte) (*Tx, TxLocation, error) {
	h, i, err := l.db.TxLocation(id)
	if err != nil {
		return nil, TxLocation{}, err
	}
	// Only this transaction's part of the block is read and decoded.
	part, err := l.db.BlockPart(h, i)
	if err != nil {
		return nil, TxLocation{}, fmt.Errorf("tx %x: %w", id[:8], err)
	}
	if len(part) < 4 || binary.BigEndian.Uint32(part) != uint32(len(part)-4) {
		return nil, TxLocation{}, fmt.Errorf("tx %x: block %d part %d is not a framed transaction: %w", id[:8], h, i, storage.ErrCorrupt)
	}
	tx, err := DecodeTx(part[4:])
	if err != nil || tx.ID() != id {
		return nil, TxLocation{}, fmt.Errorf("tx %x: block %d part %d does not hold it (%v): %w", id[:8], h, i, err, storage.ErrCorrupt)
	}
	return tx, TxLocation{Height: h, Index: i}, nil
}

// splitBlock cuts a block's canonical encoding (already decoded into b)
// into its header and one part per transaction (u32 length ‖ encoding),
// which storage keeps under keys of their own: head ‖ parts is raw.
func splitBlock(raw []byte, b *Block) (head []byte, parts [][]byte) {
	off := len(raw) - b.txBytes()
	head, parts = raw[:off], make([][]byte, len(b.Txs))
	for i, tx := range b.Txs {
		parts[i] = raw[off : off+4+tx.Size()]
		off += 4 + tx.Size()
	}
	return head, parts
}

// TopicTxs pages through the ids of committed transactions under topic,
// in commit order (see storage.DB.TopicTxs for cursors).
func (l *Ledger) TopicTxs(topic string, after []byte, limit int) ([][32]byte, []byte, error) {
	return l.db.TopicTxs(topic, after, limit)
}

// view is the state a transaction is checked against: the committed state,
// plus, while a block is applied, the changes of its earlier transactions.
type view struct {
	l       *Ledger
	base    uint64            // height of the block the transaction follows
	at      time.Time         // the time certificates are checked at: the block's, or now for the mempool
	groups  map[string]*group // nil for the committed state alone
	topics  map[string]*topicState
	ids     map[[32]byte]bool   // ids made valid earlier in this block
	revoked map[string]bool     // nodes revoked earlier in this block
	tags    map[string][32]byte // tag keys set earlier in this block
	gids    map[[32]byte]bool   // gids of groups added earlier in this block
	// checked holds what checking a state-changing transaction computed
	// (the new group, the pending request, the join entry, the next key),
	// so that applying it does not redo the work.
	checked map[[32]byte]any
	th      *thresholdView // the block's threshold changes (threshold.go)
	// vals is the validator set after a change earlier in the block
	// (nil: the block changed none, the head's is in force).
	vals *validatorSet
	// prio is the verification pool's priority for this view's
	// signatures: PriorityApply inside a block, else the admission path's.
	prio Priority
}

func (v *view) nodeRevoked(id string) bool {
	if v.revoked[id] {
		return true
	}
	v.l.mu.RLock()
	defer v.l.mu.RUnlock()
	return v.l.revoked[id]
}

func (l *Ledger) currentView(p Priority) *view {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return &view{l: l, base: l.head.Height, at: time.Now(), prio: p}
}

func (v *view) group(name string) (*group, bool) {
	if g, ok := v.groups[name]; ok {
		return g, true
	}
	v.l.mu.RLock()
	defer v.l.mu.RUnlock()
	g, ok := v.l.groups[name]
	return g, ok
}

func (v *view) topic(name string) (*topicState, bool) {
	if t, ok := v.topics[name]; ok {
		return t, true
	}
	v.l.mu.RLock()
	defer v.l.mu.RUnlock()
	t, ok := v.l.topics[name]
	return t, ok
}

func (v *view) gidUsed(gid [32]byte) bool {
	if v.gids[gid] {
		return true
	}
	v.l.mu.RLock()
	defer v.l.mu.RUnlock()
	for _, g := range v.l.groups {
		if g.key.GID() == gid {
			return true
		}
	}
	return false
}

// tagUsed reports whether a tag key is taken, by this block or the chain.
func (v *view) tagUsed(key []byte) (bool, error) {
	if _, ok := v.tags[string(key)]; ok {
		return true, nil
	}
	_, err := v.l.db.GetState(key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up tag: %w", err)
}

func (v *view) remember(tx *Tx, what any) {
	if v.checked != nil {
		v.checked[tx.ID()] = what
	}
}

// CheckTx validates tx against the current chain state for admission to
// the mempool, verifying its signature on the pool at PriorityAPI unless
// a verdict is remembered (so it may fail with ErrBusy). It does not know
// what is pending: the mempool checks that.
func (l *Ledger) CheckTx(tx *Tx) error {
	return l.currentView(PriorityAPI).check(tx)
}

// check applies every rule; on success it returns nil and, for a
// transaction that changes state, leaves the change out (apply does that).
func (v *view) check(tx *Tx) error {
	key, err := v.precheck(tx)
	if err != nil {
		return err
	}
	if err := v.checkAuth(context.Background(), tx, key); err != nil {
		return err
	}
	return v.checkTag(tx, key)
}

// checkTag refuses a tagged transaction whose tag the topic already
// holds. It runs after the signature check: the tag of a signature that
// does not verify means nothing.
func (v *view) checkTag(tx *Tx, key *groupsig.GroupKey) error {
	if tx.Kind != KindAnonymous || !groupsig.IsTagged(tx.Auth) {
		return nil
	}
	used, err := v.tagUsed(tagKey(key.Ref(), TopicScope(tx.ChainID, tx.Topic), groupsig.TagOf(tx.Auth)))
	if err != nil {
		return err
	}
	if used {
		return errorf(ErrAlreadyActed, "this member of %q has already acted on topic %q", tx.Group, tx.Topic)
	}
	return nil
}

// precheck applies every rule but the signature (and, for a tagged
// transaction, the tag set), and returns the group key an anonymous
// signature must verify under.
func (v *view) precheck(tx *Tx) (*groupsig.GroupKey, error) {
	if tx.ChainID != v.l.gen.ChainID {
		return nil, errorf(ErrWrongChain, "transaction for chain %q, this is %q", tx.ChainID, v.l.gen.ChainID)
	}
	next := v.base + 1
	if tx.Expiry < next {
		return nil, errorf(ErrExpired, "expired at height %d, next block is %d", tx.Expiry, next)
	}
	if w := v.l.gen.expiryWindow(); tx.Expiry > v.base+w {
		return nil, errorf(ErrExpiryTooFar, "expiry %d is more than %d blocks past height %d", tx.Expiry, w, v.base)
	}
	id := tx.ID()
	if v.ids[id] {
		return nil, errorf(ErrDuplicate, "transaction %x is already in this block", id[:8])
	}
	if _, _, err := v.l.db.TxLocation(id); err == nil {
		return nil, errorf(ErrDuplicate, "transaction %x is already committed", id[:8])
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("look up transaction %x: %w", id[:8], err)
	}
	if IsThresholdKind(tx.Kind) {
		return nil, v.checkThreshold(tx)
	}
	switch tx.Kind {
	case KindAddGroup, KindRevokeNode, KindTopicRule, KindAddValidator, KindRemoveValidator:
		if !ed25519.Verify(v.l.gen.AdminKey, id[:], tx.Auth) {
			return nil, errorf(ErrBadAdminSignature, "not signed by the consortium admin key")
		}
	case KindJoinResponse, KindRevokeMember:
		if g, ok := v.group(tx.Group); ok && !ed25519.Verify(g.admin, id[:], tx.Auth) {
			return nil, errorf(ErrBadAdminSignature, "not signed by group %q's issuer admin key", tx.Group)
		}
	case KindJoinRequest:
		// The identity key is in the request: decode it (cheap) and check
		// the transaction's signature before the proof and certificate.
		var req groupsig.JoinRequest
		if err := req.UnmarshalBinary(tx.JoinRequest); err != nil {
			return nil, errorf(ErrMalformed, "join request: %v", err)
		}
		if !ed25519.Verify(req.IdentityKey(), id[:], tx.Auth) {
			return nil, errorf(ErrBadAdminSignature, "join request transaction not signed by the request's identity key")
		}
	}
	switch tx.Kind {
	case KindAddValidator, KindRemoveValidator:
		return nil, v.checkValidatorChange(tx)
	case KindRevokeNode:
		if v.nodeRevoked(tx.Node) {
			return nil, errorf(ErrConflict, "node %q is already revoked", tx.Node)
		}
		return nil, nil
	case KindTopicRule:
		if _, ok := v.topic(tx.Topic); ok {
			return nil, errorf(ErrConflict, "topic %q already has a rule (a rule is set once)", tx.Topic)
		}
		for _, name := range tx.Rule.Groups {
			if _, ok := v.group(name); !ok {
				return nil, errorf(ErrUnknownGroup, "topic rule names group %q, which does not exist", name)
			}
		}
		if tx.Rule.Closes != 0 && tx.Rule.Closes < next {
			return nil, errorf(ErrTopicClosed, "topic rule closes at height %d, before the next block %d", tx.Rule.Closes, next)
		}
		return nil, nil
	}
	g, ok := v.group(tx.Group)
	if tx.Kind == KindAddGroup {
		if ok {
			return nil, errorf(ErrConflict, "group %q already exists", tx.Group)
		}
		ng, err := newGroup(tx.Group, tx.GroupKey, tx.IssuerProof, tx.OpenerProof, tx.AdminKey)
		if err != nil {
			return nil, err
		}
		if v.gidUsed(ng.key.GID()) {
			return nil, errorf(ErrConflict, "the group key's gid is another group's")
		}
		v.remember(tx, ng)
		return nil, nil
	}
	if !ok {
		return nil, errorf(ErrUnknownGroup, "no group %q", tx.Group)
	}
	switch tx.Kind {
	case KindAnonymous:
		if tx.Epoch < g.epoch() {
			return nil, errorf(ErrStaleEpoch, "group %q is at epoch %d, the transaction names %d (its signer may be revoked)", tx.Group, g.epoch(), tx.Epoch)
		}
		if tx.Epoch > g.epoch() {
			return nil, errorf(ErrUnknownGroup, "group %q has no epoch %d yet", tx.Group, tx.Epoch)
		}
		var rule *TopicRule
		if t, ok := v.topic(tx.Topic); ok {
			rule = &t.rule
		}
		if err := checkTopicRule(rule, tx, next); err != nil {
			return nil, err
		}
		return g.key, nil
	case KindJoinRequest:
		p, err := g.checkRequest(tx.JoinRequest, tx.MemberCert, v.l.ca, v.at)
		if err != nil {
			return nil, err
		}
		p.height = next
		v.remember(tx, p)
	case KindJoinResponse:
		j, err := g.checkResponse(tx.JoinResponse)
		if err != nil {
			return nil, err
		}
		v.remember(tx, j)
	case KindRevokeMember:
		var rec groupsig.RevocationRecord
		if err := rec.UnmarshalBinary(tx.Revocation); err != nil {
			return nil, errorf(ErrInvalidRevocation, "%v", err)
		}
		nextKey, err := groupsig.CheckRevocation(g.key, g.prev, &rec, g.current(), cryptorand.Reader)
		if err != nil {
			return nil, errorf(ErrInvalidRevocation, "%v", err)
		}
		v.remember(tx, revocation{rec: &rec, next: nextKey})
	}
	return nil, nil
}

// checkTopicRule checks an anonymous transaction against its topic's rule
// (nil when the topic has none) for a block at height next. Admission
// runs it, and so does the mempool after every block: a node that lagged
// behind a new rule may have admitted what the rule now refuses.
func checkTopicRule(rule *TopicRule, tx *Tx, next uint64) error {
	tagged := groupsig.IsTagged(tx.Auth)
	switch {
	case rule == nil && tagged:
		return errorf(ErrMalformed, "topic %q has no rule and takes untagged signatures", tx.Topic)
	case rule == nil:
		return nil
	case !rule.Allows(tx.Group):
		return errorf(ErrNotAllowed, "topic %q does not take transactions of group %q", tx.Topic, tx.Group)
	case rule.Closes != 0 && next > rule.Closes:
		return errorf(ErrTopicClosed, "topic %q closed at height %d", tx.Topic, rule.Closes)
	case rule.Tagged && !tagged:
		return errorf(ErrTagRequired, "topic %q takes one action per member: sign with its tag", tx.Topic)
	case !rule.Tagged && tagged:
		return errorf(ErrMalformed, "topic %q takes untagged signatures", tx.Topic)
	}
	return nil
}

// currentRule returns a topic's rule, or nil if it has none.
func (l *Ledger) currentRule(topic string) *TopicRule {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if t, ok := l.topics[topic]; ok {
		return &t.rule
	}
	return nil
}

// revocation is what checking a revocation computed.
type revocation struct {
	rec  *groupsig.RevocationRecord
	next *groupsig.GroupKey
}

// checkAuth checks an anonymous transaction's group signature under key
// on the verification pool at the view's priority (cached verdicts
// first). Ed25519 signatures are checked by precheck before anything
// costly: a forged admin transaction must not buy seconds of pairing
// checks (a revocation record of 10,000 members costs ~2.5 s). Inside a
// block (PriorityApply, a context that never ends) Verify cannot fail, so
// a code recorded in a block never depends on this node's load.
func (v *view) checkAuth(ctx context.Context, tx *Tx, key *groupsig.GroupKey) error {
	if tx.Kind != KindAnonymous {
		return nil
	}
	valid, err := v.l.verifier.Verify(ctx, v.prio, tx, key)
	if err != nil {
		return err
	}
	if !valid {
		return errorf(ErrBadSignature, "group signature does not verify under %q epoch %d", tx.Group, tx.Epoch)
	}
	return nil
}

// Verifications counts the group signatures this ledger's pool has
// verified; with the verdict cache and the pool's in-flight joining, each
// transaction is verified once per node.
func (l *Ledger) Verifications() int64 {
	var n int64
	for _, p := range Priorities {
		n += l.verifier.Verified(p)
	}
	return n
}

// Applied is the outcome of applying one block.
type Applied struct {
	Block *Block
	Codes []Code   // one per transaction
	Tags  [][]byte // one per transaction: τ of a committed tagged transaction, else nil
	// Threshold lists the block's committee changes and completed
	// openings (ThresholdNotes replays them).
	Threshold []ThresholdNote
}

// Apply validates a block and commits it with its indexes and state
// changes in one synced batch. A transaction that fails validation stays
// in the block, marked with its code; it has no effect. A block that is not
// a well-formed, validator-signed next block is refused with an error
// wrapping ErrBlockRejected, and a block already committed returns
// ErrAlreadyApplied: both leave the ledger unchanged, on every node alike.
func (l *Ledger) Apply(ctx context.Context, raw []byte) (*Applied, error) {
	return l.apply(ctx, raw, nil)
}

// ApplyCertified is Apply for a BFT chain: it stores cert, the block's
// commit certificate (package bft encodes and checks it), in the same
// synced batch as the block, so that a node never holds a block without
// the proof that a quorum of validators decided it.
func (l *Ledger) ApplyCertified(ctx context.Context, raw, cert []byte) (*Applied, error) {
	if len(cert) == 0 {
		return nil, errors.New("apply certified block: empty certificate")
	}
	return l.apply(ctx, raw, cert)
}

// Certificate returns the commit certificate stored with the block at
// height by ApplyCertified; an error wrapping storage.ErrNotFound if
// there is none (a raft chain, or height 0).
func (l *Ledger) Certificate(height uint64) ([]byte, error) {
	return l.db.GetState(certKey(height))
}

func (l *Ledger) apply(ctx context.Context, raw, cert []byte) (*Applied, error) {
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	b, err := DecodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBlockRejected, err)
	}
	head := l.Head()
	hash := b.Hash()
	if b.Height <= head.Height {
		if b.Height == head.Height && hash == head.Hash {
			return nil, ErrAlreadyApplied
		}
		if stored, err := l.RawBlock(b.Height); err == nil {
			if sb, err := DecodeBlock(stored); err == nil && sb.Hash() == hash {
				return nil, ErrAlreadyApplied
			}
		}
		return nil, fmt.Errorf("%w: block %d conflicts with the committed one", ErrBlockRejected, b.Height)
	}
	if err := l.checkHeader(b, head, hash); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBlockRejected, err)
	}

	l.preverify(ctx, b.Txs)
	v := &view{l: l, base: b.Height - 1, at: time.Unix(0, b.Time), groups: map[string]*group{}, topics: map[string]*topicState{},
		ids: map[[32]byte]bool{}, revoked: map[string]bool{}, tags: map[string][32]byte{}, gids: map[[32]byte]bool{}, checked: map[[32]byte]any{}}
	batch := l.db.NewBatch()
	out := &Applied{Block: b, Codes: make([]Code, len(b.Txs)), Tags: make([][]byte, len(b.Txs))}
	codeBytes := make([]byte, len(b.Txs))
	touched := map[string]bool{}
	for i, tx := range b.Txs {
		err := v.check(tx)
		out.Codes[i], codeBytes[i] = CodeOf(err), byte(CodeOf(err))
		if err != nil {
			continue
		}
		id := tx.ID()
		v.ids[id] = true
		batch.PutTx(id, b.Height, uint32(i))
		switch tx.Kind {
		case KindAnonymous:
			batch.AddTopicTx(tx.Topic, storage.TopicSeq(b.Height, uint32(i)), id)
			if groupsig.IsTagged(tx.Auth) {
				out.Tags[i] = v.applyTag(tx, batch)
			}
		case KindRevokeNode:
			v.revoked[tx.Node] = true
			batch.PutState([]byte(stateNode+tx.Node), binary.BigEndian.AppendUint64(nil, b.Height))
		case KindAddValidator, KindRemoveValidator:
			v.applyValidatorChange(tx, b.Height, batch)
		case KindTopicRule:
			t := &topicState{rule: tx.Rule, height: b.Height}
			v.topics[tx.Topic] = t
			batch.PutState([]byte(stateTopic+tx.Topic), t.encode())
		case KindCommittee, KindApproval, KindShareProof, KindConsent, KindPartialOpening, KindCommitteeAbort:
			if err := v.applyThreshold(tx, i, b, batch); err != nil {
				return nil, fmt.Errorf("apply block %d tx %d: %w", b.Height, i, err)
			}
		default:
			if err := v.applyGroupTx(tx, b.Height, batch); err != nil {
				// check passed, so this is a bug or a storage fault: do not
				// commit a block some nodes might apply differently.
				return nil, fmt.Errorf("apply block %d tx %d: %w", b.Height, i, err)
			}
			touched[tx.Group] = true
		}
	}
	for name := range touched {
		batch.PutState([]byte(stateGroup+name), encodeGroupHeader(v.groups[name]))
	}
	out.Threshold = v.endThresholdBlock(b, batch)
	bhead, parts := splitBlock(raw, b)
	batch.PutBlock(b.Height, hash, bhead, parts)
	batch.PutState(resultsKey(b.Height), codeBytes)
	if cert != nil {
		batch.PutState(certKey(b.Height), cert)
	}
	batch.SetHead(b.Height, hash)
	if err := batch.Commit(); err != nil {
		return nil, fmt.Errorf("commit block %d: %w", b.Height, err)
	}
	l.mu.Lock()
	for name, g := range v.groups {
		l.groups[name] = g
	}
	for name, t := range v.topics {
		l.topics[name] = t
	}
	for id := range v.revoked {
		l.revoked[id] = true
	}
	l.publishThreshold(v)
	if v.vals != nil {
		l.sets = append(l.sets, v.vals)
	}
	l.head = Head{Height: b.Height, Hash: hash, Time: b.Time}
	l.mu.Unlock()
	return out, nil
}

// applyTag records a checked tagged transaction's tag and counts it in
// its topic's tally.
func (v *view) applyTag(tx *Tx, batch *storage.Batch) []byte {
	g, _ := v.group(tx.Group)
	tag := groupsig.TagOf(tx.Auth)
	key := tagKey(g.key.Ref(), TopicScope(tx.ChainID, tx.Topic), tag)
	id := tx.ID()
	v.tags[string(key)] = id
	batch.PutState(key, id[:])
	t, _ := v.topic(tx.Topic)
	nt := *t
	nt.tally++
	v.topics[tx.Topic] = &nt
	batch.PutState([]byte(stateTopic+tx.Topic), nt.encode())
	return tag
}

func (l *Ledger) checkHeader(b *Block, head Head, hash [32]byte) error {
	return l.checkHeaderWith(b, head, hash, nil)
}

func (l *Ledger) checkHeaderWith(b *Block, head Head, hash [32]byte, extra map[string]ed25519.PublicKey) error {
	switch {
	case b.ChainID != l.gen.ChainID:
		return errorf(ErrWrongChain, "block for chain %q", b.ChainID)
	case b.Height != head.Height+1:
		return fmt.Errorf("%w: block %d does not follow head %d", ErrBlockHeight, b.Height, head.Height)
	case b.PrevHash != head.Hash:
		return fmt.Errorf("%w: block %d does not extend head %x", ErrBlockLink, b.Height, head.Hash[:8])
	case b.Time < head.Time:
		return fmt.Errorf("%w: block %d time goes backwards", ErrBlockLink, b.Height)
	case len(b.Txs) > MaxBlockTxs:
		return errorf(ErrTooLarge, "block %d holds %d transactions", b.Height, len(b.Txs))
	}
	return l.checkProposer(b, hash, extra)
}

// CheckProposer checks that b, whose hash is hash, is signed by a
// validator of the set in force after block b.Height−1 (genesis's, then
// as validator changes on chain left it) whose certificate is not
// revoked at the head: Apply's check, and fork detection's for a peer's
// block that does not extend this node's chain. The error wraps
// ErrBlockProposer.
func (l *Ledger) CheckProposer(b *Block, hash [32]byte) error {
	return l.checkProposer(b, hash, nil)
}

// checkProposer is CheckProposer, also accepting the validators in extra
// (CheckBlocks: those added by earlier blocks of a run not yet applied).
func (l *Ledger) checkProposer(b *Block, hash [32]byte, extra map[string]ed25519.PublicKey) error {
	if b.Height == 0 {
		// No set precedes height 0 (setAt(b.Height−1) would wrap around).
		return fmt.Errorf("%w: block 0 has no proposer", ErrBlockProposer)
	}
	v, ok := l.setAt(b.Height - 1).find(b.Proposer)
	key := v.PublicKey
	if !ok {
		key, ok = extra[b.Proposer]
	}
	if !ok {
		return fmt.Errorf("%w: block %d proposer %q is not a validator", ErrBlockProposer, b.Height, b.Proposer)
	}
	l.mu.RLock()
	revoked := l.revoked[b.Proposer]
	l.mu.RUnlock()
	if revoked {
		return fmt.Errorf("%w: block %d proposer %q has a revoked certificate", ErrBlockProposer, b.Height, b.Proposer)
	}
	if !ed25519.Verify(key, hash[:], b.Signature) {
		return fmt.Errorf("%w: block %d: bad signature of proposer %s", ErrBlockProposer, b.Height, b.Proposer)
	}
	return nil
}

// CheckBlocks checks blocks fetched from a peer before they are used:
// that raws are the consecutive blocks from height from on, each decoding
// strictly with a matching tx root and passing the header checks of Apply
// (chain id, height, previous hash, time, proposer signature by a
// validator) against the block before it — for the first, this ledger's
// own block from−1, which must be at or below the head. It does not check
// transactions against state: Apply does, and marks them; a proposer's
// revocation is that of the head, so a revocation inside raws is only
// seen by Apply. A block above the head may also come from a validator
// that an admin-signed KindAddValidator of an earlier block of raws adds
// (removals are not applied here): Apply makes the exact check, and a
// liar cannot forge the admin's signature. The error wraps
// ErrMalformed (ErrTxRoot for a wrong root), ErrWrongChain, ErrTooLarge,
// ErrBlockHeight, ErrBlockLink or ErrBlockProposer.
func (l *Ledger) CheckBlocks(from uint64, raws [][]byte) error {
	head := l.Head()
	if from == 0 || from-1 > head.Height {
		return fmt.Errorf("check blocks from %d: this ledger's head is %d", from, head.Height)
	}
	prev := head
	switch {
	case from-1 == head.Height:
	case from == 1:
		prev = Head{Hash: l.gen.Hash(), Time: l.gen.Time}
	default:
		b, err := l.Block(from - 1)
		if err != nil {
			return fmt.Errorf("check blocks from %d: %w", from, err)
		}
		prev = Head{Height: b.Height, Hash: b.Hash(), Time: b.Time}
	}
	var added map[string]ed25519.PublicKey
	for i, raw := range raws {
		b, err := DecodeBlock(raw)
		if err != nil {
			return fmt.Errorf("block %d of %d: %w", i+1, len(raws), err)
		}
		hash := b.Hash()
		if err := l.checkHeaderWith(b, prev, hash, added); err != nil {
			return err
		}
		prev = Head{Height: b.Height, Hash: hash, Time: b.Time}
		if b.Height > head.Height {
			added = l.addedValidators(b, added)
		}
	}
	return nil
}

// preverify verifies on the pool, at PriorityApply, the group signatures
// of a block's transactions that have no remembered verdict (joining
// those already under way), so that the sequential pass finds every
// verdict in the cache.
func (l *Ledger) preverify(ctx context.Context, txs []*Tx) {
	l.verifyAhead(txs)
	for _, tx := range txs {
		if tx.Kind != KindAnonymous {
			continue
		}
		if key, err := l.GroupKey(tx.Group, tx.Epoch); err == nil {
			_, _ = l.verifier.Verify(ctx, PriorityApply, tx, key)
		} // else the sequential pass reports it
	}
}

// verifyAhead queues, at PriorityApply, the signatures of txs that have
// no verdict, without waiting. A transaction whose group or epoch does not
// exist yet (an earlier block of the batch adds it) is left to Apply.
func (l *Ledger) verifyAhead(txs []*Tx) {
	for _, tx := range txs {
		if tx.Kind != KindAnonymous {
			continue
		}
		if key, err := l.GroupKey(tx.Group, tx.Epoch); err == nil {
			l.verifier.Prefetch(PriorityApply, tx, key)
		}
	}
}

// VerifyAhead queues, at PriorityApply, the verification of the group
// signatures in blocks about to be applied (block sync, a batch of raft
// entries), so that the pool verifies the next blocks while Apply commits
// the current one. It does not wait; raws that do not decode are left to
// Apply to refuse, and blocks at or below the head are skipped: raft
// replays the entries after its last snapshot on every restart, and
// verifying those again cost each node of a restarted network ~5 s of
// CPU that a catching-up observer needed.
func (l *Ledger) VerifyAhead(raws [][]byte) {
	head := l.Head().Height
	for _, raw := range raws {
		if b, err := DecodeBlock(raw); err == nil && b.Height > head {
			l.verifyAhead(b.Txs)
		}
	}
}

// applyGroupTx makes a checked group transaction's change in the view and
// the batch, from what check computed.
func (v *view) applyGroupTx(tx *Tx, height uint64, batch *storage.Batch) error {
	what, ok := v.checked[tx.ID()]
	if !ok && tx.Kind != KindAddGroup {
		return fmt.Errorf("%s %x was not checked before it was applied", tx.Kind, tx.ID())
	}
	switch tx.Kind {
	case KindAddGroup:
		g, ok := what.(*group)
		if !ok {
			return fmt.Errorf("add group %x was not checked before it was applied", tx.ID())
		}
		v.groups[g.name] = g
		v.gids[g.key.GID()] = true
	case KindJoinRequest:
		p := what.(*pendingJoin)
		g := v.mutable(tx.Group)
		h := p.req.Hash()
		g.pending[h] = p
		batch.PutState(pendingKey(g.name, h), p.encode())
	case KindJoinResponse:
		j := what.(*joinEntry)
		g := v.mutable(tx.Group)
		for _, h := range g.admit(j, height) {
			batch.DeleteState(pendingKey(g.name, h))
		}
		batch.PutState(joinKey(g.name, j.rec.Label()), j.encode())
	case KindRevokeMember:
		r := what.(revocation)
		g := v.mutable(tx.Group)
		for _, label := range r.rec.Revoked() {
			j := *g.joins[label]
			j.revokedAt = r.next.Epoch()
			g.joins[label] = &j
			batch.PutState(joinKey(g.name, label), j.encode())
		}
		g.key = r.next
		g.keys[r.next.Epoch()] = r.next
		g.prev = r.rec.Hash()
		batch.PutState(revocationKey(g.name, r.next.Epoch()), tx.Revocation)
	}
	return nil
}

// mutable returns the block's private copy of a group, cloning the
// committed one on first use.
func (v *view) mutable(name string) *group {
	if g, ok := v.groups[name]; ok {
		return g
	}
	g, _ := v.group(name)
	c := g.clone()
	v.groups[name] = c
	return c
}
