package groupsig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// VerifyCommitteeAuthorizationBytes checks adsig_ADMIN(cref) =
// Ed25519(adsk, P_ADMIN ‖ gref ‖ cref) over a committee's encoding before
// it is decoded: the suite byte, gref and cref = SHA-256(committee) are
// all it needs, so that a ledger checks who authorised a committee before
// paying for its points (decoding one with t = 255 takes about 0.1 s).
// The committee still has to decode and Verify; this proves only that
// the admin authorised these bytes.
func VerifyCommitteeAuthorizationBytes(adpk ed25519.PublicKey, committee, adsig []byte) error {
	if len(committee) < 2+32 {
		return fmt.Errorf("%w: committee is %d bytes, too short", ErrMalformed, len(committee))
	}
	c := curveOf(committee[0])
	if c == nil {
		return fmt.Errorf("%w: committee names suite 0x%02x", ErrWrongSuite, committee[0])
	}
	if committee[1] != kindCommittee {
		return fmt.Errorf("%w: committee has kind 0x%02x, want 0x%02x", ErrMalformed, committee[1], kindCommittee)
	}
	pt, err := parseIdentityKey(adpk)
	if err != nil {
		return fmt.Errorf("%w: admin key: %v", ErrMalformed, err)
	}
	cref := sha256.Sum256(committee)
	msg := append(append([]byte(c.dst.admin), committee[2:34]...), cref[:]...)
	if !verifyEd25519(pt, adpk, msg, adsig) {
		return fmt.Errorf("%w: the admin's authorisation of the committee does not verify", ErrInvalidProof)
	}
	return nil
}
