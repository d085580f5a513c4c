package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// CommitteeInfo is the public view of a committee posted for a group.
type CommitteeInfo struct {
	Ref       [32]byte
	Committee *groupsig.Committee
	Raw       []byte // the committee's encoding (0B)
	Threshold int
	// Status is "pending", "active", "retired" or "aborted"; Reason says
	// why an aborted one was: "superseded", "admin" or "expired".
	Status, Reason string
	Height         uint64   // posted at
	Time           int64    // block time it was posted at (Unix ns)
	TxID           [32]byte // the committee transaction
	// Previous is the committee active when it was posted (zero for the
	// group's first, which the admin authorised); Approvers are the
	// authorities of Previous whose approvals authorised the rotation.
	Previous  [32]byte
	Approvers []int
	Activated uint64 // height of its n-th share proof (0: never active)
	Ended     uint64 // height it was retired or aborted at
	// ExpiresAfter is, for a pending committee, the first height and
	// block time (Unix ns) at which a block aborts it (both must be
	// reached).
	ExpiresAfter     uint64
	ExpiresAfterTime int64
	Authorities      []AuthorityInfo // authority i at i−1
}

// AuthorityInfo is one authority of a committee: its label, organisation
// and identity key as its chain-CA member certificate names them, and
// when its share proof was posted.
type AuthorityInfo struct {
	Index       int
	Label       string
	Org         string
	IdentityKey ed25519.PublicKey
	Cert        []byte // DER
	ShareProof  uint64 // height of its share proof; 0: none yet
}

// ApprovalInfo is an approval on the ledger.
type ApprovalInfo struct {
	Old, New  [32]byte // the approving committee and the committee approved
	Authority int      // index in Old
	Label     string
	Deadline  uint64
	Height    uint64
	TxID      [32]byte
	Raw       []byte
}

// CommitteeState is a group's threshold state: its active and pending
// committees (nil when none), every other committee posted for it
// (retired and aborted, by height), and the approvals on the ledger.
type CommitteeState struct {
	Group     string
	Active    *CommitteeInfo
	Pending   *CommitteeInfo
	History   []CommitteeInfo
	Approvals []ApprovalInfo // by new committee, then authority
}

func (r *committeeRecord) info() CommitteeInfo {
	ci := CommitteeInfo{Ref: r.ref(), Committee: r.cm, Raw: slices.Clone(r.raw), Threshold: r.cm.Threshold(),
		Status: statusNames[r.status], Reason: reasonNames[r.reason], Height: r.height, Time: r.time, TxID: r.txID,
		Previous: r.prev, Approvers: slices.Clone(r.approvers), Activated: r.activated, Ended: r.ended}
	if r.status == committeePending {
		ci.ExpiresAfter, ci.ExpiresAfterTime = r.height+CommitteeExpiryBlocks, r.time+int64(CommitteeExpiryTime)
	}
	for i, a := range r.cm.Authorities() {
		ci.Authorities = append(ci.Authorities, AuthorityInfo{Index: i + 1, Label: a.Label, Org: r.orgs[i], IdentityKey: a.IdentityKey,
			Cert: slices.Clone(r.certs[i]), ShareProof: r.proofs[i]})
	}
	return ci
}

// Committees returns a group's threshold state.
func (l *Ledger) Committees(group string) (CommitteeState, error) {
	l.mu.RLock()
	_, ok := l.groups[group]
	th := l.thr[group]
	l.mu.RUnlock()
	if !ok {
		return CommitteeState{}, errorf(ErrUnknownGroup, "no group %q", group)
	}
	cs := CommitteeState{Group: group}
	if th == nil {
		return cs, nil
	}
	for _, r := range th.committees {
		ci := r.info()
		switch r.status {
		case committeeActive:
			cs.Active = &ci
		case committeePending:
			cs.Pending = &ci
		default:
			cs.History = append(cs.History, ci)
		}
	}
	sort.Slice(cs.History, func(i, j int) bool {
		a, b := cs.History[i], cs.History[j]
		return a.Height < b.Height || a.Height == b.Height && bytes.Compare(a.Ref[:], b.Ref[:]) < 0
	})
	for next, m := range th.approvals {
		for i, r := range m {
			ai := ApprovalInfo{Old: r.a.OldRef(), New: next, Authority: i, Deadline: r.a.Deadline(), Height: r.height, TxID: r.txID}
			ai.Raw, _ = r.a.MarshalBinary()
			if old, ok := th.committees[ai.Old]; ok && i <= len(old.cm.Authorities()) {
				ai.Label = old.cm.Authorities()[i-1].Label
			}
			cs.Approvals = append(cs.Approvals, ai)
		}
	}
	sort.Slice(cs.Approvals, func(i, j int) bool {
		a, b := cs.Approvals[i], cs.Approvals[j]
		if c := bytes.Compare(a.New[:], b.New[:]); c != 0 {
			return c < 0
		}
		return a.Authority < b.Authority
	})
	return cs, nil
}

