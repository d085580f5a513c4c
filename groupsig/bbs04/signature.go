package bbs04

import (
	"encoding/binary"
	"fmt"
	"io"
)

// challenge computes c = H(gpk ‖ u64be(len(m)) ‖ m ‖ T1 ‖ T2 ‖ T3 ‖ R1 ‖ R2 ‖
// R3 ‖ R4 ‖ R5), with points compressed and R3 in the suite's GT encoding.
// H is RFC 9380 hash_to_field (expand_message_xmd, SHA-256, 48 bytes
// big-endian mod r) with the suite's DST.
func challenge(pk *PublicKey, msg []byte, t123 []byte, r1, r2 []byte, r3 gtElem, r4, r5 []byte) scalar {
	c, d := pk.c, pk.c.dims()
	in := make([]byte, 0, len(pk.enc)+8+len(msg)+7*d.g1+d.gt)
	in = append(in, pk.enc...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(msg)))
	in = append(in, msg...)
	in = append(in, t123...)
	in = append(in, r1...)
	in = append(in, r2...)
	in = c.AppendGT(in, r3)
	in = append(in, r4...)
	in = append(in, r5...)
	return c.ReduceWide(hashWide(d.challengeDST, in))
}

// Signature is a parsed BBS04 signature (T1, T2, T3, c, sα, sβ, sx, sδ1,
// sδ2) of one suite. Parsing checks encodings only; Verify checks the
// signature.
type Signature struct {
	cv                      curve
	t1, t2, t3              pointG1
	c, sa, sb, sx, sd1, sd2 scalar
	enc                     []byte
}

// Suite is the suite the signature names.
func (s *Signature) Suite() Suite { return Suite(s.cv.id()) }

// MarshalBinary returns the encoding of SPEC-bbs04.md (337 bytes for
// BLS12-381, 289 for BN254).
func (s *Signature) MarshalBinary() ([]byte, error) { return append([]byte(nil), s.enc...), nil }

// UnmarshalBinary parses a signature of any suite: T1..T3 points of the
// prime-order subgroup other than the identity, scalars below r.
func (s *Signature) UnmarshalBinary(b []byte) error {
	r := newReader(b, "signature", func(d *dims) int { return d.signature })
	sig := Signature{cv: r.c}
	sig.t1, sig.t2, sig.t3 = r.g1("T1"), r.g1("T2"), r.g1("T3")
	sig.c, sig.sa, sig.sb = r.scalar("c"), r.scalar("s_alpha"), r.scalar("s_beta")
	sig.sx, sig.sd1, sig.sd2 = r.scalar("s_x"), r.scalar("s_delta1"), r.scalar("s_delta2")
	if r.err != nil {
		return r.err
	}
	sig.enc = append([]byte(nil), b...)
	*s = sig
	return nil
}

// t123 is the encoding of T1 ‖ T2 ‖ T3 as received.
func (s *Signature) t123() []byte { return s.enc[1 : 1+3*s.cv.dims().g1] }

