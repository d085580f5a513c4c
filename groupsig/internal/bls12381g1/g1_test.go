package bls12381g1

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

var (
	bigR   = new(big.Int).SetBytes(ff.ScalarOrder())
	bigP   = new(big.Int).SetBytes(ff.FpOrder())
	bigZ   = new(big.Int).SetUint64(absZ) // |z|
	bigLam = new(big.Int).Sub(new(big.Int).Mul(bigZ, bigZ), big.NewInt(1))
)

func scalarFromBig(t testing.TB, x *big.Int) *ff.Scalar {
	t.Helper()
	x = new(big.Int).Mod(x, bigR)
	var b [32]byte
	x.FillBytes(b[:])
	k := new(ff.Scalar)
	if err := k.UnmarshalBinary(b[:]); err != nil {
		t.Fatal(err)
	}
	return k
}

func scalarToBig(k *ff.Scalar) *big.Int {
	b, _ := k.MarshalBinary()
	return new(big.Int).SetBytes(b)
}

func randScalar(t testing.TB) *ff.Scalar {
	k := new(ff.Scalar)
	if err := k.Random(rand.Reader); err != nil {
		t.Fatal(err)
	}
	return k
}

// randCircl returns a random G1 point (and its discrete log).
func randCircl(t testing.TB) *bls12381.G1 {
	q := new(bls12381.G1)
	q.ScalarMult(randScalar(t), bls12381.G1Generator())
	return q
}

func edgeScalars(t testing.TB) []*ff.Scalar {
	one := big.NewInt(1)
	two128 := new(big.Int).Lsh(one, 128)
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(3), big.NewInt(7),
		big.NewInt(15), big.NewInt(16), big.NewInt(17), big.NewInt(31), big.NewInt(32),
		big.NewInt(63), big.NewInt(64), big.NewInt(127), big.NewInt(128), big.NewInt(129),
		big.NewInt(255), big.NewInt(256), big.NewInt(1000003),
		new(big.Int).Sub(bigR, one), new(big.Int).Sub(bigR, big.NewInt(2)),
		new(big.Int).Sub(bigR, big.NewInt(128)),
		two128, new(big.Int).Sub(two128, one), new(big.Int).Add(two128, one),
		new(big.Int).Set(bigLam), new(big.Int).Sub(bigLam, one), new(big.Int).Add(bigLam, one),
		new(big.Int).Mul(bigLam, bigLam), new(big.Int).Mul(bigLam, new(big.Int).Add(bigLam, one)),
		new(big.Int).Sub(new(big.Int).Mul(bigLam, new(big.Int).Add(bigLam, one)), one),
		new(big.Int).Lsh(one, 254), new(big.Int).Sub(new(big.Int).Lsh(one, 254), one),
		new(big.Int).Sub(bigR, bigLam), new(big.Int).Rsh(bigR, 1),
	}
	var ks []*ff.Scalar
	for _, v := range vals {
		ks = append(ks, scalarFromBig(t, v))
	}
	return ks
}

func mustEqualCircl(t *testing.T, what string, got *Point, want *bls12381.G1) {
	t.Helper()
	if g := got.ToCircl(); !bytes.Equal(g.BytesCompressed(), want.BytesCompressed()) {
		t.Fatalf("%s: got %x want %x", what, g.BytesCompressed(), want.BytesCompressed())
	}
	if !got.ToCircl().IsEqual(want) {
		t.Fatalf("%s: ToCircl mismatch", what)
	}
}

func TestEndomorphismConstants(t *testing.T) {
	// λ² + λ + 1 ≡ 0 (mod r)
	l2 := new(big.Int).Mul(bigLam, bigLam)
	l2.Add(l2, bigLam).Add(l2, big.NewInt(1)).Mod(l2, bigR)
	if l2.Sign() != 0 {
		t.Fatal("lambda is not a cube root of unity mod r")
	}
	for i := 0; i < 5; i++ {
		c := randCircl(t)
		p := FromCircl(c)
		a := p.toAffine()
		phi := Point{x: a.x, y: a.y, z: fpOne}
		phi.x.Mul(&phi.x, &glvBeta)
		want := new(bls12381.G1)
		want.ScalarMult(scalarFromBig(t, bigLam), c)
		mustEqualCircl(t, "phi = [lambda]", &phi, want)
	}
}

