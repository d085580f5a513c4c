// Package api is a veil node's HTTP JSON API under /v1 (documented in
// openapi.json, served at /v1/openapi.json): transaction submission with
// stable refusal codes, reads of transactions, blocks, topics, groups and
// status, a websocket event stream of committed blocks and transactions
// (resumable, filterable by topic; slow consumers are dropped, never
// waited for), health and readiness probes, and Prometheus metrics.
//
// Refusals are {"error": {"code": …, "message": …}} with 400 and a
// validation code (malformed, wrong_chain, unknown_group, stale_epoch,
// bad_signature, expired, expiry_too_far, duplicate, too_large, …), 404
// not_found, 429 rate_limited or 503 mempool_full. Request bodies are cut
// off at a limit rather than read whole.
//
// The threshold opening (threshold.go): GET /v1/groups/{name}/committee
// shows a group's committees, GET /v1/txs/{id}/openings who consented to
// and released a share for a transaction's signature, and the completed
// opening; the event stream adds "committee" (status changes) and
// "opening" events. A completed opening on the ledger is public: anyone
// reading the chain learns who signed.
package api
