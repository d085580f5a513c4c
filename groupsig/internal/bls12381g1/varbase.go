package bls12381g1

import (
	"crypto/subtle"

	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

const (
	vbWindow  = 5                   // wNAF width for the variable-time paths
	vbEntries = 1 << (vbWindow - 2) // odd multiples 1, 3, ..., 15
	// wnafLen bounds the wNAF length of a 128-bit GLV half.
	wnafLen = 130
)

// VarBase is the per-point precomputation for variable-time multiplication:
// the odd multiples P, 3P, ..., 15P and their images under φ, stored as
// affine points on the isomorphic curve y² = x³ + 4·zc⁶ (a common-Z table
// obtained with co-Z additions, so no field inversion is needed). It is safe
// for concurrent use after construction.
type VarBase struct {
	identity bool
	zc       ff.Fp
	tbl      [vbEntries]affine
	phi      [vbEntries]affine
}

// dblu returns 2P and P rescaled to the same Z coordinate (co-Z doubling).
func dblu(p *jac) (two, p2 jac) {
	var A, B, C, D, E, F ff.Fp
	A.Sqr(&p.x)
	B.Sqr(&p.y)
	B.Add(&B, &B) // 2Y²
	C.Sqr(&B)     // 4Y⁴
	C.Add(&C, &C) // 8Y⁴ = Y·(2Y)³
	D.Mul(&p.x, &B)
	D.Add(&D, &D) // 4XY² = X·(2Y)²
	E.Add(&A, &A)
	E.Add(&E, &A)
	F.Sqr(&E)
	two.z.Mul(&p.y, &p.z)
	two.z.Add(&two.z, &two.z)
	two.x.Sub(&F, &D)
	two.x.Sub(&two.x, &D)
	two.y.Sub(&D, &two.x)
	two.y.Mul(&two.y, &E)
	two.y.Sub(&two.y, &C)
	p2.x, p2.y, p2.z = D, C, two.z
	return
}

// zaddu returns a+b and a rescaled to the Z of the sum, for a and b sharing
// the same Z (co-Z addition, 5M + 2S), and the ratio of the new Z to the old.
// a and b must have different x coordinates.
func zaddu(a, b *jac) (sum, a2 jac, dx ff.Fp) {
	var C, W1, W2, dy, D ff.Fp
	dx.Sub(&b.x, &a.x)
	if dx.IsZero() == 1 {
		panic("bls12381g1: point not in G1")
	}
	C.Sqr(&dx)
	W1.Mul(&a.x, &C)
	W2.Mul(&b.x, &C)
	dy.Sub(&b.y, &a.y)
	D.Sqr(&dy)
	a2.y.Sub(&W2, &W1)
	a2.y.Mul(&a2.y, &a.y)
	sum.x.Sub(&D, &W1)
	sum.x.Sub(&sum.x, &W2)
	sum.y.Sub(&W1, &sum.x)
	sum.y.Mul(&sum.y, &dy)
	sum.y.Sub(&sum.y, &a2.y)
	sum.z.Mul(&a.z, &dx)
	a2.x = W1
	a2.z = sum.z
	return
}

// buildCoZ computes the odd multiples (2i+1)·P, i < vbEntries, of a finite
// point as affine coordinates on the curve isomorphic through the common
// Jacobian Z coordinate zc.
func buildCoZ(p *Point, tbl *[vbEntries]affine) (zc ff.Fp) {
	pj := p.toJac()
	var pts [vbEntries]jac
	var dxs [vbEntries]ff.Fp
	two, p1 := dblu(&pj)
	pts[0] = p1
	for i := 1; i < vbEntries; i++ {
		pts[i], two, dxs[i] = zaddu(&two, &pts[i-1])
	}
	zc = pts[vbEntries-1].z
	tbl[vbEntries-1] = affine{pts[vbEntries-1].x, pts[vbEntries-1].y}
	var mu, mu2, mu3 ff.Fp
	mu = dxs[vbEntries-1]
	for i := vbEntries - 2; i >= 0; i-- {
		if i < vbEntries-2 {
			mu.Mul(&mu, &dxs[i+1])
		}
		mu2.Sqr(&mu)
		mu3.Mul(&mu2, &mu)
		tbl[i].x.Mul(&pts[i].x, &mu2)
		tbl[i].y.Mul(&pts[i].y, &mu3)
	}
	return zc
}

func phiTable(phi, tbl *[vbEntries]affine) {
	for i := range tbl {
		phi[i].x.Mul(&tbl[i].x, &glvBeta)
		phi[i].y = tbl[i].y
	}
}

// NewVarBase precomputes the table of p for MulVT (about 1/20 of a
// multiplication; no field inversion).
func NewVarBase(p *Point) *VarBase {
	t := &VarBase{}
	if p.IsIdentity() {
		t.identity = true
		return t
	}
	t.zc = buildCoZ(p, &t.tbl)
	phiTable(&t.phi, &t.tbl)
	return t
}

func addDigit(acc *jac, tbl *[vbEntries]affine, d int8) {
	if d > 0 {
		acc.addAffine(acc, &tbl[d>>1])
	} else if d < 0 {
		acc.addAffineNeg(acc, &tbl[(-d)>>1])
	}
}

// MulVT returns k·P in variable time (public scalars only), using the GLV
// split k = k1 + k2·λ (k1, k2 < 2^128) and interleaved width-5 NAFs sharing
// ~128 doublings.
func (t *VarBase) MulVT(k *ff.Scalar) Point {
	if t.identity {
		return Identity()
	}
	l := scalarLimbs(k)
	k1, k2 := glvSplit(&l)
	var n1, n2 [wnafLen]int8
	l1 := wnaf(k1, vbWindow, n1[:])
	l2 := wnaf(k2, vbWindow, n2[:])
	n := max(l1, l2)
	var acc jac
	acc.setIdentity()
	for i := n - 1; i >= 0; i-- {
		if !acc.isIdentity() {
			acc.double(&acc)
		}
		addDigit(&acc, &t.tbl, n1[i])
		addDigit(&acc, &t.phi, n2[i])
	}
	if acc.isIdentity() {
		return Identity()
	}
	acc.z.Mul(&acc.z, &t.zc)
	return acc.toPoint()
}

// MulVT returns k·p in variable time (public data only). It is
// NewVarBase(p).MulVT(k).
func MulVT(p *Point, k *ff.Scalar) Point { return NewVarBase(p).MulVT(k) }

// MultiMulVT returns Σ ks[i]·ps[i] in variable time (public data only),
// sharing the doublings of all terms (Straus/Shamir with GLV and wNAF). It
// panics if the slices differ in length.
func MultiMulVT(ps []*Point, ks []*ff.Scalar) Point {
	ts := make([]*VarBase, len(ps))
	for i, p := range ps {
		ts[i] = NewVarBase(p)
	}
	return MultiMulVarBaseVT(ts, ks)
}

// MultiMulVarBaseVT returns Σ ks[i]·P_i for precomputed VarBase tables, in
// variable time (public data only). The tables are moved to one common
// isomorphic curve without any field inversion, then all terms share ~128
// doublings. It panics if the slices differ in length.
func MultiMulVarBaseVT(ts []*VarBase, ks []*ff.Scalar) Point {
	if len(ts) != len(ks) {
		panic("bls12381g1: MultiMulVarBaseVT length mismatch")
	}
	type term struct {
		tbl, phi *[vbEntries]affine
		zc       *ff.Fp
		n1, n2   [wnafLen]int8
		l1, l2   int
	}
	terms := make([]term, 0, len(ts))
	n := 0
	for i, t := range ts {
		if t.identity {
			continue
		}
		var tm term
		tm.tbl, tm.phi, tm.zc = &t.tbl, &t.phi, &t.zc
		l := scalarLimbs(ks[i])
		k1, k2 := glvSplit(&l)
		tm.l1 = wnaf(k1, vbWindow, tm.n1[:])
		tm.l2 = wnaf(k2, vbWindow, tm.n2[:])
		n = max(n, tm.l1, tm.l2)
		terms = append(terms, tm)
	}
	if len(terms) == 0 {
		return Identity()
	}
	// Common Z = Π zc_j; term i is rescaled by μ_i = Π_{j≠i} zc_j.
	m := len(terms)
	zall := *terms[0].zc
	if m > 1 {
		pre := make([]ff.Fp, m)
		pre[0] = fpOne
		for i := 1; i < m; i++ {
			pre[i].Mul(&pre[i-1], terms[i-1].zc)
		}
		suf := fpOne
		tabs := make([][2][vbEntries]affine, m)
		for i := m - 1; i >= 0; i-- {
			var mu, mu2, mu3 ff.Fp
			mu.Mul(&pre[i], &suf)
			suf.Mul(&suf, terms[i].zc)
			mu2.Sqr(&mu)
			mu3.Mul(&mu2, &mu)
			for e := 0; e < vbEntries; e++ {
				tabs[i][0][e].x.Mul(&terms[i].tbl[e].x, &mu2)
				tabs[i][0][e].y.Mul(&terms[i].tbl[e].y, &mu3)
			}
			phiTable(&tabs[i][1], &tabs[i][0])
			terms[i].tbl, terms[i].phi = &tabs[i][0], &tabs[i][1]
		}
		zall = suf
	}
	var acc jac
	acc.setIdentity()
	for i := n - 1; i >= 0; i-- {
		if !acc.isIdentity() {
			acc.double(&acc)
		}
		for j := range terms {
			tm := &terms[j]
			if i < tm.l1 {
				addDigit(&acc, tm.tbl, tm.n1[i])
			}
			if i < tm.l2 {
				addDigit(&acc, tm.phi, tm.n2[i])
			}
		}
	}
	if acc.isIdentity() {
		return Identity()
	}
	acc.z.Mul(&acc.z, &zall)
	return acc.toPoint()
}

const (
	ctWindow  = 4
	ctEntries = 1 << (ctWindow - 1) // odd multiples 1..15
	ctDigits  = 32                  // 128-bit halves, 4-bit regular windows
)

// ctSelect sets out = sign(d)·tbl[(|d|-1)/2] for an odd digit d by scanning
// the whole table with conditional moves.
func ctSelect(out *Point, tbl *[ctEntries]Point, d int32) {
	abs, neg := ctAbs(d)
	idx := int32(abs >> 1)
	*out = tbl[0]
	for i := 1; i < ctEntries; i++ {
		out.cmov(&tbl[i], subtle.ConstantTimeEq(int32(i), idx))
	}
	out.condNeg(neg)
}

// MulCT returns k·p in constant time with respect to k (for secret
// scalars). It uses a constant-time GLV split, regular signed odd 4-bit
// windows on both halves, full table scans and complete formulas.
func MulCT(p *Point, k *ff.Scalar) Point {
	l := scalarLimbs(k)
	k1, k2 := glvSplit(&l)
	// Make both halves odd; remember to subtract P / φ(P) afterwards.
	c1 := int(1 - k1[0]&1)
	c2 := int(1 - k2[0]&1)
	k1[0] |= 1
	k2[0] |= 1
	var d1, d2 [ctDigits]int32
	recodeRegular(k1[:], ctWindow, d1[:])
	recodeRegular(k2[:], ctWindow, d2[:])

	var t1, t2 [ctEntries]Point
	var two Point
	t1[0] = *p
	two.Double(p)
	for i := 1; i < ctEntries; i++ {
		t1[i].Add(&t1[i-1], &two)
	}
	for i := range t1 {
		t2[i] = t1[i]
		t2[i].x.Mul(&t2[i].x, &glvBeta)
	}
	var acc, s Point
	ctSelect(&acc, &t1, d1[ctDigits-1])
	ctSelect(&s, &t2, d2[ctDigits-1])
	acc.Add(&acc, &s)
	for i := ctDigits - 2; i >= 0; i-- {
		for j := 0; j < ctWindow; j++ {
			acc.Double(&acc)
		}
		ctSelect(&s, &t1, d1[i])
		acc.Add(&acc, &s)
		ctSelect(&s, &t2, d2[i])
		acc.Add(&acc, &s)
	}
	// Corrections: acc -= c1·P + c2·φ(P).
	s = Identity()
	s.cmov(&t1[0], c1)
	s.condNeg(1)
	acc.Add(&acc, &s)
	s = Identity()
	s.cmov(&t2[0], c2)
	s.condNeg(1)
	acc.Add(&acc, &s)
	return acc
}
