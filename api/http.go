package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// The HTTP conventions both servers (the API and the operations port)
// keep: every request has an id (X-Request-Id, the client's or a new
// one), echoed in the response and in every log line about the request;
// every error is a JSON ErrorBody, 405s included, with an Allow header;
// every 429 and 503 carries Retry-After.

// HeaderRequestID is the header a request id travels in, both ways.
const HeaderRequestID = "X-Request-Id"

// CodeMethodNotAllowed (405): the path exists but not with this method;
// the Allow header lists those it has.
const CodeMethodNotAllowed = "method_not_allowed"

// CodeUpgradeRequired (426): GET /v1/events was asked without a
// websocket upgrade.
const CodeUpgradeRequired = "upgrade_required"

type requestIDKey struct{}

// RequestID is the id of the request ctx belongs to ("" outside one).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestLogger is log with the request's id, for every line logged
// about a request (handlers mounted on the operations port use it too).
func RequestLogger(r *http.Request, log *slog.Logger) *slog.Logger {
	if id := RequestID(r.Context()); id != "" {
		return log.With("request_id", id)
	}
	return log
}

// validRequestID accepts a client's id if it is 1 to 128 visible ASCII
// characters: it ends up in logs and headers, so nothing else.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID gives every request an id before h sees it.
func withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// probeMethods are the methods a 405's Allow header may list.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowed lists the methods mux has a route for at r's path, other than
// its catch-all "/". ServeMux finds 405s itself only when no pattern
// matches at all; with a catch-all it never does, and its 405 body is
// text, so each server's catch-all asks here instead.
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	return out
}

// noRoute answers a request mux has no route for: 405 with Allow when
// the path has other methods, else next (nil: 404 not_found).
func noRoute(mux *http.ServeMux, next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if methods := allowed(mux, r); len(methods) > 0 {
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, fmt.Sprintf("%s %s: allowed methods are %s", r.Method, r.URL.Path, strings.Join(methods, ", ")))
			return
		}
		if next != nil {
			next.ServeHTTP(w, r)
			return
		}
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	}
}

// JSONErrors makes the error answers of a handler that writes them as
// text (http.Error: net/http/pprof's, websocket.Accept's) the API's JSON
// ErrorBody, with a code by status; everything else passes through.
func JSONErrors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ew := &errorWriter{ResponseWriter: w}
		h.ServeHTTP(ew, r)
		ew.answer()
	})
}

// errorWriter holds back an error status (4xx, 5xx) and its text body,
// for answer to write as JSON.
type errorWriter struct {
	http.ResponseWriter
	status int
	msg    bytes.Buffer
}

// WriteHeader holds back an error status; any other goes through.
func (e *errorWriter) WriteHeader(code int) {
	if code >= 400 {
		e.status = code
		return
	}
	e.ResponseWriter.WriteHeader(code)
}

// Write holds back an error's text.
func (e *errorWriter) Write(b []byte) (int, error) {
	if e.status != 0 {
		return e.msg.Write(b)
	}
	return e.ResponseWriter.Write(b)
}

// Hijack hands the connection over (the websocket).
func (e *errorWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(e.ResponseWriter).Hijack()
}

// Flush flushes a streamed answer (a CPU profile, a trace).
func (e *errorWriter) Flush() { _ = http.NewResponseController(e.ResponseWriter).Flush() }

// Unwrap is for http.ResponseController.
func (e *errorWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }

// answer writes the held-back error, if any, as a JSON error.
func (e *errorWriter) answer() {
	if e.status == 0 {
		return
	}
	code := CodeBadRequest
	switch e.status {
	case http.StatusNotFound:
		code = CodeNotFound
	case http.StatusUpgradeRequired:
		code = CodeUpgradeRequired
	case http.StatusForbidden:
		code = CodeForbidden
	case http.StatusMethodNotAllowed:
		code = CodeMethodNotAllowed
	default:
		if e.status >= 500 {
			code = CodeUnavailable
		}
	}
	e.Header().Del("X-Content-Type-Options")
	e.Header().Del("Content-Length")
	writeError(e.ResponseWriter, e.status, code, strings.TrimSpace(e.msg.String()))
}
