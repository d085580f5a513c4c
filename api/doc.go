// Package api is a veil node's HTTP JSON API under /v1 (documented in
// openapi.json, served at /v1/openapi.json): transaction submission with
// stable refusal codes, reads of transactions, blocks, topics, groups and
// status, a websocket event stream of committed blocks and transactions
// (resumable, filterable by topic; slow consumers are dropped, never
// waited for), health and readiness probes, and Prometheus metrics.
//
// 202 to POST /v1/txs means pending, not durable: the mempool is memory
// only, so a transaction admitted since the last block was cut when every
// node stops is gone after the restart (measured: those admitted 95–233 ms
// before a whole-network SIGKILL at 400 ms blocks, faults'
// TestWholeNetworkCrashAfter202). The commit is what lasts (GET
// /v1/txs/{id} committed, or its tx event); a client keeps the signed
// bytes and submits them again until it sees it (client.SubmitWait, `veil
// tx send --wait`). The id is the same, so it takes effect at most once.
//
// The event stream (events.go) never sends a height below from_height,
// whichever path would: replay, live (also when from_height is above the
// node's head: a client resuming on a node that is behind), or a
// reconnect after a slow-consumer close; nor a height twice. Before, live
// blocks were only checked against the head read at subscription, so a
// node at H asked for H+3 sent H+1 and H+2 (TestEventStreamFromAboveHead,
// and a property test over random from_height against the head).
//
// Refusals are {"error": {"code": …, "message": …}} with 400 and a
// validation code (malformed, wrong_chain, unknown_group, stale_epoch,
// bad_signature, expired, expiry_too_far, duplicate, …), 404 not_found,
// 413 too_large (a body over MaxBodyBytes: refused on its Content-Length
// before it is read, or cut off while reading), 429 rate_limited, 503
// mempool_full, 503 busy, or 503 forked.
//
// HTTP conventions (http.go), on the API and the operations port alike:
// every error is that JSON body, also a wrong method (405
// method_not_allowed with Allow: Go's ServeMux never finds those behind
// a catch-all route, and its own 405 is text), the websocket's refused
// handshakes (426 upgrade_required, 403 forbidden for a foreign Origin,
// 400: JSONErrors turns the library's text answers into JSON) and
// pprof's; every 429 and 503 carries Retry-After (1 s, 30 s with forked);
// every request has an id, the client's X-Request-Id if usable (1 to 128
// visible ASCII characters) or a new one, echoed in the response and
// logged as request_id on every line about the request (RequestLogger).
//
// The document (openapi.json, OpenAPI 3.1) describes the API and the
// operations routes in one, because by default both are on one listener:
// the operations paths carry servers of their own (ops_addr) and the
// admin ones the operatorCertificate (mutualTLS) security scheme. It
// passes `redocly lint` with the recommended ruleset (redocly.yaml; the
// three problems kept are listed with their reasons in
// .redocly.lint-ignore.yaml), and TestRealResponsesMatchOpenAPI drives
// every operation of it on a real node to a success and to errors and
// validates each real answer with kin-openapi (openapi3filter), event
// stream messages included; TestBFTStatusMatchesOpenAPI validates a BFT
// chain's status (consensus, the bft object; the raft fields empty or 0)
// and validators on a real 4-validator network with an observer.
//
// Forks: once the Backend reports a *ForkedError (the node found a peer
// that committed a different block at a height it committed; package
// node), POST /v1/txs and /readyz answer 503 forked, both bodies listing
// the conflicts (peer, height, both hashes, the peer block's proposer),
// and /v1/status shows forked and forks.
//
// Load shedding: a submission's signature is verified on the node's one
// verification pool (chain.Verifier) at the lowest priority, after block
// apply and gossip admission. When the pool's bounded API queue is full,
// POST /v1/txs answers 503 busy at once instead of verifying late (before
// the pool, API, gossip and apply verified on their own goroutines, a
// 1.8 ms verification took 10–48 ms of wall time, followers lagged 7–20
// blocks and the leader lost its quorum under saturation). busy is not a
// refusal: clients retry (client.IsCode(err, "busy")).
//
// Metrics (GET /metrics, on the operations server) besides the Go and
// process collectors: submissions (veil_txs_admitted_total,
// veil_txs_refused_total{code}, every refusal code from the start,
// veil_api_busy_total); API requests by route pattern and status code
// (veil_api_requests_total{route,code}, every route with the codes the
// API answers from the start; veil_api_request_duration_seconds{route},
// the event stream counted but not timed), recorded by a wrapper that
// handle puts around each route (instrument.go) and that passes Hijack
// and Flush through for the websocket; each route's series are looked up
// once, so a request costs one allocation (the 24 B status writer) and
// no label hashing (BenchmarkInstrument: 9 allocations against the bare
// handler's 8, time 0.93–1.12 of it over 3 runs, within this machine's
// noise; with a label lookup a request it was 10); the verification pool
// (veil_signature_verifications_total{path}, veil_verify_queue_depth
// {priority}, veil_group_signature_verify_seconds,
// veil_verdict_cache_lookups_total{result=hit|miss}); blocks
// (veil_block_commit_seconds, veil_block_txs, veil_block_bytes,
// veil_txs_committed_total{result=valid|invalid}, veil_chain_height,
// veil_head_block_timestamp_seconds); veil_mempool_txs and _bytes;
// gossip (veil_peers, veil_gossip_dropped_total, veil_gossip_tx_copies_
// sent_total{path}); events (veil_event_subscribers, veil_event_
// subscribers_dropped_total); raft (veil_raft_leader_changes_total,
// veil_raft_term, veil_raft_state, veil_raft_commit_index, veil_raft_
// applied_index, veil_raft_last_contact_seconds); block sync (veil_sync_
// target_height, veil_block_sync_blocks_fetched_total, veil_block_sync_
// refused_total{reason}); forks (veil_fork_detected, veil_fork_conflicts_
// total); veil_node_cert_expiry_seconds. What only grows is a counter:
// veil_gossip_dropped_total and veil_event_subscribers_dropped_total were
// gauges, which `promtool check metrics` refuses for *_total names. A
// node test scrapes a real node and runs promtool on it.
//
// The operations server (ops.go, Operations): /metrics, /healthz,
// /readyz and the admin endpoints of the people who run the node. Parts
// of the node mount endpoints on it with Handle (open to whoever reaches
// the port) or HandleAdmin (403 forbidden unless the request came over
// TLS with a client certificate OpsConfig.Admin accepts; package node
// accepts operator certificates only: genesis.VerifyOperator). It is
// served on a listener of its own (node config ops_addr, TLS with the
// node's certificate unless ops_tls is false) or, when there is none,
// behind the API's listener: a request the API has no route for goes to
// it, so networks configured before it keep their URLs.
//
// GET /healthz answers from Backend.Health: 200 {"status":"ok",
// "components":{…}} when every component checked is ok, else 503
// {"status":"unavailable","components":{…},"failed":[{"component",
// "error"}]}. /v1/status carries raft's view (term, state, commit and
// applied index, voters, observers, last contact) and the sync status.
//
// The threshold opening (threshold.go): GET /v1/groups/{name}/committee
// shows a group's committees, GET /v1/txs/{id}/openings who consented to
// and released a share for a transaction's signature, and the completed
// opening; the event stream adds "committee" (status changes) and
// "opening" events. A completed opening on the ledger is public: anyone
// reading the chain learns who signed.
package api
