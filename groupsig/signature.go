package groupsig

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for the expander
	"encoding/binary"
	"fmt"
	"io"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/expander"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
)

// challengeDST is the domain separation tag of the Fiat–Shamir hash H.
const challengeDST = "VEIL-BBS04-BLS12381-SHA256-v1"

// hashToScalar is H of SPEC-bbs04.md: RFC 9380 hash_to_field with one
// element, expand_message_xmd(SHA-256), 48 bytes read big-endian mod r.
func hashToScalar(dst string, input []byte) *bls.Scalar {
	out := expander.NewExpanderMD(crypto.SHA256, []byte(dst)).Expand(input, 48)
	s := new(bls.Scalar)
	s.SetBytes(out)
	return s
}

// challenge computes c = H(gpk ‖ u64be(len(m)) ‖ m ‖ T1 ‖ T2 ‖ T3 ‖ R1 ‖ R2 ‖
// R3 ‖ R4 ‖ R5), with points compressed and R3 as circl's Gt encoding.
func challenge(pk *PublicKey, msg []byte, t123 []byte, r1, r2 []byte, r3 *bls.Gt, r4, r5 []byte) *bls.Scalar {
	in := make([]byte, 0, PublicKeySize+8+len(msg)+7*g1Size+gtSize)
	in = append(in, pk.enc...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(msg)))
	in = append(in, msg...)
	in = append(in, t123...)
	in = append(in, r1...)
	in = append(in, r2...)
	gt, _ := r3.MarshalBinary() // never fails
	in = append(in, gt...)
	in = append(in, r4...)
	in = append(in, r5...)
	return hashToScalar(challengeDST, in)
}

// Signature is a parsed BBS04 signature (T1, T2, T3, c, sα, sβ, sx, sδ1,
// sδ2). Parsing checks encodings only; Verify checks the signature.
type Signature struct {
	t1, t2, t3              g1.Point
	c, sa, sb, sx, sd1, sd2 *bls.Scalar
	enc                     []byte
}

// MarshalBinary returns the 337-byte encoding of SPEC-bbs04.md.
func (s *Signature) MarshalBinary() ([]byte, error) { return append([]byte(nil), s.enc...), nil }

