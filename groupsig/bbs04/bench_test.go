package bbs04

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// forSuitesB runs f once per suite, as a sub-benchmark named by the suite.
func forSuitesB(b *testing.B, f func(b *testing.B, s Suite)) {
	for _, s := range Suites() {
		b.Run(s.String(), func(b *testing.B) { f(b, s) })
	}
}

// BenchmarkPairProduct2 is the floor of a verification: the suite
// library's own product of two pairings on fixed points (circl's
// ProdPairFrac, gnark's bn254.Pair), called directly. Read Sign, Verify and
// Open as ratios to it.
func BenchmarkPairProduct2(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g := newSuiteGroup(b, s, 100, 0)
		c := g.pk.c
		enc := c.CompressG1(g.pk.u, g.pk.v)
		g2, w := c.AppendG2(nil, g.pk.g2), c.AppendG2(nil, g.pk.w)
		switch s {
		case SuiteBLS12381:
			var p1, p2 bls.G1
			var q1, q2 bls.G2
			if p1.SetBytes(enc[0]) != nil || p2.SetBytes(enc[1]) != nil || q1.SetBytes(g2) != nil || q2.SetBytes(w) != nil {
				b.Fatal("decode key points")
			}
			for b.Loop() {
				bls.ProdPairFrac([]*bls.G1{&p1, &p2}, []*bls.G2{&q1, &q2}, []int{1, 1})
			}
		case SuiteBN254:
			ps := make([]bn254.G1Affine, 2)
			qs := make([]bn254.G2Affine, 2)
			for i, e := range [][]byte{enc[0], enc[1]} {
				if _, err := ps[i].SetBytes(e); err != nil {
					b.Fatal(err)
				}
			}
			for i, e := range [][]byte{g2, w} {
				if _, err := qs[i].SetBytes(e); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, err := bn254.Pair(ps, qs); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func benchSetup(b *testing.B, s Suite) (*testGroup, *MemberKey, []byte, []byte) {
	g := newSuiteGroup(b, s, 101, 1)
	mk := g.members[g.labels[0]]
	msg := []byte("benchmark message of a typical transaction hash size.")
	sig, err := Sign(mk, msg, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return g, mk, msg, sig
}

func BenchmarkSign(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		_, mk, msg, _ := benchSetup(b, s)
		for b.Loop() {
			if _, err := Sign(mk, msg, rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g, _, msg, sig := benchSetup(b, s)
		for b.Loop() {
			if err := Verify(g.pk, msg, sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g, _, msg, sig := benchSetup(b, s)
		for b.Loop() {
			if _, _, err := Open(g.ok, g.pk, msg, sig, rand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyBatch reports the cost per signature of VerifyBatch over
// all cores.
func BenchmarkVerifyBatch(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g, mk, _, _ := benchSetup(b, s)
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
	})
}
