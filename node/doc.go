// Package node wires one veil node from its configuration: LevelDB
// storage, the ledger and mempool, memberlist gossip over mutual TLS
// (transactions, anti-entropy and block sync on package p2p), raft
// ordering (package consensus) or, when genesis chose it, BFT ordering
// (package bft), and the HTTP API, with a graceful stop.
//
// Gossip: only the node that admits a transaction from its API pushes it,
// one copy to every live member (n−1 copies); receivers admit it in
// batches, so their signatures verify on all cores, and never push it on.
// Once a second each node (skipping up to three seconds while pushes still
// queue for admission) pulls a random peer's pending ids and fetches, half
// a second later, those it still lacks, so that pushes in flight are not
// fetched twice; a node that missed a push (down, joining, a lost
// connection, a full queue) gets the transaction from whichever peer it
// asks next. Measured by TestGossipDeliversEverywhereWithBoundedCopies
// (one node misses half the pushes; every transaction reaches every node):
// 3.0, 7.0–7.3 and 15.0–15.2 copies a transaction at 4, 8 and 16 nodes,
// against 9.5, 49.6 and 225 when every node re-broadcast on first
// admission (n·(n−1) in steady state); on a 16-node network of processes
// at 20 tx/s, 15.25–15.76. veil_gossip_tx_copies_sent_total{path="push"|
// "pull"} counts the copies a node sends.
//
// Fork detection (fork.go): raft does not compare what its followers
// applied, so a Byzantine leader could hand different validator-signed
// blocks to different followers unnoticed. Each node gossips its head
// (height and hash, memberlist metadata "h" and "hh") and compares every
// peer's head at or below its own with its block there; once a second it
// also asks one peer, round robin, for the hashes of the newest 64 heights
// both have committed (request kind 5), which catches the node stuck below
// the fork. A differing hash is confirmed before it counts: the node
// fetches the peer's block there and checks that it hashes to the claim
// and carries the signature of a validator of chain state at that height
// (chain.Ledger.CheckProposer), so a peer without a validator key cannot
// raise the alarm. The alarm: an error log naming
// the peer, the height and both hashes, veil_fork_detected 1 and
// veil_fork_conflicts_total (one per peer and height), /readyz and POST
// /v1/txs 503 forked with the conflicts, /v1/status forked and forks. It
// clears only when the node restarts, after an operator has repaired the
// fork (one side's blocks must go; no node can decide that alone); a fork
// still there is found again within seconds. Raft and gossip go on, so
// the honest side commits what it had admitted. Measured by
// TestForkDetectedOnBothSides (3 validators in one process under 20 tx/s,
// one follower given a block the leader signed but raft never
// committed): every node alarmed 0.25–1.4 s after the equivocation (two
// runs, one under -race). The check costs a node one request a second
// (16 B, answered with at most 2 KiB) and no disk read while heads are
// within 1,024 blocks (recent hashes are kept in memory).
//
// Block sync serves raft snapshot restores (blocksync.go). Peers may lie,
// so FetchBlocks uses a reply only once chain.Ledger.CheckBlocks accepts
// it: the blocks decode with matching tx roots, are the heights asked
// for in order, each extends the one before it (the first this node's own
// block) and is signed by a validator. A refused reply is logged at warn
// with the peer and the reason, counted in veil_block_sync_refused_total
// {reason} (framing, empty, malformed, tx_root, wrong_chain, height,
// link, proposer, timeout; every reason from the start), and the next
// peer is asked. Peers that claim the height are asked highest first (one
// height in random order); a peer that lied, failed or gave no reply in
// 10 s is asked last for a minute, so that the restore's retries go
// elsewhere. TestBlockSyncRefusesLyingPeer: a lying validator, asked
// first, served 15 kinds of bad reply (garbage, truncated, reordered, a
// gap, a changed transaction with and without its root fixed, blocks
// re-signed by a non-validator, forged, re-signed by the liar itself,
// another chain, empty, a stall, an error); each was refused with its
// reason and the blocks came from an honest peer; an empty observer
// synced from genesis through it onto the honest head. What the checks
// cannot see is a validator's own second, validly signed version of the
// last block of a reply (equivocation): the restore's check of the
// snapshot's head hash refuses it there, and fork detection is apart.
// The leader adds certified observers that appear in gossip to raft as
// non-voters, and removes them once gone for good.
//
// Validators (validators.go) are chain state: a node's role (gossip
// metadata, /v1/status, the start-up log) is validator while the ledger
// names it one at the head, observer otherwise. Once a second the leader
// makes raft's voters that set less revoked nodes
// (consensus.Orderer.ReconcileVoters), promoting an added non-voter once
// its gossiped head has reached the height its addition committed at;
// GET /v1/validators shows the set with each one's raft suffrage. A
// validator change submitted to the API is admitted only if, after it,
// a majority of the validators is reachable from this node (itself and
// gossip members alive; chain.CheckQuorum, no_quorum): a removal while
// others are down would leave raft unable to commit, and the ledger
// cannot see reachability. Measured by TestValidatorChangesAtRuntime (5
// nodes in one process, ~20 tx/s of load): 3 → 5 validators, a follower,
// the leader and the other genesis validators removed, so that a
// promoted observer leads; 8–9 s in all (24–27 s under -race on the
// loaded machine), each change in raft within about a second of its
// block (the reconcile tick), lost/forks/duplicates 0/0/0.
//
// BFT ordering (bft.go): genesis chooses the engine. On a chain whose
// genesis says consensus = "bft" (chain.Genesis.Engine) New builds no
// raft at all (no raft listener, raft store or raft_addr, which Validate
// then does not require) but a bftOrdering: package bft's SmartBFT
// engine while chain state names this node a validator, certified block
// sync (bft.Follower, polling a peer every 200 ms) while it does not.
// What the node needs of either engine is the engine interface (Failed,
// Fault, IsLeader, LeaderID, Stop); raft-only paths (raft status fields,
// RaftServers, ReconcileVoters, the observer reconcile) run only on raft.
// A committed add_validator or remove_validator wakes the role check:
// an observer made a validator starts its engine from its head's
// certificate, a validator removed stops its engine (and drops its WAL)
// and follows as an observer. Consensus messages travel as p2p message
// kind 6 (a bft envelope), certified block sync as request kind 7 (u64
// from ‖ u64 to → block and certificate pairs, at most 512 blocks); the
// engine's WAL is data_dir/bft-wal. A validator change submitted to the
// API must leave a BFT quorum of the new set reachable (no_quorum).
// /v1/status reports consensus "bft" and bft (view, sequence, n, f,
// quorum, view changes), Leader the view's leader and Voters the
// validators; /healthz names component "bft" instead of "raft". Measured
// by TestBFTOrdersAndRecovers (4 validators and an observer in one
// process): commit latency 50–190 ms on a validator, 200–560 ms on the
// observer, 2.3 s from the leader's stop to the next commit everywhere;
// see package bft.
//
// Disk: the data directory holds the chain database (chain/), the raft log
// and stable store (raft-log/) and raft's snapshots (raft/); raft_dir puts
// the last two on a disk of their own. A failed write to any of them (a
// full disk: storage.Fault, consensus.Orderer.Failed) stops the node as
// SIGTERM does, after one error line "disk full: <dir>: …"; Run returns
// the error and `veil node start` exits 2. Started on a disk still full it
// logs the same line and exits 2. Measured by TestDiskFull in package
// faults (40 tx/s of 8 KiB, 1 MiB left free, 15 fills over 4 runs): the
// node exits 1.4–3.5 s after the fill and, once there is room, is back on
// the others' head 0.3–1.5 s after its start. The raft log
// is sized by bytes, raft_log_bytes (default 4 MiB): past it a snapshot
// compacts it to its newest half, and a follower further behind catches up
// by block sync. Measured at 100,000 v2 transactions the directory holds
// about 540 B/tx, the raft log about 17 of them (889 and 397 with the
// former 8,192-entry snapshot threshold); see package storage.
//
// Verification: the ledger owns the node's one verification pool
// (chain.Verifier with chain.DefaultVerifierConfig: a worker a core),
// shared by block apply, gossip admission and API submissions in that
// order of priority; the API sheds submissions with 503 busy when its
// share is full. The node exports the pool's and raft's figures:
// veil_signature_verifications_total{path}, veil_verify_queue_depth
// {priority}, veil_api_busy_total, veil_raft_leader_changes_total,
// veil_raft_term and veil_raft_state. A node catching up (raft snapshot,
// then block sync) verifies the next fetched blocks while the current one
// commits: an observer started empty reached the head of 15,903 txs in
// 13.4 s, 0.88 of cores ÷ Verify with its process start included
// (scripts/bench-catchup.sh).
//
// Start-up: New takes the lock on the data directory (and raft_dir)
// first (storage.LockDir), so a second process is refused before it
// opens anything; every later failure closes what New opened, in
// reverse, and returns one error naming the part (api listener,
// operations listener, p2p listen, raft listener, genesis, certificate,
// key) that `veil node start` prints as one line with exit status 2.
//
// Certificates (certwatch.go, maintenance.go): peers know a node by its
// id, the common name of a certificate that chains to the chain CA;
// raft's server ids and addresses, gossip names and the proof that an
// address is served by a name are all keyed by that id, and on-chain
// revocation names the id. So a certificate renewed for the same key
// (genesis.CA.RenewNode: same id, key and hosts, new serial and
// validity) is accepted wherever the old one was, and a revoked id
// stays refused whatever its certificate. SIGHUP or POST
// /admin/reload-identity (operations port, operator certificate) re-reads the files;
// new handshakes present the new certificate at once (gossip, raft, the
// operations port), established connections keep theirs. Measured by
// TestCertRenewalUnderLoad in package faults (3 validators, 20 tx/s, a
// follower renewed to 10 days and SIGHUPed; 4 runs): its gossip and raft
// ports presented the new serial 4–33 ms after the signal, it committed on with
// no restart, and a peer restarted afterwards and then the node itself
// rejoined; nothing lost, forked or applied twice. At start, on every
// reload and once a day the node logs a warning naming the certificate
// file, serial, NotAfter and days left once less than
// cert_expiry_warning (default 30 days) is left, an error once it has
// expired; veil_node_cert_expiry_seconds is the time left.
//
// Backup and restore (backup.go): GET /admin/backup (operations port,
// operator certificate, one at a time, else 409) streams the chain database from one
// LevelDB snapshot (storage.DB.Backup) while the node commits on;
// WriteBackup checks the stream to its end before it writes the manifest
// (chain id, node, height, head hash, records, bytes, SHA-256). Restore
// checks size and SHA-256 against the manifest first, then every record
// as it installs chain/ (storage.RestoreBackup: nothing is installed on
// any refusal), and leaves the raft log and snapshots empty: the node
// starts at the backup's height, bootstraps (a validator) or waits (an
// observer) like a new node, and the leader's log or snapshot brings it
// on, the FSM skipping every height it already holds
// (chain.ErrAlreadyApplied) and a snapshot restore fetching only the
// blocks above it by block sync. A raft state kept beside a restored
// database would be older or newer than it for no gain, so --force
// removes both. Measured by TestBackupRestoreUnderLoad in package faults
// (3 validators and an observer, 30 tx/s; 4 runs): a validator backed up
// at heights 5 to 12 in 21–35 ms, its data directory then removed,
// restored and started, was on the others' head 0.14–0.55 s after its
// start; nothing lost, forked or applied twice.
//
// Operations port and TLS (ops.go): the node creates its
// api.Operations in New before any handler is registered, so each part
// mounts its endpoints on n.ops (Handle: open; HandleAdmin: operator
// certificates only). ops_addr gives it a listener of its own, over TLS
// with the node's certificate unless ops_tls = false; unset, its routes
// are served behind the API's listener, as before it existed, and every
// test and script that reads /metrics or /readyz on the API address
// keeps working. pprof = true mounts /debug/pprof/* as admin endpoints.
// Admin means an operator certificate (genesis.VerifyOperator: the chain
// CA, client authentication, the operator policy, not revoked); a node
// certificate is refused, because its key belongs to one node and must
// not open another's log levels or profiles. api_tls serves the API over
// TLS with the node's certificate (its identity, reloaded on SIGHUP) or
// api_cert/api_key; both listeners ask for client certificates without
// requiring them (Prometheus and curl connect without one) and check them
// per request. LocalOptions.OpsPorts and APITLS (testnet up --ops-port,
// --tls) turn both on for a local network.
//
// Observability (observe.go): New hands each part a logger with its
// component (node, chain, consensus and raft, p2p, api, ops) and owns
// their levels (logspec.Levels: from log_level, which is a logspec spec;
// the logger's own when the caller built it on a logspec.Handler, as
// `veil node start` does, else a logspec handler over the caller's). The
// operations port's admin endpoint GET/PUT /logspec reads and sets them;
// LogLevels serves SIGHUP. Status adds raft's view (term, state, commit
// and applied index, voters and observers, last contact) and sync:
// "syncing" while a raft snapshot is restored by block sync or the head
// is more than syncLag (3) blocks below the highest height known (its
// peers' gossiped heads, refreshed each second, so a follower in step is
// seen 1–2 blocks off at 500 ms blocks), else "caught_up". Health checks
// storage (the chain database's and raft store's fault latches), raft
// (stopped, shut down, faulted) and gossip (memberlist shut down, or,
// when the network has other nodes, no live peer for 30 s); /healthz
// answers 503 naming the failed ones. A storage fault also stops the
// node, so 503 storage is seen only while it stops
// (TestHealthzNamesFailedComponents shuts memberlist, then raft, down in
// a running node). Metrics the node feeds: raft indexes and last contact,
// committed transactions and block histograms (applied), mempool bytes,
// head block time, verdict cache lookups, event subscribers, sync target
// and blocks fetched by block sync, certificate expiry; a test scrapes a
// real node and runs `promtool check metrics` (TestMetricsStatusAndPromtool).
//
// Local networks: InitLocal writes a network's genesis layout and one
// config per node on free loopback ports; LocalOptions.Hosts gives each
// node a listen host of its own instead (the fault tests run every node
// in its own network namespace at an address that exists only there).
// LocalOptions.BasePort fixes the ports instead (node i: API base+10·i,
// gossip +1, raft +2, operations +3), checked free before anything is written, so that
// `veil testnet up` (base 7000) serves node-1's API on 127.0.0.1:7010
// every time and the README's commands name real ports.
package node
