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
//	8 committee      bytes32 committee (0B) ‖ u8 n ‖ n × bytes16 authority certificate
//	                 (DER) ‖ bytes16 adsig_ADMIN(cref) (64 bytes; empty for a rotation)
//	9 approval       bytes16 approval (10)
//	10 share proof   bytes16 share proof (0C)
//	11 consent       [32] id of the anonymous transaction ‖ bytes16 consent (0F)
//	12 partial       [32] id of the anonymous transaction ‖ bytes16 partial opening (0D)
//	13 abort         [32] cref ‖ bytes16 adsig_ABORT(cref) (64 bytes)
//	14 add validator str8 node id ‖ str8 raft address (host:port) ‖
//	                 bytes16 node certificate (DER)             (group is empty)
//	15 remove validator str8 node id                            (group is empty)
//
// The id is SHA-256("veil/tx/v2" ‖ 0x00 ‖ everything but auth). auth signs
// the id: for kind 1 a group signature (untagged, or tagged in the scope
// S = "veil/" ‖ chain id ‖ "/" ‖ topic), verified under the group's key at
// the named epoch taken from chain state, never from the transaction; for
// the others an Ed25519 signature: the consortium admin's (2, 5, 7, 14, 15), the
// group issuer's admin key (4, 6), the member's identity key named in
// its request (3, the same key as the request's idsig), or the identity
// key of the committee's authority its object names (9–12). Kinds 8 and
// 13 carry an empty auth: their body authorises them. Because the id
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
// # Threshold opening
//
// SPEC-groupsig-v2-threshold-opening shares the opener key t-of-n among
// named authorities; the ledger enforces its §5 (threshold.go), every node
// alike. A committee (8) is accepted iff it decodes, its gref is the
// group's, its dealer proof checks, its cref was never posted for the
// group, every authority (L_i, idpk_i) has a member certificate of the
// chain CA (checked at the block time), and it is authorised: with no
// committee active by the consortium admin's adsig_ADMIN(cref); with one
// active by q = max(t, n−t+1) approvals (9) already on the ledger from
// distinct authorities of the active committee, each with a deadline at or
// past the block's height (an approval is refused past its deadline; an
// admin signature does not authorise a rotation). It becomes pending,
// superseding (aborting) a pending one, and is aborted at the end of the
// first block at least CommitteeExpiryTime (1 h) of block time and
// CommitteeExpiryBlocks (100) blocks after its own; the admin's abort (13)
// aborts it only while no committee is active. Share proofs (10) are
// accepted for the pending committee, signed, one per authority; with the
// n-th it becomes active and the active one is retired. Consents (11) and
// partial openings (12) are accepted only under the active committee, for
// the signature σ of an anonymous transaction committed (code ok) in an
// earlier block of the group — the ledger looks it up and checks the
// object's sref = SHA-256(σ) and epoch — signed, one per authority and σ;
// a partial also needs t consents for σ on the ledger and §2's check, and
// at the t-th the ledger combines the threshold opening and records it
// with A and the member certified on A at σ's epoch. For kinds 9–12 the
// transaction's Ed25519 signature by the authority is checked first, then
// the object's own sig_i. Consents and partials under a retired committee
// are refused: openings under way restart. veil has no on-chain single
// (08) openings, so "08 openings refused once a committee is active" holds
// trivially; the group's first dealer keeps its opener key until a
// committee activates, then erases it (the CLI says so).
//
// A completed opening on the ledger is public: anyone reading the chain
// learns who signed, and which authorities consented and released.
//
// # Validators
//
// The validator set starts as genesis's and changes only by the
// consortium admin's transactions (validators.go), from the block after
// the one that commits the change: an addition (14) carries the node id,
// its raft address and its node certificate, which must chain to the
// chain CA as a node certificate of that id at the block's time (else
// unknown_node), of a node neither revoked nor a validator, at a raft
// address no validator has (else conflict); a removal (15) names a
// validator (else unknown_node) that is not the last (no_quorum). One
// change a block (a second is conflict; the mempool reaps one a block,
// the next waits): raft applies them one at a time.
// Every set is kept with the height it took effect at, so a block's
// proposer is checked against the set of its own height (Apply, block
// sync's CheckBlocks, fork detection's CheckProposer); CheckBlocks also
// lets a run of fetched blocks name a proposer that an admin-signed
// addition earlier in the run adds. Whether the validators keep a quorum
// after a change depends on who is reachable, which is no chain state:
// the node that admits the change from its API checks it (CheckQuorum,
// no_quorum), the ledger checks only that the set stays non-empty.
// Finding the set of a height is a binary search over the changes, under
// the ledger's read lock: BenchmarkCheckProposer (16 changes) measured
// CheckProposer at 1.00 × the bare Ed25519 verification it makes
// (check/verify, interleaved), and BenchmarkCheckBlocks' check/sync
// stayed within the run-to-run noise of the version before (0.0019–0.0022
// against 0.0025–0.0033, two runs each, alternated).
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
// invalid_join, already_acted, tag_required, topic_closed, not_allowed,
// and the threshold opening's invalid_committee, insufficient_approvals,
// committee_inactive, not_authority, invalid_proof, insufficient_consents,
// already_recorded, not_on_ledger; an approval past its deadline is
// expired, one for a committee already posted conflict; and the validator
// changes' unknown_node and no_quorum).
// A transaction is checked against the state after the block before it (and
// inside a block, after the transactions before it); the mempool also holds
// at most one pending action per tag and each join request once.
// Expiry is the last height it may be committed at and may lie at most the
// genesis expiry window (default 1,000 blocks) past the head.
//
// Group signatures are verified once per node, on one bounded pool
// (Verifier, one worker a core): group signature verification is 95–98.5 %
// of a node's CPU, and when API handlers, the gossip batcher and Apply
// each verified on goroutines of their own, a 1.8 ms verification took
// 10–48 ms of wall time, followers lagged 7–20 blocks and the leader lost
// its quorum in 2 of 3 saturation runs. Workers take the oldest job of
// the highest priority — block apply (PriorityApply), then gossip
// admission (PriorityGossip, Mempool.AddBatch), then API submissions
// (PriorityAPI, Mempool.Add) — and are never pre-empted, so lower-priority
// work delays a block by at most one verification per worker. API work
// waits in a bounded queue; past it admission fails at once with ErrBusy
// (the API's 503 busy) rather than verify late. A verification is keyed
// by the verdict cache's key (id, signature bytes): a request for a
// signature already queued or running joins it (promoting it to the
// higher priority), and the verdict cache remembers the outcome, so a
// transaction that arrives by API, gossip and in a block is verified
// once. Capacity (mempool_full), duplicates and pending claims are
// checked before the signature. Apply verifies what has no verdict at apply
// priority; VerifyAhead queues the signatures of blocks about to be
// applied (block sync, raft batches), so sync verifies the next blocks
// while the current one commits: BenchmarkSync (50 blocks of 20 txs)
// measured 0.96 of the verify-bound ceiling (the same signatures verified
// bare on every core) with it, 0.83 block by block; with blocks of 100
// both reach ~0.95, since a block's own signatures fill the cores.
//
// A block that is not the next one is refused by Apply with
// ErrBlockRejected and the reason's sentinel: ErrMalformed (ErrTxRoot for
// a wrong tx root), ErrWrongChain, ErrBlockHeight, ErrBlockLink (previous
// hash or time) or ErrBlockProposer (not a validator's signature).
// CheckBlocks runs the same header checks over a run of blocks fetched
// from a peer, against the ledger's own block before them, before any is
// applied (block sync, package node): on BenchmarkSync's 50 blocks of 20
// anonymous transactions it takes 0.0015 of the time to sync them
// (BenchmarkCheckBlocks, check/sync in the same run): decoding and one
// Ed25519 verification a block, against group signature verifications.
//
// # State
//
// A committed block that is well-formed, follows the head and is signed by
// a validator is applied whole: transactions that fail validation stay in
// it, marked with their code, and have no effect. The block, its tx and
// topic indexes, the state it changes, the codes and the new head are
// written in one synced LevelDB batch. The block goes to storage cut into
// its header and one part per transaction (u32 length ‖ encoding), so
// Ledger.Tx (GET /v1/txs/{id}) reads and decodes that transaction alone —
// measured the same latency at 10- and 2,000-transaction blocks
// (BenchmarkTxByID, interleaved ratio 0.9–1.1 on a loaded machine; the
// whole-block decode it replaces took about 9 ms at 2,000, some 40 × its
// 10-transaction time in the same run) — while RawBlock still returns the
// applied bytes exactly. State keys (inside storage's state space):
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
//	"w/" ‖ u64 height               the validator set from height+1 on, after a change at
//	                                height: u16 n ‖ n × (str8 id ‖ [32] key ‖ str8 raft
//	                                address ‖ u64 height added), by id; none: genesis's
//	"r/" ‖ u64 height               one Code byte per transaction of the block
//	"c/" ‖ u8 len ‖ name ‖ cref     committee: u8 status ‖ u8 abort reason ‖ u64 height ‖
//	                                u64 time ‖ [32] tx id ‖ [32] previous cref ‖ u64 activated ‖
//	                                u64 ended ‖ bytes32 committee ‖ u8 n ‖ n × (bytes16 certificate ‖
//	                                str8 org ‖ u64 share proof height) ‖ u8 k ‖ k × u8 approver
//	"a/" ‖ u8 len ‖ name ‖ cref_new ‖ u8 i
//	                                approval: u64 height ‖ [32] tx id ‖ bytes16 approval
//	"o/" ‖ [32] tx id ‖ cref ‖ u8 1|2 ‖ u8 i
//	                                consent (1) or partial (2) of authority i about the anonymous
//	                                transaction's σ: u64 height ‖ [32] tx id ‖ u64 e ‖ [32] sref ‖
//	                                str8 L_i ‖ [32] idpk_i ‖ bytes16 object
//	"o/" ‖ [32] tx id ‖ cref ‖ u8 3 completed opening: u64 height ‖ [32] tx id of the t-th partial ‖
//	                                bytes16 threshold opening ‖ bytes16 A ‖ str8 label certified on A
//	"e/" ‖ u64 height               the block's threshold notes (committee status changes,
//	                                completed openings), for the event stream
//
// The state is a pure function of the blocks: a replica that applies the
// same blocks reaches the same head hash and state.
package chain
