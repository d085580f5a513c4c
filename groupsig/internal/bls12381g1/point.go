package bls12381g1

import (
	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// Point is a G1 point in homogeneous projective coordinates (X:Y:Z), with
// affine coordinates (X/Z, Y/Z); the identity is (0:1:0). Its Add and Double
// use the complete formulas of Costello–Renes–Batina for a=0, b=4, and run in
// constant time. The zero value is not a valid point; use Identity.
type Point struct{ x, y, z ff.Fp }

// affine is a finite point in affine coordinates (never the identity).
type affine struct{ x, y ff.Fp }

var (
	fpOne     ff.Fp
	generator Point
)

func init() {
	fpOne.SetOne()
	g, err := pointFromUncompressed(bls12381.G1Generator().Bytes())
	if err != nil {
		panic(err)
	}
	generator = g
	circlLayoutMatches = checkCirclLayout()
}

// Identity returns the identity element (point at infinity) of G1.
func Identity() Point {
	var p Point
	p.y.SetOne()
	return p
}

// Generator returns the standard generator of G1 (the same as circl's
// bls12381.G1Generator).
func Generator() Point { return generator }

// mul12 sets z = 12·x (12 = 3b) using additions only.
func mul12(z, x *ff.Fp) {
	var t ff.Fp
	t.Add(x, x)
	t.Add(&t, x)
	t.Add(&t, &t)
	z.Add(&t, &t)
}

// Add sets p = a + b using the complete addition formula (CRB15 Alg. 7). It
// runs in constant time and handles every input, including the identity and
// a == b. p may alias a or b.
func (p *Point) Add(a, b *Point) {
	var t0, t1, t2, t3, t4, x3, y3, z3 ff.Fp
	t0.Mul(&a.x, &b.x)
	t1.Mul(&a.y, &b.y)
	t2.Mul(&a.z, &b.z)
	t3.Add(&a.x, &a.y)
	t4.Add(&b.x, &b.y)
	t3.Mul(&t3, &t4)
	t4.Add(&t0, &t1)
	t3.Sub(&t3, &t4)
	t4.Add(&a.y, &a.z)
	x3.Add(&b.y, &b.z)
	t4.Mul(&t4, &x3)
	x3.Add(&t1, &t2)
	t4.Sub(&t4, &x3)
	x3.Add(&a.x, &a.z)
	y3.Add(&b.x, &b.z)
	x3.Mul(&x3, &y3)
	y3.Add(&t0, &t2)
	y3.Sub(&x3, &y3)
	x3.Add(&t0, &t0)
	t0.Add(&x3, &t0)
	mul12(&t2, &t2)
	z3.Add(&t1, &t2)
	t1.Sub(&t1, &t2)
	mul12(&y3, &y3)
	x3.Mul(&t4, &y3)
	t2.Mul(&t3, &t1)
	x3.Sub(&t2, &x3)
	y3.Mul(&y3, &t0)
	t1.Mul(&t1, &z3)
	y3.Add(&t1, &y3)
	t0.Mul(&t0, &t3)
	z3.Mul(&z3, &t4)
	z3.Add(&z3, &t0)
	p.x, p.y, p.z = x3, y3, z3
}

// addAffine sets p = a + b for an affine (finite) b using the complete mixed
// formula (CRB15 Alg. 8). Constant time; a may be the identity. p may alias a.
func (p *Point) addAffine(a *Point, b *affine) {
	var t0, t1, t2, t3, t4, x3, y3, z3 ff.Fp
	t0.Mul(&a.x, &b.x)
	t1.Mul(&a.y, &b.y)
	t3.Add(&b.x, &b.y)
	t4.Add(&a.x, &a.y)
	t3.Mul(&t3, &t4)
	t4.Add(&t0, &t1)
	t3.Sub(&t3, &t4)
	t4.Mul(&b.y, &a.z)
	t4.Add(&t4, &a.y)
	y3.Mul(&b.x, &a.z)
	y3.Add(&y3, &a.x)
	x3.Add(&t0, &t0)
	t0.Add(&x3, &t0)
	mul12(&t2, &a.z)
	z3.Add(&t1, &t2)
	t1.Sub(&t1, &t2)
	mul12(&y3, &y3)
	x3.Mul(&t4, &y3)
	t2.Mul(&t3, &t1)
	x3.Sub(&t2, &x3)
	y3.Mul(&y3, &t0)
	t1.Mul(&t1, &z3)
	y3.Add(&t1, &y3)
	t0.Mul(&t0, &t3)
	z3.Mul(&z3, &t4)
	z3.Add(&z3, &t0)
	p.x, p.y, p.z = x3, y3, z3
}

// Double sets p = 2a using the complete doubling formula (CRB15 Alg. 9). It
// runs in constant time. p may alias a.
func (p *Point) Double(a *Point) {
	var t0, t1, t2, x3, y3, z3 ff.Fp
	t0.Sqr(&a.y)
	z3.Add(&t0, &t0)
	z3.Add(&z3, &z3)
	z3.Add(&z3, &z3)
	t1.Mul(&a.y, &a.z)
	t2.Sqr(&a.z)
	mul12(&t2, &t2)
	x3.Mul(&t2, &z3)
	y3.Add(&t0, &t2)
	z3.Mul(&t1, &z3)
	t1.Add(&t2, &t2)
	t2.Add(&t1, &t2)
	t0.Sub(&t0, &t2)
	y3.Mul(&t0, &y3)
	y3.Add(&x3, &y3)
	t1.Mul(&a.x, &a.y)
	x3.Mul(&t0, &t1)
	x3.Add(&x3, &x3)
	p.x, p.y, p.z = x3, y3, z3
}

// Neg sets p = -a. Constant time. p may alias a.
func (p *Point) Neg(a *Point) {
	p.x = a.x
	p.y = a.y
	p.y.Neg()
	p.z = a.z
}

// condNeg negates p when b == 1 (b must be 0 or 1), in constant time.
func (p *Point) condNeg(b int) {
	n := p.y
	n.Neg()
	p.y.CMov(&p.y, &n, b)
}

// cmov sets p = q when b == 1 (b must be 0 or 1), in constant time.
func (p *Point) cmov(q *Point, b int) {
	p.x.CMov(&p.x, &q.x, b)
	p.y.CMov(&p.y, &q.y, b)
	p.z.CMov(&p.z, &q.z, b)
}

// IsIdentity reports whether p is the identity (Z = 0).
func (p *Point) IsIdentity() bool { return p.z.IsZero() == 1 }

// Equal reports whether p and q represent the same group element.
func (p *Point) Equal(q *Point) bool {
	var l, r ff.Fp
	l.Mul(&p.x, &q.z)
	r.Mul(&q.x, &p.z)
	ex := l.IsEqual(&r)
	l.Mul(&p.y, &q.z)
	r.Mul(&q.y, &p.z)
	return ex&l.IsEqual(&r) == 1
}

// toAffine returns the affine coordinates of a non-identity p.
func (p *Point) toAffine() affine {
	var inv ff.Fp
	inv.Inv(&p.z)
	var a affine
	a.x.Mul(&p.x, &inv)
	a.y.Mul(&p.y, &inv)
	return a
}
