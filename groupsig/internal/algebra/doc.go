// Package algebra is the one implementation of pairing-curve arithmetic
// that veil's group-signature schemes are written against: the Curve
// interface (scalars mod r, G1 and G2 arithmetic and encodings, hashing to
// G1, the pairing product over precomputed lines, the GT encoding) and its
// two implementations, BLS12-381 (circl for G2, GT, scalars and the final
// exponentiation; the sibling bls12381g1 and bls12381pair packages for G1
// and the Miller loop) and BN254 (gnark-crypto). A scheme never touches a
// curve library directly, so each suite's arithmetic exists once.
package algebra
