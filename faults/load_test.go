package faults

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

// ---- steady load ----

type loadOptions struct {
	Group   string
	Members []*groupsig.MemberFile // each key with the group key of its epoch
	Rate    float64                // transactions per second
	Topic   string
	Payload int // bytes
	// Presign is how many transactions are signed before the first is
	// sent (default: two seconds' worth), so that a slow or contended
	// signer does not lower the rate; signing goes on in the background.
	Presign int
}

type acceptance struct {
	node int
	at   time.Time // when the node answered 202
}

// load submits anonymous transactions at a fixed rate, round robin over
// the running nodes, and records every id the API accepted, with the node
// and the time. Transactions are signed ahead by their own goroutines.
type load struct {
	n      *network
	opt    loadOptions
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	accepted  map[string]acceptance
	raw       map[string][]byte // encodings of accepted transactions (for replays)
	refused   map[string]int    // API refusals by code
	transport int               // requests without an answer (node killed or paused)
	sent      int
	signed    int
}

func (n *network) startLoad(opt loadOptions) *load {
	if opt.Topic == "" {
		opt.Topic = "faults"
	}
	if opt.Presign <= 0 {
		opt.Presign = int(2 * opt.Rate)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ld := &load{n: n, opt: opt, cancel: cancel, accepted: map[string]acceptance{}, raw: map[string][]byte{}, refused: map[string]int{}}
	txs := make(chan *chain.Tx, opt.Presign)
	n.t.Cleanup(ld.stop)
	for range signers {
		ld.wg.Add(1)
		go func() { defer ld.wg.Done(); ld.sign(ctx, txs) }()
	}
	start := time.Now()
	for len(txs) < cap(txs) && time.Since(start) < 2*time.Minute {
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Logf("load: %d transactions signed ahead in %v", len(txs), time.Since(start).Round(time.Millisecond))
	ld.wg.Add(1)
	go func() { defer ld.wg.Done(); ld.submit(ctx, txs) }()
	return ld
}

// signers is how many goroutines sign (a group signature on BLS12-381
// costs a few ms of a core here).
const signers = 2

// stop stops submitting and waits for the submissions in flight.
func (ld *load) stop() {
	ld.cancel()
	ld.wg.Wait()
}

// expiry leaves 500 blocks: enough for any commit, few enough that a
// node catching up after a restart still admits the transaction (the
// window is 1,000 blocks past its own head).
func (ld *load) expiry() uint64 { return ld.n.height.Load() + 500 }

func (ld *load) sign(ctx context.Context, out chan<- *chain.Tx) {
	payload := make([]byte, ld.opt.Payload)
	for ctx.Err() == nil {
		ld.mu.Lock()
		mf := ld.opt.Members[ld.signed%len(ld.opt.Members)]
		ld.signed++
		ld.mu.Unlock()
		tx, err := signAnonymous(ld.n.chainID, ld.opt.Group, ld.opt.Topic, payload, ld.expiry(), mf)
		if err != nil {
			panic(err) // a broken member key: a bug in the test's setup
		}
		select {
		case out <- tx:
		case <-ctx.Done():
			return
		}
	}
}

// signAnonymous signs an untagged anonymous transaction with a member's
// key at its epoch.
func signAnonymous(chainID, group, topic string, payload []byte, expiry uint64, mf *groupsig.MemberFile) (*chain.Tx, error) {
	tx := &chain.Tx{Kind: chain.KindAnonymous, ChainID: chainID, Expiry: expiry, Group: group, Epoch: mf.Key.Epoch(), Topic: topic, Payload: payload}
	var err error
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		return nil, err
	}
	if err := tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader); err != nil {
		return nil, err
	}
	return tx, nil
}

func (ld *load) submit(ctx context.Context, txs <-chan *chain.Tx) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / ld.opt.Rate))
	defer tick.Stop()
	sem := make(chan struct{}, 64)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	next := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var tx *chain.Tx
		select {
		case tx = <-txs:
		case <-ctx.Done():
			return
		}
		live := ld.n.running()
		if len(live) == 0 {
			continue
		}
		i := live[next%len(live)]
		next++
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer func() { <-sem }()
			// Not ctx: a submission in flight finishes (or times out) even
			// when the load stops, so its outcome is known.
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			raw := tx.Encode()
			id, err := ld.n.node(i).c.SubmitRaw(sctx, raw)
			now := time.Now()
			ld.mu.Lock()
			defer ld.mu.Unlock()
			ld.sent++
			var ae *client.Error
			switch {
			case err == nil:
				ld.accepted[id] = acceptance{node: i, at: now}
				ld.raw[id] = raw
			case errors.As(err, &ae):
				ld.refused[ae.Code]++
			default:
				ld.transport++
			}
		}()
	}
}

