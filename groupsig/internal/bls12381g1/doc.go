// Package bls12381g1 implements fast arithmetic on the group G1 of the
// BLS12-381 pairing-friendly curve, E: y² = x³ + 4 over Fp, on top of circl's
// public field package github.com/cloudflare/circl/ecc/bls12381/ff.
//
// The package owns:
//
//   - the Point type (homogeneous projective coordinates, complete
//     Costello–Renes–Batina formulas) and conversions to and from circl's
//     bls12381.G1 (through byte encodings);
//   - the ZCash/IETF compressed encoding (Compress, BatchCompress,
//     Decompress with a fast subgroup check);
//   - constant-time scalar multiplication for secret scalars (MulCT,
//     FixedBase.MulCT): no branch and no memory index depends on the scalar;
//   - variable-time scalar multiplication for public data (MulVT, VarBase,
//     FixedBase.MulVT, MultiMulVT) using the GLV endomorphism
//     φ(x, y) = (βx, y), wNAF, Jacobian coordinates and affine tables.
//
// Every Point handled by this package is assumed to lie in the prime-order
// subgroup G1; the only way to build a point from untrusted bytes is
// Decompress (or FromCircl on a validated circl point), both of which enforce
// it. Scalars are circl ff.Scalar values, i.e. integers in [0, r).
package bls12381g1
