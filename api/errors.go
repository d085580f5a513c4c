package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/veilchain/veil/chain"
)

// Codes that are not transaction validation codes.
const (
	CodeNotFound    = "not_found"
	CodeRateLimited = "rate_limited"
	CodeMempoolFull = "mempool_full"
	// CodeBusy (503, with Retry-After): the node's verification pool has
	// no room for API work now; retry shortly. Not a refusal of the
	// transaction.
	CodeBusy        = "busy"
	CodeBadRequest  = "bad_request"
	CodeUnavailable = "unavailable"
	// CodeForked (503): the node has found a peer that committed a
	// different block at a height it committed; it accepts no
	// submissions and is not ready until an operator repairs the fork and
	// restarts it. The body lists the conflicts.
	CodeForked = "forked"
)

// ForkedError is what a Backend's Ready and Submit return once the node
// has found a fork; the API answers 503 forked with the conflicts.
type ForkedError struct {
	Conflicts []ForkConflict
}

// Error names the first conflict.
func (e *ForkedError) Error() string {
	if len(e.Conflicts) == 0 {
		return "forked"
	}
	c := e.Conflicts[0]
	return fmt.Sprintf("fork: peer %s committed block %.16s at height %d, this node %.16s (%d conflicting peers); the node accepts no submissions until an operator repairs it and restarts it",
		c.Peer, c.PeerHash, c.Height, c.LocalHash, len(e.Conflicts))
}

// writeForked answers 503 forked if err is a *ForkedError.
func writeForked(w http.ResponseWriter, err error) bool {
	var fe *ForkedError
	if !errors.As(err, &fe) {
		return false
	}
	w.Header().Set("Retry-After", retryAfterForked)
	writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: CodeForked, Message: fe.Error()}, Forks: fe.Conflicts})
	return true
}

// retryAfterForked is the Retry-After of 503 forked: repairing a fork
// takes an operator, so clients need not ask every second.
const retryAfterForked = "30"

// writeJSON writes v as the response body. Every 429 and 503 carries a
// Retry-After (1 s unless the caller set one): a client that backs off
// by it needs no per-code knowledge.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// writeTxError maps a submission error to its status and stable code.
func writeTxError(w http.ResponseWriter, err error) string {
	if writeForked(w, err) {
		return CodeForked
	}
	if errors.Is(err, chain.ErrBusy) {
		writeError(w, http.StatusServiceUnavailable, CodeBusy, err.Error())
		return CodeBusy
	}
	if errors.Is(err, chain.ErrMempoolFull) {
		writeError(w, http.StatusServiceUnavailable, CodeMempoolFull, err.Error())
		return CodeMempoolFull
	}
	code := chain.CodeOf(err).String()
	writeError(w, http.StatusBadRequest, code, err.Error())
	return code
}
