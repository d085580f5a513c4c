package groupsig

import (
	"fmt"
	"strings"

	"github.com/veilchain/veil/groupsig/internal/algebra"
)

// Suite names a pairing type. It is the first byte of every encoding of
// this package, so every object says which curve it belongs to and inputs
// of two suites never mix.
type Suite byte

// The suites of version 2. They are untyped constants so that they serve
// both as a Suite and as the leading byte of an encoding.
const (
	// SuiteBLS12381 is suite 0x11: SPEC-groupsig-v2 over BLS12-381
	// (circl), about 117–120-bit security.
	SuiteBLS12381 = 0x11
	// SuiteBN254 is suite 0x12: the same algebra over BN254
	// (gnark-crypto), smaller and faster, about 100-bit security.
	SuiteBN254 = 0x12
)

// Suites lists the suites this build implements, in suite-byte order.
func Suites() []Suite { return []Suite{SuiteBLS12381, SuiteBN254} }

// ParseSuite reads a suite name: "bls12-381" (or "bls12381") or "bn254",
// case-insensitive.
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
	if c := curveOf(byte(s)); c != nil {
		return c.Name()
	}
	return fmt.Sprintf("suite(0x%02x)", byte(s))
}

// Valid reports whether this build implements the suite.
func (s Suite) Valid() bool { return curveOf(byte(s)) != nil }

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

const scalarSize = algebra.ScalarSize

// curve is a suite: the shared curve arithmetic with the suite byte and
// the domain separation tags of SPEC-groupsig-v2 §1 (§9 for BN254).
type curve = *suiteCurve

type suiteCurve struct {
	algebra.Curve
	suite byte
	dst   dsts
}

// dsts are a suite's domain separation tags.
type dsts struct {
	sign, join, open, nonce, issuer, opener, revoke string // H_X
	statement                                       string // P, the Ed25519 prefix
	hgH0, hgH, hgG1, hgTag                          []byte // HG_X

	// Threshold opening (SPEC-groupsig-v2-threshold-opening): H_DEAL,
	// H_SHARE, H_TOPEN, the authorities' Ed25519 prefix P and the admin's
	// P_ADMIN and P_ABORT.
	deal, share, topen           string
	authority, admin, adminAbort string
}

func newDSTs(curveTag, h2cSuite string) dsts {
	h := "VEIL-GS2-" + curveTag + "-SHA256-"
	hg := func(x string) []byte { return []byte("VEIL-GS2-" + x + "-with-" + h2cSuite) }
	return dsts{
		sign: h + "SIGN", join: h + "JOIN", open: h + "OPEN", nonce: h + "NONCE",
		issuer: h + "ISSUER", opener: h + "OPENER", revoke: h + "REVOKE",
		statement: "VEIL-GS2-" + curveTag + "-JOIN-STATEMENT",
		hgH0:      hg("H0"), hgH: hg("H"), hgG1: hg("G1"), hgTag: hg("TAG"),
		deal: h + "DEAL", share: h + "SHARE", topen: h + "TOPEN",
		authority: "VEIL-GS2-" + curveTag + "-AUTHORITY",
		admin:     "VEIL-GS2-" + curveTag + "-COMMITTEE-ADMIN", adminAbort: "VEIL-GS2-" + curveTag + "-COMMITTEE-ABORT",
	}
}

var (
	curveBLS12381 curve = &suiteCurve{algebra.BLS12381, SuiteBLS12381, newDSTs("BLS12381", "BLS12381G1_XMD:SHA-256_SSWU_RO_")}
	curveBN254    curve = &suiteCurve{algebra.BN254, SuiteBN254, newDSTs("BN254", "BN254G1_XMD:SHA-256_SVDW_RO_")}
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

// hashScalar is H_X of §1: RFC 9380 hash_to_field, one element, 48 bytes
// of expand_message_xmd(SHA-256) reduced mod r.
func (c *suiteCurve) hashScalar(dst string, msg []byte) scalar {
	return c.ReduceWide(algebra.HashWide(dst, msg))
}

// hashG1 is HG_X of §1; an identity output is refused (probability 2^-250).
func (c *suiteCurve) hashG1(dst, msg []byte) (pointG1, error) {
	p := c.HashToG1(msg, dst)
	if c.IsIdentityG1(p) {
		return nil, fmt.Errorf("%w: hash to G1 gave the identity", ErrMalformed)
	}
	return p, nil
}

func (c *suiteCurve) appendG1(b []byte, p pointG1) []byte { return append(b, c.CompressG1(p)[0]...) }

// sameSuite refuses inputs of two different suites.
func sameSuite(what string, a, b curve) error {
	if a.suite != b.suite {
		return fmt.Errorf("%w: %s is suite %s, the group key is suite %s", ErrWrongSuite, what, Suite(a.suite), Suite(b.suite))
	}
	return nil
}