// acceptedRaw returns the ids the API accepted, with their encodings.
func (ld *load) acceptedRaw() map[string][]byte {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	out := make(map[string][]byte, len(ld.raw))
	for id, raw := range ld.raw {
		out[id] = raw
	}
	return out
}

// acceptedCount is how many transactions the API has accepted so far.
func (ld *load) acceptedCount() int {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return len(ld.accepted)
}

// acceptedBetween returns the ids the API accepted in [from, to).
func (ld *load) acceptedBetween(from, to time.Time) []string {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	var out []string
	for id, a := range ld.accepted {
		if !a.at.Before(from) && a.at.Before(to) {
			out = append(out, id)
		}
	}
	return out
}

func (ld *load) String() string {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	return fmt.Sprintf("sent %d, accepted %d, refused %v, no answer %d", ld.sent, len(ld.accepted), ld.refused, ld.transport)
}

// ---- commit watcher ----

type commitReport struct {
	loc  txLoc
	node int
	at   time.Time // first report, on any node
}

type hashReport struct {
	hash string
	node int
}

// watcher follows every node's event stream (reconnecting after a kill,
// from the last block it saw) and records every transaction the API
// reported committed and every block hash it reported, on any node.
type watcher struct {
	n      *network
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu        sync.Mutex
	committed map[string]commitReport
	blockHash map[uint64]hashReport
	conflicts []string // the same tx or height reported differently by two nodes
}

func (n *network) watch() *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{n: n, cancel: cancel, committed: map[string]commitReport{}, blockHash: map[uint64]hashReport{}}
	for _, p := range n.nodes {
		w.wg.Add(1)
		go func() { defer w.wg.Done(); w.follow(ctx, p) }()
	}
	n.t.Cleanup(w.stop)
	return w
}

func (w *watcher) stop() {
	w.once.Do(func() {
		w.cancel()
		w.wg.Wait()
	})
}

func (w *watcher) follow(ctx context.Context, p *nodeProc) {
	from := uint64(1)
	for ctx.Err() == nil {
		if p.is(stopped) {
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		s, err := p.c.Events(ctx, client.EventsOptions{FromHeight: from})
		if err != nil {
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		for ev := range s.C {
			w.record(p.idx, &ev)
			if ev.Type == "block" {
				// Reconnect from this block: its tx events may not all
				// have arrived yet.
				from = ev.Height
			}
		}
	}
}

func (w *watcher) record(node int, ev *api.Event) {
	w.n.seeHeight(ev.Height)
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case ev.Type == "block" && ev.Block != nil:
		if old, ok := w.blockHash[ev.Height]; !ok {
			w.blockHash[ev.Height] = hashReport{hash: ev.Block.Hash, node: node}
		} else if old.hash != ev.Block.Hash {
			w.conflicts = append(w.conflicts, fmt.Sprintf("block %d reported as %.16s by node-%d and %.16s by node-%d", ev.Height, old.hash, old.node, ev.Block.Hash, node))
		}
	case ev.Type == "tx" && ev.Tx != nil:
		loc := txLoc{Height: ev.Height, Index: int(ev.Tx.Index)}
		if old, ok := w.committed[ev.Tx.ID]; !ok {
			w.committed[ev.Tx.ID] = commitReport{loc: loc, node: node, at: now}
		} else if old.loc != loc {
			w.conflicts = append(w.conflicts, fmt.Sprintf("tx %s reported committed at %d/%d by node-%d and at %d/%d by node-%d", ev.Tx.ID, old.loc.Height, old.loc.Index, old.node, loc.Height, loc.Index, node))
		}
	}
}

// windowStats measures honest throughput over [from, to): the
// transactions the load had accepted in the window that the event streams
// reported committed no later than grace after it, per second of window,
// and their submit→commit latency percentiles.
func windowStats(ld *load, w *watcher, from, to time.Time, grace time.Duration) (perSec float64, p50, p95 time.Duration) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	var lat []time.Duration
	for id, a := range ld.accepted {
		if a.at.Before(from) || !a.at.Before(to) {
			continue
		}
		if c, ok := w.committed[id]; ok && !c.at.After(to.Add(grace)) {
			lat = append(lat, max(0, c.at.Sub(a.at)))
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		p50, p95 = lat[len(lat)/2], lat[len(lat)*95/100]
	}
	return float64(len(lat)) / to.Sub(from).Seconds(), p50, p95
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
