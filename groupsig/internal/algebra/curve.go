package algebra

import (
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for the expander
	"io"

	"github.com/cloudflare/circl/expander"
)

// ScalarSize is the encoded size of a scalar of either curve: 32 bytes
// big-endian, below r.
const ScalarSize = 32

// Element handles. Each curve implements them with its own types; the
// markers keep the algebra from mixing a scalar with a point.
type (
	// Scalar is an integer mod r.
	Scalar interface{ isScalar() }
	// PointG1 is a point of G1.
	PointG1 interface{ isG1() }
	// PointG2 is a point of G2.
	PointG2 interface{ isG2() }
	// GT is an element of the pairing's target group.
	GT interface{ isGT() }
	// FixedBase is a G1 point with tables for repeated multiplication.
	FixedBase interface{ isFixed() }
	// VarBase is a G1 point with a small table for a few multiplications.
	VarBase interface{ isVar() }
	// Prepared is a G2 point with its Miller-loop lines precomputed.
	Prepared interface{ isPrepared() }
)

// Curve is everything the group-signature schemes need from a
// pairing-friendly curve. Scalars are integers mod r; G1 points handed to a
// scheme are always in the prime-order subgroup. Methods ending in CT take
// secrets (constant time for BLS12-381; BN254 promises nothing, see
// groupsig's doc); VT methods only public data, and so do DecodeG1 and
// CompressG1 (variable time: every G1 point the schemes encode is public).
type Curve interface {
	// Name is the curve's name, "bls12-381" or "bn254".
	Name() string
	// G1Size, G2Size and GTSize are the encoded sizes of G1 and G2 points
	// (compressed) and of GT elements.
	G1Size() int
	G2Size() int
	GTSize() int

	RandomScalar(rand io.Reader) (Scalar, error)
	DecodeScalar(b []byte) (Scalar, bool) // 32 bytes big-endian, < r
	ReduceWide(b []byte) Scalar           // 48 bytes big-endian, mod r
	AppendScalar(b []byte, s Scalar) []byte
	Add(a, b Scalar) Scalar
	Sub(a, b Scalar) Scalar
	Mul(a, b Scalar) Scalar
	Neg(a Scalar) Scalar
	Inv(a Scalar) Scalar
	IsZero(a Scalar) bool
	Equal(a, b Scalar) bool

	// DecodeG1 checks curve and subgroup membership (it may return the
	// identity; callers refuse it).
	G1Generator() PointG1
	DecodeG1(b []byte) (PointG1, error)
	IsIdentityG1(p PointG1) bool
	CompressG1(ps ...PointG1) [][]byte
	AddG1(a, b PointG1) PointG1
	NegG1(a PointG1) PointG1
	EqualG1(a, b PointG1) bool
	MulCT(p PointG1, k Scalar) PointG1
	Fixed(p PointG1) FixedBase
	FixedMulCT(t FixedBase, k Scalar) PointG1
	// VarBase prepares a point for the SumVT calls of one check (a T_i
	// used twice); SumVT is Σ fk_i·fs_i + Σ vk_j·vs_j in one pass (a
	// verifier's R_i); MultiMulVT is Σ k_i·P_i for many points without
	// tables (a revocation record's batch).
	VarBase(p PointG1) VarBase
	SumVT(fs []FixedBase, fk []Scalar, vs []VarBase, vk []Scalar) PointG1
	MultiMulVT(ps []PointG1, ks []Scalar) PointG1
	// HashToG1 hashes msg to a point of G1 under dst (the curve's random
	// oracle: RFC 9380 SSWU for BLS12-381, gnark's SVDW for BN254).
	HashToG1(msg, dst []byte) PointG1

	// G2 (only ever multiplied by secrets or checked publicly, never hot).
	G2Generator() PointG2
	DecodeG2(b []byte) (PointG2, error)
	IsIdentityG2(p PointG2) bool
	AppendG2(b []byte, p PointG2) []byte
	AddG2(a, b PointG2) PointG2
	EqualG2(a, b PointG2) bool
	MulG2(p PointG2, k Scalar) PointG2

	// PairProduct is Π e(P_i, Q_i)^sign_i with sign_i = ±1; identity
	// inputs contribute 1.
	PairProduct(ps []PointG1, qs []PointG2, signs []int) GT
	// Prepare precomputes what pairing with a fixed G2 point (a key's g2
	// and w) can; PairPreparedCT and PairPreparedVT are Π e(P_i, Q_i) for
	// prepared Q_i, equal to PairProduct with every sign +1 (CT for a
	// signer's blinded points, VT for public ones).
	Prepare(q PointG2) Prepared
	PairPreparedCT(ps []PointG1, qs []Prepared) GT
	PairPreparedVT(ps []PointG1, qs []Prepared) GT
	IsOneGT(t GT) bool
	AppendGT(b []byte, t GT) []byte
}

// The two curves.
var (
	BLS12381 Curve = blsCurve{}
	BN254    Curve = bnCurve{}
)

// HashWide is the expand_message_xmd(SHA-256) half of RFC 9380's
// hash_to_field: 48 bytes that ReduceWide reduces mod r.
func HashWide(dst string, input []byte) []byte {
	return expander.NewExpanderMD(crypto.SHA256, []byte(dst)).Expand(input, 48)
}
