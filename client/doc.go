// Package client is the Go client of a veil node's HTTP API (package api):
// submit transactions, read blocks, transactions, groups and status, and
// follow the event stream. The veil CLI uses it; so can applications.
// Refusals come back as *Error with the API's stable code (IsCode);
// Error.Retryable marks those about the node's load rather than the
// transaction (busy, with RetryAfter; mempool_full; rate_limited).
// NewWithHTTPClient takes the http.Client to use for every request and
// the event stream (a custom dialer: the fault tests dial into a node's
// network namespace). A node serving its API over TLS (api_tls) takes
// NewTLS with TLSFiles.Config: the chain CA to trust it by, and a client
// certificate (an operator's, for admin endpoints); HTTPClient keeps the
// connection HTTP/1.1 so that the event stream's websocket upgrades.
// threshold.go reads a group's opening committees and a transaction's
// openings; no share or identity key ever goes to a node.
//
// A 202 from a submission is pending, not durable: the node's mempool is
// memory only, and a transaction admitted shortly before every node
// stopped (up to about a block interval before) is gone after the
// restart. SubmitWait (submitwait.go) is the durable way: it keeps the
// signed bytes and, while it waits, submits them again whenever the node
// is back without them, until the commit, a refusal (expired once the
// expiry passed) or the context's end; never re-signed, so the id is the
// same and the chain lets it take effect once. SubmitAdmin (admin, join
// and revocation transactions) and SubmitSealed (committees) wait with
// it too. WaitTx only polls an id (it reports ErrTxDropped when the node
// no longer holds it).
package client
