package chain

import (
	"errors"
	"fmt"
)

// Code is the stable, machine-readable name of a validation outcome. The
// API returns it, blocks record it for every transaction they hold, and it
// never changes meaning.
type Code uint8

// Validation codes. CodeOK marks a transaction that took effect.
const (
	CodeOK Code = iota
	CodeMalformed
	CodeWrongChain
	CodeUnknownGroup
	CodeStaleEpoch
	CodeBadSignature
	CodeExpired
	CodeExpiryTooFar
	CodeDuplicate
	CodeTooLarge
	CodeBadAdminSignature
	CodeInvalidRevocation
	CodeConflict
	CodeInvalidJoin
	CodeAlreadyActed
	CodeTagRequired
	CodeTopicClosed
	CodeNotAllowed
	codeCount
)

var codeNames = [codeCount]string{
	"ok", "malformed", "wrong_chain", "unknown_group", "stale_epoch", "bad_signature", "expired",
	"expiry_too_far", "duplicate", "too_large", "bad_admin_signature", "invalid_revocation", "conflict",
	"invalid_join", "already_acted", "tag_required", "topic_closed", "not_allowed",
}

// String returns the code's stable name ("stale_epoch", …).
func (c Code) String() string {
	if c < codeCount {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint8(c))
}

// Sentinel errors, one per rule. Every validation error wraps exactly one,
// so callers branch with errors.Is and map to a Code with CodeOf.
var (
	ErrMalformed         = errors.New("malformed")
	ErrWrongChain        = errors.New("wrong chain")
	ErrUnknownGroup      = errors.New("unknown group")
	ErrStaleEpoch        = errors.New("stale epoch")
	ErrBadSignature      = errors.New("bad signature")
	ErrExpired           = errors.New("expired")
	ErrExpiryTooFar      = errors.New("expiry too far ahead")
	ErrDuplicate         = errors.New("duplicate")
	ErrTooLarge          = errors.New("too large")
	ErrBadAdminSignature = errors.New("bad admin signature")
	ErrInvalidRevocation = errors.New("invalid revocation record")
	ErrConflict          = errors.New("conflicts with chain state")
	// ErrInvalidJoin: a join request or response that does not check (its
	// proof, identity signature, member certificate or A), or that reuses
	// a label, H or x of the group.
	ErrInvalidJoin = errors.New("invalid join")
	// ErrAlreadyActed: a tagged topic already holds this member's tag.
	ErrAlreadyActed = errors.New("member already acted on this topic")
	// ErrTagRequired: the topic takes one action per member, and the
	// transaction's signature carries no tag.
	ErrTagRequired = errors.New("tagged signature required")
	// ErrTopicClosed: the topic's closing height has passed.
	ErrTopicClosed = errors.New("topic closed")
	// ErrNotAllowed: the topic's rule does not let the group post.
	ErrNotAllowed = errors.New("group not allowed on topic")
)

var codeErrs = [codeCount]error{
	nil, ErrMalformed, ErrWrongChain, ErrUnknownGroup, ErrStaleEpoch, ErrBadSignature, ErrExpired,
	ErrExpiryTooFar, ErrDuplicate, ErrTooLarge, ErrBadAdminSignature, ErrInvalidRevocation, ErrConflict,
	ErrInvalidJoin, ErrAlreadyActed, ErrTagRequired, ErrTopicClosed, ErrNotAllowed,
}

// CodeOf maps an error to its Code: CodeOK for nil, CodeMalformed for an
// error that wraps no rule's sentinel.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	for c := Code(1); c < codeCount; c++ {
		if errors.Is(err, codeErrs[c]) {
			return c
		}
	}
	return CodeMalformed
}

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
