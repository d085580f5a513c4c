package bls12381g1

import (
	"errors"
	"unsafe"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
)

// CompressedSize is the length of a compressed G1 encoding.
const CompressedSize = 48

var (
	// ErrLength is returned by Decompress for inputs that are not 48 bytes.
	ErrLength = errors.New("bls12381g1: compressed point must be 48 bytes")
	// ErrEncoding is returned by Decompress for malformed encodings (flag
	// bits, non-canonical x, or an x with no curve point).
	ErrEncoding = errors.New("bls12381g1: invalid point encoding")
	// ErrSubgroup is returned by Decompress for curve points outside G1.
	ErrSubgroup = errors.New("bls12381g1: point not in the prime-order subgroup")
)

var (
	curveB ff.Fp
	// glvBeta is the cube root of unity with φ(x,y) = (glvBeta·x, y) = [z²-1]P.
	glvBeta ff.Fp
	// sgBeta = glvBeta², for which φ'(P) = [-z²]P on G1 (Scott's check).
	sgBeta ff.Fp
)

func init() {
	curveB.SetUint64(4)
	// glvBeta is circl's g1Sigma.beta0 = 2^(2(p-1)/3); sgBeta is beta1 = glvBeta².
	if err := glvBeta.SetString("0x1a0111ea397fe699ec02408663d4de85aa0d857d89759ad4897d29650fb85f9b409427eb4f49fffd8bfd00000000aaac"); err != nil {
		panic(err)
	}
	if err := sgBeta.SetString("0x5f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffefffe"); err != nil {
		panic(err)
	}
}

// pointFromUncompressed parses circl's 96-byte uncompressed encoding without
// any validation (the input comes from a valid circl point).
func pointFromUncompressed(b []byte) (Point, error) {
	if len(b) != 2*ff.FpSize {
		return Point{}, ErrLength
	}
	if b[0]&0x40 != 0 {
		return Identity(), nil
	}
	var xb [ff.FpSize]byte
	copy(xb[:], b[:ff.FpSize])
	xb[0] &= 0x1F
	var p Point
	if err := p.x.UnmarshalBinary(xb[:]); err != nil {
		return Point{}, ErrEncoding
	}
	if err := p.y.UnmarshalBinary(b[ff.FpSize:]); err != nil {
		return Point{}, ErrEncoding
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

// compressAffine encodes a finite affine point.
func compressAffine(a *affine) [CompressedSize]byte {
	var out [CompressedSize]byte
	xb, _ := a.x.MarshalBinary()
	copy(out[:], xb)
	out[0] |= 0x80 | byte(a.y.IsNegative())<<5
	return out
}

func compressedIdentity() [CompressedSize]byte {
	var out [CompressedSize]byte
	out[0] = 0xC0
	return out
}

// Compress returns the 48-byte ZCash/IETF compressed encoding of p,
// byte-identical to circl's BytesCompressed.
func (p *Point) Compress() [CompressedSize]byte {
	if p.IsIdentity() {
		return compressedIdentity()
	}
	a := p.toAffine()
	return compressAffine(&a)
}

// BatchCompress compresses all points using a single field inversion
// (Montgomery's trick). Identity points are allowed.
func BatchCompress(ps []*Point) [][CompressedSize]byte {
	out := make([][CompressedSize]byte, len(ps))
	for i, a := range batchAffine(ps) {
		if ps[i].IsIdentity() {
			out[i] = compressedIdentity()
		} else {
			out[i] = compressAffine(&a)
		}
	}
	return out
}

// BatchAffine returns the affine coordinates (x, y) of each point with one
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

// Decompress decodes a 48-byte ZCash/IETF compressed G1 point, accepting
// exactly what circl's G1.SetBytes accepts for 48-byte inputs: the
// compression flag must be set, the infinity encoding must be 0xC0 followed
// by zeros, x must be canonical (< p) and on the curve, and the point must
// be in the prime-order subgroup. The identity decodes to the identity; the
// caller decides whether to refuse it. Variable time (public data).
func Decompress(b []byte) (Point, error) {
	if len(b) != CompressedSize {
		return Point{}, ErrLength
	}
	flags := b[0] & 0xE0
	if flags&0x80 == 0 || flags == 0xE0 {
		return Point{}, ErrEncoding
	}
	if flags&0x40 != 0 {
		if b[0]&0x1F != 0 {
			return Point{}, ErrEncoding
		}
		for _, v := range b[1:] {
			if v != 0 {
				return Point{}, ErrEncoding
			}
		}
		return Identity(), nil
	}
	var xb [CompressedSize]byte
	copy(xb[:], b)
	xb[0] &= 0x1F
	var a affine
	if err := a.x.UnmarshalBinary(xb[:]); err != nil {
		return Point{}, ErrEncoding
	}
	var rhs ff.Fp
	rhs.Sqr(&a.x)
	rhs.Mul(&rhs, &a.x)
	rhs.Add(&rhs, &curveB)
	if sqrt(&a.y, &rhs) == 0 {
		return Point{}, ErrEncoding
	}
	if a.y.IsNegative() != int(flags>>5&1) {
		a.y.Neg()
	}
	if !inSubgroup(&a) {
		return Point{}, ErrSubgroup
	}
	return a.toPoint(), nil
}

// mulAbsZ returns [|z|]q (variable time; |z| = 0xd201000000010000).
func mulAbsZ(q *jac) jac {
	p := *q
	for i := 62; i >= 0; i-- {
		p.double(&p)
		if absZ>>uint(i)&1 == 1 {
			p.add(&p, q)
		}
	}
	return p
}

// mulAbsZAffine returns [|z|]a for an affine a (variable time).
func mulAbsZAffine(a *affine) jac {
	var p jac
	p.setAffine(a)
	for i := 62; i >= 0; i-- {
		p.double(&p)
		if absZ>>uint(i)&1 == 1 {
			p.addAffine(&p, a)
		}
	}
	return p
}

// inSubgroup reports whether the affine curve point a lies in G1, using
// Scott's test (eprint 2021/1130): P ∈ G1 ⇔ φ'(P) = [-z²]P, where
// φ'(x,y) = (sgBeta·x, y). Variable time.
func inSubgroup(a *affine) bool {
	q := mulAbsZAffine(a)
	q = mulAbsZ(&q) // [z²]P
	if q.isIdentity() {
		return false
	}
	// [z²]P == -φ'(P) ⇔ X == sgBeta·x·Z² and Y == -y·Z³.
	var zz, t ff.Fp
	zz.Sqr(&q.z)
	t.Mul(&sgBeta, &a.x)
	t.Mul(&t, &zz)
	if t.IsEqual(&q.x) == 0 {
		return false
	}
	zz.Mul(&zz, &q.z)
	t.Mul(&a.y, &zz)
	t.Neg()
	return t.IsEqual(&q.y) == 1
}
