package chain

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
)

// VerdictCache remembers whether a transaction's group signature verified,
// so that a node verifies each transaction once: at mempool admission, and
// never again when the block that holds it is applied.
//
// The key is SHA-256 of the id and the signature bytes. The id alone would
// not do: it leaves the signature out (so that re-signing is a replay), and
// a block carrying a known id with forged signature bytes would otherwise
// inherit the verdict of the genuine one. A verdict is a pure function of
// the key, since the id fixes the group and epoch, and a group's key at an
// epoch never changes.
type VerdictCache struct {
	mu    sync.Mutex
	max   int
	m     map[[32]byte]bool
	order [][32]byte // insertion order, for eviction
	next  int

	hits, misses atomic.Uint64 // Get's answers (veil_verdict_cache_lookups_total)
}

// NewVerdictCache returns a cache holding at most max verdicts, evicting
// the oldest first.
func NewVerdictCache(max int) *VerdictCache {
	if max < 1 {
		max = 1
	}
	return &VerdictCache{max: max, m: make(map[[32]byte]bool, max), order: make([][32]byte, 0, max)}
}

func verdictKey(tx *Tx) [32]byte {
	h := sha256.New()
	id := tx.ID()
	h.Write(id[:])
	h.Write(tx.Auth)
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Get returns the remembered verdict, if any.
func (c *VerdictCache) Get(tx *Tx) (valid, ok bool) {
	k := verdictKey(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	valid, ok = c.m[k]
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return valid, ok
}

// Stats counts Get's lookups that found a verdict (hits) and that did not.
func (c *VerdictCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Put remembers a verdict.
func (c *VerdictCache) Put(tx *Tx, valid bool) {
	k := verdictKey(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		c.m[k] = valid
		return
	}
	if len(c.order) < c.max {
		c.order = append(c.order, k)
	} else {
		delete(c.m, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % c.max
	}
	c.m[k] = valid
}
