package groupsig

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for the expander
	"encoding/binary"
	"fmt"
	"io"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/expander"
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
func challenge(pk *PublicKey, msg []byte, t1, t2, t3 []byte, r1, r2 *bls.G1, r3 *bls.Gt, r4, r5 *bls.G1) *bls.Scalar {
	in := make([]byte, 0, PublicKeySize+8+len(msg)+7*g1Size+gtSize)
	in = append(in, pk.enc...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(msg)))
	in = append(in, msg...)
	in = append(in, t1...)
	in = append(in, t2...)
	in = append(in, t3...)
	in = appendG1(in, r1)
	in = appendG1(in, r2)
	gt, _ := r3.MarshalBinary() // never fails
	in = append(in, gt...)
	in = appendG1(in, r4)
	in = appendG1(in, r5)
	return hashToScalar(challengeDST, in)
}

// Signature is a parsed BBS04 signature (T1, T2, T3, c, sα, sβ, sx, sδ1,
// sδ2). Parsing checks encodings only; Verify checks the signature.
type Signature struct {
	t1, t2, t3              *bls.G1
	c, sa, sb, sx, sd1, sd2 *bls.Scalar
	enc                     []byte
}

// MarshalBinary returns the 337-byte encoding of SPEC-bbs04.md.
func (s *Signature) MarshalBinary() ([]byte, error) { return append([]byte(nil), s.enc...), nil }

// UnmarshalBinary parses the 337-byte encoding: suite 0x01, T1..T3 points
// of the prime-order subgroup other than the identity, scalars below r.
func (s *Signature) UnmarshalBinary(b []byte) error {
	r := newReader(b, "signature", SignatureSize)
	sig := Signature{
		t1: r.g1("T1"), t2: r.g1("T2"), t3: r.g1("T3"),
		c: r.scalar("c"), sa: r.scalar("s_alpha"), sb: r.scalar("s_beta"),
		sx: r.scalar("s_x"), sd1: r.scalar("s_delta1"), sd2: r.scalar("s_delta2"),
	}
	if r.err != nil {
		return r.err
	}
	sig.enc = append([]byte(nil), b...)
	*s = sig
	return nil
}

// Sign signs msg with the member key under the key's group public key and
// epoch. rand must be a cryptographic source. Every operation on secret
// values (A, x and the nonces) runs in constant time.
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

	var d1, d2, ab, e bls.Scalar
	d1.Mul(mk.x, alpha) // δ1 = x·α
	d2.Mul(mk.x, beta)  // δ2 = x·β
	ab.Add(alpha, beta)

	var t1, t2, t3, r1, r2, r4, r5, p1, p2, tmp bls.G1
	t1.ScalarMult(alpha, pk.u)
	t2.ScalarMult(beta, pk.v)
	t3.ScalarMult(&ab, pk.h)
	t3.Add(&t3, mk.a)
	r1.ScalarMult(ra, pk.u)
	r2.ScalarMult(rb, pk.v)
	// The signer knows α and β, so T1^rx·u^(−rδ1) = u^(α·rx − rδ1), and
	// likewise for R5: one multiplication each instead of two.
	e.Mul(alpha, rx)
	e.Sub(&e, rd1)
	r4.ScalarMult(&e, pk.u)
	e.Mul(beta, rx)
	e.Sub(&e, rd2)
	r5.ScalarMult(&e, pk.v)
	// R3 = e(T3^rx · h^(−rδ1−rδ2), g2) · e(h^(−rα−rβ), w), with
	// T3^rx = A^rx · h^((α+β)·rx).
	p1.ScalarMult(rx, mk.a)
	e.Mul(&ab, rx)
	e.Sub(&e, rd1)
	e.Sub(&e, rd2)
	tmp.ScalarMult(&e, pk.h)
	p1.Add(&p1, &tmp)
	e.Add(ra, rb)
	e.Neg()
	p2.ScalarMult(&e, pk.h)
	r3 := pairingProduct([]*bls.G1{&p1, &p2}, []*bls.G2{pk.g2, pk.w}, []int{1, 1})

	t1b, t2b, t3b := t1.BytesCompressed(), t2.BytesCompressed(), t3.BytesCompressed()
	c := challenge(pk, msg, t1b, t2b, t3b, &r1, &r2, r3, &r4, &r5)

	out := make([]byte, 0, SignatureSize)
	out = append(out, SuiteBLS12381)
	out = append(out, t1b...)
	out = append(out, t2b...)
	out = append(out, t3b...)
	out = appendScalar(out, c)
	for _, pair := range [][3]*bls.Scalar{{ra, alpha}, {rb, beta}, {rx, mk.x}, {rd1, &d1}, {rd2, &d2}} {
		var s bls.Scalar
		s.Mul(c, pair[1])
		s.Add(&s, pair[0])
		out = appendScalar(out, &s)
	}
	return out, nil
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

func (s *Signature) verify(pk *PublicKey, msg []byte) error {
	var negC, e bls.Scalar
	negC.Set(s.c)
	negC.Neg()

	var r1, r2, r4, r5, p1, p2, tmp bls.G1
	// R1 = u^sα · T1^(−c), R2 = v^sβ · T2^(−c)
	r1.ScalarMult(s.sa, pk.u)
	tmp.ScalarMult(&negC, s.t1)
	r1.Add(&r1, &tmp)
	r2.ScalarMult(s.sb, pk.v)
	tmp.ScalarMult(&negC, s.t2)
	r2.Add(&r2, &tmp)
	// R4 = T1^sx · u^(−sδ1), R5 = T2^sx · v^(−sδ2)
	r4.ScalarMult(s.sx, s.t1)
	e.Set(s.sd1)
	e.Neg()
	tmp.ScalarMult(&e, pk.u)
	r4.Add(&r4, &tmp)
	r5.ScalarMult(s.sx, s.t2)
	e.Set(s.sd2)
	e.Neg()
	tmp.ScalarMult(&e, pk.v)
	r5.Add(&r5, &tmp)
	// R3 = e(T3^sx · h^(−sδ1−sδ2) · g1^(−c), g2) · e(h^(−sα−sβ) · T3^c, w)
	p1.ScalarMult(s.sx, s.t3)
	e.Add(s.sd1, s.sd2)
	e.Neg()
	tmp.ScalarMult(&e, pk.h)
	p1.Add(&p1, &tmp)
	tmp.ScalarMult(&negC, pk.g1)
	p1.Add(&p1, &tmp)
	e.Add(s.sa, s.sb)
	e.Neg()
	p2.ScalarMult(&e, pk.h)
	tmp.ScalarMult(s.c, s.t3)
	p2.Add(&p2, &tmp)
	r3 := pairingProduct([]*bls.G1{&p1, &p2}, []*bls.G2{pk.g2, pk.w}, []int{1, 1})

	c := challenge(pk, msg, s.enc[1:1+g1Size], s.enc[1+g1Size:1+2*g1Size], s.enc[1+2*g1Size:1+3*g1Size], &r1, &r2, r3, &r4, &r5)
	if c.IsEqual(s.c) != 1 {
		return fmt.Errorf("%w: challenge does not match under group key epoch %d", ErrInvalidSignature, pk.epoch)
	}
	return nil
}
