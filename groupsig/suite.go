package groupsig

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for the expander
	"fmt"
	"io"
	"strings"

	"github.com/cloudflare/circl/expander"
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

// Element handles. Each suite implements them with its own types; the
// markers keep the algebra from mixing a scalar with a point.
type (
	scalar    interface{ isScalar() }
	pointG1   interface{ isG1() }
	pointG2   interface{ isG2() }
	gtElem    interface{ isGT() }
	fixedBase interface{ isFixed() }
	varBase   interface{ isVar() }
	prepared  interface{ isPrepared() }
)

// curve is everything the BBS04 algebra needs from a pairing-friendly
// curve. The scheme (setup, issue, sign, verify, open, revocation, registry,
// encodings) is written once against it; a suite only supplies curve
// operations. Scalars are integers mod r; G1 points handed to the algebra
// are always in the prime-order subgroup.
type curve interface {
	id() byte
	dims() *dims

	// Scalars mod r (constant time for BLS12-381; see doc.go for BN254).
	randomScalar(rand io.Reader) (scalar, error)
	decodeScalar(b []byte) (scalar, bool) // 32 bytes big-endian, < r
	reduceWide(b []byte) scalar           // 48 bytes big-endian, mod r
	appendScalar(b []byte, s scalar) []byte
	add(a, b scalar) scalar
	sub(a, b scalar) scalar
	mul(a, b scalar) scalar
	neg(a scalar) scalar
	inv(a scalar) scalar
	isZero(a scalar) bool
	equal(a, b scalar) bool

	// G1. decodeG1 checks curve and subgroup membership (it may return the
	// identity; callers refuse it). mulCT and fixedMulCT take secrets;
	// the VT operations only public data.
	g1Generator() pointG1
	decodeG1(b []byte) (pointG1, error)
	isIdentityG1(p pointG1) bool
	compressG1(ps ...pointG1) [][]byte
	addG1(a, b pointG1) pointG1
	negG1(a pointG1) pointG1
	equalG1(a, b pointG1) bool
	mulCT(p pointG1, k scalar) pointG1
	fixed(p pointG1) fixedBase
	fixedMulCT(t fixedBase, k scalar) pointG1
	fixedMulVT(t fixedBase, k scalar) pointG1
	varBase(p pointG1) varBase
	varMulVT(t varBase, k scalar) pointG1
	multiMulVT(ps []pointG1, ks []scalar) pointG1

	// G2 (only ever multiplied by secrets or checked publicly, never hot).
	g2Generator() pointG2
	decodeG2(b []byte) (pointG2, error)
	isIdentityG2(p pointG2) bool
	appendG2(b []byte, p pointG2) []byte
	addG2(a, b pointG2) pointG2
	equalG2(a, b pointG2) bool
	mulG2(p pointG2, k scalar) pointG2

	// Pairing: Π e(P_i, Q_i)^sign_i with sign_i = ±1; identity inputs
	// contribute 1.
	pairProduct(ps []pointG1, qs []pointG2, signs []int) gtElem
	// prepare precomputes what pairing with a fixed G2 point (a key's g2
	// and w) can; pairPrepared is Π e(P_i, Q_i) for prepared Q_i, equal to
	// pairProduct with every sign +1.
	prepare(q pointG2) prepared
	pairPrepared(ps []pointG1, qs []prepared) gtElem
	isOneGT(t gtElem) bool
	appendGT(b []byte, t gtElem) []byte
}

var (
	curveBLS12381 curve = blsCurve{}
	curveBN254    curve = bnCurve{}
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
func hashWide(dst string, input []byte) []byte {
	return expander.NewExpanderMD(crypto.SHA256, []byte(dst)).Expand(input, 48)
}

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
