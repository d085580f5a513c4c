package bbs04

import (
	"encoding/binary"
	"fmt"
	"io"
)

// OpeningProof is a non-interactive proof that the opener knows (ξ1, ξ2)
// with u^ξ1 = h, v^ξ2 = h and T1^ξ1 · T2^ξ2 = T3/A, bound to the group
// public key, the message, the signature and A. Encoding (97 bytes):
// suite ‖ c ‖ s1 ‖ s2, where with commitments K1 = u^r1, K2 = v^r2,
// K3 = T1^r1 · T2^r2 the challenge is c = H'(gpk ‖ u64be(len(m)) ‖ m ‖
// signature ‖ Identity(A) ‖ K1 ‖ K2 ‖ K3), H' being H with the suite's
// opening DST ("VEIL-BBS04-OPEN-BLS12381-SHA256-v1" or
// "VEIL-BBS04-OPEN-BN254-SHA256-v1"), and s_i = r_i + c·ξ_i.
type OpeningProof struct {
	cv        curve
	c, s1, s2 scalar
}

// Suite is the suite the proof names.
func (p *OpeningProof) Suite() Suite { return Suite(p.cv.id()) }

// MarshalBinary returns the 97-byte encoding.
func (p *OpeningProof) MarshalBinary() ([]byte, error) {
	b := []byte{p.cv.id()}
	b = p.cv.AppendScalar(b, p.c)
	b = p.cv.AppendScalar(b, p.s1)
	return p.cv.AppendScalar(b, p.s2), nil
}

// UnmarshalBinary decodes the 97-byte encoding; scalars must be below r.
func (p *OpeningProof) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opening proof", func(d *dims) int { return d.openingProof })
	proof := OpeningProof{cv: r.c, c: r.scalar("c"), s1: r.scalar("s1"), s2: r.scalar("s2")}
	if r.err != nil {
		return r.err
	}
	*p = proof
	return nil
}

func openingChallenge(pk *PublicKey, msg, sig []byte, id Identity, k1, k2, k3 pointG1) scalar {
	c := pk.c
	in := make([]byte, 0, len(pk.enc)+8+len(msg)+len(sig)+IdentitySize+3*c.dims().g1)
	in = append(in, pk.enc...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(msg)))
	in = append(in, msg...)
	in = append(in, sig...)
	in = append(in, id[:]...)
	for _, k := range c.CompressG1(k1, k2, k3) {
		in = append(in, k...)
	}
	return c.ReduceWide(hashWide(c.dims().openingDST, in))
}

// Open recovers the identity A of the member who made sig, with a proof
// that anyone can check with VerifyOpening. The signature must verify
// under pk; opening an invalid signature is an error, not a guess. The
// opener key must belong to pk's group (any epoch). For BLS12-381,
// operations on ξ1, ξ2 and the proof's nonces run in constant time.
func Open(ok *OpenerKey, pk *PublicKey, msg, sig []byte, rand io.Reader) (Identity, *OpeningProof, error) {
	c := pk.c
	var s Signature
	if err := s.UnmarshalBinary(sig); err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	if err := sameSuite("opener key", ok.pk.c, c); err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	if err := sameSuite("signature", s.cv, c); err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	if !ok.matches(pk) {
		return Identity{}, nil, fmt.Errorf("open: %w: the opener key is not this group's", ErrWrongGroup)
	}
	if err := s.verify(pk, msg); err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	// A = T3 / (T1^ξ1 · T2^ξ2)
	a := c.AddG1(s.t3, c.NegG1(c.AddG1(c.MulCT(s.t1, ok.xi1), c.MulCT(s.t2, ok.xi2))))
	id := identityOf(c, a)

	r1, err := c.RandomScalar(rand)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	r2, err := c.RandomScalar(rand)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	tab := pk.precomputed()
	k1 := c.FixedMulCT(tab.u, r1)
	k2 := c.FixedMulCT(tab.v, r2)
	k3 := c.AddG1(c.MulCT(s.t1, r1), c.MulCT(s.t2, r2))
	ch := openingChallenge(pk, msg, s.enc, id, k1, k2, k3)
	proof := &OpeningProof{cv: c, c: ch, s1: c.Add(r1, c.Mul(ch, ok.xi1)), s2: c.Add(r2, c.Mul(ch, ok.xi2))}
	return id, proof, nil
}

// VerifyOpening checks, from public data only, that sig on msg was made by
// the member whose identity is id: the signature verifies under pk and the
// proof shows the group's real opening key maps it to id. Inputs of a
// suite other than pk's are refused with ErrWrongSuite.
func VerifyOpening(pk *PublicKey, msg, sig []byte, id Identity, proof *OpeningProof) error {
	c := pk.c
	var s Signature
	if err := s.UnmarshalBinary(sig); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	if err := sameSuite("opening proof", proof.cv, c); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	a, err := identityPoint(c, id)
	if err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	if err := s.verify(pk, msg); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	tab := pk.precomputed()
	negC := c.Neg(proof.c)
	hc := c.FixedMulVT(tab.h, negC)
	// K1 = u^s1 · h^(−c), K2 = v^s2 · h^(−c), K3 = T1^s1 · T2^s2 · (T3/A)^(−c)
	k1 := c.AddG1(c.FixedMulVT(tab.u, proof.s1), hc)
	k2 := c.AddG1(c.FixedMulVT(tab.v, proof.s2), hc)
	k3 := c.MultiMulVT([]pointG1{s.t1, s.t2, c.AddG1(s.t3, c.NegG1(a))}, []scalar{proof.s1, proof.s2, negC})
	if !c.Equal(openingChallenge(pk, msg, s.enc, id, k1, k2, k3), proof.c) {
		return fmt.Errorf("%w: the proof does not bind this signature to identity %s…", ErrInvalidProof, id.short())
	}
	return nil
}
