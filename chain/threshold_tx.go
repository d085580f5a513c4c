package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"

	"github.com/veilchain/veil/groupsig"
)

// Threshold opening transactions (SPEC-groupsig-v2-threshold-opening §5):
// the opener key shared t-of-n among named authorities, each of whom acts
// in public on the chain. See doc.go for the bodies and threshold.go for
// the ledger rules.
const (
	// KindCommittee posts a dealing of the group's opener key (0B) with
	// each authority's member certificate from the chain CA. Its body
	// authorises it (Auth is empty): the consortium admin's
	// adsig_ADMIN(cref) for the group's first committee, or, to rotate an
	// active committee, approvals already on the ledger.
	KindCommittee Kind = 8
	// KindApproval posts an authority of the active committee approving a
	// rotation to a new committee until a deadline height (10); the
	// authority's identity key signs it.
	KindApproval Kind = 9
	// KindShareProof posts an authority's proof that it holds its share of
	// the pending committee (0C); the authority's identity key signs it.
	// With the n-th the committee becomes active.
	KindShareProof Kind = 10
	// KindConsent posts an authority's consent (0F) to open the signature
	// of a committed anonymous transaction; the authority's identity key
	// signs it.
	KindConsent Kind = 11
	// KindPartialOpening posts an authority's partial opening (0D) of the
	// signature of a committed anonymous transaction, after t consents;
	// the authority's identity key signs it. With the t-th the ledger
	// records the threshold opening: who signed becomes public.
	KindPartialOpening Kind = 12
	// KindCommitteeAbort posts the consortium admin's adsig_ABORT(cref),
	// which aborts the pending committee while no committee is active.
	// Its body authorises it (Auth is empty).
	KindCommitteeAbort Kind = 13
)

// Limits of the threshold transactions.
const (
	// MaxCommitteeSize bounds a committee's encoding (255 authorities with
	// 64-byte labels at t = 255 on BLS12-381 need 49,293 bytes).
	MaxCommitteeSize = 64 << 10
	// MaxAuthorities bounds a committee's n (the spec's 255).
	MaxAuthorities = groupsig.MaxAuthorities
)

// IsThresholdKind reports whether k is one of the threshold opening's
// kinds (8–13).
func IsThresholdKind(k Kind) bool { return k >= KindCommittee && k <= KindCommitteeAbort }

// bodyAuthorised reports whether a kind's body authorises it, so that its
// Auth is empty.
func bodyAuthorised(k Kind) bool { return k == KindCommittee || k == KindCommitteeAbort }

func (tx *Tx) encodeThreshold(e *encoder) {
	switch tx.Kind {
	case KindCommittee:
		e.bytes32(tx.Committee)
		e.u8(uint8(len(tx.AuthorityCerts)))
		for _, c := range tx.AuthorityCerts {
			e.bytes16(c)
		}
		e.bytes16(tx.AdminSig)
	case KindApproval, KindShareProof:
		e.bytes16(tx.Object)
	case KindConsent, KindPartialOpening:
		e.raw(tx.Subject[:])
		e.bytes16(tx.Object)
	case KindCommitteeAbort:
		e.raw(tx.CommitteeRef[:])
		e.bytes16(tx.AdminSig)
	}
}

func (tx *Tx) decodeThreshold(d *decoder) {
	switch tx.Kind {
	case KindCommittee:
		tx.Committee = d.bytes32(MaxCommitteeSize, "committee")
		n := d.u8("authority count")
		for i := uint8(0); i < n && d.err == nil; i++ {
			tx.AuthorityCerts = append(tx.AuthorityCerts, d.bytes16(MaxCertSize, "authority certificate"))
		}
		tx.AdminSig = d.bytes16(ed25519.SignatureSize, "admin signature")
	case KindApproval, KindShareProof:
		tx.Object = d.bytes16(maxObject, tx.Kind.String())
	case KindConsent, KindPartialOpening:
		d.fixed(tx.Subject[:], "subject transaction id")
		tx.Object = d.bytes16(maxObject, tx.Kind.String())
	case KindCommitteeAbort:
		d.fixed(tx.CommitteeRef[:], "cref")
		tx.AdminSig = d.bytes16(ed25519.SignatureSize, "admin signature")
	}
}

