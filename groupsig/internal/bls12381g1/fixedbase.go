package bls12381g1

import (
	"crypto/subtle"
	"math/bits"

	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

const (
	// Constant-time table: 43 windows of 6 bits with regular odd digits in
	// [-63, 63]; entry i of window j holds (2i+1)·2^(6j)·P, i = 0..31.
	// (w = 6 minimises additions plus full-window scans.)
	fbCTWindow  = 6
	fbCTWindows = (255 + fbCTWindow - 1) / fbCTWindow
	fbCTEntries = 1 << (fbCTWindow - 1)
)

// FixedBase holds the precomputed affine comb of one point (129 KiB),
// built once per key by NewFixedBase (≈2 ms), giving constant-time
// multiplications without any point doubling. It is safe for concurrent
// use after construction. (Public multiplications run in package algebra.)
type FixedBase struct {
	identity bool
	ct       []affine // fbCTWindows × fbCTEntries
}

// NewFixedBase precomputes the table for p. p must be in G1.
func NewFixedBase(p *Point) *FixedBase {
	t := &FixedBase{}
	if p.IsIdentity() {
		t.identity = true
		return t
	}
	// pow2[i] = 2^i·P for i = 0..255.
	pj := p.toJac()
	pw := make([]jac, 256)
	pw[0] = pj
	for i := 1; i < 256; i++ {
		pw[i].double(&pw[i-1])
	}
	pow2 := make([]affine, 256)
	batchNormalize(pow2, pw)

	nct := fbCTWindows * fbCTEntries
	all := make([]jac, nct)
	for j := 0; j < fbCTWindows; j++ {
		twice := &pow2[fbCTWindow*j+1]
		row := all[j*fbCTEntries : (j+1)*fbCTEntries]
		row[0].setAffine(&pow2[fbCTWindow*j])
		for i := 1; i < fbCTEntries; i++ {
			row[i].addAffine(&row[i-1], twice)
		}
	}
	t.ct = make([]affine, nct)
	batchNormalize(t.ct, all)
	return t
}

// MulCT returns k·P in constant time with respect to k: the scalar is made
// odd (k or r-k, chosen by masking), recoded into 43 regular signed odd
// digits, and each window entry is selected by scanning the whole window
// with conditional moves; additions use the complete mixed formula.
func (t *FixedBase) MulCT(k *ff.Scalar) Point {
	if t.identity {
		return Identity()
	}
	l := scalarLimbs(k)
	// If k is even, use r - k (odd, since r is odd) and negate at the end.
	var nk [4]uint64
	var b uint64
	for i := 0; i < 4; i++ {
		nk[i], b = bits.Sub64(scalarOrder[i], l[i], b)
	}
	even := int(1 - l[0]&1)
	mask := -uint64(even)
	for i := 0; i < 4; i++ {
		l[i] ^= (l[i] ^ nk[i]) & mask
	}
	var digits [fbCTWindows]int32
	recodeRegular(l[:], fbCTWindow, digits[:])

	acc := Identity()
	var sel affine
	for j := 0; j < fbCTWindows; j++ {
		abs, neg := ctAbs(digits[j])
		idx := int32(abs >> 1)
		row := t.ct[j*fbCTEntries : (j+1)*fbCTEntries]
		sel = row[0]
		for i := 1; i < fbCTEntries; i++ {
			c := subtle.ConstantTimeEq(int32(i), idx)
			sel.x.CMov(&sel.x, &row[i].x, c)
			sel.y.CMov(&sel.y, &row[i].y, c)
		}
		ny := sel.y
		ny.Neg()
		sel.y.CMov(&sel.y, &ny, neg)
		acc.addAffine(&acc, &sel)
	}
	acc.condNeg(even)
	return acc
}
