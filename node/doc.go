// Package node wires one veil node from its configuration: LevelDB
// storage, the ledger and mempool, memberlist gossip over mutual TLS
// (transactions, anti-entropy and block sync on package p2p), raft
// ordering (package consensus), and the HTTP API, with a graceful stop.
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
// Block sync serves raft snapshot restores. The leader adds certified
// observers that appear in gossip to raft as non-voters, and removes them
// once gone for good.
//
// Disk: the data directory holds the chain database (chain/), the raft log
// and stable store (raft-log/) and raft's snapshots (raft/). The raft log
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
// Local networks: InitLocal writes a network's genesis layout and one
// config per node on free loopback ports; LocalOptions.Hosts gives each
// node a listen host of its own instead (the fault tests run every node
// in its own network namespace at an address that exists only there).
package node
