package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Key prefixes of the chain database; doc.go has the full schema.
const (
	prefixMeta  = 'm'
	prefixBlock = 'b'
	prefixPart  = 'x'
	prefixHash  = 'h'
	prefixTx    = 't'
	prefixTopic = 'i'
	prefixState = 's'
)

var (
	keyVersion = []byte("mversion")
	keyHead    = []byte("mhead")
)

// schemaVersion is stored at "m" "version"; Open refuses any other value so
// an old binary never misreads a newer layout. Version 2 stores a block as
// its head and one key per transaction (version 1 stored one value per
// block); a version-1 database is refused, not migrated: the node resyncs
// from its peers (see ErrOldSchema).
const schemaVersion = 2

// ErrOldSchema is wrapped by Open's error for a database written by an
// older layout. Nothing is migrated: move the directory away and let the
// node resync its blocks from peers (block sync checks every hash).
var ErrOldSchema = errors.New("chain database has an older layout (not migrated: move it away and resync from peers)")

// MaxTopicLen is the longest topic, in bytes, the topic index accepts.
const MaxTopicLen = 64

// Options tunes the chain database. Zero fields take the DefaultOptions value.
type Options struct {
	// BlockCacheSize is the LevelDB block cache, in bytes.
	BlockCacheSize int
	// WriteBufferSize is the memtable size, in bytes, before a flush.
	WriteBufferSize int
	// BloomBitsPerKey sizes the per-table bloom filter that lets point
	// lookups (hash, tx id) skip tables that lack the key.
	BloomBitsPerKey int
	// OpenFilesCacheCapacity bounds the table files kept open.
	OpenFilesCacheCapacity int
}

// DefaultOptions returns the chain database settings: a 64 MiB block cache,
// a 16 MiB write buffer, 10-bit bloom filters and 256 open table files.
func DefaultOptions() Options {
	return Options{
		BlockCacheSize:         64 << 20,
		WriteBufferSize:        16 << 20,
		BloomBitsPerKey:        10,
		OpenFilesCacheCapacity: 256,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.BlockCacheSize <= 0 {
		o.BlockCacheSize = d.BlockCacheSize
	}
	if o.WriteBufferSize <= 0 {
		o.WriteBufferSize = d.WriteBufferSize
	}
	if o.BloomBitsPerKey <= 0 {
		o.BloomBitsPerKey = d.BloomBitsPerKey
	}
	if o.OpenFilesCacheCapacity <= 0 {
		o.OpenFilesCacheCapacity = d.OpenFilesCacheCapacity
	}
	return o
}

// DB is the chain database. It is safe for concurrent use; a single Batch is
// not.
type DB struct {
	ldb   *leveldb.DB
	dir   string
	fault *Fault
}

// Open opens the chain database in dir, creating it if dir holds none. A
// damaged database is refused with an error wrapping ErrCorrupt that names
// dir; nothing is repaired or dropped.
func Open(dir string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	ldb, err := openLevel("chain database", dir, levelOptions{
		blockCache: opts.BlockCacheSize,
		writeBuf:   opts.WriteBufferSize,
		bloomBits:  opts.BloomBitsPerKey,
		openFiles:  opts.OpenFilesCacheCapacity,
	})
	if err != nil {
		return nil, err
	}
	db := &DB{ldb: ldb, dir: dir, fault: NewFault()}
	if err := db.checkVersion(); err != nil {
		_ = ldb.Close()
		if IsDiskFull(err) {
			return nil, &WriteError{Dir: dir, Err: fmt.Errorf("open chain database: %w", err)}
		}
		return nil, fmt.Errorf("open chain database %s: %w", dir, err)
	}
	return db, nil
}

// Fault latches the database's first failed write; after it every Commit
// returns that error.
func (db *DB) Fault() *Fault { return db.fault }

func (db *DB) checkVersion() error {
	v, err := db.ldb.Get(keyVersion, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		// A new database, or one that never committed: stamp it.
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], schemaVersion)
		if err := db.ldb.Put(keyVersion, b[:], syncWrite); err != nil {
			return fmt.Errorf("write schema version: %w", wrapCorrupt(err))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", wrapCorrupt(err))
	}
	if len(v) != 4 {
		return fmt.Errorf("schema version record has %d bytes: %w", len(v), ErrCorrupt)
	}
	if got := binary.BigEndian.Uint32(v); got < schemaVersion {
		return fmt.Errorf("schema version %d, this build reads version %d: %w", got, schemaVersion, ErrOldSchema)
	} else if got != schemaVersion {
		return fmt.Errorf("schema version %d, this build reads version %d", got, schemaVersion)
	}
	return nil
}

