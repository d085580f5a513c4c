package bls12381pair

import (
	"crypto/rand"
	"testing"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
)

func randG1(t testing.TB) (*bls.G1, g1.Point) {
	var k bls.Scalar
	if err := k.Random(rand.Reader); err != nil {
		t.Fatal(err)
	}
	p := new(bls.G1)
	p.ScalarMult(&k, bls.G1Generator())
	return p, g1.FromCircl(p)
}

func randG2(t testing.TB) *bls.G2 {
	var k bls.Scalar
	if err := k.Random(rand.Reader); err != nil {
		t.Fatal(err)
	}
	q := new(bls.G2)
	q.ScalarMult(&k, bls.G2Generator())
	return q
}

// TestProductIsCirclsProdPairFrac pins the output to circl's, byte for
// byte, for one, two and three pairs.
func TestProductIsCirclsProdPairFrac(t *testing.T) {
	for n := 1; n <= 3; n++ {
		for range 4 {
			var cp []*bls.G1
			var cq []*bls.G2
			var pts []*g1.Point
			var prep []*Prepared
			var signs []int
			for range n {
				c, p := randG1(t)
				q := randG2(t)
				// A point with Z ≠ 1 in our representation.
				var d g1.Point
				d.Double(&p)
				c.Double()
				pr, err := Prepare(q)
				if err != nil {
					t.Fatal(err)
				}
				cp, cq, pts, prep, signs = append(cp, c), append(cq, q), append(pts, &d), append(prep, pr), append(signs, 1)
			}
			xs, ys, ok := g1.BatchAffine(pts)
			for _, o := range ok {
				if !o {
					t.Fatal("identity")
				}
			}
			got, _ := Product(xs, ys, prep).MarshalBinary()
			want, _ := bls.ProdPairFrac(cp, cq, signs).MarshalBinary()
			if string(got) != string(want) {
				t.Fatalf("%d pairs: product differs from circl's", n)
			}
		}
	}
	var id bls.G2
	id.SetIdentity()
	if _, err := Prepare(&id); err == nil {
		t.Fatal("prepared the identity")
	}
}

func BenchmarkCirclProdPairFrac2(b *testing.B) {
	c1, _ := randG1(b)
	c2, _ := randG1(b)
	q1, q2 := randG2(b), randG2(b)
	for b.Loop() {
		bls.ProdPairFrac([]*bls.G1{c1, c2}, []*bls.G2{q1, q2}, []int{1, 1})
	}
}

func BenchmarkProduct2Prepared(b *testing.B) {
	_, p1 := randG1(b)
	_, p2 := randG1(b)
	q1, _ := Prepare(randG2(b))
	q2, _ := Prepare(randG2(b))
	for b.Loop() {
		xs, ys, _ := g1.BatchAffine([]*g1.Point{&p1, &p2})
		Product(xs, ys, []*Prepared{q1, q2})
	}
}
