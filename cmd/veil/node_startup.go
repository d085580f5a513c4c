package main

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"sync"

	"github.com/veilchain/veil/storage"
	"github.com/veilchain/veil/version"
)

// heldWriter holds what the node logs while it starts, so that a start-up
// failure is one line on stderr (the error, see startupFailed) and not
// that line after a screen of what raft and memberlist said on the way.
// Once the node is up the held lines go out in order and later writes
// pass straight through.
type heldWriter struct {
	mu   sync.Mutex
	w    io.Writer
	buf  bytes.Buffer
	held bool
}

func newHeldWriter(w io.Writer) *heldWriter { return &heldWriter{w: w, held: true} }

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held {
		return h.buf.Write(p)
	}
	return h.w.Write(p)
}

// release stops holding; flush writes out what was held, otherwise it is
// dropped.
func (h *heldWriter) release(flush bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if flush {
		_, _ = h.w.Write(h.buf.Bytes())
	}
	h.buf = bytes.Buffer{}
	h.held = false
}

// logVersion is the node's first log line: which build is running.
func logVersion(log *slog.Logger) {
	v := version.Get()
	log.Info("veil "+v.Version, "version", v.Version, "commit", v.Commit, "go_version", v.GoVersion, "suites", v.Suites)
}

// startupFailed reports a failed node.New: the held start-up lines are
// dropped (kept at debug level, for diagnosis) and the error is logged as
// one line at error level, in the node's log format, so a log collector
// reads it like any other line; a full disk's line is its WriteError
// text ("disk full: <dir>: …"). The returned error exits 2 and is not
// printed again.
func startupFailed(log *slog.Logger, held *heldWriter, debug bool, err error) error {
	held.release(debug)
	msg := err.Error()
	if we := (*storage.WriteError)(nil); errors.As(err, &we) {
		msg = we.Error()
	}
	log.Error(msg)
	return &exitError{code: exitUsage, err: err, reported: true}
}
