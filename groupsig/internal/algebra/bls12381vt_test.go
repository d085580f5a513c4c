package algebra

import (
	"bytes"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// The verify fast path must agree with circl, the reference the spec's
// vectors were made with, on every input: decodings, multiplications,
// encodings and pairing products.

var (
	bigR = new(big.Int).SetBytes(ff.ScalarOrder())
	bigP = new(big.Int).SetBytes(ff.FpOrder())
	bigA = new(big.Int).SetUint64(curveA)
)

func blsScalarOf(t testing.TB, x *big.Int) Scalar {
	t.Helper()
	x = new(big.Int).Mod(x, bigR)
	s, ok := BLS12381.DecodeScalar(x.FillBytes(make([]byte, 32)))
	if !ok {
		t.Fatal("scalar")
	}
	return s
}

func randBLSScalar(t testing.TB) Scalar {
	s, err := BLS12381.RandomScalar(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// edgeScalars are scalars whose base-a digits or wNAF digits sit at their
// bounds.
func edgeScalars(t testing.TB) []Scalar {
	one := big.NewInt(1)
	a2 := new(big.Int).Mul(bigA, bigA)
	a3 := new(big.Int).Mul(a2, bigA)
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(17),
		big.NewInt(1023), big.NewInt(1024), big.NewInt(1025),
		new(big.Int).Sub(bigR, one), new(big.Int).Sub(bigR, big.NewInt(2)), new(big.Int).Rsh(bigR, 1),
		new(big.Int).Sub(bigA, one), bigA, new(big.Int).Add(bigA, one),
		new(big.Int).Sub(a2, one), a2, new(big.Int).Sub(a3, one), a3, new(big.Int).Add(a3, one),
		new(big.Int).Sub(new(big.Int).Lsh(one, 64), one), new(big.Int).Lsh(one, 64),
		new(big.Int).Sub(new(big.Int).Lsh(one, 254), one),
		new(big.Int).Sub(new(big.Int).Mul(a3, new(big.Int).Sub(bigA, one)), one), // every digit a−1
	}
	out := make([]Scalar, len(vals))
	for i, v := range vals {
		out[i] = blsScalarOf(t, v)
	}
	return out
}

func circlOf(p PointG1) *bls.G1 { return bp(p).ToCircl() }

func randBLSPoint(t testing.TB) PointG1 {
	return BLS12381.MulCT(BLS12381.G1Generator(), randBLSScalar(t))
}

func mustSamePoint(t *testing.T, what string, got PointG1, want *bls.G1) {
	t.Helper()
	if !circlOf(got).IsEqual(want) {
		t.Fatalf("%s: got %x, want %x", what, circlOf(got).BytesCompressed(), want.BytesCompressed())
	}
}

func TestSumVTMatchesCircl(t *testing.T) {
	c := BLS12381
	fixedP, varP := randBLSPoint(t), randBLSPoint(t)
	decoded, err := c.DecodeG1(circlOf(varP).BytesCompressed()) // carries a·P
	if err != nil {
		t.Fatal(err)
	}
	fixed := c.Fixed(fixedP)
	vars := []VarBase{c.VarBase(varP), c.VarBase(decoded)}
	ks := append(edgeScalars(t), randBLSScalar(t), randBLSScalar(t))
	for i, k := range ks {
		l := ks[(i*7+3)%len(ks)]
		var want, t2 bls.G1
		want.ScalarMult(bs(k), circlOf(fixedP))
		t2.ScalarMult(bs(l), circlOf(varP))
		want.Add(&want, &t2)
		for j, v := range vars {
			mustSamePoint(t, "fixed+var", c.SumVT([]FixedBase{fixed}, []Scalar{k}, []VarBase{v}, []Scalar{l}), &want)
			if j == 0 {
				mustSamePoint(t, "var", c.SumVT(nil, nil, []VarBase{v}, []Scalar{l}), &t2)
			}
		}
		var f bls.G1
		f.ScalarMult(bs(k), circlOf(fixedP))
		mustSamePoint(t, "fixed", c.SumVT([]FixedBase{fixed}, []Scalar{k}, nil, nil), &f)
	}
	id := c.AddG1(fixedP, c.NegG1(fixedP))
	if !c.IsIdentityG1(c.SumVT([]FixedBase{c.Fixed(id)}, []Scalar{ks[1]}, []VarBase{c.VarBase(id)}, []Scalar{ks[2]})) {
		t.Fatal("multiples of the identity")
	}
	if !c.IsIdentityG1(c.SumVT(nil, nil, []VarBase{vars[0], vars[1]}, []Scalar{ks[1], c.Neg(ks[1])})) {
		t.Fatal("P − P")
	}
}

func TestMultiMulVTMatchesCircl(t *testing.T) {
	c := BLS12381
	for _, n := range []int{1, 2, 3, pippengerFrom - 1, pippengerFrom, 40} {
		ps, ks := make([]PointG1, n), make([]Scalar, n)
		var want bls.G1
		want.SetIdentity()
		for i := range ps {
			ps[i], ks[i] = randBLSPoint(t), randBLSScalar(t)
			var t2 bls.G1
			t2.ScalarMult(bs(ks[i]), circlOf(ps[i]))
			want.Add(&want, &t2)
		}
		mustSamePoint(t, "multi", c.MultiMulVT(ps, ks), &want)
	}
}

func TestPairPreparedVTMatchesCircl(t *testing.T) {
	c := BLS12381
	q1 := c.G2Generator()
	q2 := c.MulG2(q1, randBLSScalar(t))
	prep := []Prepared{c.Prepare(q1), c.Prepare(q2)}
	id := c.AddG1(c.G1Generator(), c.NegG1(c.G1Generator()))
	for i := range 8 {
		ps := []PointG1{randBLSPoint(t), randBLSPoint(t)}
		if i == 6 {
			ps[1] = id
		}
		if i == 7 {
			ps[0], ps[1] = id, id
		}
		vt := c.AppendGT(nil, c.PairPreparedVT(ps, prep))
		ct := c.AppendGT(nil, c.PairPreparedCT(ps, prep))
		ref := c.AppendGT(nil, c.PairProduct(ps, []PointG2{q1, q2}, []int{1, 1}))
		if !bytes.Equal(vt, ref) || !bytes.Equal(ct, ref) {
			t.Fatalf("case %d: GT differs from circl's ProdPairFrac", i)
		}
	}
	// e(P, g2)·e(−P, g2) = 1
	p := randBLSPoint(t)
	if !c.IsOneGT(c.PairPreparedVT([]PointG1{p, c.NegG1(p)}, []Prepared{prep[0], prep[0]})) {
		t.Fatal("e(P, Q)·e(−P, Q) ≠ 1")
	}
}

func TestCompressG1MatchesCircl(t *testing.T) {
	c := BLS12381
	ps := []PointG1{randBLSPoint(t), c.AddG1(c.G1Generator(), c.NegG1(c.G1Generator())), c.G1Generator(), randBLSPoint(t)}
	for i, enc := range c.CompressG1(ps...) {
		if !bytes.Equal(enc, circlOf(ps[i]).BytesCompressed()) {
			t.Fatalf("point %d: %x, circl %x", i, enc, circlOf(ps[i]).BytesCompressed())
		}
	}
}

// offSubgroup returns a curve point outside G1 and its compressed encoding.
func offSubgroup(t testing.TB, seed uint64) gnark.G1Jac {
	rng := mrand.New(mrand.NewPCG(seed, 7))
	for {
		var xb [48]byte
		for i := range xb {
			xb[i] = byte(rng.Uint32())
		}
		xb[0] &= 0x0F
		var a gnark.G1Affine
		if a.X.SetBytesCanonical(xb[:]) != nil {
			continue
		}
		var y2 fp.Element
		y2.Square(&a.X).Mul(&y2, &a.X).Add(&y2, &curveB)
		if a.Y.Sqrt(&y2) == nil {
			continue
		}
		if a.IsInSubGroup() {
			t.Fatal("random curve point in G1")
		}
		var j gnark.G1Jac
		j.FromAffine(&a)
		return j
	}
}

// mulBig is double-and-add, valid off the subgroup (unlike GLV).
func mulBig(p *gnark.G1Jac, k *big.Int) gnark.G1Jac {
	var acc gnark.G1Jac
	acc.X.SetOne()
	acc.Y.SetOne()
	for i := k.BitLen() - 1; i >= 0; i-- {
		acc.DoubleAssign()
		if k.Bit(i) == 1 {
			acc.AddAssign(p)
		}
	}
	return acc
}

func compressJac(p *gnark.G1Jac) []byte {
	var a gnark.G1Affine
	a.FromJacobian(p)
	b := a.Bytes()
	return b[:]
}

// TestDecodeG1Subgroup decodes curve points of every torsion the
// cofactor h = 3·11²·10177²·859267²·52437899² allows, like circl.
func TestDecodeG1Subgroup(t *testing.T) {
	zm1 := new(big.Int).Add(bigA, big.NewInt(1))
	h := new(big.Int).Mul(zm1, zm1)
	h.Div(h, big.NewInt(3))
	for i := range 8 {
		p := offSubgroup(t, uint64(i))
		cands := []gnark.G1Jac{p, mulBig(&p, bigR)}
		for _, f := range []int64{3, 11, 10177, 859267, 52437899} {
			cands = append(cands, mulBig(&p, new(big.Int).Div(h, big.NewInt(f))))
		}
		cleared := mulBig(&p, h)
		cands = append(cands, cleared)
		for ci := range cands {
			if cands[ci].Z.IsZero() {
				continue
			}
			enc := compressJac(&cands[ci])
			var ref bls.G1
			cerr := ref.SetBytes(enc)
			got, err := BLS12381.DecodeG1(enc)
			if (cerr == nil) != (err == nil) {
				t.Fatalf("point %d candidate %d: circl %v, fast path %v", i, ci, cerr, err)
			}
			if ci == len(cands)-1 {
				if err != nil {
					t.Fatalf("cofactor-cleared point refused: %v", err)
				}
				mustSamePoint(t, "cleared", got, &ref)
			} else if ci <= 1 && err == nil {
				t.Fatalf("point %d candidate %d outside G1 accepted", i, ci)
			}
		}
	}
}

func TestDecodeG1Rejects(t *testing.T) {
	c := BLS12381
	good := circlOf(randBLSPoint(t)).BytesCompressed()
	if _, err := c.DecodeG1(good); err != nil {
		t.Fatal(err)
	}
	idEnc := make([]byte, 48)
	idEnc[0] = 0xC0
	if p, err := c.DecodeG1(idEnc); err != nil || !c.IsIdentityG1(p) {
		t.Fatal("identity")
	}
	check := func(name string, b []byte) {
		t.Helper()
		if _, err := c.DecodeG1(b); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		var ref bls.G1
		if ref.SetBytes(b) == nil {
			t.Fatalf("%s: circl accepts", name)
		}
	}
	mod := func(b []byte, f func(b []byte)) []byte {
		b = append([]byte{}, b...)
		f(b)
		return b
	}
	check("empty", nil)
	check("short", good[:47])
	check("long", append(append([]byte{}, good...), 0))
	check("uncompressed flag", mod(good, func(b []byte) { b[0] &^= 0x80 }))
	check("infinity flag on a point", mod(good, func(b []byte) { b[0] |= 0x40 }))
	check("infinity with sort flag", mod(idEnc, func(b []byte) { b[0] = 0xE0 }))
	check("infinity, low bits", mod(idEnc, func(b []byte) { b[0] = 0xC1 }))
	check("infinity, tail", mod(idEnc, func(b []byte) { b[47] = 1 }))
	check("infinity uncompressed", mod(idEnc, func(b []byte) { b[0] = 0x40 }))
	check("all zero", make([]byte, 48))
	pb := bigP.FillBytes(make([]byte, 48))
	pb[0] |= 0x80
	check("x = p", pb)
	top := bytes.Repeat([]byte{0xff}, 48)
	top[0] = 0x9f
	check("x = 2^381 − 1", top)
	found := false
	for x := int64(0); x < 100 && !found; x++ {
		var e, y2 fp.Element
		e.SetInt64(x)
		y2.Square(&e).Mul(&y2, &e).Add(&y2, &curveB)
		if new(fp.Element).Sqrt(&y2) == nil {
			b := big.NewInt(x).FillBytes(make([]byte, 48))
			b[0] |= 0x80
			check("x not on the curve", b)
			found = true
		}
	}
	if !found {
		t.Fatal("no x off the curve below 100")
	}
	off := offSubgroup(t, 99)
	enc := compressJac(&off)
	check("outside G1", enc)
	check("outside G1, other y", mod(enc, func(b []byte) { b[0] ^= 0x20 }))
	x0 := make([]byte, 48) // (0, ±2) has order 3
	x0[0] = 0x80
	check("x = 0", x0)
	check("x = 0, other y", mod(x0, func(b []byte) { b[0] = 0xA0 }))
}

// FuzzDecodeG1 checks the fast path's decoder against circl's G1.SetBytes
// on 48-byte inputs: the same accepted set, the same points, canonical.
func FuzzDecodeG1(f *testing.F) {
	f.Add(bls.G1Generator().BytesCompressed())
	id := make([]byte, 48)
	id[0] = 0xC0
	f.Add(id)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := BLS12381.DecodeG1(b)
		if len(b) != 48 {
			if err == nil {
				t.Fatal("accepted a wrong length")
			}
			return
		}
		var ref bls.G1
		cerr := ref.SetBytes(b)
		if (err == nil) != (cerr == nil) {
			t.Fatalf("fast path %v, circl %v", err, cerr)
		}
		if err != nil {
			return
		}
		if enc := BLS12381.CompressG1(p)[0]; !bytes.Equal(enc, b) || !circlOf(p).IsEqual(&ref) {
			t.Fatal("decoded point differs or is not canonical")
		}
		if !BLS12381.IsIdentityG1(p) { // its a·P must be right: check a multiplication
			k := blsScalarOf(t, big.NewInt(0x1234567))
			var want bls.G1
			want.ScalarMult(bs(k), &ref)
			if !circlOf(BLS12381.SumVT(nil, nil, []VarBase{BLS12381.VarBase(p)}, []Scalar{k})).IsEqual(&want) {
				t.Fatal("multiplication of a decoded point")
			}
		}
	})
}

