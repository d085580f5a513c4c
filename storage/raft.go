package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/raft"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Key prefixes of the raft database; doc.go has the full schema.
const (
	prefixLog    = 'l'
	prefixStable = 'k'
)

// ErrKeyNotFound is returned by RaftStore.Get and GetUint64 for a missing
// key. Its text is exactly "not found" because raft compares error text, not
// identity (api.go, raft.go in hashicorp/raft).
var ErrKeyNotFound = errors.New("not found")

var (
	_ raft.LogStore    = (*RaftStore)(nil)
	_ raft.StableStore = (*RaftStore)(nil)
)

// RaftStore is raft's LogStore and StableStore on a LevelDB of its own. Every
// write is synced before it returns. It is safe for concurrent use.
type RaftStore struct {
	ldb   *leveldb.DB
	dir   string
	fault *Fault

	// mu serialises log writes with the cached bounds. The bounds are cached
	// because after a DeleteRange LevelDB must skip every tombstone to find
	// the first key, until compaction drops them.
	mu          sync.Mutex
	nonEmpty    bool
	first, last uint64 // valid when nonEmpty
	bytes       uint64 // encoded bytes of the stored entries

	// compact asks the compactor to reclaim truncated entries; done stops
	// it and compacted tells Close it has.
	compact, done, compacted chan struct{}
}

// RaftLogPolicy sizes raft log compaction by bytes rather than by entry
// count, because entries are whole blocks whose size ranges from a few
// hundred bytes to MaxBlockBytes: a count that suits small blocks keeps
// gigabytes of full ones. Blocks live in the chain database and a raft
// snapshot records only the head, so the log is only the window in which a
// lagging follower catches up by log replication; one further behind gets
// a snapshot and fetches blocks by block sync.
type RaftLogPolicy struct {
	// MaxBytes: compact (take a snapshot) once the stored log holds more
	// than this many encoded bytes.
	MaxBytes uint64
	// KeepBytes: a compaction keeps the newest entries worth about this
	// many bytes, at the log's mean entry size.
	KeepBytes uint64
	// MinEntries: a compaction keeps at least this many entries.
	MinEntries uint64
}

// DefaultRaftLogPolicy compacts at 4 MiB and keeps 2 MiB, at least 2
// entries: about two full 2,000-transaction blocks, or thousands of small
// ones. At 100,000 transactions that bounds the log to a few percent of the
// chain database (see chain's BenchmarkDiskPerTx).
func DefaultRaftLogPolicy() RaftLogPolicy {
	return RaftLogPolicy{MaxBytes: 4 << 20, KeepBytes: 2 << 20, MinEntries: 2}
}

// Compact reports whether a log of entries entries and size bytes is due
// for compaction and, if so, how many of its newest entries to keep (raft's
// TrailingLogs).
func (p RaftLogPolicy) Compact(entries, size uint64) (keep uint64, due bool) {
	if entries == 0 || size <= p.MaxBytes {
		return 0, false
	}
	mean := max(1, size/entries)
	return max(p.MinEntries, p.KeepBytes/mean), true
}

// OpenRaftStore opens (creating if needed) the raft database in dir. A
// damaged database is refused with an error wrapping ErrCorrupt.
func OpenRaftStore(dir string) (*RaftStore, error) {
	ldb, err := openLevel("raft database", dir, levelOptions{
		blockCache: 8 << 20,
		writeBuf:   8 << 20,
		bloomBits:  10,
		openFiles:  64,
	})
	if err != nil {
		return nil, err
	}
	s := &RaftStore{ldb: ldb, dir: dir, fault: NewFault(), compact: make(chan struct{}, 1), done: make(chan struct{}), compacted: make(chan struct{})}
	if s.first, s.last, s.nonEmpty, err = s.scanBounds(0, ^uint64(0)); err != nil {
		_ = ldb.Close()
		return nil, fmt.Errorf("open raft database %s: %w", dir, err)
	}
	if s.bytes, err = s.sumBytes(); err != nil {
		_ = ldb.Close()
		return nil, fmt.Errorf("open raft database %s: %w", dir, err)
	}
	go s.compactor()
	return s, nil
}

// sumBytes adds up the encoded size of every stored entry.
func (s *RaftStore) sumBytes() (uint64, error) {
	if !s.nonEmpty {
		return 0, nil
	}
	it := s.ldb.NewIterator(logRange(s.first, s.last), nil)
	defer it.Release()
	var n uint64
	for it.Next() {
		n += uint64(len(it.Value()))
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("size raft log: %w", wrapCorrupt(err))
	}
	return n, nil
}

