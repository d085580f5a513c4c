package groupsig

import (
	"sync"
)

// tagBases caches B_S = HG_TAG(gpk_0 ‖ sc(S)) per scope, with its
// var-base table for verifying R6: a hash to the curve costs about a tenth
// of a verification and the table a twentieth, and a chain verifies many
// signatures of few scopes (topics). Bounded (≈4 KiB an entry): when full
// it starts over.
type tagBases struct {
	mu sync.Mutex
	m  map[string]tagBase
}

type tagBase struct {
	b  pointG1
	vb varBase // built on first verification
}

const maxCachedScopes = 4096

// tagBase returns B_S for the group of gk.
func (gk *GroupKey) tagBase(scope []byte) (pointG1, error) {
	t, err := gk.tagEntry(scope, false)
	return t.b, err
}

// tagTable returns B_S's var-base table (public: for verification).
func (gk *GroupKey) tagTable(scope []byte) (varBase, error) {
	t, err := gk.tagEntry(scope, true)
	return t.vb, err
}

func (gk *GroupKey) tagEntry(scope []byte, table bool) (tagBase, error) {
	g := gk.g
	g.tags.mu.Lock()
	t, ok := g.tags.m[string(scope)]
	g.tags.mu.Unlock()
	if ok && (t.vb != nil || !table) {
		return t, nil
	}
	c := gk.c
	if !ok {
		b, err := c.hashG1(c.dst.hgTag, appendSc(append([]byte(nil), g.gpk0...), scope))
		if err != nil {
			return tagBase{}, err
		}
		t.b = b
	}
	if table {
		t.vb = c.VarBase(t.b)
	}
	g.tags.mu.Lock()
	if g.tags.m == nil || len(g.tags.m) >= maxCachedScopes {
		g.tags.m = make(map[string]tagBase)
	}
	g.tags.m[string(scope)] = t
	g.tags.mu.Unlock()
	return t, nil
}
