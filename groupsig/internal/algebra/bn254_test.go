package algebra

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// TestBN254CombMatchesGLV pins the key points' comb (SumVT)
// to gnark's GLV multiplication, at the digit and carry bounds too.
func TestBN254CombMatchesGLV(t *testing.T) {
	c := BN254
	r := fr.Modulus()
	one := big.NewInt(1)
	vals := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(127), big.NewInt(128), big.NewInt(129), big.NewInt(255),
		big.NewInt(256), new(big.Int).Sub(r, one), new(big.Int).Rsh(r, 1), new(big.Int).Sub(new(big.Int).Lsh(one, 253), one)}
	for range 20 {
		k, err := rand.Int(rand.Reader, r)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, k)
	}
	s, err := c.RandomScalar(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := c.MulCT(c.G1Generator(), s)
	fixed, v := c.Fixed(p), c.VarBase(c.G1Generator())
	for i, x := range vals {
		k, ok := c.DecodeScalar(x.FillBytes(make([]byte, 32)))
		if !ok {
			t.Fatal("scalar")
		}
		var want bn254.G1Jac
		want.ScalarMultiplication(np(p), x)
		if !c.EqualG1(c.SumVT([]FixedBase{fixed}, []Scalar{k}, nil, nil), &bnG1{want}) {
			t.Fatalf("value %d: comb differs from GLV", i)
		}
		var g bn254.G1Jac
		_, _, g1, _ := bn254.Generators()
		g.ScalarMultiplication(new(bn254.G1Jac).FromAffine(&g1), x)
		want.AddAssign(&g)
		if !c.EqualG1(c.SumVT([]FixedBase{fixed}, []Scalar{k}, []VarBase{v}, []Scalar{k}), &bnG1{want}) {
			t.Fatalf("value %d: SumVT differs", i)
		}
	}
	id := c.AddG1(p, c.NegG1(p))
	if !c.IsIdentityG1(c.SumVT([]FixedBase{c.Fixed(id)}, []Scalar{s}, nil, nil)) {
		t.Fatal("comb of the identity")
	}
}

// TestBN254MultiMulVT checks both of MultiMulVT's paths against the sum of
// GLV multiplications.
func TestBN254MultiMulVT(t *testing.T) {
	c := BN254
	for _, n := range []int{1, 3, pippengerFrom - 1, pippengerFrom, 40} {
		ps, ks := make([]PointG1, n), make([]Scalar, n)
		var want bn254.G1Jac
		for i := range ps {
			k, err := c.RandomScalar(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if ks[i], err = c.RandomScalar(rand.Reader); err != nil {
				t.Fatal(err)
			}
			ps[i] = c.MulCT(c.G1Generator(), k)
			var term bn254.G1Jac
			term.ScalarMultiplication(np(ps[i]), bigOf(ks[i]))
			if i == 0 {
				want = term
			} else {
				want.AddAssign(&term)
			}
		}
		if !c.EqualG1(c.MultiMulVT(ps, ks), &bnG1{want}) {
			t.Fatalf("n = %d: MultiMulVT differs", n)
		}
	}
}
