package bbs04

import (
	"encoding/binary"
	"fmt"

	bls "github.com/cloudflare/circl/ecc/bls12381"
)

// Encoded sizes in bytes, suite byte included, of suite 0x01 (BLS12-381).
// The sizes of every suite are given by PublicKeySizeOf, SignatureSizeOf,
// … (see doc.go for the layouts).
const (
	g1Size     = bls.G1SizeCompressed // 48
	g2Size     = bls.G2SizeCompressed // 96
	scalarSize = bls.ScalarSize       // 32, for both suites

	// PublicKeySize is the size of an encoded BLS12-381 group public key.
	PublicKeySize = 1 + 8 + 4*g1Size + 2*g2Size // 393
	// SignatureSize is the size of an encoded BLS12-381 signature.
	SignatureSize = 1 + 3*g1Size + 6*scalarSize // 337
	// IssuerKeySize is the size of an encoded BLS12-381 issuer key: suite,
	// γ, then the group public key the issuer is currently at.
	IssuerKeySize = 1 + scalarSize + PublicKeySize // 426
	// OpenerKeySize is the size of an encoded BLS12-381 opener key: suite,
	// ξ1, ξ2, then the group public key.
	OpenerKeySize = 1 + 2*scalarSize + PublicKeySize // 458
	// MemberKeySize is the size of an encoded BLS12-381 member key: suite,
	// A, x, then the group public key of the member's epoch.
	MemberKeySize = 1 + g1Size + scalarSize + PublicKeySize // 474
	// IdentitySize is the size of an encoded member identity, for every
	// suite (see Identity).
	IdentitySize = g1Size // 48
	// OpeningProofSize is the size of an encoded opening proof: suite, c,
	// s1, s2 (the same for every suite).
	OpeningProofSize = 1 + 3*scalarSize // 97
	// RevocationRecordSize is the size of an encoded BLS12-381 revocation
	// record: suite, new epoch, A*, x*, g2', w'.
	RevocationRecordSize = 1 + 8 + g1Size + scalarSize + 2*g2Size // 281
)

// reader walks an encoding front to back, remembering the first error, so
// that decoders read like the layout they check. The leading suite byte
// picks the curve and, with it, the expected length.
type reader struct {
	c    curve
	b    []byte
	what string
	err  error
}

func newReader(b []byte, what string, size func(*dims) int) *reader {
	r := &reader{b: b, what: what}
	if len(b) == 0 {
		r.err = fmt.Errorf("%w: %s is empty", ErrMalformed, what)
		return r
	}
	r.c = curveOf(b[0])
	switch {
	case r.c == nil:
		r.err = fmt.Errorf("%w: %s names suite 0x%02x, this build implements 0x01 (bls12-381) and 0x02 (bn254)", ErrWrongSuite, what, b[0])
	case len(b) != size(r.c.dims()):
		r.err = fmt.Errorf("%w: %s of suite %s is %d bytes, want %d", ErrMalformed, what, r.c.dims().name, len(b), size(r.c.dims()))
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
func (r *reader) g1(field string) pointG1 {
	if r.err != nil {
		return nil
	}
	b := r.next(r.c.dims().g1)
	if b == nil {
		return nil
	}
	p, err := r.c.DecodeG1(b)
	if err != nil {
		r.err = fmt.Errorf("%w: %s.%s is not a point of G1: %v", ErrMalformed, r.what, field, err)
		return nil
	}
	if r.c.IsIdentityG1(p) {
		r.err = fmt.Errorf("%w: %s.%s is the identity", ErrMalformed, r.what, field)
		return nil
	}
	return p
}

// g2 decodes a compressed G2 point with the same checks as g1.
func (r *reader) g2(field string) pointG2 {
	if r.err != nil {
		return nil
	}
	b := r.next(r.c.dims().g2)
	if b == nil {
		return nil
	}
	p, err := r.c.DecodeG2(b)
	if err != nil {
		r.err = fmt.Errorf("%w: %s.%s is not a point of G2: %v", ErrMalformed, r.what, field, err)
		return nil
	}
	if r.c.IsIdentityG2(p) {
		r.err = fmt.Errorf("%w: %s.%s is the identity", ErrMalformed, r.what, field)
		return nil
	}
	return p
}

// scalar decodes a canonical scalar (strictly below the group order).
func (r *reader) scalar(field string) scalar {
	if r.err != nil {
		return nil
	}
	b := r.next(scalarSize)
	if b == nil {
		return nil
	}
	s, ok := r.c.DecodeScalar(b)
	if !ok {
		r.err = fmt.Errorf("%w: %s.%s is not below the group order", ErrMalformed, r.what, field)
		return nil
	}
	return s
}

// nonzero refuses a zero scalar (secret keys are never zero).
func (r *reader) nonzero(s scalar, field string) {
	if r.err == nil && r.c.IsZero(s) {
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

func appendG1(c curve, b []byte, p pointG1) []byte { return append(b, c.CompressG1(p)[0]...) }
