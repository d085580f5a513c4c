package groupsig

import (
	"encoding/binary"
	"fmt"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
)

// SuiteBLS12381 is the suite byte of BBS04 over BLS12-381 (SPEC-bbs04.md
// version 1). Every encoding of this package starts with it.
const SuiteBLS12381 byte = 0x01

// Encoded sizes in bytes, suite byte included.
const (
	g1Size     = bls.G1SizeCompressed // 48
	g2Size     = bls.G2SizeCompressed // 96
	scalarSize = bls.ScalarSize       // 32
	gtSize     = 576

	// PublicKeySize is the size of an encoded group public key.
	PublicKeySize = 1 + 8 + 4*g1Size + 2*g2Size // 393
	// SignatureSize is the size of an encoded signature.
	SignatureSize = 1 + 3*g1Size + 6*scalarSize // 337
	// IssuerKeySize is the size of an encoded issuer key: suite, γ, then
	// the group public key the issuer is currently at.
	IssuerKeySize = 1 + scalarSize + PublicKeySize // 426
	// OpenerKeySize is the size of an encoded opener key: suite, ξ1, ξ2,
	// then the group public key.
	OpenerKeySize = 1 + 2*scalarSize + PublicKeySize // 458
	// MemberKeySize is the size of an encoded member key: suite, A, x, then
	// the group public key of the member's epoch.
	MemberKeySize = 1 + g1Size + scalarSize + PublicKeySize // 474
	// IdentitySize is the size of an encoded member identity A.
	IdentitySize = g1Size // 48
	// OpeningProofSize is the size of an encoded opening proof: suite, c,
	// s1, s2.
	OpeningProofSize = 1 + 3*scalarSize // 97
	// RevocationRecordSize is the size of an encoded revocation record:
	// suite, new epoch, A*, x*, g2', w'.
	RevocationRecordSize = 1 + 8 + g1Size + scalarSize + 2*g2Size // 281
)

// reader walks an encoding front to back, remembering the first error, so
// that decoders read like the layout they check.
type reader struct {
	b    []byte
	what string
	err  error
}

func newReader(b []byte, what string, size int) *reader {
	r := &reader{b: b, what: what}
	switch {
	case len(b) != size:
		r.err = fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, what, len(b), size)
	case b[0] != SuiteBLS12381:
		r.err = fmt.Errorf("%w: %s names suite 0x%02x, this build implements 0x%02x", ErrWrongSuite, what, b[0], SuiteBLS12381)
	default:
		r.b = b[1:]
	}
	return r
}

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) uint64(field string) uint64 {
	b := r.next(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// g1 decodes a compressed G1 point: on the curve, in the prime-order
// subgroup, not the identity.
func (r *reader) g1(field string) *bls.G1 {
	b := r.next(g1Size)
	if b == nil {
		return nil
	}
	p := new(bls.G1)
	if err := p.SetBytes(b); err != nil {
		r.err = fmt.Errorf("%w: %s.%s is not a point of G1: %v", ErrMalformed, r.what, field, err)
		return nil
	}
	if p.IsIdentity() {
		r.err = fmt.Errorf("%w: %s.%s is the identity", ErrMalformed, r.what, field)
		return nil
	}
	return p
}

// fastG1 decodes a compressed G1 point into the fast arithmetic's form,
// with the same checks as g1.
func (r *reader) fastG1(field string) g1.Point {
	b := r.next(g1Size)
	if b == nil {
		return g1.Point{}
	}
	p, err := g1.Decompress(b)
	if err != nil {
		r.err = fmt.Errorf("%w: %s.%s is not a point of G1: %v", ErrMalformed, r.what, field, err)
		return g1.Point{}
	}
	if p.IsIdentity() {
		r.err = fmt.Errorf("%w: %s.%s is the identity", ErrMalformed, r.what, field)
		return g1.Point{}
	}
	return p
}

// g2 decodes a compressed G2 point with the same checks as g1.
func (r *reader) g2(field string) *bls.G2 {
	b := r.next(g2Size)
	if b == nil {
		return nil
	}
	p := new(bls.G2)
	if err := p.SetBytes(b); err != nil {
		r.err = fmt.Errorf("%w: %s.%s is not a point of G2: %v", ErrMalformed, r.what, field, err)
		return nil
	}
	if p.IsIdentity() {
		r.err = fmt.Errorf("%w: %s.%s is the identity", ErrMalformed, r.what, field)
		return nil
	}
	return p
}

// scalar decodes a canonical scalar (strictly below the group order).
func (r *reader) scalar(field string) *bls.Scalar {
	b := r.next(scalarSize)
	if b == nil {
		return nil
	}
	s := new(bls.Scalar)
	if err := s.UnmarshalBinary(b); err != nil {
		r.err = fmt.Errorf("%w: %s.%s is not below the group order", ErrMalformed, r.what, field)
		return nil
	}
	return s
}

// nonzero refuses a zero scalar (secret keys are never zero).
func (r *reader) nonzero(s *bls.Scalar, field string) {
	if r.err == nil && s.IsZero() == 1 {
		r.err = fmt.Errorf("%w: %s.%s is zero", ErrMalformed, r.what, field)
	}
}

// rest hands the remaining bytes to a nested decoder.
func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	out := r.b
	r.b = nil
	return out
}

func appendScalar(b []byte, s *bls.Scalar) []byte {
	enc, _ := s.MarshalBinary() // never fails
	return append(b, enc...)
}

func appendG1(b []byte, p *bls.G1) []byte { return append(b, p.BytesCompressed()...) }

func appendG2(b []byte, p *bls.G2) []byte { return append(b, p.BytesCompressed()...) }
