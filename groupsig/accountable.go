package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
)

// The conditions of the accountable-opening check (§5), in the order
// they are checked.
const (
	CondOpening     = 1 // the opening (or threshold opening) checks
	CondCurrent     = 2 // A is the member's certificate at e: its response, or the accepted record into e
	CondCertificate = 3 // e(A, w·g2^x) = e(g1_e·H, g2) with the member's x, H
	CondJoinRequest = 4 // the member's request checks and the response answers it
	CondIdentity    = 5 // idpk is the accused's key
)

var condNames = map[int]string{
	CondOpening:     "(1) the opening does not check",
	CondCurrent:     "(2) A is not the member's certificate at this epoch",
	CondCertificate: "(3) A is not a certificate of the member's x and H",
	CondJoinRequest: "(4) the member's join request does not check",
	CondIdentity:    "(5) the join record's identity key is not the accused's",
}

// AccountabilityError says which condition of §5 failed and why. It wraps
// ErrNotAccountable and the underlying error.
type AccountabilityError struct {
	Condition int
	Err       error
}

func (e *AccountabilityError) Error() string {
	return fmt.Sprintf("groupsig: not accountable: %s: %v", condNames[e.Condition], e.Err)
}

// Unwrap returns ErrNotAccountable and the cause.
func (e *AccountabilityError) Unwrap() []error { return []error{ErrNotAccountable, e.Err} }

// Accused is what an accountable opening names: the member's label, its
// Ed25519 identity key and the epoch of the signature.
type Accused struct {
	Label       string
	IdentityKey ed25519.PublicKey
	Epoch       uint64
}

// AccountableOpening is §5's check that the owner of an identity key —
// not the issuer — made sig on msg (in scope, or untagged for nil) at
// gk's epoch e, from public data alone: the opening, the member's join
// record and, when e is not its join epoch, the group's records into
// epochs 1..e (the chain from the first, each proof checked; the caller
// vouches that these are the records the ledger accepted). accused is the
// key the consortium CA binds to the person accused (condition 5); with a
// nil accused that condition is left to the caller, who compares the
// returned IdentityKey itself. A failure is an *AccountabilityError
// naming the first condition that failed.
func AccountableOpening(gk *GroupKey, msg, scope, sig []byte, o *Opening, join *JoinRecord, records []*RevocationRecord, accused ed25519.PublicKey) (*Accused, error) {
	if err := usable(gk); err != nil {
		return nil, &AccountabilityError{Condition: CondOpening, Err: err}
	}
	if err := VerifyOpening(gk, msg, scope, sig, o); err != nil {
		return nil, &AccountabilityError{Condition: CondOpening, Err: err}
	}
	return accountableA(gk, o.a, join, records, accused)
}

// AccountableThresholdOpening is AccountableOpening with a threshold
// opening in place of the opener's (threshold spec §3): condition (1)
// becomes "the threshold opening checks under the committee", and
// (2)–(5) are unchanged. The caller pins the committee: it MUST be the
// one whose cref was active on the ledger when the partials were posted,
// with its t partials on the ledger; a valid opening under another
// dealing of ξ is sound but proves nothing about who opened.
func AccountableThresholdOpening(gk *GroupKey, msg, scope, sig []byte, o *ThresholdOpening, cm *Committee, join *JoinRecord, records []*RevocationRecord, accused ed25519.PublicKey) (*Accused, error) {
	if err := usable(gk); err != nil {
		return nil, &AccountabilityError{Condition: CondOpening, Err: err}
	}
	a, err := o.verify(gk, cm, msg, scope, sig)
	if err != nil {
		return nil, &AccountabilityError{Condition: CondOpening, Err: err}
	}
	return accountableA(gk, a, join, records, accused)
}

// accountableA checks conditions (2)–(5) of §5 for the opened A.
func accountableA(gk *GroupKey, a pointG1, join *JoinRecord, records []*RevocationRecord, accused ed25519.PublicKey) (*Accused, error) {
	fail := func(cond int, err error) (*Accused, error) {
		return nil, &AccountabilityError{Condition: cond, Err: err}
	}
	if join == nil || join.Request == nil || join.Response == nil {
		return fail(CondCurrent, fmt.Errorf("%w: no join record", ErrMalformed))
	}
	req, resp := join.Request, join.Response
	if err := sameSuite("join record", req.c, gk.c); err != nil {
		return fail(CondCurrent, err)
	}
	if err := sameSuite("join response", resp.c, gk.c); err != nil {
		return fail(CondCurrent, err)
	}
	e, c := gk.epoch, gk.c
	if resp.ref != gk.g.ref {
		return fail(CondCurrent, fmt.Errorf("%w: the join response is for another group", ErrWrongGroup))
	}
	switch {
	case resp.epoch > e:
		return fail(CondCurrent, fmt.Errorf("%w: %q joined at epoch %d, after the signature's epoch %d", ErrWrongGroup, resp.label, resp.epoch, e))
	case resp.epoch == e:
		if !c.EqualG1(resp.a, a) {
			return fail(CondCurrent, fmt.Errorf("%w: the opened A is not the one %q was issued at epoch %d", ErrUnknownMember, resp.label, e))
		}
	default:
		into, err := recordInto(gk, records)
		if err != nil {
			return fail(CondCurrent, err)
		}
		ra := into.find(resp.label)
		if ra == nil {
			return fail(CondCurrent, fmt.Errorf("%w: the record into epoch %d does not re-issue %q", ErrRevoked, e, resp.label))
		}
		if !c.EqualG1(ra, a) {
			return fail(CondCurrent, fmt.Errorf("%w: the opened A is not the one the record into epoch %d gives %q", ErrUnknownMember, e, resp.label))
		}
	}
	if !certificateHolds(gk, a, resp.x, req.hy) {
		return fail(CondCertificate, fmt.Errorf("%w: e(A, w·g2^x) ≠ e(g1_e·H, g2) at epoch %d", ErrInvalidKey, e))
	}
	if err := req.Verify(gk); err != nil {
		return fail(CondJoinRequest, err)
	}
	if resp.label != req.label || resp.hreq != req.Hash() {
		return fail(CondJoinRequest, fmt.Errorf("%w: the join response answers another request", ErrWrongGroup))
	}
	if accused != nil && !bytes.Equal(accused, req.idpk) {
		return fail(CondIdentity, errors.New("the join request is signed by another identity key"))
	}
	return &Accused{Label: req.label, IdentityKey: req.IdentityKey(), Epoch: e}, nil
}

// recordInto checks the chain records[0..e-1] from gpk_0 (epochs 1..e,
// prev from zeros, each proof) and returns the record into gk's epoch.
func recordInto(gk *GroupKey, records []*RevocationRecord) (*RevocationRecord, error) {
	e := gk.epoch
	if uint64(len(records)) < e {
		return nil, fmt.Errorf("%w: %d revocation records given, the chain into epoch %d needs %d", ErrInvalidRevocation, len(records), e, e)
	}
	at, err := gk.AtEpoch(0)
	if err != nil {
		return nil, err
	}
	var prev [32]byte
	for _, rec := range records[:e] {
		if at, err = VerifyRecord(at, prev, rec); err != nil {
			return nil, err
		}
		prev = rec.Hash()
	}
	return records[e-1], nil
}
