package storage

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

var syncWrite = &opt.WriteOptions{Sync: true}

// Batch collects the writes of one block: the block, its transaction and
// topic index entries, the state it changes and the new head. Nothing is
// visible until Commit, which writes all of it atomically. Arguments are
// copied, so callers may reuse their buffers. A Batch is not safe for
// concurrent use.
type Batch struct {
	db  *DB
	b   leveldb.Batch
	err error // first invalid argument; reported by Commit
}

// NewBatch returns an empty batch for db.
func (db *DB) NewBatch() *Batch {
	return &Batch{db: db}
}

// PutBlock stores block height as head followed by parts, in order, and
// indexes height by hash. BlockByHeight returns head ‖ parts[0] ‖ … ‖
// parts[n-1], byte for byte; BlockPart returns one part alone. The chain
// passes the block's header as head and each transaction as a part, so a
// transaction is read without its block. The head and every part go into
// this batch, so a block is visible whole or not at all.
func (b *Batch) PutBlock(height uint64, hash [32]byte, head []byte, parts [][]byte) {
	if uint64(len(parts)) > math.MaxUint32 {
		if b.err == nil {
			b.err = fmt.Errorf("block %d: %d parts, more than 2^32-1", height, len(parts))
		}
		return
	}
	size := uint64(len(head))
	for i, p := range parts {
		size += uint64(len(p))
		b.b.Put(partKey(height, uint32(i)), p)
	}
	b.b.Put(blockKey(height), appendBlockRecord(nil, head, uint32(len(parts)), size))
	b.b.Put(hashKey(hash), be64(height))
}

// PutTx indexes transaction id at position index of block height.
func (b *Batch) PutTx(id [32]byte, height uint64, index uint32) {
	var v [2 * binary.MaxVarintLen64]byte
	b.b.Put(txKey(id), appendTxLocation(v[:0], height, index))
}

// AddTopicTx appends transaction id to topic's index at seq (see TopicSeq);
// entries page in seq order. Re-adding the same seq overwrites it. A topic
// longer than MaxTopicLen bytes makes Commit fail.
func (b *Batch) AddTopicTx(topic string, seq uint64, id [32]byte) {
	if len(topic) > MaxTopicLen {
		if b.err == nil {
			b.err = fmt.Errorf("topic %q: %d bytes, more than %d", topic, len(topic), MaxTopicLen)
		}
		return
	}
	b.b.Put(append(topicPrefix(topic), be64(seq)...), id[:])
}

// PutState sets the chain state value under key.
func (b *Batch) PutState(key, value []byte) {
	b.b.Put(stateKey(key), value)
}

// DeleteState removes the chain state value under key.
func (b *Batch) DeleteState(key []byte) {
	b.b.Delete(stateKey(key))
}

// SetHead records the chain head.
func (b *Batch) SetHead(height uint64, hash [32]byte) {
	v := make([]byte, 8+32)
	binary.BigEndian.PutUint64(v, height)
	copy(v[8:], hash[:])
	b.b.Put(keyHead, v)
}

// Len returns the number of writes queued.
func (b *Batch) Len() int { return b.b.Len() }

// Size returns the encoded size of the queued writes, in bytes.
func (b *Batch) Size() int { return len(b.b.Dump()) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	b.b.Reset()
	b.err = nil
}

// Commit writes the batch as one LevelDB batch and fsyncs it before
// returning: after a crash either all of it is in the database or none of
// it. On success the batch is emptied and may be reused. A failed write
// (a full disk) is a *WriteError naming the directory, and the database's
// Fault latches it: no later Commit writes anything.
func (b *Batch) Commit() error {
	if b.err != nil {
		return fmt.Errorf("commit batch: %w", b.err)
	}
	if err := b.db.fault.Err(); err != nil {
		return err
	}
	if err := b.db.ldb.Write(&b.b, syncWrite); err != nil {
		return b.db.fault.fail(b.db.dir, fmt.Errorf("commit batch of %d writes: %w", b.b.Len(), wrapCorrupt(err)))
	}
	b.Reset()
	return nil
}
