// Package bls12381pair computes products of BLS12-381 pairings whose G2
// arguments are fixed (a group public key's g2 and w), from Miller-loop
// lines precomputed once per point, with one shared Miller loop for all
// pairs. The result is byte for byte circl's ProdPairFrac: the same
// Costello–Lange–Naehrig lines, the same loop over the curve parameter and
// circl's own final exponentiation (its pairing is the cube of the standard
// reduced optimal-ate pairing; SPEC-groupsig-v2.md hashes that value).
//
// It saves, per product of two pairings, the G2 arithmetic of both loops
// and one loop's 63 Fp12 squarings. Like circl's pairing it uses circl's
// constant-time field arithmetic and does not branch on its inputs (but
// for circl's guard against a zero line, which needs the identity), so the
// signer may pass its blinded values: it is package algebra's
// PairPreparedCT, the signer's product. Public products (verification,
// join and revocation checks) run on gnark-crypto there, several times faster.
package bls12381pair

import (
	"fmt"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// line holds the coefficients of a sparse Fp12 element; evaluated at the
// twisted image of P it is l0·x + l1·y + l2 (as circl's evalLine).
type line [3]ff.Fp2

// g2 is a point of the twist in homogeneous projective coordinates.
type g2 struct{ x, y, z ff.Fp2 }

var threeB ff.Fp2 // 3·b' of the twist y² = x³ + 4(1+i)

func init() {
	threeB[0].SetUint64(12)
	threeB[1].SetUint64(12)
}

// addSteps are the loop indices where the parameter x (negative, written
// as -(2^63 + 2^62 + 2^60 + 2^57 + 2^48 + 2^16)) has a one bit.
func addStep(i int) bool { return i == 62 || i == 60 || i == 57 || i == 48 || i == 16 }

// Prepared is the sequence of Miller-loop lines of one G2 point.
type Prepared struct {
	lines []line
}

// Prepare precomputes the Miller-loop lines of q, which must not be the
// identity.
func Prepare(q *bls.G2) (*Prepared, error) {
	if q.IsIdentity() {
		return nil, fmt.Errorf("bls12381pair: cannot prepare the identity")
	}
	raw := q.Bytes() // affine, uncompressed: x ‖ y, each c1 ‖ c0
	var Q g2
	raw[0] &= 0x1f // clear the encoding's flag bits (they sit on x)
	if err := Q.x.UnmarshalBinary(raw[:ff.Fp2Size]); err != nil {
		return nil, err
	}
	if err := Q.y.UnmarshalBinary(raw[ff.Fp2Size:]); err != nil {
		return nil, err
	}
	Q.z.SetOne()
	T := Q
	p := &Prepared{lines: make([]line, 0, 63+5)}
	for i := 62; i >= 0; i-- {
		var l line
		doubleAndLine(&T, &l)
		p.lines = append(p.lines, l)
		if addStep(i) {
			addAndLine(&T, &T, &Q, &l)
			p.lines = append(p.lines, l)
		}
	}
	return p, nil
}

// Product returns Π e(P_i, Q_i) for G1 points given by affine coordinates
// (none the identity) and prepared G2 points.
func Product(xs, ys []ff.Fp, qs []*Prepared) *bls.Gt {
	acc := &ff.Fp12Cubic{}
	acc.SetOne()
	g := &ff.LineValue{}
	k := 0 // index into every Prepared's lines
	eval := func() {
		for j, q := range qs {
			evalLine(g, &q.lines[k], &xs[j], &ys[j])
			acc.MulLine(acc, g)
		}
		k++
	}
	for i := 62; i >= 0; i-- {
		acc.Sqr(acc)
		eval()
		if addStep(i) {
			eval()
		}
	}
	var f ff.Fp12
	f.FromFp12Cubic(acc)
	f.Cjg() // the parameter is negative
	var c ff.Cyclo6
	ff.EasyExponentiation(&c, &f)
	var u ff.URoot
	ff.HardExponentiation(&u, &c)
	b, _ := u.MarshalBinary()
	out := new(bls.Gt)
	if err := out.UnmarshalBinary(b); err != nil {
		panic("bls12381pair: " + err.Error()) // an element we just computed
	}
	return out
}

func evalLine(f *ff.LineValue, l *line, x, y *ff.Fp) {
	var xP, yP ff.Fp2
	xP[0], yP[0] = *x, *y
	f[1].Mul(&l[0], &xP)
	f[2].Mul(&l[1], &yP)
	f[0] = l[2]
	if f.IsZero() == 1 {
		f.SetOne()
	}
}

// doubleAndLine and addAndLine are circl's (ec2.go), which follow
// Costello–Lange–Naehrig (eprint 2009/615) with Costello–Renes–Batina's
// complete formulas (eprint 2015/1060, algorithms 9 and 7).
func doubleAndLine(P *g2, l *line) {
	var R g2
	X, Y, Z := &P.x, &P.y, &P.z
	X3, Y3, Z3 := &R.x, &R.y, &R.z
	var A, B, C, D, E, F, G, T ff.Fp2
	B.Sqr(Y)
	C.Sqr(Z)
	D.Mul(&threeB, &C)
	F.Add(Y, Z)
	F.Sqr(&F)
	F.Sub(&F, &B)
	F.Sub(&F, &C)
	A.Sqr(X)
	E.Add(X, Y)
	E.Sqr(&E)
	E.Sub(&E, &A)
	E.Sub(&E, &B)
	l[0].Add(&A, &A)
	l[0].Add(&l[0], &A)
	l[1] = F
	l[1].Neg()
	l[2].Sub(&D, &B)
	T.Add(&D, &D)
	G.Add(&T, &D)
	X3.Sub(&B, &G)
	X3.Mul(X3, &E)
	T.Sqr(&T)
	Y3.Add(&B, &G)
	Y3.Sqr(Y3)
	Y3.Sub(Y3, &T)
	Y3.Sub(Y3, &T)
	Y3.Sub(Y3, &T)
	Z3.Mul(&B, &F)
	Z3.Add(Z3, Z3)
	Z3.Add(Z3, Z3)
	*P = R
}

func addAndLine(PQ, P, Q *g2, l *line) {
	var R g2
	X1, Y1, Z1 := &P.x, &P.y, &P.z
	X2, Y2, Z2 := &Q.x, &Q.y, &Q.z
	X3, Y3, Z3 := &R.x, &R.y, &R.z
	var X1X2, Y1Y2, Z1Z2, bZ1Z2 ff.Fp2
	var A, B, C, D, E, F, G, EE, FF ff.Fp2
	t0, t1 := &ff.Fp2{}, &ff.Fp2{}
	X1X2.Mul(X1, X2)
	Y1Y2.Mul(Y1, Y2)
	Z1Z2.Mul(Z1, Z2)
	bZ1Z2.Mul(&Z1Z2, &threeB)
	A.Add(&X1X2, &X1X2)
	A.Add(&A, &X1X2)
	B.Add(&Y1Y2, &bZ1Z2)
	C.Sub(&Y1Y2, &bZ1Z2)
	t0.Add(X1, Y1)
	D.Add(X2, Y2)
	D.Mul(&D, t0)
	D.Sub(&D, &X1X2)
	D.Sub(&D, &Y1Y2)
	t0.Mul(Y1, Z2)
	t1.Mul(Y2, Z1)
	E.Add(t0, t1)
	EE.Sub(t0, t1)
	t0.Mul(X1, Z2)
	t1.Mul(X2, Z1)
	F.Add(t0, t1)
	FF.Sub(t0, t1)
	l[0].Mul(&EE, Z2)
	l[0].Neg()
	l[1].Mul(&FF, Z2)
	t0.Mul(&FF, Y2)
	l[2].Mul(&EE, X2)
	l[2].Sub(&l[2], t0)
	G.Mul(&F, &threeB)
	t0.Mul(&E, &G)
	X3.Mul(&D, &C)
	X3.Sub(X3, t0)
	t0.Mul(&A, &G)
	Y3.Mul(&B, &C)
	Y3.Add(Y3, t0)
	t0.Mul(&A, &D)
	Z3.Mul(&E, &B)
	Z3.Add(Z3, t0)
	*PQ = R
}
