// Package client is the Go client of a veil node's HTTP API (package api):
// submit transactions, read blocks, transactions, groups and status, and
// follow the event stream. The veil CLI uses it; so can applications.
// Refusals come back as *Error with the API's stable code (IsCode);
// Error.Retryable marks those about the node's load rather than the
// transaction (busy, with RetryAfter; mempool_full; rate_limited).
// NewWithHTTPClient takes the http.Client to use for every request and
// the event stream (a custom dialer: the fault tests dial into a node's
// network namespace). threshold.go reads a group's opening committees and a transaction's
// openings; no share or identity key ever goes to a node.
package client
