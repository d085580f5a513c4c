package bls12381g1

import (
	"errors"
	"unsafe"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

var (
	errLength   = errors.New("bls12381g1: uncompressed point must be 96 bytes")
	errEncoding = errors.New("bls12381g1: invalid point encoding")
)

// glvBeta is the cube root of unity with φ(x,y) = (glvBeta·x, y) = [z²-1]P
// (circl's g1Sigma.beta0 = 2^(2(p-1)/3)), for MulCT's GLV split.
var glvBeta ff.Fp

func init() {
	if err := glvBeta.SetString("0x1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaac"); err != nil {
		panic(err)
	}
}

// pointFromUncompressed parses circl's 96-byte uncompressed encoding without
// any validation (the input comes from a valid circl point).
func pointFromUncompressed(b []byte) (Point, error) {
	if len(b) != 2*ff.FpSize {
		return Point{}, errLength
	}
	if b[0]&0x40 != 0 {
		return Identity(), nil
	}
	var xb [ff.FpSize]byte
	copy(xb[:], b[:ff.FpSize])
	xb[0] &= 0x1F
	var p Point
	if err := p.x.UnmarshalBinary(xb[:]); err != nil {
		return Point{}, errEncoding
	}
	if err := p.y.UnmarshalBinary(b[ff.FpSize:]); err != nil {
		return Point{}, errEncoding
	}
	p.z = fpOne
	return p, nil
}

// FromCircl converts a circl G1 point (assumed valid, as all circl G1 values
// built through its API are) through its affine uncompressed encoding.
func FromCircl(q *bls12381.G1) Point {
	p, err := pointFromUncompressed(q.Bytes())
	if err != nil {
		panic("bls12381g1: unexpected circl encoding: " + err.Error())
	}
	return p
}

// ToCircl converts p to a circl G1 point through the uncompressed affine
// encoding. circl's SetBytes re-validates the point (curve and subgroup
// membership), which dominates the cost.
func (p *Point) ToCircl() *bls12381.G1 {
	if circlLayoutMatches {
		q := new(bls12381.G1)
		*(*Point)(unsafe.Pointer(q)) = *p
		return q
	}
	var b [2 * ff.FpSize]byte
	if p.IsIdentity() {
		b[0] = 0x40
	} else {
		a := p.toAffine()
		xb, _ := a.x.MarshalBinary()
		yb, _ := a.y.MarshalBinary()
		copy(b[:ff.FpSize], xb)
		copy(b[ff.FpSize:], yb)
	}
	q := new(bls12381.G1)
	if err := q.SetBytes(b[:]); err != nil {
		panic("bls12381g1: point not in G1: " + err.Error())
	}
	return q
}

// circlLayoutMatches is true when circl's G1 is, as in v1.6.5, three ff.Fp
// coordinates in homogeneous projective form (X:Y:Z) with the identity at
// (0:1:0), exactly like Point. ToCircl then copies the coordinates instead
// of encoding them and having circl's SetBytes re-check curve and subgroup
// membership (≈140 µs, more than a third of a scalar multiplication). The
// check runs once at start-up on a point with Z ≠ 1, so a circl release
// that changes the layout falls back to the encoding path, never to a
// wrong point. It is set by init, once the generator exists.
var circlLayoutMatches bool

func checkCirclLayout() bool {
	if unsafe.Sizeof(bls12381.G1{}) != unsafe.Sizeof(Point{}) {
		return false
	}
	g := Generator()
	var d Point
	d.Double(&g)
	d.Add(&d, &g) // 3·g, with Z ≠ 1
	q := new(bls12381.G1)
	*(*Point)(unsafe.Pointer(q)) = d
	want := bls12381.G1Generator()
	three := new(bls12381.Scalar)
	three.SetUint64(3)
	want.ScalarMult(three, want)
	return q.IsOnG1() && q.IsEqual(want)
}

// field inversion for all; ok[i] is false for the identity.
func BatchAffine(ps []*Point) (xs, ys []ff.Fp, ok []bool) {
	xs, ys, ok = make([]ff.Fp, len(ps)), make([]ff.Fp, len(ps)), make([]bool, len(ps))
	for i, a := range batchAffine(ps) {
		xs[i], ys[i], ok[i] = a.x, a.y, !ps[i].IsIdentity()
	}
	return xs, ys, ok
}

// batchAffine normalises every point with Montgomery's trick; identities
// are left as zero.
func batchAffine(ps []*Point) []affine {
	out := make([]affine, len(ps))
	if len(ps) == 0 {
		return out
	}
	acc := make([]ff.Fp, len(ps))
	prev := fpOne
	for i, p := range ps {
		if p.IsIdentity() {
			acc[i] = prev
		} else {
			acc[i].Mul(&prev, &p.z)
		}
		prev = acc[i]
	}
	var inv, zi ff.Fp
	inv.Inv(&acc[len(ps)-1])
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p.IsIdentity() {
			continue
		}
		if i > 0 {
			zi.Mul(&inv, &acc[i-1])
		} else {
			zi = inv
		}
		inv.Mul(&inv, &p.z)
		out[i].x.Mul(&p.x, &zi)
		out[i].y.Mul(&p.y, &zi)
	}
	return out
}
