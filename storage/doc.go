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
//	"m" "version"                                schema version, uint32 BE (currently 2)
//	"m" "head"                                   height uint64 BE ‖ block hash [32]
//	"b" ‖ height uint64 BE                       block record: uvarint parts ‖ uvarint size ‖ head
//	"x" ‖ height uint64 BE ‖ index uint32 BE     block part (opaque; for the chain, one transaction)
//	"h" ‖ block hash [32]                        height uint64 BE
//	"t" ‖ tx id [32]                             tx location: uvarint height ‖ uvarint position
//	"i" ‖ len(topic) uint8 ‖ topic ‖ seq uint64 BE  tx id [32]
//	"s" ‖ state key                              state value (opaque)
//
// A block is stored as a head and parts ([Batch.PutBlock]); the chain
// passes its header and its transactions. [DB.BlockByHeight] and
// [DB.IterateBlocks] return head ‖ parts, byte for byte what was put, and
// check the part count and size the block record holds (a missing part is
// ErrCorrupt, never a shorter block). [DB.BlockPart] reads one part alone:
// LevelDB reads a whole value per Get, so with one value per block a
// transaction lookup read (and the chain decoded) 1 MB at full blocks,
// and its cost grew with the block; now it reads one transaction's bytes.
// The head and every part are in the block's one batch, so a torn write
// leaves all of them or none (TestCrashConsistency checks each part).
// Reading a whole block walks its parts: a 2,000-transaction block took
// 0.4–1.4 ms on the loaded test machine against 0.18 ms as one value
// (BenchmarkRawBlock2000 in package chain), well under 0.1 % of verifying
// its transactions, which is what block sync spends its time on.
//
// The block record and the tx location are canonical (minimal uvarints, no
// trailing bytes) and fuzzed (FuzzDecodeBlockRecord, FuzzDecodeTxLocation).
//
// Schema version 1 (one value per block, 12-byte fixed locations) is not
// migrated: Open refuses it with an error wrapping [ErrOldSchema]; the
// operator moves the directory away and the node resyncs from its peers.
//
// # Bytes per transaction
//
// Measured by BenchmarkDiskPerTx in package chain: 100,000 v2 (BLS12-381)
// transactions with 128-byte payloads in 2,000-transaction blocks, through
// the raft log and Ledger.Apply, du of each directory ÷ transactions. A
// transaction encodes to 559 bytes (370 of them the signature). With the
// zero payload `veil bench` sends: 889 B/tx before this layout and the
// byte-sized raft log (chain 492, raft log 397), about 540 after (chain
// about 525, of it transaction parts 417, tx index 45, topic index 44;
// raft log 17). An incompressible payload: 1,147 before, 665 after. LevelDB
// compresses each 4 KiB table block with Snappy, which gains nothing on
// signatures but shrinks repeated strings and zero payloads, so it stays
// on.
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
// raft.StableStore of github.com/hashicorp/raft. It counts the encoded
// bytes of its entries ([RaftStore.LogSize]) so that consensus sizes the
// log by bytes ([RaftLogPolicy]; default: compact past 4 MiB down to the
// newest 2 MiB, at least 2 entries), and after every truncation it
// compacts the log's key range in the background: LevelDB keeps deleted
// values in its tables until a compaction meets their tombstones, and with
// whole blocks as entries that garbage was several times the live log.
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
// # Write errors (a full disk)
//
// A failed write (Batch.Commit, the raft store's StoreLogs, DeleteRange,
// Set) returns a [*WriteError] naming the database's directory; on
// ENOSPC or EDQUOT ([IsDiskFull]) it reads "disk full: <dir>: …". Each
// database latches its first one in its [Fault] ([DB.Fault],
// [RaftStore.Fault]) and refuses every later write with it: the caller's
// view is now behind what it meant to write, and goleveldb's journal
// writer keeps its first error anyway. Opening on a full disk (a new
// manifest, the journal replayed into a table) fails with a WriteError
// too. What a failed write leaves is a torn journal record, which the
// next open discards: TestChainDBDiskFull and TestRaftStoreDiskFull fill
// a 2 MiB tmpfs, remount it bigger and find every block (entry) written
// before the failure whole, the head at the last of them, and nothing of
// the failed one. The node stops on a Fault (package node).
//
// Both databases write every batch through the journal
// (DisableLargeBatchTransaction): goleveldb writes a batch larger than the
// write buffer (a follower's StoreLogs of many full blocks) as a
// transaction straight into tables, and when that commit fails on a full
// disk it keeps the write lock, so every later write and Close hang
// (TestChainDBDiskFull hung so under -race; the node could not shut down).
// Through the journal such a 16 MiB batch takes 108–150 ms against
// 83–90 ms (BenchmarkLargeBatch, 3 runs each in one run: 1.2–1.8× the
// transaction's time), next to seconds of verifying the blocks' signatures;
// blocks (at most 4 MiB) are below the chain database's 16 MiB buffer and
// never took that path.
//
// # Backup and restore
//
// [DB.Backup] streams a consistent copy of the whole chain database from
// one LevelDB snapshot (writers go on; a block committed meanwhile is
// wholly absent from the copy, and the header's head is the snapshot's
// own); [RestoreBackup] writes such a stream into a new directory. It is
// not a file copy: the tables of a live database change under a copier
// (compaction deletes them), while a snapshot pins one sequence number.
// Backup stream format v1, canonical (one stream per database content),
// fuzzed by FuzzBackupReader with seeds in testdata/fuzz:
//
//	"VEILBKUP" 0x01                               magic, format version
//	uvarint schema ‖ uvarint len ‖ label          schema version of the keys; caller's label (the chain id)
//	uvarint height ‖ head hash [32]               the snapshot's head (zero if none)
//	{ 0x01 ‖ uvarint len ‖ key ‖ uvarint len ‖ value }   every key, strictly ascending
//	0x00 ‖ uvarint records ‖ sha256 [32]          record count; SHA-256 of every byte before it
//
// Keys are 1 to 64 KiB, values at most 64 MiB, read as their bytes
// arrive (a declared length costs nothing). A truncated stream, a flipped
// byte, keys out of order, a wrong count or bytes after the end are
// refused with [ErrBadBackup] (TestRestoreRefusesDamage cuts and flips
// the stream at 97 places each). RestoreBackup writes into dir+".restoring",
// checks the stream to its end, reopens the result and compares its head
// with the header, and only then renames it to dir, so a refused backup
// leaves nothing where the node would open it.
//
// Measured by BenchmarkBackup (40 blocks of 500 incompressible 560-byte
// parts with their indexes, a 13 MB stream; -benchtime 5x, 3 runs on the
// loaded test machine): the backup stream costs 1.6–4.7× a bare
// snapshot walk over the same keys (27–33 ms against 7–16 ms, 400–500
// MB/s: SHA-256 and the copy into the stream), far above what a network
// carries; a restore takes 18–35× the walk (23–44 MB/s: LevelDB writes
// its tables, then the reopen replays its journal), a one-off cost.
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
