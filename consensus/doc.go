// Package consensus orders veil's blocks with hashicorp/raft among the
// validators of chain state (genesis's, then as the consortium admin's
// validator changes leave them).
//
// The leader's block producer cuts a block from the mempool every block
// interval, or at once when the mempool holds a full block, signs it with
// its node key and submits it through raft; a block is final once raft
// commits it. Every node's FSM applies committed entries with
// chain.Ledger.Apply, which is idempotent by height (raft replays entries
// after the last snapshot on restart) and skips, on every node alike, an
// entry that is not a well-formed, validator-signed next block.
//
// A raft snapshot records only the chain head (height and hash): the blocks
// are already in LevelDB. A node that restores a snapshot fetches the
// blocks it lacks through a BlockFetcher (block sync from peers, each
// reply checked with chain.Ledger.CheckBlocks before it is used: a lying
// peer's reply is refused and another peer asked), applies them, and
// checks the head hash. Both there and in raft's batches of
// committed entries (the FSM is a raft.BatchingFSM), the signatures of
// every block of the batch are queued on the ledger's verification pool
// first (chain.Ledger.VerifyAhead), so the pool verifies the later blocks
// while the earlier ones commit: sync uses every core.
//
// The Orderer counts the leaders it sees take office (a raft observer of
// LeaderObservation; LeaderChanges, exported as
// veil_raft_leader_changes_total), logs each leader and each loss of one
// at info, and reports raft's term, state, commit and applied index, last
// contact and, while it restores a snapshot, the snapshot's height
// (RestoreTarget: the node's sync status), all read-only.
//
// Raft's own lines (raft, its network transport, its snapshot store) go
// through raftLogger (hclog.go), an hclog.Logger over slog under
// component "raft": each at the level raft gave it (trace is
// slog.LevelDebug-4), with raft's key/value pairs as attributes, and
// IsDebug/IsTrace answer from slog, so logspec's raft level decides at
// runtime. Before, hclog was capped at warn and every line it let through
// was written at warn as one string: elections and leader changes, which
// raft logs at info, never appeared, and raft's errors were warnings.
//
// So the raft log is only a catch-up window, and it is sized by bytes
// (Config.LogPolicy, storage.RaftLogPolicy), not by entries: its entries
// are whole blocks, from a few hundred bytes to MaxBlockBytes, and the
// former 8,192-entry threshold kept up to 3–6 GB of full blocks, a second
// copy of the chain (42 % of the disk at 100,000 transactions). Every
// LogCheckInterval the orderer compares the stored log's bytes with
// MaxBytes; past it, it sets raft's TrailingLogs to KeepBytes ÷ the mean
// entry size and takes a snapshot, and raft truncates the log. raft's own
// entry-count trigger is set out of reach. A follower that falls behind the
// kept entries receives the snapshot and catches up by block sync
// (TestFollowerCatchesUpThroughSnapshotAndBlockSync).
//
// A node that cannot follow the chain stops rather than diverge: when the
// FSM cannot apply a committed block for any reason but a rejected block
// (a full or failing chain database), when the raft store fails a write,
// or when raft's snapshot store does (wrapped, since raft formats those
// errors with %v and only logs them), Orderer.Failed closes and Fault
// names the write. From then the FSM applies nothing and refuses
// snapshots, so no snapshot records an index past what the chain database
// holds, and the producer proposes nothing; on a raft store fault raft is
// shut down at once, because raft panics when it cannot persist a new term
// and a leader that cannot store its log steps down, so a new term arrives
// within an election timeout; and raft gets the stable store through
// haltOnFault, which parks the caller for good after a failed write
// rather than let raft panic in setCurrentTerm (it did, under -race, in
// the window before the shutdown) or answer a vote it did not persist.
// Stop then waits for raft's goroutines at most 2 s and closes the FSM's
// gate, so nothing writes the ledger once the node closes its databases.
// On restart raft replays its log from the
// last snapshot onto the chain database (Ledger.Apply is idempotent by
// height) and block sync fetches the rest (TestDiskFullStopsOrdering, and
// TestDiskFull in package faults). Before, the FSM panicked on a full
// chain database, and a leader whose raft log filled up stepped down and
// then panicked in raft ("failed to save current term") at the next vote
// request, within a second, in TestDiskFull.
//
// Membership (membership.go): the leader's ReconcileVoters makes raft's
// voters the validator set of chain state, one change at a time, each
// waited for until raft commits it (raft allows one uncommitted
// configuration change): a validator not in raft is added as a
// non-voter, a non-voter the caller reports caught up is promoted
// (AddVoter), a voter no longer a validator is demoted (DemoteVoter: it
// stays a non-voter and goes on applying blocks as an observer), and a
// leader no longer a validator transfers leadership and leaves its own
// demotion to the next leader (raft steps a leader down once a
// configuration without its vote commits; the transfer saves the
// election timeout). Additions come first, so a replacement never
// shrinks the quorum before it grows. Both the producer and the
// reconcile first wait, once a term, for raft's Barrier: a new leader
// whose ledger lagged would build on an old head and read an old
// validator set, and so undo a change. The producer proposes only while
// the ledger names this node a validator at the head: every node would
// refuse the blocks of a leader the chain has removed. Whether a change
// keeps a quorum is decided before it is admitted (package node, from
// gossip); raft's membership never follows gossip for validators, as in
// Consul: a failed node is not a removed node.
//
// Raft runs over mutual TLS (TLSStreamLayer) with certificates from the
// chain CA; the raft log and stable store are storage.RaftStore, in a
// directory apart from the chain database. Genesis validators bootstrap
// the configuration of genesis on first start (after that, raft's own
// log holds the configuration, which ReconcileVoters has kept in line
// with chain state); other certified nodes join as
// non-voters (observers) when the leader adds them. Stop hands leadership
// over before shutting down, so a graceful restart costs no election
// timeout.
//
// Raft's outbound connections carry TCP_USER_TIMEOUT = 2 s
// (p2p.UserTimeoutControl): one in use when a partition began is aborted
// after 2 s of unacknowledged data, and raft re-dials, instead of sitting
// in TCP's doubling retransmission timeout past the heal (ss showed the
// leader's connections to a healed follower at rto 1.6 s, backoff 3 after
// a 3 s cut). In faults.TestNetworkPartitions, long form, the slowest
// healed validator's time to converge fell from 3.3–3.9 s to 1.15 s
// (0.55–1.15 s over the 15 heals of validators, one run against two
// before).
package consensus
