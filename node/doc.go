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
// Verification: the ledger owns the node's one verification pool
// (chain.Verifier with chain.DefaultVerifierConfig: a worker a core),
// shared by block apply, gossip admission and API submissions in that
// order of priority; the API sheds submissions with 503 busy when its
// share is full. The node exports the pool's and raft's figures:
// veil_signature_verifications_total{path}, veil_verify_queue_depth
// {priority}, veil_api_busy_total, veil_raft_leader_changes_total,
// veil_raft_term and veil_raft_state.
package node
