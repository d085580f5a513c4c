// Package chain owns veil's ledger: transaction and block types with their
// canonical encodings and hashes, the validation rules, the mempool, and
// the state machine (Ledger.Apply) that turns committed blocks into state
// in LevelDB through package storage.
//
// # Transactions
//
// All integers are big-endian; str8 is u8 length ‖ UTF-8 bytes; bytes16
// and bytes32 are u16 or u32 length ‖ bytes. A transaction is
//
//	u8 version (1) ‖ u8 kind ‖ str8 chain id ‖ u64 expiry height ‖
//	[16] nonce ‖ str8 group ‖ body ‖ bytes16 auth
//
// with body, by kind:
//
//	1 anonymous        u64 epoch ‖ str8 topic (≤ 64) ‖ bytes32 payload (≤ 64 KiB)
//	2 add group        bytes16 group public key (393) ‖ [32] issuer admin Ed25519 key
//	3 register member  str8 label ‖ [48] A
//	4 revoke member    str8 label ‖ bytes16 revocation record (281) ‖
//	                   u32 n ‖ n × (str8 label ‖ [48] new A)
//	5 revoke node      str8 node id                (group is empty)
//
// The id is SHA-256("veil/tx/v1" ‖ 0x00 ‖ everything but auth). auth signs
// the id: a BBS04 group signature (337 bytes) for kind 1, verified under
// the group's key at the named epoch taken from chain state, never from the
// transaction; an Ed25519 signature for admin kinds, by the consortium
// admin key of the genesis (kinds 2 and 5) or the group's issuer admin key
// (3, 4). A committed node revocation makes every node drop and refuse that
// certificate, and a block proposed by a revoked node is rejected.
// Because the id leaves auth out, a second signature over the same content
// is a duplicate, not a new transaction, and a committed id is never
// accepted again.
//
// # Blocks
//
//	u8 version (1) ‖ str8 chain id ‖ u64 height ‖ [32] previous hash ‖
//	u64 time (Unix ns) ‖ [32] tx root ‖ str8 proposer ‖ bytes16 signature ‖
//	u32 n ‖ n × bytes32 transaction
//
// The block hash is SHA-256("veil/block/v1" ‖ 0x00 ‖ header up to and
// including the proposer); the proposer signs it with its node's Ed25519
// key. The tx root is a Merkle tree over (id ‖ auth) of each transaction
// (see TxRoot). Block 0 is the genesis; its hash is Genesis.Hash.
//
// Decoders are strict: unknown versions or kinds, lengths over a limit,
// invalid UTF-8 and trailing bytes are refused, so every accepted encoding
// is the canonical one.
//
// # Validation
//
// Each rule has a sentinel error and a stable Code (malformed, wrong_chain,
// unknown_group, stale_epoch, bad_signature, expired, expiry_too_far,
// duplicate, too_large, bad_admin_signature, invalid_revocation, conflict).
// A transaction is checked against the state after the block before it (and
// inside a block, after the transactions before it). Expiry is the last
// height it may be committed at and may lie at most the genesis expiry
// window (default 1,000 blocks) past the head.
//
// Group signatures are verified once per node: the mempool verifies at
// admission and the verdict cache remembers the outcome by (id, signature
// bytes); Apply finds it there (and verifies, on all cores, only what it
// has not seen).
//
// # State
//
// A committed block that is well-formed, follows the head and is signed by
// a validator is applied whole: transactions that fail validation stay in
// it, marked with their code, and have no effect. The block, its tx and
// topic indexes, the state it changes, the codes and the new head are
// written in one synced LevelDB batch. State keys (inside storage's state
// space):
//
//	"genesis"                                   genesis hash
//	"g/" ‖ name                                 group: u64 epoch ‖ [32] issuer admin key
//	"k/" ‖ u8 len ‖ name ‖ u64 epoch            group public key at that epoch
//	"m/" ‖ u8 len ‖ name ‖ label                member: u64 joined epoch ‖ u64 revoked
//	                                            epoch (0: member) ‖ u32 n ‖ n × A, one per
//	                                            epoch from joining on
//	"v/" ‖ u8 len ‖ name ‖ u64 epoch            the revocation record that started the epoch
//	"n/" ‖ node id                              u64 height of the node's revocation
//	"r/" ‖ u64 height                           one Code byte per transaction of the block
//
// The state is a pure function of the blocks: a replica that applies the
// same blocks reaches the same head hash and state.
package chain