func TestGLVSplit(t *testing.T) {
	ks := edgeScalars(t)
	for i := 0; i < 200; i++ {
		ks = append(ks, randScalar(t))
	}
	for _, k := range ks {
		l := scalarLimbs(k)
		k1, k2 := glvSplit(&l)
		b1 := new(big.Int).SetBits(nil)
		b1.SetUint64(k1[1]).Lsh(b1, 64).Or(b1, new(big.Int).SetUint64(k1[0]))
		b2 := new(big.Int).SetUint64(k2[1])
		b2.Lsh(b2, 64).Or(b2, new(big.Int).SetUint64(k2[0]))
		sum := new(big.Int).Mul(b2, bigLam)
		sum.Add(sum, b1)
		if sum.Cmp(scalarToBig(k)) != 0 || b1.Cmp(bigLam) >= 0 {
			t.Fatalf("bad split of %v: %v %v", scalarToBig(k), b1, b2)
		}
	}
}

func TestRecodings(t *testing.T) {
	for i := 0; i < 300; i++ {
		rng := mrand.New(mrand.NewPCG(uint64(i), 1))
		x := new(big.Int).SetUint64(rng.Uint64())
		x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(rng.Uint64()))
		x.Rsh(x, uint(i%128))
		if i == 0 {
			x.SetInt64(0)
		}
		var k [2]uint64
		k[0] = x.Uint64()
		k[1] = new(big.Int).Rsh(x, 64).Uint64()
		k[0] |= 1
		x.SetBit(x, 0, 1)
		var r [ctDigits]int32
		kk := k
		recodeRegular(kk[:], ctWindow, r[:])
		acc := new(big.Int)
		for j := ctDigits - 1; j >= 0; j-- {
			if r[j]%2 == 0 || r[j] > 15 || r[j] < -15 {
				t.Fatal("bad regular digit")
			}
			acc.Lsh(acc, ctWindow).Add(acc, big.NewInt(int64(r[j])))
		}
		if acc.Cmp(x) != 0 {
			t.Fatal("regular recoding does not recode")
		}
	}
}

func TestGroupOps(t *testing.T) {
	id := Identity()
	cid := new(bls12381.G1)
	cid.SetIdentity()
	g := Generator()
	mustEqualCircl(t, "generator", &g, bls12381.G1Generator())
	mustEqualCircl(t, "identity", &id, cid)
	if !id.IsIdentity() || g.IsIdentity() {
		t.Fatal("IsIdentity")
	}
	for i := 0; i < 30; i++ {
		ca, cb := randCircl(t), randCircl(t)
		a, b := FromCircl(ca), FromCircl(cb)
		// make the representation non-trivial (Z != 1)
		a.Add(&a, &id)
		var s Point
		s.Add(&a, &b)
		want := new(bls12381.G1)
		want.Add(ca, cb)
		mustEqualCircl(t, "add", &s, want)
		s.Add(&a, &a)
		want.Add(ca, ca)
		mustEqualCircl(t, "add same", &s, want)
		s.Double(&a)
		mustEqualCircl(t, "double", &s, want)
		var n Point
		n.Neg(&a)
		s.Add(&a, &n)
		if !s.IsIdentity() {
			t.Fatal("P + -P != 0")
		}
		s.Add(&id, &a)
		if !s.Equal(&a) || s.Equal(&b) || s.Equal(&id) || id.Equal(&s) {
			t.Fatal("Equal")
		}
		s.Double(&id)
		if !s.IsIdentity() || !s.Equal(&id) {
			t.Fatal("2·0 != 0")
		}
		// mixed complete addition
		ab := b.toAffine()
		s.addAffine(&a, &ab)
		want.Add(ca, cb)
		mustEqualCircl(t, "addAffine", &s, want)
		s.addAffine(&id, &ab)
		mustEqualCircl(t, "addAffine id", &s, cb)
		aa := a.toAffine()
		s.addAffine(&a, &aa)
		want.Add(ca, ca)
		mustEqualCircl(t, "addAffine dbl", &s, want)
		na := n.toAffine()
		s.addAffine(&a, &na)
		if !s.IsIdentity() {
			t.Fatal("addAffine P + -P")
		}
	}
}

