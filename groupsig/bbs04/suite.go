package bbs04

import (
	"fmt"
	"strings"

	"github.com/veilchain/veil/groupsig/internal/algebra"
)

// Suite names a pairing type: the curve BBS04 runs on. It is the first byte
// of every encoding of this package, so keys, signatures, proofs and records
// say which suite they belong to, and inputs of two suites never mix.
type Suite byte

// The suites this build implements. They are untyped constants so that they
// serve both as a Suite and as the leading byte of an encoding.
const (
	// SuiteBLS12381 is the suite byte of BBS04 over BLS12-381 through circl
	// (SPEC-bbs04.md version 1): about 120–128-bit security.
	SuiteBLS12381 = 0x01
	// SuiteBN254 is the suite byte of BBS04 over BN254 through gnark-crypto:
	// smaller and faster, about 100-bit security since the exTNFS attacks.
	SuiteBN254 = 0x02
)

// Suites lists the suites this build implements, in suite-byte order.
func Suites() []Suite { return []Suite{SuiteBLS12381, SuiteBN254} }

// ParseSuite reads a suite name: "bls12-381" or "bn254" (case-insensitive;
// "bls12381" is accepted too).
func ParseSuite(name string) (Suite, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "bls12-381", "bls12381":
		return SuiteBLS12381, nil
	case "bn254":
		return SuiteBN254, nil
	}
	return 0, fmt.Errorf("%w: unknown pairing type %q (want bls12-381 or bn254)", ErrWrongSuite, name)
}

// String returns the suite's name as ParseSuite reads it.
func (s Suite) String() string {
	switch s {
	case SuiteBLS12381:
		return "bls12-381"
	case SuiteBN254:
		return "bn254"
	}
	return fmt.Sprintf("suite(0x%02x)", byte(s))
}

// Valid reports whether this build implements the suite.
func (s Suite) Valid() bool { return curveOf(byte(s)) != nil }

// dims are a suite's encoded sizes and domain separation tags.
type dims struct {
	g1, g2, gt                   int
	publicKey, signature         int
	issuerKey, openerKey, member int
	openingProof, revocation     int
	challengeDST, openingDST     string
	name                         string
}

func newDims(name string, g1, g2, gt int, challengeDST, openingDST string) dims {
	d := dims{g1: g1, g2: g2, gt: gt, challengeDST: challengeDST, openingDST: openingDST, name: name}
	d.publicKey = 1 + 8 + 4*g1 + 2*g2
	d.signature = 1 + 3*g1 + 6*scalarSize
	d.issuerKey = 1 + scalarSize + d.publicKey
	d.openerKey = 1 + 2*scalarSize + d.publicKey
	d.member = 1 + g1 + scalarSize + d.publicKey
	d.openingProof = 1 + 3*scalarSize
	d.revocation = 1 + 8 + g1 + scalarSize + 2*g2
	return d
}

// Element handles of the shared algebra.
type (
	scalar    = algebra.Scalar
	pointG1   = algebra.PointG1
	pointG2   = algebra.PointG2
	gtElem    = algebra.GT
	fixedBase = algebra.FixedBase
	varBase   = algebra.VarBase
	prepared  = algebra.Prepared
)

// curve is a suite: the shared curve arithmetic (internal/algebra) with
// the suite byte and the sizes and DSTs of this scheme. The scheme (setup,
// issue, sign, verify, open, revocation, registry, encodings) is written
// once against it.
type curve = *suiteCurve

type suiteCurve struct {
	algebra.Curve
	suite byte
	d     dims
}

func (c *suiteCurve) id() byte    { return c.suite }
func (c *suiteCurve) dims() *dims { return &c.d }

var (
	curveBLS12381 curve = &suiteCurve{algebra.BLS12381, SuiteBLS12381, newDims("bls12-381", 48, 96, 576,
		"VEIL-BBS04-BLS12381-SHA256-v1", "VEIL-BBS04-OPEN-BLS12381-SHA256-v1")}
	curveBN254 curve = &suiteCurve{algebra.BN254, SuiteBN254, newDims("bn254", 32, 64, 384,
		"VEIL-BBS04-BN254-SHA256-v1", "VEIL-BBS04-OPEN-BN254-SHA256-v1")}
)

// curveOf returns the curve of a suite byte, or nil.
func curveOf(suite byte) curve {
	switch suite {
	case SuiteBLS12381:
		return curveBLS12381
	case SuiteBN254:
		return curveBN254
	}
	return nil
}

func mustCurve(s Suite) (curve, error) {
	c := curveOf(byte(s))
	if c == nil {
		return nil, fmt.Errorf("%w: suite 0x%02x is not implemented by this build", ErrWrongSuite, byte(s))
	}
	return c, nil
}

// sameSuite refuses inputs of two different suites.
func sameSuite(what string, a, b curve) error {
	if a.id() != b.id() {
		return fmt.Errorf("%w: %s is suite %s, the group key is suite %s", ErrWrongSuite, what, Suite(a.id()), Suite(b.id()))
	}
	return nil
}

// hashWide is the expand_message_xmd(SHA-256) half of H: 48 bytes that the
// suite reduces mod its r.
func hashWide(dst string, input []byte) []byte { return algebra.HashWide(dst, input) }

// sizeOf returns a size of a suite, or 0 for a suite this build does not
// implement.
func sizeOf(s Suite, f func(*dims) int) int {
	if c := curveOf(byte(s)); c != nil {
		return f(c.dims())
	}
	return 0
}

// PublicKeySizeOf is the size of an encoded group public key of the suite
// (393 for BLS12-381, 265 for BN254; 0 for an unknown suite).
func PublicKeySizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.publicKey }) }

// SignatureSizeOf is the size of an encoded signature of the suite (337 for
// BLS12-381, 289 for BN254).
func SignatureSizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.signature }) }

// IssuerKeySizeOf is the size of an encoded issuer key of the suite.
func IssuerKeySizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.issuerKey }) }

// OpenerKeySizeOf is the size of an encoded opener key of the suite.
func OpenerKeySizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.openerKey }) }

// MemberKeySizeOf is the size of an encoded member key of the suite.
func MemberKeySizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.member }) }

// OpeningProofSizeOf is the size of an encoded opening proof of the suite.
func OpeningProofSizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.openingProof }) }

// RevocationRecordSizeOf is the size of an encoded revocation record of the
// suite.
func RevocationRecordSizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.revocation }) }

// G1SizeOf is the size of a compressed G1 point of the suite (the member
// identity A is one; Identity pads it to IdentitySize).
func G1SizeOf(s Suite) int { return sizeOf(s, func(d *dims) int { return d.g1 }) }