// Close closes the database. Batches and readers fail afterwards.
func (db *DB) Close() error {
	if err := db.ldb.Close(); err != nil {
		return fmt.Errorf("close chain database %s: %w", db.dir, err)
	}
	return nil
}

// TopicSeq is the topic-index sequence number the chain uses for the
// transaction at position index of block height: it grows in commit order.
// Heights must stay below 2^32 (136 years at one block a second).
func TopicSeq(height uint64, index uint32) uint64 {
	return height<<32 | uint64(index)
}

func be64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func blockKey(h uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixBlock
	binary.BigEndian.PutUint64(k[1:], h)
	return k
}

// partKey is "x" ‖ height ‖ index: the index-th part of block height's
// body (a transaction, for the chain).
func partKey(h uint64, i uint32) []byte {
	k := make([]byte, 13)
	k[0] = prefixPart
	binary.BigEndian.PutUint64(k[1:], h)
	binary.BigEndian.PutUint32(k[9:], i)
	return k
}

// partRange covers every part of block height.
func partRange(h uint64) *util.Range {
	return util.BytesPrefix(partKey(h, 0)[:9])
}

func hashKey(hash [32]byte) []byte {
	return append([]byte{prefixHash}, hash[:]...)
}

func txKey(id [32]byte) []byte {
	return append([]byte{prefixTx}, id[:]...)
}

// topicPrefix is "i" ‖ len ‖ topic; the caller has checked the length.
func topicPrefix(topic string) []byte {
	k := make([]byte, 0, 2+len(topic)+8)
	k = append(k, prefixTopic, byte(len(topic)))
	return append(k, topic...)
}

func stateKey(key []byte) []byte {
	return append([]byte{prefixState}, key...)
}

// Head returns the height and hash last set with Batch.SetHead; ok is false
// on a database that has committed no head yet.
func (db *DB) Head() (height uint64, hash [32]byte, ok bool, err error) {
	v, err := db.ldb.Get(keyHead, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return 0, hash, false, nil
	}
	if err != nil {
		return 0, hash, false, fmt.Errorf("read head: %w", wrapCorrupt(err))
	}
	if len(v) != 8+32 {
		return 0, hash, false, fmt.Errorf("read head: record has %d bytes: %w", len(v), ErrCorrupt)
	}
	copy(hash[:], v[8:])
	return binary.BigEndian.Uint64(v), hash, true, nil
}

// BlockByHeight returns the encoded block at height h: exactly the bytes
// given to Batch.PutBlock, its head followed by its parts in order.
func (db *DB) BlockByHeight(h uint64) ([]byte, error) {
	v, err := db.ldb.Get(blockKey(h), nil)
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", h, notFound(err))
	}
	blk, err := db.assemble(h, v)
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", h, err)
	}
	return blk, nil
}