// Sign signs msg with the member key under the key's group public key and
// epoch. rand must be a cryptographic source. For BLS12-381 every operation
// on secret values (A, x and the nonces) runs in constant time: fixed-base
// tables with full table scans, and a regular-window multiplication for A.
// For BN254 see doc.go: gnark-crypto promises no constant time.
func Sign(mk *MemberKey, msg []byte, rand io.Reader) ([]byte, error) {
	pk := mk.pk
	c := pk.c
	var k [7]scalar
	for i := range k {
		var err error
		if i < 2 {
			k[i], err = randomNonzeroScalar(c, rand)
		} else {
			k[i], err = c.RandomScalar(rand)
		}
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	alpha, beta, ra, rb, rx, rd1, rd2 := k[0], k[1], k[2], k[3], k[4], k[5], k[6]
	tab := pk.precomputed()

	d1 := c.Mul(mk.x, alpha) // δ1 = x·α
	d2 := c.Mul(mk.x, beta)  // δ2 = x·β
	ab := c.Add(alpha, beta)

	t1 := c.FixedMulCT(tab.u, alpha)
	t2 := c.FixedMulCT(tab.v, beta)
	t3 := c.AddG1(c.FixedMulCT(tab.h, ab), mk.a)
	r1 := c.FixedMulCT(tab.u, ra)
	r2 := c.FixedMulCT(tab.v, rb)
	// The signer knows α and β, so T1^rx·u^(−rδ1) = u^(α·rx − rδ1), and
	// likewise for R5: one multiplication each instead of two.
	r4 := c.FixedMulCT(tab.u, c.Sub(c.Mul(alpha, rx), rd1))
	r5 := c.FixedMulCT(tab.v, c.Sub(c.Mul(beta, rx), rd2))
	// R3 = e(T3^rx · h^(−rδ1−rδ2), g2) · e(h^(−rα−rβ), w), with
	// T3^rx = A^rx · h^((α+β)·rx).
	p1 := c.AddG1(c.MulCT(mk.a, rx), c.FixedMulCT(tab.h, c.Sub(c.Sub(c.Mul(ab, rx), rd1), rd2)))
	p2 := c.FixedMulCT(tab.h, c.Neg(c.Add(ra, rb)))
	r3 := c.PairPrepared([]pointG1{p1, p2}, []prepared{tab.g2, tab.w})

	enc := c.CompressG1(t1, t2, t3, r1, r2, r4, r5)
	t123 := concat3(enc[0], enc[1], enc[2])
	ch := challenge(pk, msg, t123, enc[3], enc[4], r3, enc[5], enc[6])

	out := make([]byte, 0, c.dims().signature)
	out = append(out, c.id())
	out = append(out, t123...)
	out = c.AppendScalar(out, ch)
	for _, pair := range [][2]scalar{{ra, alpha}, {rb, beta}, {rx, mk.x}, {rd1, d1}, {rd2, d2}} {
		out = c.AppendScalar(out, c.Add(pair[0], c.Mul(ch, pair[1])))
	}
	return out, nil
}

func concat3(a, b, c []byte) []byte {
	return append(append(append(make([]byte, 0, len(a)+len(b)+len(c)), a...), b...), c...)
}

// Verify checks that sig is a signature on msg by a member of the group at
// pk's epoch. It returns nil, or an error wrapping ErrMalformed or
// ErrWrongSuite (the bytes are not a signature of pk's suite) or
// ErrInvalidSignature.
//
// A signature carries no group or epoch of its own: the whole public key,
// epoch included, is hashed into its challenge, so a signature made for
// another group or under a superseded epoch is simply invalid under pk.
// Callers that know the epoch a signature claims (veil's transactions name
// it) compare it with pk.Epoch() first to report a stale epoch distinctly.
func Verify(pk *PublicKey, msg, sig []byte) error {
	var s Signature
	if err := s.UnmarshalBinary(sig); err != nil {
		return err
	}
	return s.verify(pk, msg)
}

// verify recomputes R1..R5 from public data with variable-time arithmetic:
// fixed-base forms of u, v, h, g1 and one variable-base table per T_i,
// shared by its two scalars.
func (s *Signature) verify(pk *PublicKey, msg []byte) error {
	c := pk.c
	if err := sameSuite("signature", s.cv, c); err != nil {
		return err
	}
	tab := pk.precomputed()
	negC := c.Neg(s.c)
	vt1, vt2, vt3 := c.VarBase(s.t1), c.VarBase(s.t2), c.VarBase(s.t3)

	// R1 = u^sα · T1^(−c), R2 = v^sβ · T2^(−c)
	r1 := c.AddG1(c.FixedMulVT(tab.u, s.sa), c.VarMulVT(vt1, negC))
	r2 := c.AddG1(c.FixedMulVT(tab.v, s.sb), c.VarMulVT(vt2, negC))
	// R4 = T1^sx · u^(−sδ1), R5 = T2^sx · v^(−sδ2)
	r4 := c.AddG1(c.VarMulVT(vt1, s.sx), c.FixedMulVT(tab.u, c.Neg(s.sd1)))
	r5 := c.AddG1(c.VarMulVT(vt2, s.sx), c.FixedMulVT(tab.v, c.Neg(s.sd2)))
	// R3 = e(T3^sx · h^(−sδ1−sδ2) · g1^(−c), g2) · e(h^(−sα−sβ) · T3^c, w)
	p1 := c.AddG1(c.AddG1(c.VarMulVT(vt3, s.sx), c.FixedMulVT(tab.h, c.Neg(c.Add(s.sd1, s.sd2)))), c.FixedMulVT(tab.g1, negC))
	p2 := c.AddG1(c.FixedMulVT(tab.h, c.Neg(c.Add(s.sa, s.sb))), c.VarMulVT(vt3, s.c))
	r3 := c.PairPrepared([]pointG1{p1, p2}, []prepared{tab.g2, tab.w})

	enc := c.CompressG1(r1, r2, r4, r5)
	if !c.Equal(challenge(pk, msg, s.t123(), enc[0], enc[1], r3, enc[2], enc[3]), s.c) {
		return fmt.Errorf("%w: challenge does not match under group key epoch %d", ErrInvalidSignature, pk.epoch)
	}
	return nil
}
