package groupsig

import (
	"encoding/binary"
	"fmt"
	"io"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
)

// openingDST separates the opening proof's challenge from the signature's.
const openingDST = "VEIL-BBS04-OPEN-BLS12381-SHA256-v1"

// OpeningProof is a non-interactive proof that the opener knows (ξ1, ξ2)
// with u^ξ1 = h, v^ξ2 = h and T1^ξ1 · T2^ξ2 = T3/A, bound to the group
// public key, the message, the signature and A. Encoding (97 bytes):
// suite ‖ c ‖ s1 ‖ s2, where with commitments K1 = u^r1, K2 = v^r2,
// K3 = T1^r1 · T2^r2 the challenge is c = H'(gpk ‖ u64be(len(m)) ‖ m ‖
// signature ‖ A ‖ K1 ‖ K2 ‖ K3), H' being H with the DST
// "VEIL-BBS04-OPEN-BLS12381-SHA256-v1", and s_i = r_i + c·ξ_i.
type OpeningProof struct {
	c, s1, s2 *bls.Scalar
}

// MarshalBinary returns the 97-byte encoding.
func (p *OpeningProof) MarshalBinary() ([]byte, error) {
	b := []byte{SuiteBLS12381}
	b = appendScalar(b, p.c)
	b = appendScalar(b, p.s1)
	return appendScalar(b, p.s2), nil
}

// UnmarshalBinary decodes the 97-byte encoding; scalars must be below r.
func (p *OpeningProof) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opening proof", OpeningProofSize)
	proof := OpeningProof{c: r.scalar("c"), s1: r.scalar("s1"), s2: r.scalar("s2")}
	if r.err != nil {
		return r.err
	}
	*p = proof
	return nil
}

func openingChallenge(pk *PublicKey, msg, sig []byte, id Identity, k1, k2, k3 *g1.Point) *bls.Scalar {
	in := make([]byte, 0, PublicKeySize+8+len(msg)+SignatureSize+4*g1Size)
	in = append(in, pk.enc...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(msg)))
	in = append(in, msg...)
	in = append(in, sig...)
	in = append(in, id[:]...)
	for _, k := range g1.BatchCompress([]*g1.Point{k1, k2, k3}) {
		in = append(in, k[:]...)
	}
	return hashToScalar(openingDST, in)
}

// Open recovers the identity A of the member who made sig, with a proof
// that anyone can check with VerifyOpening. The signature must verify
// under pk; opening an invalid signature is an error, not a guess. The
// opener key must belong to pk's group (any epoch). Operations on ξ1, ξ2
// and the proof's nonces run in constant time.
func Open(ok *OpenerKey, pk *PublicKey, msg, sig []byte, rand io.Reader) (Identity, *OpeningProof, error) {
	var s Signature
	if err := s.UnmarshalBinary(sig); err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	if !ok.matches(pk) {
		return Identity{}, nil, fmt.Errorf("open: %w: the opener key is not this group's", ErrWrongGroup)
	}
	if err := s.verify(pk, msg); err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	// A = T3 / (T1^ξ1 · T2^ξ2)
	a := g1.MulCT(&s.t1, ok.xi1)
	tmp := g1.MulCT(&s.t2, ok.xi2)
	a.Add(&a, &tmp)
	a.Neg(&a)
	a.Add(&a, &s.t3)
	id := Identity(a.Compress())

	r1, err := randomScalar(rand)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	r2, err := randomScalar(rand)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	tab := pk.precomputed()
	k1 := tab.u.MulCT(r1)
	k2 := tab.v.MulCT(r2)
	k3 := g1.MulCT(&s.t1, r1)
	tmp = g1.MulCT(&s.t2, r2)
	k3.Add(&k3, &tmp)
	c := openingChallenge(pk, msg, s.enc, id, &k1, &k2, &k3)
	proof := &OpeningProof{c: c, s1: new(bls.Scalar), s2: new(bls.Scalar)}
	proof.s1.Mul(c, ok.xi1)
	proof.s1.Add(proof.s1, r1)
	proof.s2.Mul(c, ok.xi2)
	proof.s2.Add(proof.s2, r2)
	return id, proof, nil
}

// VerifyOpening checks, from public data only, that sig on msg was made by
// the member whose identity is id: the signature verifies under pk and the
// proof shows the group's real opening key maps it to id.
func VerifyOpening(pk *PublicKey, msg, sig []byte, id Identity, proof *OpeningProof) error {
	var s Signature
	if err := s.UnmarshalBinary(sig); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	a, err := g1.Decompress(id[:])
	if err != nil || a.IsIdentity() {
		return fmt.Errorf("verify opening: %w: identity is not a point of G1 other than the identity", ErrMalformed)
	}
	if err := s.verify(pk, msg); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	tab := pk.precomputed()
	negC := neg(proof.c)
	hc := tab.h.MulVT(negC)
	// K1 = u^s1 · h^(−c), K2 = v^s2 · h^(−c), K3 = T1^s1 · T2^s2 · (T3/A)^(−c)
	k1 := tab.u.MulVT(proof.s1)
	k1.Add(&k1, &hc)
	k2 := tab.v.MulVT(proof.s2)
	k2.Add(&k2, &hc)
	a.Neg(&a)
	a.Add(&a, &s.t3)
	k3 := g1.MultiMulVT([]*g1.Point{&s.t1, &s.t2, &a}, []*bls.Scalar{proof.s1, proof.s2, negC})
	if openingChallenge(pk, msg, s.enc, id, &k1, &k2, &k3).IsEqual(proof.c) != 1 {
		return fmt.Errorf("%w: the proof does not bind this signature to identity %s…", ErrInvalidProof, id.String()[:16])
	}
	return nil
}
