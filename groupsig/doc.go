// Package groupsig implements veil's group signatures, version 2, exactly
// as SPEC-groupsig-v2.md fixes them: BBS04 short group signatures with the
// XSGS non-frameable join (Delerablée–Pointcheval 2006), optional per-scope
// linkable tags, openings with a proof, revocation by authenticated
// re-issuance, and an accountable-opening check. It is veil's only scheme:
// version 1 (SPEC-bbs04.md, issuer-made member secrets) is retired, and
// its encodings are refused (suites 0x01, 0x02 are not v2 suites).
//
// # Roles and objects
//
//   - Setup makes a group: gpk_0 (GroupKey), the IssuerKey γ, the
//     OpenerKey (ξ1, ξ2), and the IssuerProof and OpenerProof published
//     with gpk_0. A ledger refuses a group whose proofs fail; a member
//     checks both before joining (NewJoinRequest does).
//   - A member picks its own secret y: NewJoinRequest binds label, its
//     Ed25519 identity key and H = h0^y with a proof of y and an identity
//     signature (§3.1's strict Ed25519). The issuer answers through its
//     Registry (Registry.Issue: label, H and x never reused) with a
//     JoinResponse (x, A); JoinSecret.Finish checks A and gives the
//     MemberKey (A, x, y). The issuer never sees y, so it cannot sign as
//     the member: request and response are the member's public join
//     record.
//   - Sign makes an untagged signature (unlinkable) or, with a scope S, a
//     tagged one whose tag τ = B_S^y is the same for every signature of the
//     member in S: "one action per member per scope". Verify returns τ.
//   - Open (the opener) recovers A with an Opening that VerifyOpening
//     checks from public data. AccountableOpening checks §5's five
//     conditions — the opening, A current for the member at that epoch,
//     A a certificate of the member's x and H, the member's request, and
//     the accused's identity key — and names the one that failed
//     (*AccountabilityError). Evidence carries all of it as one JSON
//     bundle.
//   - Registry.Revoke makes the RevocationRecord into the next epoch: the
//     revoked labels and every other member's re-issued A', signed with a
//     proof of γ chained to the previous record. VerifyRecord is the
//     member's check, CheckRevocation the node's (membership against the
//     ledger and one batched pairing check of all A'); MemberKey.Update
//     takes a member to the new epoch.
//
// # Threshold opening (SPEC-groupsig-v2-threshold-opening)
//
// The opener key can instead be shared t-of-n (2 ≤ t ≤ n ≤ 255) among
// authorities, each an Authority: a label and a §3.1 Ed25519 identity
// key that signs every object it makes (sig_i over P ‖ body).
//
//   - Deal (the dealer, holding the OpenerKey) makes the Committee to post
//     (Feldman commitments, the authority list and a dealer proof; cref =
//     Committee.Ref) and one Share per authority. Committee.Verify checks
//     it against the group; AuthorizeCommittee / AbortCommittee are the
//     admin's adsig for the first committee (VerifyCommitteeAuthorization,
//     VerifyCommitteeAbort); NewApproval is a rotation's approval by the
//     active committee. RecoverOpenerKey rebuilds ξ from t shares for a
//     rotation dealer. Erasing ξ, coefficients and shares is the callers'
//     (custody rules, §1).
//   - Each holder runs Share.Check (Feldman) and posts NewShareProof.
//   - To open σ, t authorities post NewConsent; then each that has itself
//     checked t consents posts NewPartialOpening (it refuses a σ that does
//     not verify, or fewer than t valid consents by distinct authorities);
//     CombineOpening takes the t lowest valid partials into a
//     ThresholdOpening, whose Verify returns A. A completed opening is
//     public: anyone with the committee names A, and
//     AccountableThresholdOpening runs §5's check with it as condition (1).
//   - A check that fails after an object's sig_i verified is an
//     *AuthorityError naming the authority; before it, no one is named.
//
// What the library cannot see is the caller's, read from its own node:
// that the committee is active and σ on the ledger before releasing a
// partial, and which committee to pin when checking an opening (the cref
// active when its partials were posted).
//
// # What a ledger needs (package chain)
//
// §7's rules are the chain's to enforce; this package gives what they
// need cheaply: JoinRequest.Verify and its Hash, H and Label for the
// uniqueness sets; JoinResponse.Verify (one Miller loop over the key's
// precomputed lines) and X; VerifyRecord and CheckRevocation with the
// join records of current(e); IssuerProof.Verify and OpenerProof.Verify
// for a new group; Verify's τ for tag sets keyed by (gref, S). For the
// threshold rules (threshold spec §5): Committee.Verify, Ref and
// GroupRef, VerifyCommitteeAuthorization (VerifyCommitteeAuthorizationBytes
// before decoding) and VerifyCommitteeAbort,
// Approval.Verify against the active committee, ShareProof.Verify,
// Consent.Verify and PartialOpening.Verify, with the objects' Index,
// CommitteeRef, Epoch and SigRef for the one-per-authority rules.
//
// # One algebra, two suites
//
// Everything is written once against the curve interface of
// internal/algebra: suite 0x11 is BLS12-381 (secrets on circl with veil's
// own constant-time G1 and Miller loop, public data on the verify fast
// path over gnark-crypto), suite 0x12 BN254 (gnark-crypto v0.22.0) as §9
// specifies it; the suite byte
// that starts every encoding picks the curve, and inputs of two suites are
// refused with ErrWrongSuite. Hash to G1 is RFC 9380's SSWU suite for
// BLS12-381 (circl G1.Hash) and gnark's bn254.HashToG1 (SVDW, Z = 1) for
// BN254; testdata/kat-v2-bn254.json pins the latter.
//
// # Encodings
//
// Every encoding is suite ‖ kind ‖ body (§1), with strict decoders: any
// other length, trailing bytes, another suite or kind, a point that is
// non-canonical, off the curve, outside its subgroup or the identity, a
// scalar ≥ r, a label (1..64 bytes of UTF-8) or scope (1..255 bytes) out
// of bounds, or an identity key breaking §3.1 is ErrMalformed. Sizes in
// bytes, BLS12-381 / BN254:
//
//	group key (01)              234 / 170
//	issuer proof (02)            66 / 66     opener proof (0A)  98 / 98
//	join request (03)     243+len L / 227+len L
//	join response (04)    155+len L / 139+len L
//	member key (05)             154 / 138
//	signature (06)              370 / 322   tagged (07)      418 / 354
//	opening (08)                146 / 130
//	revocation record (09)  114 + Σ_R(1+len L) + Σ_n(49+len L)   (33 for 49 on BN254)
//	committee (0B)          132 + 96(t−1) + Σ(33+len L_i)  (64(t−1) on BN254)
//	share proof (0C)            195 / 195   consent (0F)    139 / 139
//	partial opening (0D)        283 / 267   approval (10)   139 / 139
//	threshold opening (0E)  75 + 209t / 75 + 193t
//
// Kinds from 0x81 are this project's, for what the spec leaves to the
// implementation: the issuer key (81: γ ‖ gpk_0), the opener key (82:
// ξ1 ‖ ξ2 ‖ gpk_0), the member's join secret (83: y ‖ gpk_0 ‖ request) and
// the issuer's registry (84: gpk_0, then its join records and revocation
// records in ledger order, each length-prefixed; all public) and an
// authority's share (85: cref ‖ u8(i) ‖ ξ1_i ‖ ξ2_i, secret). Files are PEM
// with one block per object ("VEIL GS2 …", see Armor); readers take the
// block of the type they want and also raw bytes or hex, so another
// implementation's objects work as they are.
//
// # Randomness and side channels
//
// Every prover nonce is hedged as §4.1 fixes it: n_i = H_NONCE(kind ‖
// secret ‖ msg ‖ ρ ‖ i) with 32 fresh bytes ρ per operation, values taken
// in the spec's order, zeros (and α + β = 0) skipped; the dealer, share
// proofs and partial openings likewise (kinds 0B, 0C, 0D). A random source that
// fails, or keeps giving values that must be rejected, gives ErrRandom
// after a bounded number of draws, never a hang. For BLS12-381 every
// operation on γ, ξ1, ξ2, x, y, A, the shares, the dealer's
// coefficients and the nonces is constant time (comb
// tables and regular windows in G1, the signer's own Miller loop, circl's
// G2 and scalar arithmetic); verification and every other check of public
// data (decoding, proofs of the issuer, opener, dealer and authorities,
// join records, revocation records) run variable time on gnark-crypto. BN254
// runs on gnark-crypto, which promises no constant time: do not run a
// BN254 signer, issuer or opener where its timing can be measured.
//
// # Measured (2 cores, ratios to PairProduct2 from one run, BENCHMARKS.md)
//
// BLS12-381 verifies on the fast path of internal/algebra: the pairing
// product over the key's precomputed lines on gnark-crypto (the
// baseline BenchmarkGnarkPairPrepared2, ≈ 0.26–0.3 × circl's
// ProdPairFrac), then six SumVT sums (each a chain of 64 doublings
// shared by a T_i and one to three key points: R1, R2, R4, R5 and the
// pairing's two inputs), three decodings whose subgroup checks also give
// z·T_i for the T_i's tables, four compressions and the hash. A CPU
// profile of BenchmarkVerify/bls12-381 splits it pairing 49 % (Miller
// loop 24 %, final exponentiation 23 %), SumVT 32 %, decoding 10 %
// (square roots 2 %), T_i tables 6 %, compression, hashing and
// allocation 3 % — about 2 × the bare prepared-line product, against
// 60 % pairing (circl's final exponentiation 31 %), 22 % GLV/wNAF, 8 %
// fixed-base combs and 7 % decoding before. One run (2 s per benchmark):
// Verify 0.51 × PairProduct2 and 1.92 × GnarkPairPrepared2 (1.26 × and
// 3.8 × before), VerifyTagged 0.68 ×; Sign (still constant time on circl
// and internal/bls12381g1) 0.97 ×, SignTagged 1.13 ×, Open (it verifies)
// 0.91 ×, CheckRevocation 0.053 × per re-issued member. BN254: Verify
// ≈ 1.6–1.8 × its PairProduct2 (≈ 2.1 × before its key points had combs,
// same A/B run), CheckRevocation 0.11 × per member (Pippenger; 0.2 ×
// before). B_S is hashed, and its table built, once per scope and cached.
package groupsig
