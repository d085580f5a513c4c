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
//	u8 version (2) ‖ u8 kind ‖ str8 chain id ‖ u64 expiry height ‖
//	[16] nonce ‖ str8 group ‖ body ‖ bytes16 auth
//
// with body, by kind (the objects are SPEC-groupsig-v2's encodings):
//
//	1 anonymous      u64 epoch ‖ str8 topic (≤ 64) ‖ bytes32 payload (≤ 64 KiB)
//	2 add group      bytes16 gpk_0 ‖ bytes16 issuer proof ‖ bytes16 opener proof ‖
//	                 [32] issuer admin Ed25519 key
//	3 join request   bytes16 join request ‖ bytes16 member certificate (DER)
//	4 revoke member  bytes32 revocation record
//	5 revoke node    str8 node id                                  (group is empty)
//	6 join response  bytes16 join response
//	7 topic rule     str8 topic ‖ u8 n ‖ n × str8 group (sorted) ‖ u8 tagged ‖
//	                 u64 closing height                            (group is empty)
//
// The id is SHA-256("veil/tx/v2" ‖ 0x00 ‖ everything but auth). auth signs
// the id: for kind 1 a group signature (untagged, or tagged in the scope
// S = "veil/" ‖ chain id ‖ "/" ‖ topic), verified under the group's key at
// the named epoch taken from chain state, never from the transaction; for
// the others an Ed25519 signature: the consortium admin's (2, 5, 7), the
// group issuer's admin key (4, 6), or the member's identity key named in
// its request (3, the same key as the request's idsig). Because the id
// leaves auth out, a second signature over the same content is a
// duplicate, not a new transaction, and a committed id is never accepted
// again. A transaction is at most 1 MiB, a revocation up to the block size.
//
// # Accountable anonymity
//
// A member joins without a side channel and without its secret leaving
// its machine: it posts a join request (its proof of y, signed with the
// identity key that its member certificate from the chain CA binds to its
// organisation and label), and the issuer answers with a join response.
// Nodes check every ledger rule of the spec: proof and idsig, the
// certificate chain (a member certificate, never a node certificate), the
// label, H and x unique over the group's whole life, one response per
// request at the current epoch, and the certificate equation. A revocation
// carries the issuer's authenticated record: chained to the previous one,
// listing exactly the current members, each re-issued A checked in one
// batched pairing check. A topic rule (consortium admin, set once) names
// the groups that may post, whether each member acts once (a tagged
// signature; the ledger keeps (group ref, S, τ) and refuses a repeat with
// already_acted across epochs, nodes and restarts) and a closing height.
// Evidence is a dispute's bundle from chain data, checked offline against
// the CA (see Evidence.Check).
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
// duplicate, too_large, bad_admin_signature, invalid_revocation, conflict,
// invalid_join, already_acted, tag_required, topic_closed, not_allowed).
// A transaction is checked against the state after the block before it (and
// inside a block, after the transactions before it); the mempool also holds
// at most one pending action per tag and each join request once.
// Expiry is the last height it may be committed at and may lie at most the
// genesis expiry window (default 1,000 blocks) past the head.
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
//	"genesis"                       genesis hash
//	"g/" ‖ name                     group: u64 epoch ‖ [32] issuer admin key ‖ [32] last
//	                                record hash ‖ bytes16 gpk_0 ‖ bytes16 issuer proof ‖
//	                                bytes16 opener proof
//	"j/" ‖ u8 len ‖ name ‖ label    member: bytes16 join request ‖ bytes16 join response ‖
//	                                bytes16 certificate ‖ str8 org ‖ u64 height ‖
//	                                u64 revoked epoch (0: member)
//	"q/" ‖ u8 len ‖ name ‖ hreq     pending join request: bytes16 request ‖ bytes16
//	                                certificate ‖ str8 org ‖ u64 height
//	"v/" ‖ u8 len ‖ name ‖ u64 e    the revocation record that started epoch e
//	"t/" ‖ gref ‖ u8 len ‖ S ‖ τ    id of the transaction that acted with tag τ in scope S
//	"p/" ‖ topic                    topic rule ‖ u64 height set ‖ u64 tally of tags
//	"n/" ‖ node id                  u64 height of the node's revocation
//	"r/" ‖ u64 height               one Code byte per transaction of the block
//
// The state is a pure function of the blocks: a replica that applies the
// same blocks reaches the same head hash and state.
package chain
