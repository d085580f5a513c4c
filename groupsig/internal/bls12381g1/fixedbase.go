package bls12381g1

import (
	"crypto/subtle"
	"math/bits"

	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

const (
	// Variable-time table: 29 windows of w = 9 bits, signed digits in
	// [-2^(w-1), 2^(w-1)]; entry m-1 of window j holds m·2^(wj)·P. w = 8
	// halves the memory (~390 KiB) for ~10% more time; w = 10 doubles it
	// for ~15% less.
	fbVTWindow  = 9
	fbVTWindows = (255 + fbVTWindow - 1) / fbVTWindow
	fbVTEntries = 1 << (fbVTWindow - 1)
	// Constant-time table: 43 windows of 6 bits with regular odd digits in
	// [-63, 63]; entry i of window j holds (2i+1)·2^(6j)·P, i = 0..31.
	// (w = 6 minimises additions plus full-window scans.)
	fbCTWindow  = 6
	fbCTWindows = (255 + fbCTWindow - 1) / fbCTWindow
	fbCTEntries = 1 << (fbCTWindow - 1)
)

// FixedBase holds precomputed affine tables for one point (about 840 KiB:
// 712 KiB for MulVT, 129 KiB for MulCT), built once per key by NewFixedBase
// (~10 ms), giving scalar multiplications without any point doubling. It is
// safe for concurrent use after construction.
type FixedBase struct {
	identity bool
	vt       []affine // fbVTWindows × fbVTEntries
	ct       []affine // fbCTWindows × fbCTEntries
}

// NewFixedBase precomputes the tables for p (about 10 ms). p must be in G1.
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

	nvt := fbVTWindows * fbVTEntries
	nct := fbCTWindows * fbCTEntries
	all := make([]jac, nvt+nct)
	for j := 0; j < fbVTWindows; j++ {
		base := &pow2[fbVTWindow*j]
		row := all[j*fbVTEntries : (j+1)*fbVTEntries]
		row[0].setAffine(base)
		row[1].setAffine(&pow2[fbVTWindow*j+1])
		for m := 2; m < fbVTEntries; m++ {
			row[m].addAffine(&row[m-1], base)
		}
	}
	for j := 0; j < fbCTWindows; j++ {
		twice := &pow2[fbCTWindow*j+1]
		row := all[nvt+j*fbCTEntries : nvt+(j+1)*fbCTEntries]
		row[0].setAffine(&pow2[fbCTWindow*j])
		for i := 1; i < fbCTEntries; i++ {
			row[i].addAffine(&row[i-1], twice)
		}
	}
	aff := make([]affine, nvt+nct)
	batchNormalize(aff, all)
	t.vt = aff[:nvt:nvt]
	t.ct = aff[nvt:]
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

// MulVT returns k·P in variable time (public scalars only): 29 signed 9-bit
// digits, one mixed Jacobian addition per nonzero digit, no doublings.
func (t *FixedBase) MulVT(k *ff.Scalar) Point {
	if t.identity {
		return Identity()
	}
	l := scalarLimbs(k)
	var acc jac
	acc.setIdentity()
	carry := uint64(0)
	const mask = 1<<fbVTWindow - 1
	for j := 0; j < fbVTWindows; j++ {
		bit := uint(j * fbVTWindow)
		w := l[bit/64] >> (bit % 64)
		if bit%64+fbVTWindow > 64 && bit/64 < 3 {
			w |= l[bit/64+1] << (64 - bit%64)
		}
		d := int((w & mask) + carry)
		carry = 0
		if d > fbVTEntries {
			d -= 1 << fbVTWindow
			carry = 1
		}
		if d == 0 {
			continue
		}
		row := t.vt[j*fbVTEntries : (j+1)*fbVTEntries]
		if d > 0 {
			acc.addAffine(&acc, &row[d-1])
		} else {
			acc.addAffineNeg(&acc, &row[-d-1])
		}
	}
	// k < r < 2^255 and the top window has at most fbVTWindow-1 bits, so
	// no carry is left.
	return acc.toPoint()
}
