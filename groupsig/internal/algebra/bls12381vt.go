package algebra

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/consensys/gnark-crypto/ecc"
	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
)

// The verify fast path of BLS12-381. Everything that handles public data
// only — DecodeG1, CompressG1, SumVT, MultiMulVT and PairPreparedVT — runs
// here on gnark-crypto's ecc/bls12-381 field and group formulas (assembly,
// about three times circl's field, variable time). Points stay
// bls12381g1.Point between calls (a conversion costs about 1 µs, under 1 %
// of a verification).
//
// Multiplications use the curve parameter a = |z| = 0xd201000000010000
// instead of GLV: r = a⁴ − a² + 1, so every scalar k < r has four base-a
// digits of 64 bits, and k·P = d0·P + d1·aP + d2·a²P + d3·a³P. On G1,
// a²P = ψ(P) with ψ(x, y) = (β'x, −y) (Scott's test, eprint 2021/1130,
// φ'(P) = −z²P), so the four bases come from P and aP alone — and aP is
// exactly what the subgroup check of a decoded point computes anyway
// (a²P = ψ(P) ⇔ P ∈ G1). A sum of such terms shares one chain of 64
// doublings (half of GLV's 128) with wNAF digits over affine tables.

// curveA is |z|, the absolute value of BLS12-381's parameter.
const curveA uint64 = 0xd201000000010000

var (
	// psiBeta is β' with φ'(x, y) = (β'x, y) = −z²·(x, y) on G1 (circl's
	// g1Sigma.beta1, the square of the GLV cube root bls12381g1 uses).
	psiBeta fp.Element
	curveB  fp.Element
)

func init() {
	if _, err := psiBeta.SetString("0x5f19672fdf76ce51ba69c6076a0f77eaddb3a93be6f89688de17d813620a00022e01fffffffefffe"); err != nil {
		panic(err)
	}
	curveB.SetUint64(4)
}

// Window widths: var bases get an 8-entry table per sub-base (built per
// signature, shared by the point's two multiplications); key points a
// 512-entry one (built once per key, 192 KiB).
const (
	varWindow   = 5
	fixedWindow = 11
)

// vtBase is the table of one point for the chain: for each of its four
// sub-bases P, aP, a²P, a³P the odd multiples 1, 3, …, 2^(w−1) − 1. It is
// read-only after construction.
type vtBase struct {
	identity bool
	w        uint
	tbl      [4][]gnark.G1Affine
}

// psi is ψ(x, y) = (β'x, −y) = a²·(x, y) on G1.
func psi(out, in *gnark.G1Affine) {
	out.X.Mul(&in.X, &psiBeta)
	out.Y.Neg(&in.Y)
}

// mulByA returns a·P (a chain of 63 doublings and 5 additions over
// the bits of a: 63, 62, 60, 57, 48, 16).
func mulByA(p *gnark.G1Jac) gnark.G1Jac {
	q := *p
	for i := 62; i >= 0; i-- {
		q.DoubleAssign()
		if curveA>>uint(i)&1 == 1 {
			q.AddAssign(p)
		}
	}
	return q
}

// mulByAAffine is mulByA with mixed additions.
func mulByAAffine(p *gnark.G1Affine) gnark.G1Jac {
	var q gnark.G1Jac
	q.FromAffine(p)
	for i := 62; i >= 0; i-- {
		q.DoubleAssign()
		if curveA>>uint(i)&1 == 1 {
			q.AddMixed(p)
		}
	}
	return q
}

// newVTBase builds the table of p with window w, given u = a·p if known.
func newVTBase(p *gnark.G1Jac, u *gnark.G1Jac, w uint) *vtBase {
	if p.Z.IsZero() {
		return &vtBase{identity: true}
	}
	if u == nil {
		au := mulByA(p)
		u = &au
	}
	n := 1 << (w - 2)
	jac := make([]gnark.G1Jac, 2*n)
	for b, base := range []*gnark.G1Jac{p, u} {
		row := jac[b*n : (b+1)*n]
		var two gnark.G1Jac
		two.Double(base)
		row[0] = *base
		for i := 1; i < n; i++ {
			row[i].Set(&row[i-1]).AddAssign(&two)
		}
	}
	aff := batchAffine(jac)
	t := &vtBase{w: w}
	t.tbl[0], t.tbl[1] = aff[:n:n], aff[n:]
	t.tbl[2], t.tbl[3] = make([]gnark.G1Affine, n), make([]gnark.G1Affine, n)
	for i := range n {
		psi(&t.tbl[2][i], &t.tbl[0][i])
		psi(&t.tbl[3][i], &t.tbl[1][i])
	}
	return t
}

