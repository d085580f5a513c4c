package api

import (
	"encoding/json"
	"errors"
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
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// writeTxError maps a submission error to its status and stable code.
func writeTxError(w http.ResponseWriter, err error) string {
	if errors.Is(err, chain.ErrBusy) {
		w.Header().Set("Retry-After", "1")
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
