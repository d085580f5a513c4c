// Package bls12381g1 is the constant-time arithmetic on the group G1 of
// the BLS12-381 pairing-friendly curve, E: y² = x³ + 4 over Fp, on top of
// circl's public field package github.com/cloudflare/circl/ecc/bls12381/ff,
// for the operations of veil's group signatures that touch secrets.
//
// The package owns:
//
//   - the Point type (homogeneous projective coordinates, complete
//     Costello–Renes–Batina formulas) and conversions to and from circl's
//     bls12381.G1 and gnark-crypto's G1Jac and G1Affine;
//   - constant-time scalar multiplication for secret scalars (MulCT with a
//     constant-time GLV split and regular windows, FixedBase.MulCT over a
//     comb): no branch and no memory index depends on the scalar;
//   - BatchAffine, the affine coordinates the constant-time Miller loop of
//     bls12381pair takes.
//
// Everything on public data — decoding with the subgroup check, encoding,
// variable-time multiplications — is package algebra's verify fast path
// on gnark-crypto, whose field arithmetic is about three times circl's;
// this package's former GLV/wNAF, co-Z tables and decoder are gone.
//
// Every Point handled by this package is assumed to lie in the prime-order
// subgroup G1 (package algebra's decoder and circl's checks enforce it).
// Scalars are circl ff.Scalar values, i.e. integers in [0, r).
package bls12381g1
