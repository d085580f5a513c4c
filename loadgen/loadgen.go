package loadgen

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// Config is one load run.
type Config struct {
	Nodes []string // API URLs; submissions go round robin
	// TLS is the client configuration for https:// nodes (the chain CA
	// to trust); nil: the system roots.
	TLS      *tls.Config
	ChainID  string
	Group    string
	Members  []*groupsig.MemberFile // each key with its group key at the key's epoch
	Topic    string
	Payload  int           // payload bytes per transaction
	Rate     float64       // transactions per second; 0 means as fast as accepted
	Duration time.Duration // submission window
	// Txs caps the transactions signed ahead (0: Rate × Duration, or 4,000
	// a core-second-ish guess for max rate).
	Txs int
	// InFlight bounds concurrent submissions.
	InFlight int
	// MaxPending bounds, at max rate, transactions submitted but not yet
	// committed: the run measures what the network sustains, not how much
	// it can queue (default 1,000).
	MaxPending int
	// BusyRetry is how long a submission answered 503 busy waits before
	// it is sent again (default 50 ms: a node sheds load for about one
	// block's verification, not the second its Retry-After rounds up to).
	BusyRetry time.Duration
	// Progress, if set, is called as transactions are signed, submitted
	// and committed.
	Progress func(stage string, done, total int)
}

// Report is what a run measured.
type Report struct {
	Submitted int            `json:"submitted"`
	Committed int            `json:"committed"` // on every node followed
	Refused   map[string]int `json:"refused"`
	// Busy counts 503 busy answers (the node shed load): each was retried
	// after BusyRetry, so it is neither refused nor lost.
	Busy         int     `json:"busy"`
	Lost         int     `json:"lost"`    // accepted but not committed on every node by the end
	Seconds      float64 `json:"seconds"` // first submission to the last commit on the slowest node
	SubmitRate   float64 `json:"submitted_per_s"`
	CommitRate   float64 `json:"committed_per_s"`
	LatencyP50ms float64 `json:"latency_p50_ms"`
	LatencyP95ms float64 `json:"latency_p95_ms"`
	LatencyP99ms float64 `json:"latency_p99_ms"`
	SignSeconds  float64 `json:"sign_seconds"`
	// Blocks counts the blocks first committed (on any node followed)
	// while submissions ran; BlockIntervalMeanMs and BlockIntervalP50ms
	// are the mean and median time between consecutive ones: the block
	// time under this load, whatever the engine stamps in the header.
	Blocks              int     `json:"blocks"`
	BlockIntervalMeanMs float64 `json:"block_interval_mean_ms"`
	BlockIntervalP50ms  float64 `json:"block_interval_p50_ms"`
}

