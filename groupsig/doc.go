// Package groupsig implements BBS04 short group signatures (Boneh, Boyen,
// Shacham, CRYPTO 2004) on BLS12-381, exactly as SPEC-bbs04.md fixes them:
// any verifier learns that a member of the group signed, the group's opener
// can name which member and prove it, and the issuer can revoke a member by
// moving the group to a new epoch.
//
// # Roles and keys
//
//   - Setup creates a group: its PublicKey (epoch 0), the IssuerKey (γ) and
//     the OpenerKey (ξ1, ξ2), three separate secrets' worth of types.
//   - The issuer keeps a Registry (label → A, x at every epoch) and issues
//     MemberKeys through it; Registry.Revoke produces a public
//     RevocationRecord and the issuer key of the next epoch.
//   - A member signs with Sign; anyone verifies with Verify (or VerifyBatch).
//   - The opener runs Open, which returns the signer's Identity (its A) and
//     an OpeningProof that VerifyOpening checks from public data alone.
//   - Remaining members move to the next epoch with MemberKey.Update; the
//     revoked member gets ErrRevoked.
//
// # Encodings (suite byte 0x01 first in every one)
//
// Points are compressed (G1 48 bytes, G2 96), scalars 32 bytes big-endian
// and below r, integers big-endian. Decoders refuse any other length, a
// point off the curve, outside the prime-order subgroup or at the identity,
// and a scalar not below r.
//
//	PublicKey        393  0x01 ‖ u64(epoch) ‖ g1 ‖ g2 ‖ h ‖ u ‖ v ‖ w        (spec)
//	Signature        337  0x01 ‖ T1 ‖ T2 ‖ T3 ‖ c ‖ sα ‖ sβ ‖ sx ‖ sδ1 ‖ sδ2 (spec)
//	IssuerKey        426  0x01 ‖ γ ‖ PublicKey
//	OpenerKey        458  0x01 ‖ ξ1 ‖ ξ2 ‖ PublicKey
//	MemberKey        474  0x01 ‖ A ‖ x ‖ PublicKey (of the member's epoch)
//	Identity          48  A
//	OpeningProof      97  0x01 ‖ c ‖ s1 ‖ s2                  (see OpeningProof)
//	RevocationRecord 281  0x01 ‖ u64(new epoch) ‖ A* ‖ x* ‖ g2' ‖ w'
//	Registry         var  see Registry.MarshalBinary
//
// Key files hold one PEM block whose type names the encoding ("VEIL GROUP
// MEMBER KEY", …; see Armor); secrets are written with mode 0600. Readers
// also take the raw bytes of an encoding, or their hex, so keys made by
// another implementation of the spec work as they are.
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
// Operations on secrets (γ, ξ1, ξ2, x, A and signing nonces) use circl's
// constant-time scalar multiplication and field arithmetic; verification
// handles only public data. Secrets print as REDACTED under every fmt verb.
package groupsig
