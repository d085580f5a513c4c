package groupsig

import (
	crand "crypto/rand"
	"fmt"
	"testing"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// Read every benchmark as a ratio to BenchmarkPairProduct2 of the same
// suite and run: the machine is shared, absolute times are noise.

func forSuitesB(b *testing.B, f func(b *testing.B, s Suite)) {
	for _, s := range Suites() {
		b.Run(s.String(), func(b *testing.B) { f(b, s) })
	}
}

// BenchmarkPairProduct2 is the floor of a verification: the suite
// library's own product of two pairings (circl's ProdPairFrac, gnark's
// bn254.Pair) on the key's points, called directly.
func BenchmarkPairProduct2(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		enc, g2, w := keyPointBytes(b, s)
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
			ps, qs := setBytesAll[bn254.G1Affine](b, enc[0], enc[1]), setBytesAll[bn254.G2Affine](b, g2, w)
			for b.Loop() {
				if _, err := bn254.Pair(ps, qs); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkGnarkPairPrepared2 is the floor of the verify fast path:
// gnark-crypto's product of two pairings over lines precomputed for the
// key's g2 and w (MillerLoopFixedQ and FinalExponentiation), on u and v,
// called directly.
func BenchmarkGnarkPairPrepared2(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		enc, g2, w := keyPointBytes(b, s)
		switch s {
		case SuiteBLS12381:
			ps, qs := setBytesAll[gnark.G1Affine](b, enc[0], enc[1]), setBytesAll[gnark.G2Affine](b, g2, w)
			lines := [][2][len(gnark.LoopCounter) - 1]gnark.LineEvaluationAff{gnark.PrecomputeLines(qs[0]), gnark.PrecomputeLines(qs[1])}
			for b.Loop() {
				l := [][2][len(gnark.LoopCounter) - 1]gnark.LineEvaluationAff{lines[0], lines[1]} // scaled in place
				f, err := gnark.MillerLoopFixedQ(ps, l)
				if err != nil {
					b.Fatal(err)
				}
				gnark.FinalExponentiation(&f)
			}
		case SuiteBN254:
			ps, qs := setBytesAll[bn254.G1Affine](b, enc[0], enc[1]), setBytesAll[bn254.G2Affine](b, g2, w)
			lines := [][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff{bn254.PrecomputeLines(qs[0]), bn254.PrecomputeLines(qs[1])}
			for b.Loop() {
				l := [][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff{lines[0], lines[1]}
				if _, err := bn254.PairFixedQ(ps, l); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// keyPointBytes encodes a fresh group key's u and v (G1) and g2 and w
// (G2), for the baselines that pair them with a library directly.
func keyPointBytes(b *testing.B, s Suite) (enc [][]byte, g2, w []byte) {
	g := newTestGroup(b, s)
	c := g.gk.c
	return c.CompressG1(g.gk.g.u, g.gk.g.v), c.AppendG2(nil, c.G2Generator()), c.AppendG2(nil, g.gk.g.w)
}

// setBytesAll decodes each encoding into a gnark-crypto point (or fails b).
func setBytesAll[P any, PP interface {
	*P
	SetBytes([]byte) (int, error)
}](b *testing.B, encs ...[]byte) []P {
	out := make([]P, len(encs))
	for i, e := range encs {
		if _, err := PP(&out[i]).SetBytes(e); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

var benchMsg = []byte("benchmark message of a typical transaction hash size.")

func benchSig(b *testing.B, s Suite, scope []byte) (*testGroup, *MemberKey, []byte) {
	g := newTestGroup(b, s, "alice")
	mk := g.members["alice"]
	sig := mustSign(b, g.gk, mk, benchMsg, scope)
	if _, err := Verify(g.gk, benchMsg, scope, sig); err != nil { // builds the key's tables
		b.Fatal(err)
	}
	return g, mk, sig
}

func BenchmarkVerify(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g, _, sig := benchSig(b, s, nil)
		for b.Loop() {
			if _, err := Verify(g.gk, benchMsg, nil, sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkVerifyTagged(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		scope := []byte("veil/vote/topic-1")
		g, _, sig := benchSig(b, s, scope)
		for b.Loop() {
			if _, err := Verify(g.gk, benchMsg, scope, sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSign(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g, mk, _ := benchSig(b, s, nil)
		for b.Loop() {
			if _, err := Sign(g.gk, mk, benchMsg, nil, crand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSignTagged(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		scope := []byte("veil/vote/topic-1")
		g, mk, _ := benchSig(b, s, scope)
		for b.Loop() {
			if _, err := Sign(g.gk, mk, benchMsg, scope, crand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOpen is the opener's whole job: verify, open, prove.
func BenchmarkOpen(b *testing.B) {
	forSuitesB(b, func(b *testing.B, s Suite) {
		g, _, sig := benchSig(b, s, nil)
		for b.Loop() {
			if _, err := Open(g.ok, g.gk, benchMsg, nil, sig, crand.Reader); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCheckRevocation is a node's check of a record that revokes one
// member and re-issues the others, reported per re-issued member
// (ns/member): the batched pairing check plus its multi-multiplications.
func BenchmarkCheckRevocation(b *testing.B) {
	const members = 64
	forSuitesB(b, func(b *testing.B, s Suite) {
		labels := make([]string, members)
		for i := range labels {
			labels[i] = fmt.Sprintf("member-%03d", i)
		}
		g := newTestGroup(b, s, labels...)
		current := g.reg.Current()
		prev := g.reg.Prev()
		rec, err := g.reg.Revoke(g.ik, labels[:1], crand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := CheckRevocation(g.gk, prev, rec, current, crand.Reader); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := CheckRevocation(g.gk, prev, rec, current, crand.Reader); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(members-1), "ns/member")
	})
}