// compactor reclaims the disk of truncated entries. LevelDB keeps a
// deleted value in its tables until a compaction meets its tombstone, and
// with whole blocks as values that garbage would be many times the live
// log: measured, four level-0 tables of up to 8 MiB each before LevelDB
// compacts on its own. So every truncation is followed, in the background
// and one at a time, by a compaction of the log's key range.
func (s *RaftStore) compactor() {
	defer close(s.compacted)
	for {
		select {
		case <-s.done:
			return
		case <-s.compact:
		}
		// Errors here only leave garbage for LevelDB's own compactions;
		// a closed database reports one and the loop then sees done.
		_ = s.ldb.CompactRange(util.Range{Start: []byte{prefixLog}, Limit: []byte{prefixLog + 1}})
	}
}

// Fault latches the store's first failed write; after it every write
// returns that error. raft itself only logs a failed log write (a
// follower refuses the entries, a leader steps down) and panics on a
// failed term write, so the node watches this and stops.
func (s *RaftStore) Fault() *Fault { return s.fault }

// LogSize returns the number of stored entries and their encoded bytes.
func (s *RaftStore) LogSize() (entries, size uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nonEmpty {
		return 0, 0
	}
	return s.last - s.first + 1, s.bytes
}

// Close closes the database.
func (s *RaftStore) Close() error {
	close(s.done)
	<-s.compacted
	if err := s.ldb.Close(); err != nil {
		return fmt.Errorf("close raft database %s: %w", s.dir, err)
	}
	return nil
}

func logKey(i uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixLog
	binary.BigEndian.PutUint64(k[1:], i)
	return k
}

// logRange covers log keys lo..hi inclusive.
func logRange(lo, hi uint64) *util.Range {
	r := &util.Range{Start: logKey(lo)}
	if hi < ^uint64(0) {
		r.Limit = logKey(hi + 1)
	} else {
		r.Limit = []byte{prefixLog + 1}
	}
	return r
}

// scanBounds returns the lowest and highest stored log index within lo..hi;
// found is false if there is none.
func (s *RaftStore) scanBounds(lo, hi uint64) (first, last uint64, found bool, err error) {
	it := s.ldb.NewIterator(logRange(lo, hi), nil)
	defer it.Release()
	if it.First() {
		first, found = binary.BigEndian.Uint64(it.Key()[1:]), true
		if it.Last() {
			last = binary.BigEndian.Uint64(it.Key()[1:])
		}
	}
	if err := it.Error(); err != nil {
		return 0, 0, false, fmt.Errorf("scan raft log bounds: %w", wrapCorrupt(err))
	}
	return first, last, found, nil
}

// FirstIndex returns the lowest stored log index, 0 when the log is empty.
func (s *RaftStore) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nonEmpty {
		return 0, nil
	}
	return s.first, nil
}

// LastIndex returns the highest stored log index, 0 when the log is empty.
func (s *RaftStore) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.nonEmpty {
		return 0, nil
	}
	return s.last, nil
}

// GetLog reads the entry at index into log; raft.ErrLogNotFound if absent.
func (s *RaftStore) GetLog(index uint64, log *raft.Log) error {
	v, err := s.ldb.Get(logKey(index), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return fmt.Errorf("read raft log %d: %w", index, wrapCorrupt(err))
	}
	if err := decodeLog(v, log); err != nil {
		return fmt.Errorf("read raft log %d: %w: %w", index, ErrCorrupt, err)
	}
	if log.Index != index {
		return fmt.Errorf("read raft log %d: entry says index %d: %w", index, log.Index, ErrCorrupt)
	}
	return nil
}

// StoreLog stores one entry, synced.
func (s *RaftStore) StoreLog(log *raft.Log) error {
	return s.StoreLogs([]*raft.Log{log})
}

