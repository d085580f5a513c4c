package node

import (
	"sync"
	"time"
)

// expiring is a bounded set whose members leave after a while: what this
// node should not ask for again soon (a peer that lied in block sync, a
// transaction it refused after pulling it, a fork claim that did not
// check out). Past max members it starts over, which costs only asking
// again. It is safe for concurrent use.
type expiring[K comparable] struct {
	max int

	mu    sync.Mutex
	until map[K]time.Time
}

func newExpiring[K comparable](max int) *expiring[K] {
	return &expiring[K]{max: max, until: map[K]time.Time{}}
}

// add keeps k in the set until then; it reports whether k was not in it,
// so that each entry is logged once.
func (e *expiring[K]) add(k K, now, then time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.until) >= e.max {
		clear(e.until)
	}
	t, ok := e.until[k]
	e.until[k] = then
	return !ok || now.After(t)
}

// has reports whether k is in the set at now.
func (e *expiring[K]) has(k K, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.until[k]
	if ok && now.After(t) {
		delete(e.until, k)
		return false
	}
	return ok
}