// batchAffine normalises finite Jacobian points with one inversion, on
// this goroutine (gnark's BatchJacobianToAffineG1 starts workers).
func batchAffine(in []gnark.G1Jac) []gnark.G1Affine {
	out := make([]gnark.G1Affine, len(in))
	acc := fp.One()
	for i := range in {
		out[i].X = acc // prefix product, replaced below
		if !in[i].Z.IsZero() {
			acc.Mul(&acc, &in[i].Z)
		}
	}
	var inv, zi, zz fp.Element
	inv.Inverse(&acc)
	for i := len(in) - 1; i >= 0; i-- {
		if in[i].Z.IsZero() {
			out[i] = gnark.G1Affine{} // gnark's (0, 0) identity
			continue
		}
		zi.Mul(&inv, &out[i].X)
		inv.Mul(&inv, &in[i].Z)
		zz.Square(&zi)
		out[i].X.Mul(&in[i].X, &zz)
		zz.Mul(&zz, &zi)
		out[i].Y.Mul(&in[i].Y, &zz)
	}
	return out
}

// digitsA writes k's base-a digits, least significant first.
func digitsA(k *bls.Scalar) (d [4]uint64) {
	b, _ := k.MarshalBinary() // 32 bytes big-endian, never fails
	var l [4]uint64
	for i := range l {
		l[i] = binary.BigEndian.Uint64(b[32-8*(i+1):])
	}
	for j := range 3 {
		var r uint64
		for i := 3; i >= 0; i-- {
			l[i], r = bits.Div64(r, l[i], curveA)
		}
		d[j] = r
	}
	d[3] = l[0] // k < r < a⁴: the last quotient is below a
	return d
}

// nafLen bounds the wNAF of a 64-bit digit (one more for the carry).
const nafLen = 66

// wnaf writes d's width-w NAF into out and returns its length. d < a, so
// d + 2^(w−1) cannot overflow.
func wnaf(d uint64, w uint, out *[nafLen]int16) int {
	n := 0
	for d != 0 {
		if d&1 == 1 {
			z := int64(d & (1<<w - 1))
			if z >= 1<<(w-1) {
				z -= 1 << w
			}
			out[n] = int16(z)
			d -= uint64(z) // z < 0 adds |z|
		} else {
			out[n] = 0
		}
		d >>= 1
		n++
	}
	return n
}

// sumVT returns Σ k_i·B_i for tables B_i: one chain of 64 doublings shared
// by all terms, a mixed addition per nonzero wNAF digit.
func sumVT(ts []*vtBase, ks []*bls.Scalar) gnark.G1Jac {
	type digit struct {
		naf [nafLen]int16
		n   int
	}
	ds := make([][4]digit, len(ts))
	top := 0
	for i, t := range ts {
		if t.identity {
			continue
		}
		d := digitsA(ks[i])
		for s := range 4 {
			ds[i][s].n = wnaf(d[s], t.w, &ds[i][s].naf)
			top = max(top, ds[i][s].n)
		}
	}
	var acc gnark.G1Jac
	acc.X.SetOne()
	acc.Y.SetOne()
	var neg gnark.G1Affine
	for j := top - 1; j >= 0; j-- {
		if !acc.Z.IsZero() {
			acc.DoubleAssign()
		}
		for i, t := range ts {
			if t.identity {
				continue
			}
			for s := range 4 {
				if j >= ds[i][s].n {
					continue
				}
				switch z := ds[i][s].naf[j]; {
				case z > 0:
					acc.AddMixed(&t.tbl[s][z>>1])
				case z < 0:
					neg.Neg(&t.tbl[s][(-z)>>1])
					acc.AddMixed(&neg)
				}
			}
		}
	}
	return acc
}

// fixedVT is a key point's table.
func fixedVT(p *g1.Point) *vtBase {
	j := p.ToGnark()
	return newVTBase(&j, nil, fixedWindow)
}

var errSubgroup = errors.New("G1 point not in the prime-order subgroup")

// decodeG1 decodes a 48-byte ZCash compressed point exactly as circl's
// G1.SetBytes does (the tests and fuzz target compare them): the
// compression flag set, the infinity flag only as 0xC0 followed by zeros
// and never with the sort flag, x < p, the point on the curve and in G1.
// The subgroup check computes a·P, which it returns for the point's table.
func decodeG1(b []byte) (g1.Point, *gnark.G1Jac, error) {
	if len(b) != gnark.SizeOfG1AffineCompressed {
		return g1.Point{}, nil, fmt.Errorf("G1 point is %d bytes, not %d", len(b), gnark.SizeOfG1AffineCompressed)
	}
	flags := b[0] & 0xE0
	if flags&0x80 == 0 || flags == 0xE0 {
		return g1.Point{}, nil, fmt.Errorf("G1 point: flags %#x", flags)
	}
	if flags&0x40 != 0 {
		if b[0]&0x1F != 0 {
			return g1.Point{}, nil, fmt.Errorf("G1 point: non-zero infinity encoding")
		}
		for _, v := range b[1:] {
			if v != 0 {
				return g1.Point{}, nil, fmt.Errorf("G1 point: non-zero infinity encoding")
			}
		}
		return g1.Identity(), nil, nil
	}
	var xb [fp.Bytes]byte
	copy(xb[:], b)
	xb[0] &= 0x1F
	var a gnark.G1Affine
	if err := a.X.SetBytesCanonical(xb[:]); err != nil {
		return g1.Point{}, nil, fmt.Errorf("G1 point: x: %w", err)
	}
	var y2 fp.Element
	y2.Square(&a.X).Mul(&y2, &a.X).Add(&y2, &curveB)
	if a.Y.Sqrt(&y2) == nil {
		return g1.Point{}, nil, fmt.Errorf("G1 point: x not on the curve")
	}
	if a.Y.LexicographicallyLargest() != (flags&0x20 != 0) {
		a.Y.Neg(&a.Y)
	}
	u := mulByAAffine(&a)
	if !isPsi(mulByA(&u), &a) {
		return g1.Point{}, nil, errSubgroup
	}
	return g1.FromGnarkAffine(&a), &u, nil
}

