// Package bft orders veil's blocks with SmartBFT
// (github.com/hyperledger-labs/SmartBFT v1.0.1, the BFT library of
// Hyperledger Fabric 3) among the validators of chain state, on a chain
// whose genesis says consensus = "bft". Raft trusts its leader: a lying
// raft leader can hand different validator-signed blocks to different
// followers. Here a block is final only once a quorum of ⌈(n+f+1)/2⌉
// validators (3 of 4, 5 of 7; f = ⌊(n−1)/3⌋) signed its proposal, and
// that proof is kept with it.
//
// The Orderer is every piece SmartBFT asks for (pkg/api):
//
//   - Requests are transaction encodings. Every transaction a
//     validator's mempool admits (API, gossip push, anti-entropy pull) is
//     submitted to its SmartBFT pool from a queue (chain.Mempool.OnAdmit;
//     admission never waits), retried while SmartBFT has no leader or a
//     full pool, for as long as the transaction is pending. The pool holds
//     at least the mempool's capacity. RequestID is the transaction id in
//     hex under one client id. A request another validator forwards is
//     verified at most once: pending here or with a valid verdict cached,
//     it is taken; otherwise the node's normal admission runs (it
//     verifies the group signature and caches the verdict). A committed
//     transaction is refused, so that SmartBFT prunes it.
//   - Forwarding then complaint is what makes a censoring leader lose its
//     view: a request still pending after RequestForwardTimeout is
//     forwarded to the leader, and RequestComplainTimeout later each
//     validator that still holds it complains (on the fast timing 1 s and
//     3 s, so a censored transaction commits about 5 s after submission
//     under the next leader, by the timeouts; LAN 2 s and 20 s, SmartBFT's
//     default, because a request may wait that long in a saturated pool
//     with an honest leader, and every complaint there is a needless view
//     change).
//   - The Assembler builds the next veil block on the ledger head from
//     the batch SmartBFT cut (MaxBlockTxs, MaxBlockBytes, BlockInterval):
//     every request, a failing transaction kept and marked by Apply as on
//     raft, except that a second validator change waits for a later block
//     (as chain.Mempool.Reap does), and a transaction the ledger has
//     committed is left out and dropped from the pool (one left there by
//     a race with its block's delivery was proposed again after a halt,
//     marked duplicate: faults' TestBFTHaltsBeyondF). The leader signs
//     it with its node key; its time is max(now, head time).
//     Proposal.Payload is the block encoding, Metadata SmartBFT's, Header empty, VerificationSequence
//     the number of validator set changes up to the head
//     (chain.Ledger.ValidatorChanges: the same on every node).
//   - VerifyProposal decodes the block strictly and checks that it is the
//     next on this node's head (chain.Ledger.CheckBlocks: chain, height =
//     head+1 = SmartBFT's sequence, previous hash, time not before the
//     head's, tx root, proposer signature), that its proposer is the
//     leader of the view in its metadata, its time at most MaxClockSkew
//     (5 s) ahead of this node's clock, the limits, no transaction twice
//     and the verification sequence. It verifies no group signature: it
//     queues the block's on the verification pool (VerifyAhead), so Apply
//     finds the verdicts.
//   - Leader rotation is off: the leader of view v is the (v mod n)-th
//     validator in SmartBFT id order, which VerifyProposal checks. A
//     leader that crashes (LeaderHeartbeatTimeout), stalls or censors is
//     replaced by a view change.
//   - Ids: a node's SmartBFT id is the first 8 bytes of
//     SHA-256("veil/bft/id/v1" ‖ 0 ‖ node id), never 0 (NumericID); a
//     validator set in which two collide is refused. Nodes() is the set at
//     the head.
//   - Signer and Verifier: Ed25519 with the key of the node's chain-CA
//     certificate (the key that signs its blocks), under domain tags that
//     name the chain: a commit vote signs
//     "veil/bft/commit/v1" ‖ 0 ‖ chain id ‖ 0 ‖ digest ‖ aux, where digest
//     is SmartBFT's Proposal.Digest (it covers payload, metadata and
//     verification sequence) and aux the prepares the voter saw;
//     view-change data is signed under "veil/bft/message/v1". A vote
//     counts only from a validator of the set.
//   - Deliver stores the block and its commit certificate in one synced
//     batch (chain.Ledger.ApplyCertified), then calls the node's
//     onApplied (mempool, events, metrics). A block whose validator
//     changes applied returns types.Reconfig: SmartBFT restarts with the
//     new set (an evicted node's engine closes). A failed write, or a
//     decided block the ledger refuses, latches Failed and the node stops,
//     as on raft.
//   - The Certificate (cert.go) is the proposal's header, metadata and
//     verification sequence with the quorum's signatures, sorted by
//     signer; its encoding is strict (versioned, bounded, canonical) and
//     fuzzed (FuzzCertificate, testdata/fuzz). Certificate.Verify checks
//     a quorum of distinct validators of the set in force before the
//     block signed that block's proposal.
//   - On start (a restart, or an observer that a validator change made a
//     validator) LastProposal, LastSignatures and Metadata come from the
//     head's certificate, in-flight state from the WAL in
//     data_dir/bft-wal (wal.InitializeAndReadAll); a WAL write that fails
//     latches Failed. A validator removed and later re-added starts with a
//     fresh WAL.
//   - The Synchronizer is the Follower (sync.go): certified block sync.
//     It asks the peers that claim a higher head, highest first, for up to
//     512 blocks with their certificates (DecodeCertified, fuzzed), checks
//     the run with chain.Ledger.CheckBlocks and each block's certificate
//     against the set in force before it, and applies block by block with
//     ApplyCertified. A reply that fails, or the failing rest of one, is
//     refused, counted (veil_bft_sync_refused_total), logged and its peer
//     asked last for a minute: one lying peer can stall a fetch but not
//     feed a fork, since it cannot forge a quorum's votes. Sync returns
//     the latest decision and a ReconfigSync when the synced blocks
//     changed the validator set. Synced blocks' requests are taken out of
//     SmartBFT's pool (it clears only delivered ones itself). The engine's
//     Sync also asks the validators that advertise no higher head, after
//     those that do: the heads in gossip metadata lag by a gossip round,
//     more than a block on a fast chain, and a Synchronizer held to them
//     stopped a few sequences short on every call, so that SmartBFT's
//     controller set the current proposals aside as ahead of it and
//     synced again: a restarted or newly added validator never voted
//     (faults' TestBFTValidatorChanges: with a fifth validator added under
//     load and one of the first four killed, 16 s without a commit and
//     views 0 → 3; asking the validators too: 120–150 ms, no view change).
//     A validator that has just synced still misses the proposal that was
//     in flight meanwhile (SmartBFT does not send it again) and votes from
//     the next one.
//   - Comm runs over the node's mutual-TLS p2p layer (no second listener
//     or identity): an envelope u8 type (consensus message | forwarded
//     request) ‖ body on one message kind, sent from a bounded queue per
//     peer by its own goroutine, so SendConsensus and SendTransaction
//     never block; a full queue drops (veil_bft_dropped_total{dir="out"}).
//     Inbound messages are taken only from validators, by the sender's
//     TLS-verified node id (the SmartBFT id is derived from it, never read
//     from the message), and handed to two goroutines (consensus messages,
//     forwarded requests) through bounded queues, so that the p2p dispatch
//     goroutine, shared with gossip, never waits on SmartBFT
//     (veil_bft_dropped_total{dir="in"}).
//   - Logging goes to slog under component "bft": SmartBFT's Debugf at
//     debug, Infof at info but for the lines it writes per decision or
//     request (at debug), Warnf, Errorf; Panicf logs at error, then
//     panics as SmartBFT expects. View and leader changes are logged at
//     info.
//   - Metrics (NewMetrics, on the node's registry): SmartBFT's own as
//     veil_bft_<name> (veil_bft_view_number, veil_bft_view_leader_id,
//     veil_bft_pool_count_of_elements, veil_bft_consensus_reconfig, …),
//     and veil_bft_view, veil_bft_view_changes_total,
//     veil_bft_leader_changes_total, veil_bft_f, veil_bft_dropped_total
//     {dir} and veil_bft_sync_refused_total.
//
// Observers run no engine: they follow by certified block sync, polling a
// peer every 200 ms (package node).
//
// Measured (package node, in one process on the shared 2-core machine:
// 4 validators and an observer, fast timing, a 50 ms block interval;
// TestBFTOrdersAndRecovers, two runs): a transaction submitted to a
// validator was applied there 50–190 ms later and on the observer
// 200–560 ms later; after the leader stopped, the first transaction
// submitted committed on every running node 2.3 s later (the 2 s leader
// heartbeat timeout, then a view change), one view change counted; the
// stopped validator restarted from its WAL and head certificate and
// caught up. 81 transactions, 0 lost, 0 applied twice, every block
// certified on every node. TestBFTBlockSyncRefusesBadCertificate: an
// empty observer whose four validators served bad certificates (two
// signatures only, the real certificate with a block the liar re-signed,
// garbage) applied nothing, refused 9 replies, and synced the chain once
// one validator answered honestly. SmartBFT adds 1.1 MB to the veil
// binary (30.9 → 32.0 MB) and the modules zap and multierr.
//
// Saturation (an unpublished experiment, same network without the
// observer: 3,000 pre-signed transactions submitted by 16 clients, about
// 110–160 tx/s, above what two cores verify for four nodes): all 3,000
// committed, 0 lost, but with 1–2 view changes a run. With the fast 3 s
// complaint timeout the leader's own pool held requests past forward +
// complaint and SmartBFT's leader then stops its heartbeats on purpose
// (it takes itself for faulty); with bft_complain_timeout = 10s the
// remaining view changes came from a leader's heartbeats arriving 2.2 s
// apart on the starved machine (the 2 s fast heartbeat timeout). One of
// three such runs left a validator behind for the rest of the test
// (not reproduced since; not yet understood). Benchmarks at saturation
// should count veil_bft_view_changes_total and may set
// bft_complain_timeout (node config) higher.
// Test seam (hooks.go): two nil function variables, checked where an
// outgoing consensus message is encoded and where the leader's block
// takes its requests. Only the veil_byzantine build (byzantine.go, go
// build -tags veil_byzantine; package faults builds it) sets them, when
// VEIL_BFT_BYZANTINE names a behaviour (equivocate, censor with
// VEIL_BFT_CENSOR_TOPIC, garbage, wrong-vote), armed by SIGUSR1; the plain
// binary holds neither the code nor the variable's name.
package bft
