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
	// Threshold opening (threshold.go).
	CodeInvalidCommittee
	CodeInsufficientApprovals
	CodeCommitteeInactive
	CodeNotAuthority
	CodeInvalidProof
	CodeInsufficientConsents
	CodeAlreadyRecorded
	CodeNotOnLedger
	// Validator changes (validators.go).
	CodeUnknownNode
	CodeNoQuorum
	codeCount
)

var codeNames = [codeCount]string{
	"ok", "malformed", "wrong_chain", "unknown_group", "stale_epoch", "bad_signature", "expired",
	"expiry_too_far", "duplicate", "too_large", "bad_admin_signature", "invalid_revocation", "conflict",
	"invalid_join", "already_acted", "tag_required", "topic_closed", "not_allowed",
	"invalid_committee", "insufficient_approvals", "committee_inactive", "not_authority", "invalid_proof",
	"insufficient_consents", "already_recorded", "not_on_ledger",
	"unknown_node", "no_quorum",
}

// Codes lists every validation code, CodeOK first (metrics export a
// zero series for each).
func Codes() []Code {
	out := make([]Code, codeCount)
	for i := range out {
		out[i] = Code(i)
	}
	return out
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
	// ErrInvalidCommittee: a committee that does not decode or check
	// against its group (gref, dealer proof), whose cref was posted for the
	// group before, or whose authorities the chain CA does not certify.
	ErrInvalidCommittee = errors.New("invalid committee")
	// ErrInsufficientApprovals: a rotation without q = max(t, n−t+1) live
	// approvals on the ledger from distinct authorities of the active
	// committee (an admin signature does not authorise a rotation).
	ErrInsufficientApprovals = errors.New("insufficient approvals")
	// ErrCommitteeInactive: an object for a committee that is not the one
	// the rule needs — a share proof for a committee that is not pending,
	// an approval, consent or partial opening for one that is not active
	// (retired, aborted, unknown), an abort of a committee that is not
	// pending or while one is active.
	ErrCommitteeInactive = errors.New("committee not in the required state")
	// ErrNotAuthority: the transaction or its object is not signed by the
	// committee's authority it names (its identity key), or names no
	// authority of the committee.
	ErrNotAuthority = errors.New("not signed by the named authority")
	// ErrInvalidProof: a share proof or partial opening whose signature
	// checks but whose proof does not: evidence against the authority.
	ErrInvalidProof = errors.New("invalid proof")
	// ErrInsufficientConsents: a partial opening before t consents for the
	// signature are on the ledger.
	ErrInsufficientConsents = errors.New("insufficient consents")
	// ErrAlreadyRecorded: the authority already has this object on the
	// ledger (one share proof, consent, partial opening or live approval
	// each).
	ErrAlreadyRecorded = errors.New("already recorded")
	// ErrNotOnLedger: a consent or partial opening for a transaction that
	// is not a committed anonymous transaction of the group, or whose
	// object names another signature or epoch.
	ErrNotOnLedger = errors.New("signature not on the ledger")
	// ErrUnknownNode: a validator change naming a node the ledger does not
	// know as it must: a removal of a node that is not a validator, an
	// addition whose certificate is not a chain-CA node certificate of
	// that id, valid at the block's time.
	ErrUnknownNode = errors.New("unknown node")
	// ErrNoQuorum: a validator change that would leave raft without a
	// quorum: a removal that empties the set, or (at admission, from the
	// admitting node's view of gossip) one after which fewer than a
	// majority of the validators are reachable.
	ErrNoQuorum = errors.New("change would leave the validators without quorum")
)

var codeErrs = [codeCount]error{
	nil, ErrMalformed, ErrWrongChain, ErrUnknownGroup, ErrStaleEpoch, ErrBadSignature, ErrExpired,
	ErrExpiryTooFar, ErrDuplicate, ErrTooLarge, ErrBadAdminSignature, ErrInvalidRevocation, ErrConflict,
	ErrInvalidJoin, ErrAlreadyActed, ErrTagRequired, ErrTopicClosed, ErrNotAllowed,
	ErrInvalidCommittee, ErrInsufficientApprovals, ErrCommitteeInactive, ErrNotAuthority, ErrInvalidProof,
	ErrInsufficientConsents, ErrAlreadyRecorded, ErrNotOnLedger,
	ErrUnknownNode, ErrNoQuorum,
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
