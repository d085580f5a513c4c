package chain

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/groupsig/bbs04"
	"github.com/veilchain/veil/storage"
	"golang.org/x/sync/errgroup"
)

// Config tunes a Ledger.
type Config struct {
	// VerdictCacheSize bounds the remembered signature verdicts; it should
	// hold at least a full mempool plus a few blocks.
	VerdictCacheSize int
	// Workers is how many signatures are verified at once.
	Workers int
	// Logger receives the ledger's logs.
	Logger *slog.Logger
	// OnVerify, if set, is told how long each group signature check took
	// (for a latency histogram).
	OnVerify func(time.Duration)
}

// DefaultConfig returns the defaults: 200,000 verdicts, one worker a core.
func DefaultConfig() Config {
	return Config{VerdictCacheSize: 200_000, Workers: runtime.GOMAXPROCS(0), Logger: slog.Default()}
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
	db         *storage.DB
	gen        *Genesis
	cfg        Config
	verdicts   *VerdictCache
	validators map[string]ed25519.PublicKey

	verifications atomic.Int64 // group signatures verified, ever

	applyMu sync.Mutex
	mu      sync.RWMutex // guards head and groups; group values are never mutated once published
	head    Head
	groups  map[string]*group
	revoked map[string]bool // node ids whose certificates are revoked
}

// ErrAlreadyApplied is returned by Apply for a block at or below the head
// that matches the stored one: raft re-applies entries after a restart.
var ErrAlreadyApplied = errors.New("block already applied")

// ErrBlockRejected wraps the reason a block was not applied: not the next
// block, not signed by a validator, malformed. Every node reaches the same
// verdict, so every node skips it alike.
var ErrBlockRejected = errors.New("block rejected")

