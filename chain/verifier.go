package chain

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/veilchain/veil/groupsig"
)

// ErrBusy refuses a submission when the verification pool's share for API
// work is full: the node is verifying blocks and gossip at its capacity
// and would only verify the submission late. It is not a validation
// outcome: the sender retries after a short delay (the API answers 503
// "busy" with Retry-After).
var ErrBusy = errors.New("node busy verifying")

// Priority orders work in the verification pool: lower values run first.
type Priority uint8

// Priorities, highest first. Block apply is consensus: a follower that
// falls behind on it lags and a leader that falls behind misses raft's
// heartbeats. Gossip admission comes next, since peers have already
// admitted those transactions; API submissions last, shed when their
// share of the pool is full.
const (
	PriorityApply Priority = iota
	PriorityGossip
	PriorityAPI
	numPriorities
)

// Priorities lists every priority, highest first (for metrics labels).
var Priorities = [numPriorities]Priority{PriorityApply, PriorityGossip, PriorityAPI}

// String names the priority by its path: "apply", "gossip" or "api".
func (p Priority) String() string {
	switch p {
	case PriorityApply:
		return "apply"
	case PriorityGossip:
		return "gossip"
	case PriorityAPI:
		return "api"
	}
	return fmt.Sprintf("priority(%d)", uint8(p))
}

// VerifierConfig tunes a Verifier.
type VerifierConfig struct {
	// Workers is how many signatures are verified at once.
	Workers int
	// APIQueue bounds API verifications waiting for a worker; past it a
	// submission fails at once with ErrBusy.
	APIQueue int
	// OnVerify, if set, is told of each verification actually run: the
	// highest priority that asked for it and how long it took.
	OnVerify func(Priority, time.Duration)
}

// DefaultVerifierConfig returns one worker a core and an API queue of 8
// verifications a worker: at about 1 ms a verification, a submission
// waits at most ~10 ms behind other submissions before the node says busy.
//
// The workers run at the process's priority. Lowering their threads'
// nice value was tried and left out: a niced thread that the kernel does
// not schedule still holds its P, so raft's goroutines wait for it, and
// so does every garbage collection's stop-the-world.
func DefaultVerifierConfig() VerifierConfig {
	w := runtime.GOMAXPROCS(0)
	return VerifierConfig{Workers: w, APIQueue: 8 * w}
}

// Verifier is a node's one bounded pool for group signature verification,
// shared by block apply, gossip admission and API submissions, so that
// the three never oversubscribe the cores (each running its own
// goroutines, they made a 1.8 ms verification take 10–48 ms of wall time
// and starved raft). A worker always takes the oldest job of the highest
// priority waiting; it is not pre-empted, so lower-priority work delays
// higher-priority work by at most one verification in flight per worker.
//
// A signature is verified once: a job is keyed by the verdict cache's key
// (id and signature bytes), a request for a key already queued or running
// waits for that job (promoting it if it asks at a higher priority, so a
// block never waits behind the API queue), and the verdict is remembered
// in the cache. This is singleflight with priorities; x/sync/singleflight
// itself cannot move a waiting call between queues.
type Verifier struct {
	cfg      VerifierConfig
	verdicts *VerdictCache
	verify   func(*groupsig.GroupKey, *Tx) bool // groupsig.Verify; tests hold workers here
	verified [numPriorities]atomic.Int64        // verifications run, by the priority they ran at

	mu      sync.Mutex
	running int                         // workers running (goroutines)
	queues  [numPriorities][]*verifyJob // FIFO; a promoted job's old entry is skipped
	depth   [numPriorities]int          // jobs waiting, by their current priority
	flights map[[32]byte]*verifyJob     // queued or running, by verdict key
}

type verifyJob struct {
	key     [32]byte
	tx      *Tx
	gk      *groupsig.GroupKey
	prio    Priority // current priority (the highest asked for)
	queued  bool     // waiting for a worker (false once taken)
	waiters int      // requests joined to it, the first included
	done    chan struct{}
	valid   bool
}

// NewVerifier returns a pool that remembers verdicts in cache.
func NewVerifier(cfg VerifierConfig, cache *VerdictCache) *Verifier {
	def := DefaultVerifierConfig()
	if cfg.Workers <= 0 {
		cfg.Workers = def.Workers
	}
	if cfg.APIQueue <= 0 {
		cfg.APIQueue = 8 * cfg.Workers
	}
	return &Verifier{cfg: cfg, verdicts: cache, verify: verifyGroupSig, flights: map[[32]byte]*verifyJob{}}
}