// checkThresholdFields checks a threshold transaction's fields against
// the encoding's limits; the objects are decoded by the ledger.
func (tx *Tx) checkThresholdFields() error {
	switch tx.Kind {
	case KindCommittee:
		n := len(tx.AuthorityCerts)
		if len(tx.Committee) == 0 || len(tx.Committee) > MaxCommitteeSize {
			return errorf(ErrMalformed, "a committee transaction needs its committee (1 to %d bytes)", MaxCommitteeSize)
		}
		if n < groupsig.MinThreshold || n > MaxAuthorities {
			return errorf(ErrMalformed, "a committee names %d to %d authorities, this one %d", groupsig.MinThreshold, MaxAuthorities, n)
		}
		for i, c := range tx.AuthorityCerts {
			if len(c) == 0 || len(c) > MaxCertSize {
				return errorf(ErrMalformed, "authority %d's certificate must be 1 to %d bytes", i+1, MaxCertSize)
			}
		}
		if len(tx.AdminSig) != 0 && len(tx.AdminSig) != ed25519.SignatureSize {
			return errorf(ErrMalformed, "the admin's authorisation is %d bytes, want %d (or none for a rotation)", len(tx.AdminSig), ed25519.SignatureSize)
		}
	case KindCommitteeAbort:
		if len(tx.AdminSig) != ed25519.SignatureSize {
			return errorf(ErrMalformed, "the admin's abort is %d bytes, want %d", len(tx.AdminSig), ed25519.SignatureSize)
		}
	default:
		if len(tx.Object) == 0 {
			return errorf(ErrMalformed, "a %s transaction needs its object", tx.Kind)
		}
	}
	if bodyAuthorised(tx.Kind) {
		if len(tx.Auth) != 0 {
			return errorf(ErrMalformed, "a %s transaction is authorised by its body: auth must be empty", tx.Kind)
		}
		return nil
	}
	if len(tx.Auth) != ed25519.SignatureSize {
		return errorf(ErrMalformed, "Ed25519 signature is %d bytes, want %d", len(tx.Auth), ed25519.SignatureSize)
	}
	return nil
}

// Seal fills the id and size of a transaction whose body authorises it
// (KindCommittee, KindCommitteeAbort: Auth stays empty), after checking
// its fields. Other kinds are signed with SignAdmin or SignAnonymous.
func (tx *Tx) Seal() error {
	if !bodyAuthorised(tx.Kind) {
		return errorf(ErrMalformed, "a %s transaction must be signed, not sealed", tx.Kind)
	}
	tx.Auth = nil
	return tx.seal()
}

// ThresholdRef is what a threshold transaction names, from its bytes
// alone: the committee (the cref posted, approved, proved, consented or
// released under, or aborted), the authority index of an authority's
// object (0 for the committee and its abort) and, for a consent or a
// partial opening, the anonymous transaction whose signature is opened.
type ThresholdRef struct {
	Committee [32]byte
	Old       [32]byte // an approval's cref_old, the approving committee
	Authority int
	Subject   [32]byte
}

// ThresholdRef decodes what tx names; ok is false for another kind or an
// object that does not decode.
func (tx *Tx) ThresholdRef() (ThresholdRef, bool) {
	var r ThresholdRef
	switch tx.Kind {
	case KindCommittee:
		r.Committee = sha256.Sum256(tx.Committee)
	case KindCommitteeAbort:
		r.Committee = tx.CommitteeRef
	case KindApproval:
		var a groupsig.Approval
		if a.UnmarshalBinary(tx.Object) != nil {
			return r, false
		}
		r.Committee, r.Old, r.Authority = a.NewRef(), a.OldRef(), a.Index()
	case KindShareProof:
		var p groupsig.ShareProof
		if p.UnmarshalBinary(tx.Object) != nil {
			return r, false
		}
		r.Committee, r.Authority = p.CommitteeRef(), p.Index()
	case KindConsent:
		var c groupsig.Consent
		if c.UnmarshalBinary(tx.Object) != nil {
			return r, false
		}
		r.Committee, r.Authority, r.Subject = c.CommitteeRef(), c.Index(), tx.Subject
	case KindPartialOpening:
		var p groupsig.PartialOpening
		if p.UnmarshalBinary(tx.Object) != nil {
			return r, false
		}
		r.Committee, r.Authority, r.Subject = p.CommitteeRef(), p.Index(), tx.Subject
	default:
		return r, false
	}
	return r, true
}

// thresholdJSON fills the API view of a threshold transaction.
func (tx *Tx) thresholdJSON(j *TxJSON) {
	if !IsThresholdKind(tx.Kind) {
		return
	}
	hx := hex.EncodeToString
	j.Committee, j.AdminSig, j.Object = hx(tx.Committee), hx(tx.AdminSig), hx(tx.Object)
	for _, c := range tx.AuthorityCerts {
		j.AuthorityCerts = append(j.AuthorityCerts, hx(c))
	}
	if r, ok := tx.ThresholdRef(); ok {
		j.CommitteeRef = hx(r.Committee[:])
		j.Authority = r.Authority
		if tx.Kind == KindConsent || tx.Kind == KindPartialOpening {
			j.Subject = hx(r.Subject[:])
		}
	}
}