// Run signs, submits and follows transactions, and reports.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if len(cfg.Nodes) == 0 || len(cfg.Members) == 0 {
		return nil, errors.New("loadgen: need at least one node and one member key")
	}
	if cfg.InFlight <= 0 {
		cfg.InFlight = 64
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 1000
	}
	if cfg.BusyRetry <= 0 {
		cfg.BusyRetry = 50 * time.Millisecond
	}
	clients := make([]*client.Client, len(cfg.Nodes))
	for i, u := range cfg.Nodes {
		clients[i] = client.New(u)
		if cfg.TLS != nil && strings.HasPrefix(u, "https://") {
			clients[i] = client.NewTLS(u, cfg.TLS)
		}
	}
	st, err := clients[0].Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("loadgen: status of %s: %w", cfg.Nodes[0], err)
	}
	if cfg.ChainID == "" {
		cfg.ChainID = st.ChainID
	}
	n := cfg.Txs
	if n <= 0 {
		if cfg.Rate > 0 {
			n = int(cfg.Rate*cfg.Duration.Seconds()) + 1
		} else {
			n = int(400 * cfg.Duration.Seconds())
		}
	}
	signStart := time.Now()
	txs, err := sign(ctx, cfg, n, st.Height+900)
	if err != nil {
		return nil, err
	}
	rep := &Report{Refused: map[string]int{}, SignSeconds: time.Since(signStart).Seconds()}

	// Follow commits on every node from the next block on, before
	// submitting anything. Latency runs to the first node that commits a
	// transaction; throughput counts a transaction once every node has.
	var mu sync.Mutex
	sentAt := make(map[string]time.Time, n)
	firstAt := make(map[string]time.Time, n)
	seenBy := make(map[string]int, n)
	allAt := make(map[string]time.Time, n)
	blockAt := make(map[uint64]time.Time) // first commit of each height
	var committed atomic.Int64            // first commits
	for _, c := range clients {
		stream, err := c.Events(ctx, client.EventsOptions{FromHeight: st.Height + 1})
		if err != nil {
			return nil, err
		}
		go func() {
			for ev := range stream.C {
				now := time.Now()
				if ev.Type == "block" {
					mu.Lock()
					if _, ok := blockAt[ev.Height]; !ok {
						blockAt[ev.Height] = now
					}
					mu.Unlock()
					continue
				}
				if ev.Type != "tx" {
					continue
				}
				mu.Lock()
				id := ev.Tx.ID
				if _, ok := firstAt[id]; !ok {
					firstAt[id] = now
					if c := committed.Add(1); cfg.Progress != nil {
						cfg.Progress("commit", int(c), n)
					}
				}
				if seenBy[id]++; seenBy[id] == len(clients) {
					allAt[id] = now
				}
				mu.Unlock()
			}
		}()
	}

	var submitted atomic.Int64
	var limiter *rate.Limiter
	if cfg.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(cfg.Rate), 1)
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	sem := make(chan struct{}, cfg.InFlight)
	var wg sync.WaitGroup
	for i, tx := range txs {
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		if limiter != nil {
			if err := limiter.Wait(ctx); err != nil {
				break
			}
		}
		if limiter == nil {
			// Closed loop at max rate: keep at most MaxPending uncommitted.
			for submitted.Load()-committed.Load() >= int64(cfg.MaxPending) && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(2 * time.Millisecond)
			}
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int, tx *chain.Tx) {
			defer wg.Done()
			defer func() { <-sem }()
			id := tx.ID()
			key := fmt.Sprintf("%x", id[:])
			mu.Lock()
			sentAt[key] = time.Now()
			mu.Unlock()
			_, err := clients[i%len(clients)].Submit(ctx, tx)
			for client.IsCode(err, "busy") {
				mu.Lock()
				rep.Busy++
				mu.Unlock()
				if time.Now().Add(cfg.BusyRetry).After(deadline) {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(cfg.BusyRetry):
				}
				if ctx.Err() != nil {
					break
				}
				_, err = clients[i%len(clients)].Submit(ctx, tx)
			}
			mu.Lock()
			defer mu.Unlock()
			if client.IsCode(err, "busy") { // still busy at the deadline: not sent
				delete(sentAt, key)
				return
			}
			if err != nil {
				delete(sentAt, key)
				var ae *client.Error
				if errors.As(err, &ae) {
					rep.Refused[ae.Code]++
				} else {
					rep.Refused["transport"]++
				}
				return
			}
			s := submitted.Add(1)
			if cfg.Progress != nil {
				cfg.Progress("submit", int(s), len(txs))
			}
		}(i, tx)
	}
	wg.Wait()
	submitEnd := time.Now()
	rep.Submitted = int(submitted.Load())
	// Wait for what was accepted to commit (or give up after a grace).
	grace := time.Now().Add(max(30*time.Second, cfg.Duration))
	for time.Now().Before(grace) && ctx.Err() == nil {
		mu.Lock()
		missing := 0
		for id := range sentAt {
			if _, ok := allAt[id]; !ok {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	last := start
	for id, s := range sentAt {
		all, ok := allAt[id]
		if !ok {
			rep.Lost++
			continue
		}
		rep.Committed++
		lat = append(lat, firstAt[id].Sub(s))
		if all.After(last) {
			last = all
		}
	}
	rep.Seconds = last.Sub(start).Seconds()
	if d := submitEnd.Sub(start).Seconds(); d > 0 {
		rep.SubmitRate = float64(rep.Submitted) / d
	}
	if rep.Seconds > 0 {
		rep.CommitRate = float64(rep.Committed) / rep.Seconds
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	rep.LatencyP50ms, rep.LatencyP95ms, rep.LatencyP99ms = pct(0.50), pct(0.95), pct(0.99)
	rep.Blocks, rep.BlockIntervalMeanMs, rep.BlockIntervalP50ms = blockIntervals(blockAt, start, submitEnd)
	return rep, nil
}

// blockIntervals takes the blocks first committed in [from, to] and
// returns how many, and the mean and median gap between consecutive
// heights among them (0 with fewer than two).
func blockIntervals(at map[uint64]time.Time, from, to time.Time) (n int, meanMs, p50Ms float64) {
	var hs []uint64
	for h, t := range at {
		if !t.Before(from) && !t.After(to) {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	var gaps []time.Duration
	var sum time.Duration
	for i := 1; i < len(hs); i++ {
		if hs[i] != hs[i-1]+1 {
			continue // a height no followed node reported: no gap to measure
		}
		g := at[hs[i]].Sub(at[hs[i-1]])
		gaps = append(gaps, g)
		sum += g
	}
	if len(gaps) == 0 {
		return len(hs), 0, 0
	}
	slices.Sort(gaps)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return len(hs), ms(sum) / float64(len(gaps)), ms(gaps[len(gaps)/2])
}

// sign builds and signs n transactions on all cores.
func sign(ctx context.Context, cfg Config, n int, expiry uint64) ([]*chain.Tx, error) {
	txs := make([]*chain.Tx, n)
	payload := make([]byte, cfg.Payload)
	var done atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range txs {
		g.Go(func() error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			mf := cfg.Members[i%len(cfg.Members)]
			tx := &chain.Tx{ChainID: cfg.ChainID, Expiry: expiry, Group: cfg.Group, Epoch: mf.Key.Epoch(), Topic: cfg.Topic, Payload: payload}
			var err error
			if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
				return err
			}
			if err := tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader); err != nil {
				return err
			}
			txs[i] = tx
			if cfg.Progress != nil {
				cfg.Progress("sign", int(done.Add(1)), n)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("loadgen: sign: %w", err)
	}
	return txs, nil
}