// assemble rebuilds block h from its head record and its parts.
func (db *DB) assemble(h uint64, rec []byte) ([]byte, error) {
	head, parts, size, err := decodeBlockRecord(rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	blk := make([]byte, 0, size)
	blk = append(blk, head...)
	if parts == 0 {
		if len(blk) != int(size) {
			return nil, fmt.Errorf("%d bytes, record says %d: %w", len(blk), size, ErrCorrupt)
		}
		return blk, nil
	}
	it := db.ldb.NewIterator(partRange(h), nil)
	defer it.Release()
	n := uint32(0)
	for it.Next() {
		k := it.Key()
		if len(k) != 13 || binary.BigEndian.Uint32(k[9:]) != n {
			return nil, fmt.Errorf("part %d: unexpected key %x: %w", n, k, ErrCorrupt)
		}
		blk = append(blk, it.Value()...)
		n++
	}
	if err := it.Error(); err != nil {
		return nil, wrapCorrupt(err)
	}
	if n != parts || uint64(len(blk)) != size {
		return nil, fmt.Errorf("%d parts and %d bytes, record says %d and %d: %w", n, len(blk), parts, size, ErrCorrupt)
	}
	return blk, nil
}

// BlockPart returns part index of block height as given to Batch.PutBlock
// (for the chain: one transaction). It reads that part alone, so its cost
// does not grow with the block.
func (db *DB) BlockPart(height uint64, index uint32) ([]byte, error) {
	v, err := db.ldb.Get(partKey(height, index), nil)
	if err != nil {
		return nil, fmt.Errorf("read block %d part %d: %w", height, index, notFound(err))
	}
	return v, nil
}

// HeightByHash returns the height of the block with the given hash.
func (db *DB) HeightByHash(hash [32]byte) (uint64, error) {
	v, err := db.ldb.Get(hashKey(hash), nil)
	if err != nil {
		return 0, fmt.Errorf("read height of block %x: %w", hash, notFound(err))
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("read height of block %x: record has %d bytes: %w", hash, len(v), ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}

// TxLocation returns the height of the block holding transaction id and the
// transaction's position in that block.
func (db *DB) TxLocation(id [32]byte) (height uint64, index uint32, err error) {
	v, err := db.ldb.Get(txKey(id), nil)
	if err != nil {
		return 0, 0, fmt.Errorf("read location of tx %x: %w", id, notFound(err))
	}
	height, index, err = decodeTxLocation(v)
	if err != nil {
		return 0, 0, fmt.Errorf("read location of tx %x: %w: %w", id, ErrCorrupt, err)
	}
	return height, index, nil
}

// TopicTxs pages through the transactions indexed under topic, in seq order.
// It returns up to limit ids that come strictly after the cursor after (nil
// starts at the beginning) and the cursor of the last id returned; when no id
// is returned, next equals after, so a caller can keep polling a topic's tail
// with the cursor it holds. A page shorter than limit means the end was
// reached for now. Cursors are opaque 8-byte values (the entry's seq).
func (db *DB) TopicTxs(topic string, after []byte, limit int) (ids [][32]byte, next []byte, err error) {
	if len(topic) > MaxTopicLen {
		return nil, nil, fmt.Errorf("read topic %q: %d bytes, more than %d", topic, len(topic), MaxTopicLen)
	}
	if limit <= 0 {
		return nil, nil, fmt.Errorf("read topic %q: limit %d, must be positive", topic, limit)
	}
	if after != nil && len(after) != 8 {
		return nil, nil, fmt.Errorf("read topic %q: cursor has %d bytes, want 8", topic, len(after))
	}
	prefix := topicPrefix(topic)
	rng := util.BytesPrefix(prefix)
	if after != nil {
		// prefix ‖ after ‖ 0x00 sorts just past the cursor's own key.
		rng.Start = append(append(append([]byte{}, prefix...), after...), 0)
	}
	it := db.ldb.NewIterator(rng, nil)
	defer it.Release()
	next = after
	for len(ids) < limit && it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(prefix)+8 || len(v) != 32 {
			return nil, nil, fmt.Errorf("read topic %q: malformed entry %x: %w", topic, k, ErrCorrupt)
		}
		var id [32]byte
		copy(id[:], v)
		ids = append(ids, id)
		next = append([]byte(nil), k[len(prefix):]...)
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("read topic %q: %w", topic, wrapCorrupt(err))
	}
	return ids, next, nil
}

// GetState returns the chain state value stored under key.
func (db *DB) GetState(key []byte) ([]byte, error) {
	v, err := db.ldb.Get(stateKey(key), nil)
	if err != nil {
		return nil, fmt.Errorf("read state %q: %w", key, notFound(err))
	}
	return v, nil
}

// IterateState calls fn for every state key starting with prefix, in key
// order, stopping at and returning the first error fn returns. key and value
// are copies the callee may keep.
func (db *DB) IterateState(prefix []byte, fn func(key, value []byte) error) error {
	it := db.ldb.NewIterator(util.BytesPrefix(stateKey(prefix)), nil)
	defer it.Release()
	for it.Next() {
		k := bytes.Clone(it.Key()[1:])
		if err := fn(k, bytes.Clone(it.Value())); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("iterate state %q: %w", prefix, wrapCorrupt(err))
	}
	return nil
}

// IterateBlocks calls fn for each stored block with from <= height <= to, in
// height order, stopping at and returning the first error fn returns. block
// is a copy the callee may keep.
func (db *DB) IterateBlocks(from, to uint64, fn func(height uint64, block []byte) error) error {
	if from > to {
		return nil
	}
	rng := &util.Range{Start: blockKey(from)}
	if to < ^uint64(0) {
		rng.Limit = blockKey(to + 1)
	} else {
		rng.Limit = []byte{prefixBlock + 1}
	}
	it := db.ldb.NewIterator(rng, nil)
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != 9 {
			return fmt.Errorf("iterate blocks: malformed key %x: %w", k, ErrCorrupt)
		}
		h := binary.BigEndian.Uint64(k[1:])
		blk, err := db.assemble(h, it.Value())
		if err != nil {
			return fmt.Errorf("iterate blocks: block %d: %w", h, err)
		}
		if err := fn(h, blk); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("iterate blocks %d..%d: %w", from, to, wrapCorrupt(err))
	}
	return nil
}

// notFound maps goleveldb's not-found to ErrNotFound and tags corruption.
func notFound(err error) error {
	if errors.Is(err, leveldb.ErrNotFound) {
		return ErrNotFound
	}
	return wrapCorrupt(err)
}