// isPsi reports whether the Jacobian v is ψ(a) = (β'x, −y): then v = a²·P
// = −φ'(P), which holds exactly for P in G1.
func isPsi(v gnark.G1Jac, a *gnark.G1Affine) bool {
	if v.Z.IsZero() {
		return false
	}
	var zz, t fp.Element
	zz.Square(&v.Z)
	t.Mul(&psiBeta, &a.X).Mul(&t, &zz)
	if !t.Equal(&v.X) {
		return false
	}
	zz.Mul(&zz, &v.Z)
	t.Mul(&a.Y, &zz).Neg(&t)
	return t.Equal(&v.Y)
}

// compressG1 is the ZCash compressed encoding over one batch inversion.
func compressG1(ps []*g1.Point) [][]byte {
	jac := make([]gnark.G1Jac, len(ps))
	for i, p := range ps {
		jac[i] = p.ToGnark()
	}
	aff := batchAffine(jac)
	out := make([][]byte, len(ps))
	for i := range aff {
		enc := aff[i].Bytes() // (0, 0) encodes as the compressed identity
		out[i] = enc[:]
	}
	return out
}

// prepareVT precomputes gnark's Miller-loop lines of q.
func prepareVT(q *bls.G2) (*[2][len(gnark.LoopCounter) - 1]gnark.LineEvaluationAff, error) {
	var a gnark.G2Affine
	if _, err := a.SetBytes(q.Bytes()); err != nil {
		return nil, err
	}
	lines := gnark.PrecomputeLines(a)
	return &lines, nil
}

// pairPreparedVT is gnark's MillerLoopFixedQ and FinalExponentiation over
// the non-identity pairs. gnark's final exponentiation raises to 3·(p¹²−1)/r
// (Hayashida–Hayasaka–Teruya) as circl's does, and its GT encoding is
// circl's, so the result is byte for byte circl's ProdPairFrac (the tests
// pin both).
func pairPreparedVT(ps []PointG1, qs []Prepared) *bls.Gt {
	jac := make([]gnark.G1Jac, 0, len(ps))
	lines := make([][2][len(gnark.LoopCounter) - 1]gnark.LineEvaluationAff, 0, len(ps))
	for i := range ps {
		if !bp(ps[i]).IsIdentity() {
			jac = append(jac, bp(ps[i]).ToGnark())
			lines = append(lines, *qs[i].(*blsPrep).vt) // MillerLoopFixedQ scales its lines in place
		}
	}
	out := new(bls.Gt)
	if len(jac) == 0 {
		out.SetIdentity()
		return out
	}
	f, err := gnark.MillerLoopFixedQ(batchAffine(jac), lines)
	if err != nil {
		panic("algebra: gnark MillerLoopFixedQ: " + err.Error()) // lengths match by construction
	}
	e := gnark.FinalExponentiation(&f)
	enc := e.Bytes()
	if err := out.UnmarshalBinary(enc[:]); err != nil {
		panic("algebra: gnark GT encoding: " + err.Error()) // canonical by construction
	}
	return out
}

// pippengerFrom is where gnark's bucket MultiExp overtakes the chain (a
// revocation record's batched check has hundreds of terms).
const pippengerFrom = 16

// multiMulVT is Σ k_i·P_i for points without tables.
func multiMulVT(ps []PointG1, ks []Scalar) gnark.G1Jac {
	if len(ps) < pippengerFrom {
		ts, kk := make([]*vtBase, len(ps)), make([]*bls.Scalar, len(ps))
		for i := range ps {
			ts[i], kk[i] = varTable(ps[i].(*blsG1)), bs(ks[i])
		}
		return sumVT(ts, kk)
	}
	jac := make([]gnark.G1Jac, len(ps))
	for i := range ps {
		jac[i] = bp(ps[i]).ToGnark()
	}
	frs := make([]fr.Element, len(ks))
	for i := range ks {
		b, _ := bs(ks[i]).MarshalBinary()
		frs[i].SetBytes(b)
	}
	var acc gnark.G1Jac
	if _, err := acc.MultiExp(batchAffine(jac), frs, ecc.MultiExpConfig{NbTasks: 1}); err != nil {
		panic("algebra: gnark MultiExp: " + err.Error()) // lengths match by construction
	}
	return acc
}

// varTable builds p's var-base table, reusing a·P from its decoding.
func varTable(p *blsG1) *vtBase {
	j := p.p.ToGnark()
	return newVTBase(&j, p.aP, varWindow)
}
