package groupsig

import (
	"sync"
)

// tagBases caches B_S = HG_TAG(gpk_0 ‖ sc(S)) per scope: a hash to the
// curve costs about a tenth of a verification, and a chain verifies many
// signatures of few scopes (topics). Bounded: when full it starts over.
type tagBases struct {
	mu sync.Mutex
	m  map[string]pointG1
}

const maxCachedScopes = 4096

// tagBase returns B_S for the group of gk.
func (gk *GroupKey) tagBase(scope []byte) (pointG1, error) {
	g := gk.g
	g.tags.mu.Lock()
	b, ok := g.tags.m[string(scope)]
	g.tags.mu.Unlock()
	if ok {
		return b, nil
	}
	c := gk.c
	b, err := c.hashG1(c.dst.hgTag, appendSc(append([]byte(nil), g.gpk0...), scope))
	if err != nil {
		return nil, err
	}
	g.tags.mu.Lock()
	if g.tags.m == nil || len(g.tags.m) >= maxCachedScopes {
		g.tags.m = make(map[string]pointG1)
	}
	g.tags.m[string(scope)] = b
	g.tags.mu.Unlock()
	return b, nil
}
