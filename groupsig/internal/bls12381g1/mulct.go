package bls12381g1

import (
	"crypto/subtle"

	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

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
