// Package storage is veil's bottom persistence floor: two LevelDB databases,
// one for the chain and one for the raft log, each in its own directory
// (raft's log truncation churns compaction, so it is kept away from blocks).
//
// The package knows nothing of chain types. The chain layer encodes blocks,
// transactions and state itself and hands this package opaque bytes plus the
// keys it indexes them by (heights, 32-byte hashes and ids, topics).
//
// # Chain database
//
// [Open] returns a [DB]. Writes go through a [Batch]: the chain layer puts a
// block, its transaction index entries, its topic entries, the state it
// changes and the new head into one Batch, and [Batch.Commit] writes all of
// it as ONE LevelDB batch with Sync set. LevelDB applies a batch atomically
// (it is a single record in the write-ahead journal, and a torn record is
// discarded on recovery), so a crash at any moment leaves either the whole
// block with its indexes and head, or none of it — never half a block.
// Commit returns only after the batch is synced to disk.
//
// Every key is a one-byte prefix followed by fixed-width big-endian integers
// or length-prefixed strings, so LevelDB's byte order equals numeric order and
// range scans (blocks by height, a topic's transactions in commit order) are
// plain iterator walks. All writes are idempotent: re-applying the same block
// writes the same keys with the same values, which lets the chain's FSM
// re-apply raft entries after a restart.
//
//	key                                          value
//	"m" "version"                                schema version, uint32 BE (currently 1)
//	"m" "head"                                   height uint64 BE ‖ block hash [32]
//	"b" ‖ height uint64 BE                       encoded block (opaque)
//	"h" ‖ block hash [32]                        height uint64 BE
//	"t" ‖ tx id [32]                             height uint64 BE ‖ position in block uint32 BE
//	"i" ‖ len(topic) uint8 ‖ topic ‖ seq uint64 BE  tx id [32]
//	"s" ‖ state key                              state value (opaque)
//
// Topics are at most [MaxTopicLen] bytes and may contain any byte; the length
// prefix keeps each topic's entries contiguous (topic "a" can never
// interleave with topic "ab"). seq orders a topic's entries; the chain uses
// [TopicSeq](height, position), which grows in commit order. Paging cursors
// returned by [DB.TopicTxs] are the 8-byte big-endian seq of the last entry
// returned.
//
// # Raft database
//
// [OpenRaftStore] returns a [RaftStore] implementing raft.LogStore and
// raft.StableStore of github.com/hashicorp/raft.
//
//	key                         value
//	"l" ‖ index uint64 BE       raft.Log, encoding v1 below
//	"k" ‖ stable key            value; SetUint64 stores uint64 BE
//
// Log encoding v1 is compact and canonical (one byte string per log, so the
// decoder can insist that what it accepts re-encodes to the same bytes):
//
//	0x01                                   format version
//	uvarint Index
//	uvarint Term
//	byte    Type (raft.LogType)
//	uvarint len(Data)       ‖ Data
//	uvarint len(Extensions) ‖ Extensions
//	varint  AppendedAt Unix seconds (zigzag)
//	uvarint AppendedAt nanoseconds (< 1e9)
//
// Varints are Go's encoding/binary ones and must be minimal; a zero
// AppendedAt is stored as its Unix seconds (-62135596800) and decodes back to
// the zero time; other times decode in UTC. Empty Data and Extensions decode
// as nil.
//
// # Corruption
//
// Neither Open repairs anything. If LevelDB reports corruption (a bad
// CURRENT, MANIFEST or journal checksum), or a table named by the manifest is
// missing, truncated or lacks its footer, the open fails with an error that
// wraps [ErrCorrupt] and names the directory. Corruption found later, while
// reading, is also reported wrapping ErrCorrupt. Recovery is an operator's
// decision: restore a backup or resync the node from its peers.
package storage
