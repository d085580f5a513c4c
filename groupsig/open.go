package groupsig

import (
	"encoding/binary"
	"fmt"
	"io"

	bls "github.com/cloudflare/circl/ecc/bls12381"
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

func openingChallenge(pk *PublicKey, msg, sig []byte, id Identity, k1, k2, k3 *bls.G1) *bls.Scalar {
	in := make([]byte, 0, PublicKeySize+8+len(msg)+SignatureSize+4*g1Size)
	in = append(in, pk.enc...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(msg)))
	in = append(in, msg...)
	in = append(in, sig...)
	in = append(in, id[:]...)
	in = appendG1(in, k1)
	in = appendG1(in, k2)
	in = appendG1(in, k3)
	return hashToScalar(openingDST, in)
}

// Open recovers the identity A of the member who made sig, with a proof
// that anyone can check with VerifyOpening. The signature must verify
// under pk; opening an invalid signature is an error, not a guess. The
// opener key must belong to pk's group (any epoch).
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
	var a, tmp bls.G1
	a.ScalarMult(ok.xi1, s.t1)
	tmp.ScalarMult(ok.xi2, s.t2)
	a.Add(&a, &tmp)
	a.Neg()
	a.Add(&a, s.t3)
	id := identityOf(&a)

	r1, err := randomScalar(rand)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	r2, err := randomScalar(rand)
	if err != nil {
		return Identity{}, nil, fmt.Errorf("open: %w", err)
	}
	var k1, k2, k3 bls.G1
	k1.ScalarMult(r1, pk.u)
	k2.ScalarMult(r2, pk.v)
	k3.ScalarMult(r1, s.t1)
	tmp.ScalarMult(r2, s.t2)
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
	var a bls.G1
	if err := a.SetBytes(id[:]); err != nil || a.IsIdentity() {
		return fmt.Errorf("verify opening: %w: identity is not a point of G1 other than the identity", ErrMalformed)
	}
	if err := s.verify(pk, msg); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	negC := new(bls.Scalar)
	negC.Set(proof.c)
	negC.Neg()
	// K1 = u^s1 · h^(−c), K2 = v^s2 · h^(−c), K3 = T1^s1 · T2^s2 · (T3/A)^(−c)
	var k1, k2, k3, tmp bls.G1
	k1.ScalarMult(proof.s1, pk.u)
	tmp.ScalarMult(negC, pk.h)
	k2.ScalarMult(proof.s2, pk.v)
	k1.Add(&k1, &tmp)
	k2.Add(&k2, &tmp)
	k3.ScalarMult(proof.s1, s.t1)
	tmp.ScalarMult(proof.s2, s.t2)
	k3.Add(&k3, &tmp)
	a.Neg()
	a.Add(&a, s.t3)
	tmp.ScalarMult(negC, &a)
	k3.Add(&k3, &tmp)
	if openingChallenge(pk, msg, s.enc, id, &k1, &k2, &k3).IsEqual(proof.c) != 1 {
		return fmt.Errorf("%w: the proof does not bind this signature to identity %s…", ErrInvalidProof, id.String()[:16])
	}
	return nil
}