// Benchmarks of the parts of a verification; read them as ratios to
// BenchmarkPairPreparedVT of the same run.

func BenchmarkPairPreparedVT(b *testing.B) {
	c := BLS12381
	prep := []Prepared{c.Prepare(c.G2Generator()), c.Prepare(c.MulG2(c.G2Generator(), randBLSScalar(b)))}
	ps := []PointG1{randBLSPoint(b), randBLSPoint(b)}
	for b.Loop() {
		c.PairPreparedVT(ps, prep)
	}
}

func BenchmarkDecodeG1(b *testing.B) {
	enc := circlOf(randBLSPoint(b)).BytesCompressed()
	for b.Loop() {
		if _, err := BLS12381.DecodeG1(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVarBase is the table of a decoded point (a·P known).
func BenchmarkVarBase(b *testing.B) {
	p, err := BLS12381.DecodeG1(circlOf(randBLSPoint(b)).BytesCompressed())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		BLS12381.VarBase(p)
	}
}

// BenchmarkSumVT is R1 = u^sα·T1^(−c): one key point, one var base.
func BenchmarkSumVT(b *testing.B) {
	c := BLS12381
	f, v := c.Fixed(randBLSPoint(b)), c.VarBase(randBLSPoint(b))
	k, l := randBLSScalar(b), randBLSScalar(b)
	for b.Loop() {
		c.SumVT([]FixedBase{f}, []Scalar{k}, []VarBase{v}, []Scalar{l})
	}
}

// BenchmarkSumVTFixed is one key-point term alone.
func BenchmarkSumVTFixed(b *testing.B) {
	c := BLS12381
	f, k := c.Fixed(randBLSPoint(b)), randBLSScalar(b)
	for b.Loop() {
		c.SumVT([]FixedBase{f}, []Scalar{k}, nil, nil)
	}
}

func BenchmarkCompressG1x4(b *testing.B) {
	ps := []PointG1{randBLSPoint(b), randBLSPoint(b), randBLSPoint(b), randBLSPoint(b)}
	for b.Loop() {
		BLS12381.CompressG1(ps...)
	}
}
