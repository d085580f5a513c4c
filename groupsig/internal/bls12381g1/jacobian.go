package bls12381g1

import "github.com/cloudflare/circl/ecc/bls12381/ff"

// jac is a point in Jacobian coordinates (X:Y:Z) with affine (X/Z², Y/Z³),
// used by the variable-time paths only. The identity has Z = 0 and is kept
// as (1:1:0). The formulas below do not depend on the curve constant b, so
// they are also valid on the isomorphic curves y² = x³ + b·u⁶ used for
// common-Z tables.
type jac struct{ x, y, z ff.Fp }

func (p *jac) setIdentity() { p.x = fpOne; p.y = fpOne; p.z = ff.Fp{} }

func (p *jac) isIdentity() bool { return p.z.IsZero() == 1 }

func (p *jac) setAffine(a *affine) { p.x = a.x; p.y = a.y; p.z = fpOne }

// double sets p = 2a (a = 0 formula, 3M + 4S). It is exception-free on G1
// (no points of order 2); the identity stays the identity. p may alias a.
func (p *jac) double(a *jac) {
	var A, B, C, D, E, F, x3, y3, z3 ff.Fp
	A.Sqr(&a.x)
	B.Sqr(&a.y)
	B.Add(&B, &B) // 2Y²
	C.Sqr(&B)     // 4Y⁴
	C.Add(&C, &C) // 8Y⁴
	D.Mul(&a.x, &B)
	D.Add(&D, &D) // 4XY²
	E.Add(&A, &A)
	E.Add(&E, &A) // 3X²
	F.Sqr(&E)
	z3.Mul(&a.y, &a.z)
	z3.Add(&z3, &z3)
	x3.Sub(&F, &D)
	x3.Sub(&x3, &D)
	y3.Sub(&D, &x3)
	y3.Mul(&y3, &E)
	y3.Sub(&y3, &C)
	p.x, p.y, p.z = x3, y3, z3
}

// addAffine sets p = a + b for an affine b (variable time; handles a = ±b and
// a = identity). 7M + 4S. p may alias a.
func (p *jac) addAffine(a *jac, b *affine) {
	if a.isIdentity() {
		p.setAffine(b)
		return
	}
	var z1z1, u2, s2, h, r ff.Fp
	z1z1.Sqr(&a.z)
	u2.Mul(&b.x, &z1z1)
	s2.Mul(&a.z, &z1z1)
	s2.Mul(&s2, &b.y)
	h.Sub(&u2, &a.x)
	r.Sub(&s2, &a.y)
	if h.IsZero() == 1 {
		if r.IsZero() == 1 {
			var t jac
			t.setAffine(b)
			p.double(&t)
		} else {
			p.setIdentity()
		}
		return
	}
	var hh, i, j, v, x3, y3, z3 ff.Fp
	hh.Sqr(&h)
	i.Add(&hh, &hh)
	i.Add(&i, &i)
	j.Mul(&h, &i)
	r.Add(&r, &r)
	v.Mul(&a.x, &i)
	x3.Sqr(&r)
	x3.Sub(&x3, &j)
	x3.Sub(&x3, &v)
	x3.Sub(&x3, &v)
	y3.Sub(&v, &x3)
	y3.Mul(&y3, &r)
	j.Mul(&j, &a.y)
	j.Add(&j, &j)
	y3.Sub(&y3, &j)
	z3.Mul(&a.z, &h)
	z3.Add(&z3, &z3)
	p.x, p.y, p.z = x3, y3, z3
}

// toJac converts a projective point to Jacobian coordinates: (XZ : YZ² : Z).
func (p *Point) toJac() jac {
	var q jac
	if p.IsIdentity() {
		q.setIdentity()
		return q
	}
	var zz ff.Fp
	zz.Sqr(&p.z)
	q.x.Mul(&p.x, &p.z)
	q.y.Mul(&p.y, &zz)
	q.z = p.z
	return q
}

// batchNormalize converts finite Jacobian points to affine with a single
// field inversion (Montgomery's trick). All inputs must be finite.
func batchNormalize(out []affine, in []jac) {
	n := len(in)
	if n == 0 {
		return
	}
	acc := make([]ff.Fp, n)
	acc[0] = in[0].z
	for i := 1; i < n; i++ {
		acc[i].Mul(&acc[i-1], &in[i].z)
	}
	var inv, zi, zi2 ff.Fp
	inv.Inv(&acc[n-1])
	for i := n - 1; i >= 0; i-- {
		if i > 0 {
			zi.Mul(&inv, &acc[i-1])
			inv.Mul(&inv, &in[i].z)
		} else {
			zi = inv
		}
		zi2.Sqr(&zi)
		out[i].x.Mul(&in[i].x, &zi2)
		zi2.Mul(&zi2, &zi)
		out[i].y.Mul(&in[i].y, &zi2)
	}
}
