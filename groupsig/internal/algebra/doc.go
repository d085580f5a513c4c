// Package algebra is the one implementation of pairing-curve arithmetic
// that veil's group-signature schemes are written against: the Curve
// interface (scalars mod r, G1 and G2 arithmetic and encodings, hashing to
// G1, pairing products over precomputed lines, the GT encoding) and its two
// implementations. A scheme never touches a curve library directly, so each
// suite's arithmetic exists once.
//
// Methods ending in CT take secrets, methods ending in VT (and the
// decoders and encoders) public data only. For BLS12-381 the two sides
// are different code:
//
//   - secrets: the sibling bls12381g1 (constant-time G1 on circl's field),
//     bls12381pair (the signer's constant-time Miller loop over the key's
//     lines, then circl's final exponentiation), circl for G2 and scalars;
//   - public data, the verify fast path (bls12381vt.go), on gnark-crypto's
//     field and group formulas, about three times circl's field speed:
//     DecodeG1, CompressG1, SumVT, MultiMulVT and PairPreparedVT.
//
// PairPreparedVT is gnark's MillerLoopFixedQ over lines precomputed once
// per key point, then gnark's FinalExponentiation, which — like circl's —
// raises to 3·(p¹²−1)/r, and gnark's 576-byte GT encoding is circl's: the
// spec's e (the cube of the reduced optimal-ate pairing) byte for byte,
// pinned by the tests against circl's ProdPairFrac.
//
// SumVT writes each scalar in base a = |z| = 0xd201000000010000 (four
// 64-bit digits: r = a⁴ − a² + 1) over the sub-bases P, aP, a²P = ψ(P),
// a³P = ψ(aP), ψ(x, y) = (β'x, −y) (on G1, ψ = −φ' = z², Scott's test), so
// every term of a sum shares one chain of 64 doublings, with wNAF digits
// over affine tables: width 5 for a var base (8 entries per sub-base,
// built per check), width 11 for a key point (512, 192 KiB, built once).
// aP is what DecodeG1's subgroup check (a·(aP) = ψ(P) ⇔ P ∈ G1) computes
// anyway, so a decoded point's table costs its odd multiples only.
//
// Measured (2 cores, shares of a CPU profile of BenchmarkVerify, as
// multiples of the 2-pairing product P over prepared lines in the same
// profile): DecodeG1 ≈ 0.085 P per point (square root ≈ 0.02, the two
// a-chains ≈ 0.065); one of verify's six SumVT calls (a var base and one
// to three key points) ≈ 0.085 P. In the profile of the first version,
// gnark's GLV ScalarMultiplication cost ≈ 0.11 P for a var-base term
// alone and gnark's SetBytes ≈ 0.075 P per point (without a·P).
//
// BN254 is gnark-crypto throughout (no constant-time promise): GLV for
// var bases, a signed 8-bit comb (256 KiB) for each key point's SumVT
// terms, PairFixedQ over precomputed lines.
package algebra
