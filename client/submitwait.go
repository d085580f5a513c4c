package client

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
)

// A 202 from POST /v1/txs means pending, not durable: the mempool is
// memory only, so a transaction admitted shortly before every node died
// is gone after the restart (GET answers not_found). The commit is what
// lasts. SubmitWait therefore keeps the signed bytes and submits them
// again whenever the node no longer knows the transaction, until it sees
// the commit: the bytes are never re-signed, so the id stays the same and
// the chain, which refuses a second transaction with a committed id, lets
// it take effect once.

// SubmitWaitConfig tunes Client.SubmitWait.
type SubmitWaitConfig struct {
	// Progress, if set, is told in a sentence each time the wait does
	// more than wait: the node is unreachable or busy, answers again, no
	// longer knows the transaction, the bytes were submitted again.
	Progress func(msg string)
	// MaxPoll is the longest pause between two looks at the transaction
	// (the pause doubles from 100 ms up to it).
	MaxPoll time.Duration
	// RequestTimeout bounds each request, so that a node that hangs (a
	// frozen process, a cut link) is treated as unreachable.
	RequestTimeout time.Duration
}

// DefaultSubmitWaitConfig returns the configuration `veil tx send --wait`
// uses: polls up to once a second, 5 s a request, no progress reports.
func DefaultSubmitWaitConfig() SubmitWaitConfig {
	return SubmitWaitConfig{MaxPoll: time.Second, RequestTimeout: 5 * time.Second}
}

// Committed is where SubmitWait saw a transaction commit.
type Committed struct {
	ID     string
	Height uint64
	// Resubmits counts submissions of the same bytes after the first
	// that the node admitted (202) or answered duplicate.
	Resubmits int
}

// SubmitWait submits raw, a signed transaction's canonical encoding, and
// waits until it is committed. While it waits, if the node is unreachable
// or busy it tries again; if the node no longer knows the transaction (it
// restarted, so its mempool is empty, or dropped it) it submits the same
// bytes again, which the node refuses once the expiry has passed. A
// resubmission answered duplicate is a transaction pending or committed
// already. It returns when the transaction is committed, with its
// height; with the node's refusal (an *Error: a validation code, e.g.
// expired) if the node refuses the bytes; or when ctx ends.
func (c *Client) SubmitWait(ctx context.Context, raw []byte, cfg SubmitWaitConfig) (*Committed, error) {
	tx, err := chain.DecodeTx(raw)
	if err != nil {
		return nil, fmt.Errorf("decode transaction: %w", err)
	}
	def := DefaultSubmitWaitConfig()
	if cfg.MaxPoll <= 0 {
		cfg.MaxPoll = def.MaxPoll
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = def.RequestTimeout
	}
	idb := tx.ID()
	w := &submitWait{c: c, cfg: cfg, raw: raw, out: Committed{ID: hex.EncodeToString(idb[:])}}
	return w.run(ctx)
}

type submitWait struct {
	c   *Client
	cfg SubmitWaitConfig
	raw []byte
	out Committed

	downSince time.Time // when the node stopped answering (zero: it answers)
	wasDown   bool      // the node was unreachable since the transaction was last admitted
	busy      bool      // a load refusal was reported and not yet followed by an admission
}

func (w *submitWait) progress(format string, args ...any) {
	if w.cfg.Progress != nil {
		w.cfg.Progress(fmt.Sprintf(format, args...))
	}
}

// unreachable notes a request without an answer, reporting the first of
// an outage.
func (w *submitWait) unreachable(err error) {
	if w.downSince.IsZero() {
		w.downSince, w.wasDown = time.Now(), true
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe // "dial tcp …: connection refused", without the URL twice
		}
		w.progress("node unreachable (%v); waiting for it", err)
	}
}

// answered notes an answer from the node, reporting the end of an outage.
func (w *submitWait) answered() {
	if !w.downSince.IsZero() {
		w.progress("node answers again after %v", time.Since(w.downSince).Round(100*time.Millisecond))
		w.downSince = time.Time{}
	}
}