// Open loads the ledger from db, writing the genesis state first if db is
// empty. It refuses a database made from another genesis.
func Open(db *storage.DB, gen *Genesis, cfg Config) (*Ledger, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	def := DefaultConfig()
	if cfg.VerdictCacheSize <= 0 {
		cfg.VerdictCacheSize = def.VerdictCacheSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = def.Workers
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	l := &Ledger{db: db, gen: gen, cfg: cfg, verdicts: NewVerdictCache(cfg.VerdictCacheSize),
		validators: map[string]ed25519.PublicKey{}, groups: map[string]*group{}, revoked: map[string]bool{}}
	for _, v := range gen.Validators {
		l.validators[v.ID] = v.PublicKey
	}
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
			return nil, fmt.Errorf("open ledger: the database belongs to another chain (genesis %x, this config's %x)", stored[:8], genHash[:8])
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
	if err := l.loadGroups(); err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	err = db.IterateState([]byte(stateNode), func(k, _ []byte) error {
		l.revoked[string(k[len(stateNode):])] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open ledger: revoked nodes: %w", err)
	}
	return l, nil
}

func (l *Ledger) writeGenesis(genHash [32]byte) error {
	b := l.db.NewBatch()
	for _, gg := range l.gen.Groups {
		pk := new(bbs04.PublicKey)
		if err := pk.UnmarshalBinary(gg.PublicKey); err != nil {
			return err
		}
		g := &group{name: gg.Name, key: pk, keys: map[uint64]*bbs04.PublicKey{0: pk}, admin: gg.AdminKey, members: map[string]*member{}}
		b.PutState([]byte(stateGroup+g.name), encodeGroupHeader(g))
		b.PutState(groupKeyKey(g.name, 0), gg.PublicKey)
	}
	b.PutState([]byte(stateGenesis), genHash[:])
	b.SetHead(0, genHash)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("write genesis state: %w", err)
	}
	return nil
}

func (l *Ledger) loadGroups() error {
	return l.db.IterateState([]byte(stateGroup), func(k, v []byte) error {
		name := string(k[len(stateGroup):])
		epoch, admin, err := decodeGroupHeader(v)
		if err != nil {
			return fmt.Errorf("group %q: %w: %w", name, err, storage.ErrCorrupt)
		}
		g := &group{name: name, admin: admin, keys: map[uint64]*bbs04.PublicKey{}, members: map[string]*member{}}
		for e := uint64(0); e <= epoch; e++ {
			raw, err := l.db.GetState(groupKeyKey(name, e))
			if err != nil {
				return fmt.Errorf("group %q key at epoch %d: %w", name, e, err)
			}
			pk := new(bbs04.PublicKey)
			if err := pk.UnmarshalBinary(raw); err != nil {
				return fmt.Errorf("group %q key at epoch %d: %w: %w", name, e, err, storage.ErrCorrupt)
			}
			g.keys[e] = pk
		}
		g.key = g.keys[epoch]
		prefix := memberPrefix(name)
		err = l.db.IterateState(prefix, func(k, v []byte) error {
			m, err := decodeMember(v)
			if err != nil {
				return fmt.Errorf("group %q member %q: %w: %w", name, k[len(prefix):], err, storage.ErrCorrupt)
			}
			g.members[string(k[len(prefix):])] = m
			return nil
		})
		l.groups[name] = g
		return err
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

// Verdicts is the ledger's signature verdict cache, shared with the
// mempool.
func (l *Ledger) Verdicts() *VerdictCache { return l.verdicts }

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

// currentKey returns a group's key at its current epoch.
func (l *Ledger) currentKey(name string) (*bbs04.PublicKey, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	g, ok := l.groups[name]
	if !ok {
		return nil, errorf(ErrUnknownGroup, "no group %q", name)
	}
	return g.key, nil
}

// GroupKey returns a group's public key at an epoch, current or past.
func (l *Ledger) GroupKey(name string, epoch uint64) (*bbs04.PublicKey, error) {
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
	b, err := l.Block(h)
	if err != nil {
		return nil, TxLocation{}, err
	}
	if int(i) >= len(b.Txs) {
		return nil, TxLocation{}, fmt.Errorf("tx %x: index %d past block %d: %w", id[:8], i, h, storage.ErrCorrupt)
	}
	return b.Txs[i], TxLocation{Height: h, Index: i}, nil
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
	groups  map[string]*group // nil for the committed state alone
	ids     map[[32]byte]bool // ids made valid earlier in this block
	revoked map[string]bool   // nodes revoked earlier in this block
	// nextKeys holds the key each checked revocation moves its group to,
	// so that applying it does not verify the record's pairings again.
	nextKeys map[[32]byte]*bbs04.PublicKey
}

func (v *view) nodeRevoked(id string) bool {
	if v.revoked[id] {
		return true
	}
	v.l.mu.RLock()
	defer v.l.mu.RUnlock()
	return v.l.revoked[id]
}

func (l *Ledger) currentView() *view {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return &view{l: l, base: l.head.Height}
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

// CheckTx validates tx against the current chain state for admission to
// the mempool, verifying its signature unless a verdict is remembered. It
// does not know what is pending: the mempool checks that.
func (l *Ledger) CheckTx(tx *Tx) error {
	return l.currentView().check(tx)
}

// check applies every rule; on success it returns nil and, for a
// transaction that changes state, leaves the change out (apply does that).
func (v *view) check(tx *Tx) error {
	key, err := v.precheck(tx)
	if err != nil {
		return err
	}
	return v.l.checkAuth(tx, key, v)
}

// precheck applies every rule but the signature, and returns the group key
// an anonymous signature must verify under.
func (v *view) precheck(tx *Tx) (*bbs04.PublicKey, error) {
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
	if tx.Kind == KindRevokeNode {
		if v.nodeRevoked(tx.Node) {
			return nil, errorf(ErrConflict, "node %q is already revoked", tx.Node)
		}
		return nil, nil
	}
	g, ok := v.group(tx.Group)
	if tx.Kind == KindAddGroup {
		if ok {
			return nil, errorf(ErrConflict, "group %q already exists", tx.Group)
		}
		var pk bbs04.PublicKey
		if err := pk.UnmarshalBinary(tx.GroupKey); err != nil {
			return nil, errorf(ErrMalformed, "group key: %v", err)
		}
		if pk.Epoch() != 0 {
			return nil, errorf(ErrMalformed, "a new group's key must be at epoch 0, not %d", pk.Epoch())
		}
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
		return g.key, nil
	case KindRegisterMember:
		if _, dup := g.members[tx.Label]; dup {
			return nil, errorf(ErrConflict, "group %q already has a member %q", tx.Group, tx.Label)
		}
		if err := new(bbs04.Identity).UnmarshalBinary(tx.Identity[:]); err != nil {
			return nil, errorf(ErrMalformed, "member identity: %v", err)
		}
	case KindRevokeMember:
		next, err := checkRevocation(g, tx)
		if err != nil {
			return nil, err
		}
		if v.nextKeys != nil {
			v.nextKeys[tx.ID()] = next
		}
	}
	return nil, nil
}

// checkRevocation checks a revocation against the group: the record
// verifies with pairings under the current key and revokes the member the
// label names, and the updates list every remaining member exactly once.
// It returns the group's key of the new epoch.
func checkRevocation(g *group, tx *Tx) (*bbs04.PublicKey, error) {
	m, ok := g.members[tx.Label]
	if !ok || m.revokedAt != 0 {
		return nil, errorf(ErrConflict, "group %q has no current member %q", tx.Group, tx.Label)
	}
	var rec bbs04.RevocationRecord
	if err := rec.UnmarshalBinary(tx.Revocation); err != nil {
		return nil, errorf(ErrInvalidRevocation, "%v", err)
	}
	if rec.Revoked() != m.current() {
		return nil, errorf(ErrInvalidRevocation, "the record revokes another member than %q", tx.Label)
	}
	next, err := bbs04.VerifyRevocation(g.key, &rec)
	if err != nil {
		return nil, errorf(ErrInvalidRevocation, "%v", err)
	}
	want := g.remaining()
	if len(tx.Updates) != len(want)-1 {
		return nil, errorf(ErrInvalidRevocation, "%d member updates, the group has %d remaining members", len(tx.Updates), len(want)-1)
	}
	seen := make(map[string]bool, len(tx.Updates))
	for _, u := range tx.Updates {
		other, ok := g.members[u.Label]
		if !ok || other.revokedAt != 0 || u.Label == tx.Label || seen[u.Label] {
			return nil, errorf(ErrInvalidRevocation, "update for %q: not a remaining member, or listed twice", u.Label)
		}
		if err := new(bbs04.Identity).UnmarshalBinary(u.Identity[:]); err != nil {
			return nil, errorf(ErrInvalidRevocation, "update for %q: %v", u.Label, err)
		}
		seen[u.Label] = true
	}
	return next, nil
}

// checkAuth checks the transaction's signature: the group signature under
// key (through the verdict cache) or the right admin's Ed25519 signature.
func (l *Ledger) checkAuth(tx *Tx, key *bbs04.PublicKey, v *view) error {
	id := tx.ID()
	switch tx.Kind {
	case KindAnonymous:
		valid, ok := l.verdicts.Get(tx)
		if !ok {
			valid = l.verify(key, tx)
		}
		if !valid {
			return errorf(ErrBadSignature, "group signature does not verify under %q epoch %d", tx.Group, tx.Epoch)
		}
		return nil
	case KindAddGroup, KindRevokeNode:
		if !ed25519.Verify(l.gen.AdminKey, id[:], tx.Auth) {
			return errorf(ErrBadAdminSignature, "not signed by the consortium admin key")
		}
		return nil
	default:
		g, _ := v.group(tx.Group)
		if !ed25519.Verify(g.admin, id[:], tx.Auth) {
			return errorf(ErrBadAdminSignature, "not signed by group %q's issuer admin key", tx.Group)
		}
		return nil
	}
}

// verify checks an anonymous transaction's group signature and remembers
// the verdict.
func (l *Ledger) verify(key *bbs04.PublicKey, tx *Tx) bool {
	l.verifications.Add(1)
	id := tx.ID()
	start := time.Now()
	valid := bbs04.Verify(key, id[:], tx.Auth) == nil
	if l.cfg.OnVerify != nil {
		l.cfg.OnVerify(time.Since(start))
	}
	l.verdicts.Put(tx, valid)
	return valid
}

// Verifications counts the group signatures this ledger has verified; with
// the verdict cache, each transaction is verified once per node.
func (l *Ledger) Verifications() int64 { return l.verifications.Load() }

// Applied is the outcome of applying one block.
type Applied struct {
	Block *Block
	Codes []Code // one per transaction
}

// Apply validates a block and commits it with its indexes and state
// changes in one synced batch. A transaction that fails validation stays
// in the block, marked with its code; it has no effect. A block that is not
// a well-formed, validator-signed next block is refused with an error
// wrapping ErrBlockRejected, and a block already committed returns
// ErrAlreadyApplied: both leave the ledger unchanged, on every node alike.
func (l *Ledger) Apply(ctx context.Context, raw []byte) (*Applied, error) {
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
	v := &view{l: l, base: b.Height - 1, groups: map[string]*group{}, ids: map[[32]byte]bool{}, revoked: map[string]bool{},
		nextKeys: map[[32]byte]*bbs04.PublicKey{}}
	batch := l.db.NewBatch()
	codes := make([]Code, len(b.Txs))
	codeBytes := make([]byte, len(b.Txs))
	changedMembers := map[string]map[string]bool{}
	for i, tx := range b.Txs {
		err := v.check(tx)
		codes[i], codeBytes[i] = CodeOf(err), byte(CodeOf(err))
		if err != nil {
			continue
		}
		id := tx.ID()
		v.ids[id] = true
		batch.PutTx(id, b.Height, uint32(i))
		if tx.Kind == KindAnonymous {
			batch.AddTopicTx(tx.Topic, storage.TopicSeq(b.Height, uint32(i)), id)
			continue
		}
		if tx.Kind == KindRevokeNode {
			v.revoked[tx.Node] = true
			batch.PutState([]byte(stateNode+tx.Node), binary.BigEndian.AppendUint64(nil, b.Height))
			continue
		}
		if err := v.applyAdmin(tx, batch, changedMembers); err != nil {
			// check passed, so this is a bug or a storage fault: do not
			// commit a block some nodes might apply differently.
			return nil, fmt.Errorf("apply block %d tx %d: %w", b.Height, i, err)
		}
	}
	for name, labels := range changedMembers {
		g := v.groups[name]
		for label := range labels {
			batch.PutState(memberKey(name, label), g.members[label].encode())
		}
	}
	batch.PutBlock(b.Height, hash, raw)
	batch.PutState(resultsKey(b.Height), codeBytes)
	batch.SetHead(b.Height, hash)
	if err := batch.Commit(); err != nil {
		return nil, fmt.Errorf("commit block %d: %w", b.Height, err)
	}
	l.mu.Lock()
	for name, g := range v.groups {
		l.groups[name] = g
	}
	for id := range v.revoked {
		l.revoked[id] = true
	}
	l.head = Head{Height: b.Height, Hash: hash, Time: b.Time}
	l.mu.Unlock()
	return &Applied{Block: b, Codes: codes}, nil
}

func (l *Ledger) checkHeader(b *Block, head Head, hash [32]byte) error {
	switch {
	case b.ChainID != l.gen.ChainID:
		return errorf(ErrWrongChain, "block for chain %q", b.ChainID)
	case b.Height != head.Height+1:
		return fmt.Errorf("block %d does not follow head %d", b.Height, head.Height)
	case b.PrevHash != head.Hash:
		return fmt.Errorf("block %d does not extend head %x", b.Height, head.Hash[:8])
	case b.Time < head.Time:
		return fmt.Errorf("block %d time goes backwards", b.Height)
	case len(b.Txs) > MaxBlockTxs:
		return errorf(ErrTooLarge, "block %d holds %d transactions", b.Height, len(b.Txs))
	}
	key, ok := l.validators[b.Proposer]
	if !ok {
		return fmt.Errorf("block %d proposer %q is not a validator", b.Height, b.Proposer)
	}
	l.mu.RLock()
	revoked := l.revoked[b.Proposer]
	l.mu.RUnlock()
	if revoked {
		return fmt.Errorf("block %d proposer %q has a revoked certificate", b.Height, b.Proposer)
	}
	if !ed25519.Verify(key, hash[:], b.Signature) {
		return fmt.Errorf("block %d: bad proposer signature", b.Height)
	}
	return nil
}

// preverify verifies, on all workers, the group signatures of a block's
// transactions that have no remembered verdict, so that the sequential
// pass finds every verdict in the cache.
func (l *Ledger) preverify(ctx context.Context, txs []*Tx) {
	g, _ := errgroup.WithContext(ctx)
	g.SetLimit(l.cfg.Workers)
	for _, tx := range txs {
		if tx.Kind != KindAnonymous {
			continue
		}
		if _, ok := l.verdicts.Get(tx); ok {
			continue
		}
		key, err := l.GroupKey(tx.Group, tx.Epoch)
		if err != nil {
			continue // the sequential pass reports it
		}
		g.Go(func() error {
			l.verify(key, tx)
			return nil
		})
	}
	_ = g.Wait()
}

// applyAdmin makes an admin transaction's change in the view and the
// batch; check has already passed.
func (v *view) applyAdmin(tx *Tx, batch *storage.Batch, changed map[string]map[string]bool) error {
	touch := func(g *group, label string) {
		if changed[g.name] == nil {
			changed[g.name] = map[string]bool{}
		}
		changed[g.name][label] = true
	}
	switch tx.Kind {
	case KindAddGroup:
		pk := new(bbs04.PublicKey)
		if err := pk.UnmarshalBinary(tx.GroupKey); err != nil {
			return err
		}
		g := &group{name: tx.Group, key: pk, keys: map[uint64]*bbs04.PublicKey{0: pk}, admin: tx.AdminKey, members: map[string]*member{}}
		v.groups[g.name] = g
		batch.PutState([]byte(stateGroup+g.name), encodeGroupHeader(g))
		batch.PutState(groupKeyKey(g.name, 0), tx.GroupKey)
	case KindRegisterMember:
		g := v.mutable(tx.Group)
		g.members[tx.Label] = &member{joined: g.epoch(), as: []bbs04.Identity{tx.Identity}}
		touch(g, tx.Label)
	case KindRevokeMember:
		g := v.mutable(tx.Group)
		pk, ok := v.nextKeys[tx.ID()]
		if !ok {
			return fmt.Errorf("revocation %x was not checked before it was applied", tx.ID())
		}
		revoked := *g.members[tx.Label]
		revoked.revokedAt = pk.Epoch()
		g.members[tx.Label] = &revoked
		touch(g, tx.Label)
		for _, u := range tx.Updates {
			m := *g.members[u.Label]
			m.as = append(append([]bbs04.Identity(nil), m.as...), u.Identity)
			g.members[u.Label] = &m
			touch(g, u.Label)
		}
		g.key = pk
		g.keys[pk.Epoch()] = pk
		enc, _ := pk.MarshalBinary()
		batch.PutState([]byte(stateGroup+g.name), encodeGroupHeader(g))
		batch.PutState(groupKeyKey(g.name, pk.Epoch()), enc)
		batch.PutState(revocationKey(g.name, pk.Epoch()), tx.Revocation)
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