// Committee returns the committee cref posted for group, in any status.
func (l *Ledger) Committee(group string, cref [32]byte) (CommitteeInfo, bool) {
	l.mu.RLock()
	th := l.thr[group]
	l.mu.RUnlock()
	if th == nil {
		return CommitteeInfo{}, false
	}
	r, ok := th.committees[cref]
	if !ok {
		return CommitteeInfo{}, false
	}
	return r.info(), true
}

// OpeningAct is one authority's consent or partial opening on the
// ledger: (sref, e, cref, i, L_i, idpk_i, height), with its transaction
// and object.
type OpeningAct struct {
	Authority   int
	Label       string
	IdentityKey ed25519.PublicKey
	Epoch       uint64
	SigRef      [32]byte
	Height      uint64
	TxID        [32]byte
	Object      []byte // the consent (0F) or partial opening (0D)
}

// CompletedOpening is the threshold opening the ledger recorded at the
// t-th partial: public, it names the signer to anyone.
type CompletedOpening struct {
	Opening []byte // the threshold opening (0E)
	A       []byte // the certificate it names, compressed
	// Label is the member certified on A at the signature's epoch, from
	// its join response or the revocation record into the epoch; "" if
	// no member on the ledger holds A (a certificate made outside the
	// register: the issuer's doing).
	Label  string
	Height uint64
	TxID   [32]byte // the t-th partial's transaction
}

// OpeningRound is what one committee's authorities did about a
// signature.
type OpeningRound struct {
	Committee [32]byte
	Status    string // the committee's status now
	Threshold int
	Consents  []OpeningAct // by authority index
	Partials  []OpeningAct
	Completed *CompletedOpening
}

// Openings is the record about one committed anonymous transaction's
// signature: every round, under each committee that was active when its
// consents and partials were posted.
type Openings struct {
	Subject [32]byte
	Group   string
	Epoch   uint64
	SigRef  [32]byte // SHA-256 of the signature
	Height  uint64   // the transaction's
	Rounds  []OpeningRound
}

// Completed returns the first completed opening of the record, if any,
// with its round.
func (o *Openings) Completed() (*OpeningRound, bool) {
	for i := range o.Rounds {
		if o.Rounds[i].Completed != nil {
			return &o.Rounds[i], true
		}
	}
	return nil, false
}

func acts(m map[int]*openingAct) []OpeningAct {
	out := make([]OpeningAct, 0, len(m))
	for i, a := range m {
		out = append(out, OpeningAct{Authority: i, Label: a.label, IdentityKey: slices.Clone(a.idpk), Epoch: a.epoch, SigRef: a.sref,
			Height: a.height, TxID: a.txID, Object: slices.Clone(a.object)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Authority < out[j].Authority })
	return out
}

// Openings returns the record about the signature of the committed
// anonymous transaction subject. It returns an error wrapping
// storage.ErrNotFound for a transaction not committed, and ErrNotOnLedger
// for one that is not anonymous.
func (l *Ledger) Openings(subject [32]byte) (*Openings, error) {
	tx, loc, err := l.Tx(subject)
	if err != nil {
		return nil, err
	}
	if tx.Kind != KindAnonymous {
		return nil, errorf(ErrNotOnLedger, "transaction %x is %s, not anonymous", subject[:8], tx.Kind)
	}
	st, err := l.loadOpening(subject)
	if err != nil {
		return nil, err
	}
	out := &Openings{Subject: subject, Group: tx.Group, Epoch: tx.Epoch, SigRef: sha256.Sum256(tx.Auth), Height: loc.Height}
	for cref, r := range st.rounds {
		or := OpeningRound{Committee: cref, Consents: acts(r.consents), Partials: acts(r.partials)}
		if ci, ok := l.Committee(tx.Group, cref); ok {
			or.Status, or.Threshold = ci.Status, ci.Threshold
		}
		if d := r.done; d != nil {
			or.Completed = &CompletedOpening{Opening: slices.Clone(d.opening), A: slices.Clone(d.a), Label: d.label, Height: d.height, TxID: d.txID}
		}
		out.Rounds = append(out.Rounds, or)
	}
	first := func(r OpeningRound) uint64 {
		if len(r.Consents) == 0 {
			return 0
		}
		h := r.Consents[0].Height
		for _, a := range r.Consents {
			h = min(h, a.Height)
		}
		return h
	}
	sort.Slice(out.Rounds, func(i, j int) bool {
		a, b := out.Rounds[i], out.Rounds[j]
		return first(a) < first(b) || first(a) == first(b) && bytes.Compare(a.Committee[:], b.Committee[:]) < 0
	})
	return out, nil
}

// ThresholdNotes returns the threshold notes of the block at height (none
// for most blocks).
func (l *Ledger) ThresholdNotes(height uint64) ([]ThresholdNote, error) {
	raw, err := l.db.GetState(notesKey(height))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	notes, err := decodeNotes(raw)
	if err != nil {
		return nil, fmt.Errorf("block %d threshold notes: %w: %w", height, err, storage.ErrCorrupt)
	}
	return notes, nil
}
