package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// progressLog collects SubmitWait's progress sentences.
type progressLog struct {
	mu   sync.Mutex
	msgs []string
}

func (p *progressLog) add(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, msg)
}

func (p *progressLog) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.msgs, " | ")
}

// signedTx signs an anonymous transaction of alice's in group g, valid
// until expiry.
func signedTx(t *testing.T, mf *groupsig.MemberFile, chainID string, expiry uint64) []byte {
	t.Helper()
	tx := &chain.Tx{Kind: chain.KindAnonymous, ChainID: chainID, Expiry: expiry, Group: "g", Epoch: mf.Key.Epoch(), Topic: "t", Payload: []byte("x")}
	var err error
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return tx.Encode()
}

// TestSubmitWaitAcrossARestart runs a one-node network whose blocks are
// 2 s apart, so a transaction stays pending: SubmitWait submits it, the
// node is stopped (its mempool, memory only, goes with it) and started
// again on the same data, and SubmitWait must notice, submit the same
// bytes again and return the commit. Submitting the committed bytes once
// more returns the same height (duplicate), an expired transaction is
// refused with its code, and a node that never answers ends the wait
// with the context.
func TestSubmitWaitAcrossARestart(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 1, Groups: []string{"g"}, Members: []string{"alice"},
		Tweak: func(c *node.Config) { c.BlockInterval = node.Duration{Duration: 2 * time.Second} }})
	c := New(net.URL(0))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	mf, err := groupsig.ReadMemberFile(net.Layout.MemberKey("g", "alice"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw := signedTx(t, mf, st.ChainID, st.Height+100)
	var log progressLog
	type result struct {
		c   *Committed
		err error
	}
	done := make(chan result, 1)
	go func() {
		cfg := DefaultSubmitWaitConfig()
		cfg.Progress = log.add
		got, err := c.SubmitWait(ctx, raw, cfg)
		done <- result{got, err}
	}()
	tx, _ := chain.DecodeTx(raw)
	idb := tx.ID()
	id := hex.EncodeToString(idb[:])
	// Once the node holds it pending, stop the node and start it again.
	for {
		got, err := c.Tx(ctx, id)
		if err == nil && got.Status == "pending" {
			break
		}
		if err == nil || ctx.Err() != nil {
			t.Fatalf("before the restart: %+v %v", got, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	net.Stop(0)
	cfg, err := node.ReadConfig(node.ConfigPath(net.Layout, 1))
	if err != nil {
		t.Fatal(err)
	}
	nd, err := node.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- nd.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-ran })

	r := <-done
	if r.err != nil {
		t.Fatalf("SubmitWait: %v (progress: %s)", r.err, &log)
	}
	if r.c.ID != id || r.c.Resubmits < 1 || r.c.Height == 0 {
		t.Fatalf("SubmitWait: %+v, want id %s, ≥ 1 resubmission (progress: %s)", r.c, id, &log)
	}
	// Whether a poll fell into the restart (and the wait says "restarted")
	// or not ("no longer holds") depends on timing; the resubmission must
	// be told either way.
	if !strings.Contains(log.String(), "resubmitted the same signed bytes") {
		t.Fatalf("progress does not tell the resubmission: %s", &log)
	}
	t.Logf("committed at %d after %d resubmission(s); progress: %s", r.c.Height, r.c.Resubmits, &log)
	got, err := c.Tx(ctx, id)
	if err != nil || got.Status != "committed" || *got.Height != r.c.Height {
		t.Fatalf("the node has %+v %v", got, err)
	}

	// The same bytes again: duplicate, the same commit.
	again, err := c.SubmitWait(ctx, raw, DefaultSubmitWaitConfig())
	if err != nil || again.Height != r.c.Height || again.Resubmits != 0 {
		t.Fatalf("committed bytes again: %+v %v, want height %d", again, err, r.c.Height)
	}

	// Expired: refused with its code, no waiting.
	if st, err = c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitWait(ctx, signedTx(t, mf, st.ChainID, st.Height), DefaultSubmitWaitConfig()); !IsCode(err, chain.CodeExpired.String()) {
		t.Fatalf("an expired transaction: %v, want code expired", err)
	}

	// Nobody answers: the wait ends with the context, having said so.
	var gone progressLog
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	cfg2 := DefaultSubmitWaitConfig()
	cfg2.Progress = gone.add
	if _, err := New("http://127.0.0.1:1").SubmitWait(short, raw, cfg2); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(gone.String(), "node unreachable") {
		t.Fatalf("no node: %v (progress: %s)", err, &gone)
	}
}
