package bbs04

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so callers branch with errors.Is and still get a message that says
// what was wrong.
var (
	// ErrMalformed: bytes that are not a well-formed encoding (wrong length,
	// a point off the curve or outside the prime-order subgroup, the
	// identity where it is not allowed, a scalar not below the group order).
	ErrMalformed = errors.New("groupsig: malformed encoding")
	// ErrWrongSuite: the leading suite byte names a pairing type this build
	// does not implement, or two inputs name different suites.
	ErrWrongSuite = errors.New("groupsig: unsupported or mismatched suite")
	// ErrWrongGroup: inputs that belong to different groups or epochs, such
	// as a revocation record for another key, an opener key of another group
	// or a member key from a superseded epoch.
	ErrWrongGroup = errors.New("groupsig: wrong group or epoch")
	// ErrInvalidSignature: a well-formed signature that does not verify
	// under the given group public key and message.
	ErrInvalidSignature = errors.New("groupsig: invalid signature")
	// ErrInvalidProof: a well-formed opening proof that does not verify.
	ErrInvalidProof = errors.New("groupsig: invalid opening proof")
	// ErrInvalidKey: a key that fails its own consistency check (a member
	// key whose (A, x) does not satisfy e(A, w·g2^x) = e(g1, g2)).
	ErrInvalidKey = errors.New("groupsig: invalid key")
	// ErrInvalidRevocation: a revocation record whose pairing checks fail.
	ErrInvalidRevocation = errors.New("groupsig: invalid revocation record")
	// ErrRevoked: the member key is the one a revocation record revokes.
	ErrRevoked = errors.New("groupsig: member has been revoked")
	// ErrUnknownMember: a registry has no member under that label or A.
	ErrUnknownMember = errors.New("groupsig: unknown member")
)