// UnmarshalBinary parses the 337-byte encoding: suite 0x01, T1..T3 points
// of the prime-order subgroup other than the identity, scalars below r.
func (s *Signature) UnmarshalBinary(b []byte) error {
	r := newReader(b, "signature", SignatureSize)
	var sig Signature
	for i, t := range []*g1.Point{&sig.t1, &sig.t2, &sig.t3} {
		*t = r.fastG1(fmt.Sprintf("T%d", i+1))
	}
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
func (s *Signature) t123() []byte { return s.enc[1 : 1+3*g1Size] }

func neg(k *bls.Scalar) *bls.Scalar {
	n := new(bls.Scalar)
	n.Set(k)
	n.Neg()
	return n
}

func sum(a, b *bls.Scalar) *bls.Scalar {
	n := new(bls.Scalar)
	n.Add(a, b)
	return n
}

// Sign signs msg with the member key under the key's group public key and
// epoch. rand must be a cryptographic source. Every operation on secret
// values (A, x and the nonces) runs in constant time: fixed-base tables
// with full table scans, and a regular-window multiplication for A.
func Sign(mk *MemberKey, msg []byte, rand io.Reader) ([]byte, error) {
	var k [7]*bls.Scalar
	for i := range k {
		var err error
		if i < 2 {
			k[i], err = randomNonzeroScalar(rand)
		} else {
			k[i], err = randomScalar(rand)
		}
		if err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	alpha, beta, ra, rb, rx, rd1, rd2 := k[0], k[1], k[2], k[3], k[4], k[5], k[6]
	pk := mk.pk
	tab := pk.precomputed()

	var d1, d2, ab, e bls.Scalar
	d1.Mul(mk.x, alpha) // δ1 = x·α
	d2.Mul(mk.x, beta)  // δ2 = x·β
	ab.Add(alpha, beta)

	a := g1.FromCircl(mk.a)
	t1 := tab.u.MulCT(alpha)
	t2 := tab.v.MulCT(beta)
	t3 := tab.h.MulCT(&ab)
	t3.Add(&t3, &a)
	r1 := tab.u.MulCT(ra)
	r2 := tab.v.MulCT(rb)
	// The signer knows α and β, so T1^rx·u^(−rδ1) = u^(α·rx − rδ1), and
	// likewise for R5: one multiplication each instead of two.
	e.Mul(alpha, rx)
	e.Sub(&e, rd1)
	r4 := tab.u.MulCT(&e)
	e.Mul(beta, rx)
	e.Sub(&e, rd2)
	r5 := tab.v.MulCT(&e)
	// R3 = e(T3^rx · h^(−rδ1−rδ2), g2) · e(h^(−rα−rβ), w), with
	// T3^rx = A^rx · h^((α+β)·rx).
	p1 := g1.MulCT(&a, rx)
	e.Mul(&ab, rx)
	e.Sub(&e, rd1)
	e.Sub(&e, rd2)
	tmp := tab.h.MulCT(&e)
	p1.Add(&p1, &tmp)
	p2 := tab.h.MulCT(neg(sum(ra, rb)))
	r3 := pairingProduct([]*bls.G1{p1.ToCircl(), p2.ToCircl()}, []*bls.G2{pk.g2, pk.w}, []int{1, 1})

	enc := g1.BatchCompress([]*g1.Point{&t1, &t2, &t3, &r1, &r2, &r4, &r5})
	c := challenge(pk, msg, concat3(enc[0][:], enc[1][:], enc[2][:]), enc[3][:], enc[4][:], r3, enc[5][:], enc[6][:])

	out := make([]byte, 0, SignatureSize)
	out = append(out, SuiteBLS12381)
	out = append(out, enc[0][:]...)
	out = append(out, enc[1][:]...)
	out = append(out, enc[2][:]...)
	out = appendScalar(out, c)
	for _, pair := range [][2]*bls.Scalar{{ra, alpha}, {rb, beta}, {rx, mk.x}, {rd1, &d1}, {rd2, &d2}} {
		var s bls.Scalar
		s.Mul(c, pair[1])
		s.Add(&s, pair[0])
		out = appendScalar(out, &s)
	}
	return out, nil
}

func concat3(a, b, c []byte) []byte {
	return append(append(append(make([]byte, 0, len(a)+len(b)+len(c)), a...), b...), c...)
}

// Verify checks that sig is a signature on msg by a member of the group at
// pk's epoch. It returns nil, or an error wrapping ErrMalformed or
// ErrWrongSuite (the bytes are not a signature) or ErrInvalidSignature.
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
// fixed-base tables for u, v, h, g1 and one GLV table per T_i, shared by
// its two scalars.
func (s *Signature) verify(pk *PublicKey, msg []byte) error {
	tab := pk.precomputed()
	negC := neg(s.c)
	vt1, vt2, vt3 := g1.NewVarBase(&s.t1), g1.NewVarBase(&s.t2), g1.NewVarBase(&s.t3)
	add := func(a, b g1.Point) g1.Point { a.Add(&a, &b); return a }

	// R1 = u^sα · T1^(−c), R2 = v^sβ · T2^(−c)
	r1 := add(tab.u.MulVT(s.sa), vt1.MulVT(negC))
	r2 := add(tab.v.MulVT(s.sb), vt2.MulVT(negC))
	// R4 = T1^sx · u^(−sδ1), R5 = T2^sx · v^(−sδ2)
	r4 := add(vt1.MulVT(s.sx), tab.u.MulVT(neg(s.sd1)))
	r5 := add(vt2.MulVT(s.sx), tab.v.MulVT(neg(s.sd2)))
	// R3 = e(T3^sx · h^(−sδ1−sδ2) · g1^(−c), g2) · e(h^(−sα−sβ) · T3^c, w)
	p1 := add(add(vt3.MulVT(s.sx), tab.h.MulVT(neg(sum(s.sd1, s.sd2)))), tab.g1.MulVT(negC))
	p2 := add(tab.h.MulVT(neg(sum(s.sa, s.sb))), vt3.MulVT(s.c))
	r3 := pairingProduct([]*bls.G1{p1.ToCircl(), p2.ToCircl()}, []*bls.G2{pk.g2, pk.w}, []int{1, 1})

	enc := g1.BatchCompress([]*g1.Point{&r1, &r2, &r4, &r5})
	c := challenge(pk, msg, s.t123(), enc[0][:], enc[1][:], r3, enc[2][:], enc[3][:])
	if c.IsEqual(s.c) != 1 {
		return fmt.Errorf("%w: challenge does not match under group key epoch %d", ErrInvalidSignature, pk.epoch)
	}
	return nil
}
