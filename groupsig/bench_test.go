package groupsig

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	bls "github.com/cloudflare/circl/ecc/bls12381"
)

// BenchmarkPairProduct2 is the floor of a verification: circl's product of
// two pairings on fixed points. Read Sign, Verify and Open as ratios to it.
func BenchmarkPairProduct2(b *testing.B) {
	g := newTestGroup(b, 100, 0)
	p1, p2 := *g.pk.u, *g.pk.v
	for b.Loop() {
		bls.ProdPairFrac([]*bls.G1{&p1, &p2}, []*bls.G2{g.pk.g2, g.pk.w}, []int{1, 1})
	}
}

func benchSetup(b *testing.B) (*testGroup, *MemberKey, []byte, []byte) {
	g := newTestGroup(b, 101, 1)
	mk := g.members[g.labels[0]]
	msg := []byte("benchmark message of a typical transaction hash size.")
	sig, err := Sign(mk, msg, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return g, mk, msg, sig
}

func BenchmarkSign(b *testing.B) {
	_, mk, msg, _ := benchSetup(b)
	for b.Loop() {
		if _, err := Sign(mk, msg, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	g, _, msg, sig := benchSetup(b)
	for b.Loop() {
		if err := Verify(g.pk, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	g, _, msg, sig := benchSetup(b)
	for b.Loop() {
		if _, _, err := Open(g.ok, g.pk, msg, sig, rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBatch reports the cost per signature of VerifyBatch over
// all cores.
func BenchmarkVerifyBatch(b *testing.B) {
	g, mk, _, _ := benchSetup(b)
	const n = 64
	msgs, sigs := make([][]byte, n), make([][]byte, n)
	for i := range n {
		msgs[i] = []byte(fmt.Sprint(i))
		sigs[i], _ = Sign(mk, msgs[i], rand.Reader)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		for j, err := range VerifyBatch(context.Background(), g.pk, msgs, sigs) {
			if err != nil {
				b.Fatal(j, err)
			}
		}
	}
}
