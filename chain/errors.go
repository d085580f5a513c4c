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
	codeCount
)

var codeNames = [codeCount]string{
	"ok", "malformed", "wrong_chain", "unknown_group", "stale_epoch", "bad_signature", "expired",
	"expiry_too_far", "duplicate", "too_large", "bad_admin_signature", "invalid_revocation", "conflict",
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
)

var codeErrs = [codeCount]error{
	nil, ErrMalformed, ErrWrongChain, ErrUnknownGroup, ErrStaleEpoch, ErrBadSignature, ErrExpired,
	ErrExpiryTooFar, ErrDuplicate, ErrTooLarge, ErrBadAdminSignature, ErrInvalidRevocation, ErrConflict,
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
