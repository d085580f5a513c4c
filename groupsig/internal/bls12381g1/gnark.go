package bls12381g1

import (
	"github.com/cloudflare/circl/ecc/bls12381/ff"
	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// Conversions to and from gnark-crypto's G1 types, on which package
// algebra runs everything that touches public data only. Both libraries
// keep Fp in Montgomery form with R = 2^384, but the conversion goes through
// the canonical big-endian encoding (≈0.1 µs per coordinate) rather than
// relying on that.

func fpToGnark(x *ff.Fp) (e fp.Element) {
	b, _ := x.MarshalBinary() // never fails
	e.SetBytes(b)             // canonical: the fast path of SetBytes
	return e
}

func fpFromGnark(e *fp.Element) (x ff.Fp) {
	b := e.Bytes()
	if err := x.UnmarshalBinary(b[:]); err != nil {
		panic("bls12381g1: non-canonical gnark element: " + err.Error()) // Bytes is canonical
	}
	return x
}

// ToGnark returns p in gnark's Jacobian coordinates, (XZ : YZ² : Z).
func (p *Point) ToGnark() gnark.G1Jac {
	var q gnark.G1Jac
	if p.IsIdentity() {
		q.X.SetOne()
		q.Y.SetOne()
		return q // Z = 0
	}
	x, y, z := fpToGnark(&p.x), fpToGnark(&p.y), fpToGnark(&p.z)
	var zz fp.Element
	zz.Square(&z)
	q.X.Mul(&x, &z)
	q.Y.Mul(&y, &zz)
	q.Z = z
	return q
}

// FromGnark converts a gnark Jacobian point, (X : Y : Z) ↦ (XZ : Y : Z³).
// q must be in G1, as everything gnark computes from G1 points is.
func FromGnark(q *gnark.G1Jac) Point {
	if q.Z.IsZero() {
		return Identity()
	}
	var x, z3 fp.Element
	x.Mul(&q.X, &q.Z)
	z3.Square(&q.Z).Mul(&z3, &q.Z)
	return Point{x: fpFromGnark(&x), y: fpFromGnark(&q.Y), z: fpFromGnark(&z3)}
}

// FromGnarkAffine converts a gnark affine point in G1 ((0, 0) is gnark's
// identity).
func FromGnarkAffine(a *gnark.G1Affine) Point {
	if a.IsInfinity() {
		return Identity()
	}
	return Point{x: fpFromGnark(&a.X), y: fpFromGnark(&a.Y), z: fpOne}
}
