// Package bbs04 implements version 1 of veil's group signatures: BBS04
// short group signatures (Boneh, Boyen, Shacham, CRYPTO 2004) exactly as SPEC-bbs04.md fixes them, over two
// pairing types chosen at group creation: BLS12-381 (suite 0x01, the spec's
// version 1) and BN254 (suite 0x02, below). Any verifier learns that a
// member of the group signed, the group's opener can name which member and
// prove it, and the issuer can revoke a member by moving the group to a new
// epoch.
//
// Version 1 is the scheme of the groups a chain holds today; new groups
// use version 2 (package groupsig: members pick their own secret, so the
// issuer cannot frame them, and openings are accountable). Its curve
// arithmetic is the shared internal/algebra.//
// # Roles and keys
//
//   - Setup creates a BLS12-381 group, SetupSuite a group of either suite:
//     its PublicKey (epoch 0), the IssuerKey (γ) and the OpenerKey (ξ1, ξ2),
//     three separate secrets' worth of types.
//   - The issuer keeps a Registry (label → A, x at every epoch) and issues
//     MemberKeys through it; Registry.Revoke produces a public
//     RevocationRecord and the issuer key of the next epoch.
//   - A member signs with Sign; anyone verifies with Verify (or VerifyBatch).
//   - The opener runs Open, which returns the signer's Identity (its A) and
//     an OpeningProof that VerifyOpening checks from public data alone.
//   - Remaining members move to the next epoch with MemberKey.Update; the
//     revoked member gets ErrRevoked.
//
// # One algebra, two suites
//
// Setup, Issue, Sign, Verify, Open, VerifyOpening, revocation, the registry
// and every encoding are written once, against a small internal interface
// of curve operations (scalars mod r, G1 and G2 arithmetic, compression,
// the pairing product, the GT encoding); each suite implements it. The
// suite byte that starts every encoding picks the implementation, so a
// network can hold groups of both kinds. Inputs of two suites never mix:
// a signature, opening proof, identity or revocation record of one suite
// under a key of the other, or an issuer key of one suite used on a
// registry of the other, is refused with an error wrapping ErrWrongSuite.
//
// # Encodings (the suite byte first in every one)
//
// Points are compressed, scalars 32 bytes big-endian and below r, integers
// big-endian. Decoders refuse any other length for the suite named by the
// first byte, an unknown suite (ErrWrongSuite), a point off the curve,
// outside the prime-order subgroup or at the identity, a coordinate not
// below p, and a scalar not below r. Sizes per suite, in bytes:
//
//	                                                                   BLS12-381  BN254
//	PublicKey         s ‖ u64(epoch) ‖ g1 ‖ g2 ‖ h ‖ u ‖ v ‖ w (spec)        393    265
//	Signature         s ‖ T1 ‖ T2 ‖ T3 ‖ c ‖ sα ‖ sβ ‖ sx ‖ sδ1 ‖ sδ2 (spec)  337    289
//	IssuerKey         s ‖ γ ‖ PublicKey                                     426    298
//	OpenerKey         s ‖ ξ1 ‖ ξ2 ‖ PublicKey                               458    330
//	MemberKey         s ‖ A ‖ x ‖ PublicKey (of the member's epoch)         474    330
//	Identity          A, padded to 48 bytes (see below)                      48     48
//	OpeningProof      s ‖ c ‖ s1 ‖ s2                  (see OpeningProof)    97     97
//	RevocationRecord  s ‖ u64(new epoch) ‖ A* ‖ x* ‖ g2' ‖ w'               281    201
//	Registry          var, see Registry.MarshalBinary
//
// with G1 48 / 32 bytes, G2 96 / 64, GT 576 / 384 and scalars 32 / 32. The
// PublicKeySize, SignatureSize, … constants are suite 0x01's, kept for
// existing callers; PublicKeySizeOf, SignatureSizeOf, … give every suite's.
//
// An Identity is IdentitySize (48) bytes for both suites, so that a ledger
// stores identities of either kind in one fixed-size field: for BLS12-381
// the compressed A (whose first byte always has its top bit set); for BN254
// 0x02 ‖ 15 zero bytes ‖ the 32-byte compressed A. The opening proof's
// challenge hashes these 48 bytes.
//
// Key files hold one PEM block whose type names the encoding ("VEIL GROUP
// MEMBER KEY", …; see Armor); secrets are written with mode 0600. Readers
// also take the raw bytes of an encoding, or their hex, so keys made by
// another implementation of the spec work as they are.
//
// # Suite 0x01: BLS12-381
//
// Exactly SPEC-bbs04.md version 1: points in the ZCash/IETF compressed
// encoding, e is circl's pairing (the cube of the reduced optimal-ate
// pairing), GT as circl's Gt.MarshalBinary (576 bytes), challenge DST
// "VEIL-BBS04-BLS12381-SHA256-v1", opening DST
// "VEIL-BBS04-OPEN-BLS12381-SHA256-v1". Sign and Verify compute R3's
// product of two pairings with one Miller loop over lines precomputed for
// the key's g2 and w (internal/bls12381pair), which gives circl's
// ProdPairFrac value byte for byte at about three quarters of its cost; G1
// multiplications use fixed-base combs for u, v, h, g1 and GLV for T1..T3
// (internal/bls12381g1).
//
// # Suite 0x02: BN254
//
// The same algorithms and the same layouts as SPEC-bbs04.md, with these
// rules in place of the BLS12-381 ones. BN254 (alt_bn128) is the curve
// y² = x³ + 3 over the 254-bit prime p, with r its 254-bit group order, G1
// of prime order r (cofactor 1), and G2 the order-r subgroup of the sextic
// twist y² = x³ + 3/(9+i) over Fp² = Fp[i]/(i²+1). g1 = (1, 2) and g2 are
// gnark-crypto's standard generators (bn254.Generators).
//
//   - G1 points are 32 bytes, G2 points 64 bytes, in gnark-crypto's
//     compressed encoding (G1Affine.Bytes, G2Affine.Bytes): x big-endian
//     (for G2, x = x0 + x1·i written x1 ‖ x0), with the two top bits of the
//     first byte as flags: 10 = compressed with the lexicographically
//     smaller y, 11 = the larger y, 01 = the identity (refused here); 00 is
//     gnark's uncompressed form and is refused at these lengths. A decoder
//     is gnark's SetBytes on exactly that many bytes, which requires x
//     below p, checks that x is on the curve, and checks subgroup
//     membership: for G2 with gnark's endomorphism-based test; for G1 the
//     check is the curve check, as the cofactor is 1. A decoded point that
//     is the identity is refused.
//   - Scalars are 32 bytes big-endian and must be below r
//     (fr.Element.SetBytesCanonical).
//   - e is gnark-crypto v0.22.0's bn254.Pair: its multi-Miller loop of the
//     optimal ate pairing (loop 6x₀+2) followed by its FinalExponentiation,
//     whose hard part (Fuentes-Castañeda et al.) raises to
//     2x₀(6x₀²+3x₀+1)·(p⁴−p²+1)/r; gnark's e is therefore the standard
//     reduced optimal-ate pairing raised to the fixed power
//     2x₀(6x₀²+3x₀+1), still bilinear and non-degenerate. An implementation
//     on another library raises its pairing to that power, or uses gnark.
//     R3 = e(P1, g2) · e(P2, w) is one bn254.Pair call on the two pairs;
//     pairing checks are bn254.Pair of the pairs (P negated for a quotient)
//     compared with 1.
//   - A GT element is encoded as gnark's GT.Bytes (= Marshal), 384 bytes:
//     Fp12 = C0 + C1·w, each Fp6 = B0 + B1·v + B2·v², each Fp2 = A0 + A1·i,
//     written C1.B2.A1 ‖ C1.B2.A0 ‖ C1.B1.A1 ‖ … ‖ C0.B0.A1 ‖ C0.B0.A0, each
//     Fp 32 bytes big-endian, canonical.
//   - H is RFC 9380 hash_to_field with one element: expand_message_xmd
//     with SHA-256, DST "VEIL-BBS04-BN254-SHA256-v1" for the challenge and
//     "VEIL-BBS04-OPEN-BN254-SHA256-v1" for the opening proof, 48 output
//     bytes read as a big-endian integer, reduced mod r.
//   - The group public key is `0x02 ‖ u64be(e) ‖ g1 ‖ g2 ‖ h ‖ u ‖ v ‖ w`
//     = 1+8+4·32+2·64 = 265 bytes; the signature
//     `0x02 ‖ T1 ‖ T2 ‖ T3 ‖ c ‖ sα ‖ sβ ‖ sx ‖ sδ1 ‖ sδ2` = 1+3·32+6·32 =
//     289 bytes; everything else as in the table above.
//   - This implementation draws a random scalar as 48 bytes from the
//     caller's source reduced mod r (testdata/kat-bn254.json pins the
//     order of draws); another implementation may draw differently.
//
// # Epochs
//
// The whole public key, epoch included, is hashed into every challenge, so
// a signature verifies only under the key of the epoch it was made for.
// After a revocation a verifier must use the newest key and refuse
// signatures that claim an older epoch, or a revoked member gets back in.
// Verification costs the same however many revocations came before.
//
// # Side channels
//
// BLS12-381: operations on secrets (γ, ξ1, ξ2, x, A and signing nonces)
// use constant-time code: the internal bls12381g1 package's fixed-base
// combs and regular-window multiplication in G1, circl's constant-time G2
// multiplication and scalar field arithmetic; verification, which handles
// only public data, uses variable-time GLV/wNAF.
//
// BN254: gnark-crypto states that it "makes no security guarantees such
// as constant time implementation or side-channel attack resistance", and
// offers no constant-time scalar multiplication: its ScalarMultiplication
// (GLV with a windowed table) takes the scalar as a *big.Int and branches
// and indexes on its digits. This suite uses it for secrets too, so a
// BN254 signer, issuer or opener must not run where an attacker can
// measure its timing or cache behaviour. Its scalar field arithmetic
// (fr.Element, whose Inverse is a binary GCD) carries no constant-time
// promise either. Use BLS12-381 where side channels matter.
//
// Secrets of both suites print as REDACTED under every fmt verb.
package bbs04