// verifyGroupSig checks an anonymous transaction's group signature, with
// the topic's scope when it is tagged.
func verifyGroupSig(key *groupsig.GroupKey, tx *Tx) bool {
	id := tx.ID()
	var scope []byte
	if groupsig.IsTagged(tx.Auth) {
		scope = TopicScope(tx.ChainID, tx.Topic)
	}
	_, err := groupsig.Verify(key, id[:], scope, tx.Auth)
	return err == nil
}

// Verify returns whether tx's group signature verifies under key: from
// the verdict cache, by joining a verification of the same signature
// already under way, or by verifying it on the pool at priority p. At
// PriorityAPI it fails with ErrBusy, without waiting, when the API queue
// is full; it fails with ctx's error if ctx ends first (the verification
// still completes and its verdict is remembered).
func (v *Verifier) Verify(ctx context.Context, p Priority, tx *Tx, key *groupsig.GroupKey) (bool, error) {
	if valid, ok := v.verdicts.Get(tx); ok {
		return valid, nil
	}
	j, err := v.submit(p, verdictKey(tx), tx, key)
	if err != nil {
		return false, err
	}
	if j == nil { // the verdict landed between the cache check and submit
		valid, _ := v.verdicts.Get(tx)
		return valid, nil
	}
	select {
	case <-j.done:
		return j.valid, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// Prefetch queues the verification of tx at priority p unless its verdict
// is known or it is already under way, and returns at once: block sync
// verifies the next blocks while the current one commits.
func (v *Verifier) Prefetch(p Priority, tx *Tx, key *groupsig.GroupKey) {
	if _, ok := v.verdicts.Get(tx); ok {
		return
	}
	_, _ = v.submit(p, verdictKey(tx), tx, key)
}

// QueueDepth is the number of verifications waiting for a worker at p.
func (v *Verifier) QueueDepth(p Priority) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.depth[p]
}

// Verified counts the verifications run at priority p (a promoted job
// counts at the priority it ran at).
func (v *Verifier) Verified(p Priority) int64 { return v.verified[p].Load() }

// Workers is the pool's size.
func (v *Verifier) Workers() int { return v.cfg.Workers }

func (v *Verifier) submit(p Priority, k [32]byte, tx *Tx, key *groupsig.GroupKey) (*verifyJob, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if j, ok := v.flights[k]; ok {
		j.waiters++
		if j.queued && p < j.prio {
			v.depth[j.prio]--
			j.prio = p
			v.depth[p]++
			v.queues[p] = append(v.queues[p], j)
		}
		return j, nil
	}
	if _, ok := v.verdicts.Get(tx); ok {
		return nil, nil
	}
	if p == PriorityAPI && v.depth[p] >= v.cfg.APIQueue {
		return nil, fmt.Errorf("%w: %d submissions wait for verification", ErrBusy, v.depth[p])
	}
	j := &verifyJob{key: k, tx: tx, gk: key, prio: p, queued: true, waiters: 1, done: make(chan struct{})}
	v.flights[k] = j
	v.queues[p] = append(v.queues[p], j)
	v.depth[p]++
	if v.running < v.cfg.Workers {
		v.running++
		go v.work()
	}
	return j, nil
}

// next takes the oldest job of the highest priority waiting, or returns
// nil (and retires the worker) when none waits. v.mu is held.
func (v *Verifier) next() *verifyJob {
	for p := range v.queues {
		q := v.queues[p]
		for len(q) > 0 {
			j := q[0]
			q[0] = nil
			q = q[1:]
			if j.queued && j.prio == Priority(p) {
				v.queues[p] = q
				j.queued = false
				v.depth[p]--
				return j
			}
		}
		v.queues[p] = nil // empty: let the backing array go
	}
	v.running--
	return nil
}

// work runs jobs until none waits. Workers are goroutines started on
// demand, so an idle pool holds none and needs no Close.
func (v *Verifier) work() {
	for {
		v.mu.Lock()
		j := v.next()
		v.mu.Unlock()
		if j == nil {
			return
		}
		start := time.Now()
		j.valid = v.verify(j.gk, j.tx)
		if v.cfg.OnVerify != nil {
			v.cfg.OnVerify(j.prio, time.Since(start))
		}
		v.verified[j.prio].Add(1)
		v.verdicts.Put(j.tx, j.valid)
		v.mu.Lock()
		delete(v.flights, j.key)
		v.mu.Unlock()
		close(j.done)
	}
}