// submitted is what one submission of the bytes came to.
type submitted int

const (
	retry     submitted = iota // no answer, a load refusal or a server error: try again
	admitted                   // 202
	duplicate                  // pending or committed already
	refusedTx                  // a refusal of the transaction (the error says which)
)

// submit sends the bytes once.
func (w *submitWait) submit(ctx context.Context) (submitted, error) {
	rctx, cancel := context.WithTimeout(ctx, w.cfg.RequestTimeout)
	defer cancel()
	_, err := w.c.SubmitRaw(rctx, w.raw)
	var ae *Error
	switch {
	case err == nil:
		w.answered()
		w.busy = false
		return admitted, nil
	case IsCode(err, chain.CodeDuplicate.String()):
		w.answered()
		w.busy = false
		return duplicate, nil
	case errors.As(err, &ae):
		w.answered()
		if ae.Retryable() || ae.Status >= 500 {
			if !w.busy {
				w.busy = true
				w.progress("node did not take the transaction now (%v); trying again", err)
			}
			return retry, nil
		}
		return refusedTx, err
	default:
		if ctx.Err() == nil {
			w.unreachable(err)
		}
		return retry, nil
	}
}

func (w *submitWait) run(ctx context.Context) (*Committed, error) {
	pause := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for transaction %s: %w", w.out.ID, ctx.Err())
		case <-time.After(d):
			return nil
		}
	}
	const first = 100 * time.Millisecond
	tick := first
	// The first submission.
	var res submitted
	for {
		var err error
		if res, err = w.submit(ctx); res == refusedTx {
			return nil, err
		}
		if res != retry {
			break
		}
		if err := pause(tick); err != nil {
			return nil, err
		}
		tick = min(2*tick, w.cfg.MaxPoll)
	}
	w.wasDown = false
	tick = first
	// afterDup: the last submission was answered duplicate, so a
	// not_found now means the node refuses the bytes for another reason
	// (a join request of the same label pending): a refusal.
	afterDup := res == duplicate
	for {
		if err := pause(tick); err != nil {
			return nil, err
		}
		tick = min(2*tick, w.cfg.MaxPoll)
		rctx, cancel := context.WithTimeout(ctx, w.cfg.RequestTimeout)
		got, err := w.c.Tx(rctx, w.out.ID)
		cancel()
		var ae *Error
		switch {
		case err == nil:
			w.answered()
			if got.Status == "committed" && got.Height != nil {
				w.out.Height = *got.Height
				return &w.out, nil
			}
			afterDup = false
			continue // pending
		case IsCode(err, api.CodeNotFound):
			w.answered()
		case errors.As(err, &ae):
			w.answered()
			continue // a server error: look again
		default:
			if ctx.Err() == nil {
				w.unreachable(err)
			}
			continue
		}
		// The node knows the transaction neither pending nor committed.
		if afterDup {
			return nil, &Error{Status: 400, Code: chain.CodeDuplicate.String(), Message: fmt.Sprintf("the node answers duplicate to transaction %s but holds it neither pending nor committed", w.out.ID)}
		}
		why := "node no longer holds transaction " + w.out.ID + " (dropped from its mempool)"
		if w.wasDown {
			// It was unreachable and came back with an empty mempool.
			why = "node restarted without transaction " + w.out.ID + " (pending is not durable)"
		}
		res, err := w.submit(ctx)
		switch res {
		case refusedTx:
			return nil, fmt.Errorf("%s; submitted it again, refused: %w", why, err)
		case retry:
			continue // unreachable or busy again: look again later
		}
		w.out.Resubmits++
		w.wasDown, afterDup, tick = false, res == duplicate, first
		what := "admitted"
		if res == duplicate {
			what = "answered duplicate: pending or committed already"
		}
		w.progress("%s; resubmitted the same signed bytes: %s (resubmission %d)", why, what, w.out.Resubmits)
	}
}