// StoreLogs stores entries in one synced batch: all or none of them persist.
// Indexes need not be contiguous with those already stored.
func (s *RaftStore) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	var b leveldb.Batch
	var buf []byte
	var added uint64
	lo, hi := logs[0].Index, logs[0].Index
	for _, l := range logs {
		var err error
		if buf, err = appendLog(buf[:0], l); err != nil {
			return err
		}
		b.Put(logKey(l.Index), buf) // Put copies buf into the batch.
		added += uint64(len(buf))
		lo, hi = min(lo, l.Index), max(hi, l.Index)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault.Err(); err != nil {
		return err
	}
	// Raft deletes a conflicting suffix before it overwrites, so this is
	// rare; it keeps the byte count exact when an index is stored twice.
	var replaced uint64
	if s.nonEmpty && lo <= s.last && hi >= s.first {
		for _, l := range logs {
			if old, err := s.ldb.Get(logKey(l.Index), nil); err == nil {
				replaced += uint64(len(old))
			}
		}
	}
	if err := s.ldb.Write(&b, syncWrite); err != nil {
		return s.fault.fail(s.dir, fmt.Errorf("store raft logs %d..%d: %w", lo, hi, wrapCorrupt(err)))
	}
	s.bytes = s.bytes + added - replaced
	if !s.nonEmpty {
		s.first, s.last, s.nonEmpty = lo, hi, true
	} else {
		s.first, s.last = min(s.first, lo), max(s.last, hi)
	}
	return nil
}

// DeleteRange deletes the entries lo..hi, inclusive, in one synced batch.
func (s *RaftStore) DeleteRange(lo, hi uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault.Err(); err != nil {
		return err
	}
	if !s.nonEmpty {
		return nil
	}
	// No key lies outside first..last, so clamp: raft may pass a range far
	// wider than the log, and walking it from 0 would wade through the
	// tombstones of every earlier truncation.
	from, to := max(lo, s.first), min(hi, s.last)
	if from > to {
		return nil
	}
	var b leveldb.Batch
	var freed uint64
	it := s.ldb.NewIterator(logRange(from, to), nil)
	for it.Next() {
		b.Delete(it.Key())
		freed += uint64(len(it.Value()))
	}
	it.Release()
	if err := it.Error(); err != nil {
		return fmt.Errorf("delete raft logs %d..%d: %w", lo, hi, wrapCorrupt(err))
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.ldb.Write(&b, syncWrite); err != nil {
		return s.fault.fail(s.dir, fmt.Errorf("delete raft logs %d..%d: %w", lo, hi, wrapCorrupt(err)))
	}
	s.bytes -= min(s.bytes, freed)
	select {
	case s.compact <- struct{}{}:
	default: // one is pending already; it will cover this range too
	}
	// Find the new bounds by seeking from outside the deleted range, so
	// the fresh tombstones are never walked. The scans only fail on a
	// damaged database, whose error the caller then sees.
	var err error
	first, last := s.first, s.last
	switch {
	case from == s.first && to == s.last:
		s.nonEmpty, s.bytes = false, 0
		return nil
	case from == s.first: // a prefix: last remains
		first, _, _, err = s.scanBounds(to+1, s.last)
	case to == s.last: // a suffix: first remains
		_, last, _, err = s.scanBounds(s.first, from-1)
	}
	if err != nil {
		return fmt.Errorf("delete raft logs %d..%d: %w", lo, hi, err)
	}
	s.first, s.last = first, last
	return nil
}

func stableKey(key []byte) []byte {
	return append([]byte{prefixStable}, key...)
}

// Set stores val under key, synced.
func (s *RaftStore) Set(key, val []byte) error {
	if err := s.fault.Err(); err != nil {
		return err
	}
	if err := s.ldb.Put(stableKey(key), val, syncWrite); err != nil {
		return s.fault.fail(s.dir, fmt.Errorf("set raft key %q: %w", key, wrapCorrupt(err)))
	}
	return nil
}

// Get returns the value under key, or an error with the text "not found"
// (ErrKeyNotFound) if there is none, as raft expects.
func (s *RaftStore) Get(key []byte) ([]byte, error) {
	v, err := s.ldb.Get(stableKey(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, ErrKeyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get raft key %q: %w", key, wrapCorrupt(err))
	}
	return v, nil
}

// SetUint64 stores val under key as 8 bytes big-endian, synced.
func (s *RaftStore) SetUint64(key []byte, val uint64) error {
	return s.Set(key, be64(val))
}

// GetUint64 returns the value SetUint64 stored under key, or 0 and
// ErrKeyNotFound ("not found") if there is none, as raft-boltdb does; raft
// treats that error text as "unset".
func (s *RaftStore) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("get raft key %q: value has %d bytes, want 8", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}
