package groupsig

import "errors"

// Sentinel errors. Every error returned by this package wraps one of them,
// so callers branch with errors.Is and still get a message that says what
// was wrong.
var (
	// ErrMalformed: bytes that are not a well-formed encoding of the kind
	// asked for (§1: wrong length, trailing bytes, wrong kind, a point off
	// the curve, outside its subgroup or the identity, a scalar not below r,
	// a label or scope out of bounds, an Ed25519 key breaking §3.1).
	ErrMalformed = errors.New("groupsig: malformed encoding")
	// ErrWrongSuite: a suite byte this build does not implement, or inputs
	// of two different suites.
	ErrWrongSuite = errors.New("groupsig: unsupported or mismatched suite")
	// ErrWrongGroup: inputs of different groups or epochs (a response for
	// another request, a member key of another epoch, a record for another
	// group).
	ErrWrongGroup = errors.New("groupsig: wrong group or epoch")
	// ErrInvalidSignature: a well-formed group signature that does not
	// verify, or one with a scope where none was expected (or none where
	// one was).
	ErrInvalidSignature = errors.New("groupsig: invalid signature")
	// ErrInvalidProof: a well-formed proof that does not verify: an issuer
	// or opener proof, a join request's proof of y or its identity
	// signature, an opening.
	ErrInvalidProof = errors.New("groupsig: invalid proof")
	// ErrInvalidKey: a key or certificate that fails its own check (a
	// member key or join response whose A does not satisfy the pairing
	// equation, secrets that do not match the group key).
	ErrInvalidKey = errors.New("groupsig: invalid key")
	// ErrInvalidRevocation: a revocation record that does not check: its
	// proof, its chain, its member lists or a re-issued certificate.
	ErrInvalidRevocation = errors.New("groupsig: invalid revocation record")
	// ErrRevoked: the member is revoked by a record.
	ErrRevoked = errors.New("groupsig: member has been revoked")
	// ErrUnknownMember: no member under that label, or A.
	ErrUnknownMember = errors.New("groupsig: unknown member")
	// ErrDuplicate: a label, H or x that the group already used.
	ErrDuplicate = errors.New("groupsig: already used in the group")
	// ErrRandom: the random source failed or kept returning values that
	// had to be rejected; nothing was produced.
	ErrRandom = errors.New("groupsig: random source failed")
	// ErrNotAccountable: an accountable-opening check failed; the error is
	// an *AccountabilityError naming the condition.
	ErrNotAccountable = errors.New("groupsig: opening is not accountable")
)
