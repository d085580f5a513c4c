// Package node wires one veil node from its configuration: LevelDB
// storage, the ledger and mempool, memberlist gossip over mutual TLS
// (transactions, anti-entropy and block sync on package p2p), raft
// ordering (package consensus), and the HTTP API, with a graceful stop.
//
// Gossip: a transaction admitted through the API or from gossip is
// re-broadcast the first time this node admits it; gossiped transactions
// are admitted in batches so their signatures verify on all cores; every
// second a node pulls a random peer's pending ids and fetches what it
// lacks, which repairs messages memberlist lost. Block sync serves raft
// snapshot restores. The leader adds certified observers that appear in
// gossip to raft as non-voters, and removes them once gone for good.
//
// Disk: the data directory holds the chain database (chain/), the raft log
// and stable store (raft-log/) and raft's snapshots (raft/). The raft log
// is sized by bytes, raft_log_bytes (default 4 MiB): past it a snapshot
// compacts it to its newest half, and a follower further behind catches up
// by block sync. Measured at 100,000 v2 transactions the directory holds
// about 540 B/tx, the raft log about 17 of them (889 and 397 with the
// former 8,192-entry snapshot threshold); see package storage.
package node
