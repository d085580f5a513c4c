package bbs04

import (
	"bytes"
	"encoding/hex"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
	"io"
	"math/rand/v2"
	"testing"
)

// testRand is a deterministic byte source for reproducible tests; never a
// source for real keys.
func testRand(t testing.TB, seed int64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

// onCurveNotSubgroup reports whether the compressed encoding names a point
// on the curve that circl's decoder refuses (so: outside the subgroup).
func onCurveNotSubgroup(enc []byte) ([]byte, bool) {
	xb := bytes.Clone(enc)
	xb[0] &= 0x1f
	var x, y2, y ff.Fp
	if x.UnmarshalBinary(xb) != nil {
		return nil, false
	}
	y2.Sqr(&x)
	y2.Mul(&y2, &x)
	var four ff.Fp
	four.SetUint64(4)
	y2.Add(&y2, &four)
	if y.Sqrt(&y2) == 0 {
		return nil, false
	}
	var p bls.G1
	return enc, p.SetBytes(enc) != nil
}

// forSuites runs f once per suite, as a subtest named by the suite.
func forSuites(t *testing.T, f func(t *testing.T, s Suite)) {
	for _, s := range Suites() {
		t.Run(s.String(), func(t *testing.T) { f(t, s) })
	}
}

// curveT is the curve of a suite, for tests.
func curveT(s Suite) curve { return curveOf(byte(s)) }

// scalarHex is a scalar's encoding in hex, for tests.
func scalarHex(c curve, s scalar) string { return hex.EncodeToString(c.AppendScalar(nil, s)) }
