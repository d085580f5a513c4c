package groupsig

import (
	"bytes"
	crand "crypto/rand"
	"testing"
)

// TestR3FastPathIsCircl pins the verify fast path's R3, the GT value hashed
// into the challenge, to the reference pairing (circl's ProdPairFrac for
// BLS12-381, bn254.Pair for BN254) and to the signer's constant-time
// product, byte for byte, on the pairing inputs of fresh random signatures
// (untagged and tagged) and on random points.
func TestR3FastPathIsCircl(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		g := newTestGroup(t, s, "alice")
		c, tb := g.gk.c, g.gk.g.tables(g.gk.c)
		qs := []pointG2{c.G2Generator(), g.gk.g.w}
		check := func(what string, p1, p2 pointG1) {
			t.Helper()
			ps := []pointG1{p1, p2}
			vt := c.AppendGT(nil, c.PairPreparedVT(ps, []prepared{tb.g2, tb.w}))
			ct := c.AppendGT(nil, c.PairPreparedCT(ps, []prepared{tb.g2, tb.w}))
			ref := c.AppendGT(nil, c.PairProduct(ps, qs, []int{1, 1}))
			if len(ref) != c.GTSize() || !bytes.Equal(vt, ref) || !bytes.Equal(ct, ref) {
				t.Fatalf("%s: R3 of the fast path differs from the reference pairing", what)
			}
		}
		for i := range 6 {
			var scope []byte
			if i%2 == 1 {
				scope = []byte("veil/vote/topic-1")
			}
			sig, err := parseSignature(mustSign(t, g.gk, g.members["alice"], benchMsg, scope))
			if err != nil {
				t.Fatal(err)
			}
			var vbs varBase
			if scope != nil {
				if vbs, err = g.gk.tagTable(scope); err != nil {
					t.Fatal(err)
				}
			}
			_, p1, p2 := sig.recompute(g.gk, vbs)
			check("signature", p1, p2)
			k1, err := c.RandomScalar(crand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			k2, err := c.RandomScalar(crand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			check("random points", c.MulCT(c.G1Generator(), k1), c.MulCT(c.G1Generator(), k2))
		}
	})
}