func TestScalarMult(t *testing.T) {
	ks := edgeScalars(t)
	for i := 0; i < 40; i++ {
		ks = append(ks, randScalar(t))
	}
	cid := new(bls12381.G1)
	cid.SetIdentity()
	bases := []*bls12381.G1{bls12381.G1Generator(), cid}
	for i := 0; i < 3; i++ {
		bases = append(bases, randCircl(t))
	}
	for bi, cb := range bases {
		p := FromCircl(cb)
		if bi == 2 {
			var id Point = Identity()
			p.Add(&p, &id) // Z != 1
		}
		fb := NewFixedBase(&p)
		for ki, k := range ks {
			want := new(bls12381.G1)
			want.ScalarMult(k, cb)
			name := fmt.Sprintf("base %d scalar %d", bi, ki)
			got := MulCT(&p, k)
			mustEqualCircl(t, name+" MulCT", &got, want)
			got = fb.MulCT(k)
			mustEqualCircl(t, name+" FixedBase.MulCT", &got, want)
		}
	}
}

// TestConversions round-trips points through circl's and gnark's types.
func TestConversions(t *testing.T) {
	cid := new(bls12381.G1)
	cid.SetIdentity()
	for i := 0; i < 40; i++ {
		c := randCircl(t)
		if i%7 == 3 {
			c = cid
		}
		p := FromCircl(c)
		if i%2 == 0 {
			q := Identity()
			p.Add(&p, &q) // Z ≠ 1
		}
		if !p.ToCircl().IsEqual(c) {
			t.Fatal("ToCircl")
		}
		j := p.ToGnark()
		back := FromGnark(&j)
		if !back.Equal(&p) {
			t.Fatal("gnark Jacobian round trip")
		}
		var a gnark.G1Affine
		a.FromJacobian(&j)
		if enc := a.Bytes(); !bytes.Equal(enc[:], c.BytesCompressed()) {
			t.Fatalf("gnark point %x, circl %x", enc, c.BytesCompressed())
		}
		back = FromGnarkAffine(&a)
		if !back.Equal(&p) {
			t.Fatal("gnark affine round trip")
		}
	}
}

func BenchmarkCirclScalarMult(b *testing.B) {
	k := randScalar(b)
	c := randCircl(b)
	var q bls12381.G1
	for b.Loop() {
		q.ScalarMult(k, c)
	}
}

func BenchmarkMulCT(b *testing.B) {
	k := randScalar(b)
	p := FromCircl(randCircl(b))
	for b.Loop() {
		MulCT(&p, k)
	}
}

func BenchmarkFixedBaseMulCT(b *testing.B) {
	k := randScalar(b)
	p := FromCircl(randCircl(b))
	t := NewFixedBase(&p)
	for b.Loop() {
		t.MulCT(k)
	}
}

func BenchmarkNewFixedBase(b *testing.B) {
	p := FromCircl(randCircl(b))
	for b.Loop() {
		NewFixedBase(&p)
	}
}

func BenchmarkToCircl(b *testing.B) {
	p := FromCircl(randCircl(b))
	for b.Loop() {
		p.ToCircl()
	}
}

// TestToCirclFastPath pins that ToCircl copies coordinates on the circl
// release in go.mod, and that both paths give the same point.
func TestToCirclFastPath(t *testing.T) {
	if !circlLayoutMatches {
		t.Fatal("circl's G1 layout no longer matches Point: ToCircl re-encodes (slow but correct); review checkCirclLayout")
	}
	for i := 0; i < 20; i++ {
		p := FromCircl(randCircl(t))
		var q Point
		q.Double(&p) // Z ≠ 1
		fast := q.ToCircl()
		circlLayoutMatches = false
		slow := q.ToCircl()
		circlLayoutMatches = true
		if !fast.IsEqual(slow) || !fast.IsOnG1() {
			t.Fatal("fast and slow ToCircl differ")
		}
	}
}
