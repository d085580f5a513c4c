package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// The threshold opening's ledger rules (SPEC-groupsig-v2-threshold-opening
// §5), checked by every node alike. A committee is posted pending, becomes
// active with its n-th share proof (retiring the active one), and is
// aborted if superseded, aborted by the admin while none is active, or
// left pending past both expiry limits. Consents and partial openings are
// accepted only under the active committee, for the signature of a
// committed anonymous transaction; the t-th partial completes the opening.

// Expiry of a pending committee (§5's X_T and X_B): it is aborted at the
// end of the first block at least CommitteeExpiryTime of block time and
// CommitteeExpiryBlocks blocks after the block that posted it, so that
// neither a burst of blocks nor a clock jump after an idle spell cuts its
// time short.
const (
	CommitteeExpiryTime   = time.Hour
	CommitteeExpiryBlocks = 100
)

// thresholdView is a block's changes to the threshold state, over the
// committed state.
type thresholdView struct {
	groups   map[string]*thresholdGroup
	openings map[[32]byte]*openingState
	notes    []ThresholdNote
}

func (v *view) thv() *thresholdView {
	if v.th == nil {
		v.th = &thresholdView{groups: map[string]*thresholdGroup{}, openings: map[[32]byte]*openingState{}}
	}
	return v.th
}

// thGroup is a group's threshold state as this view sees it.
func (v *view) thGroup(name string) *thresholdGroup {
	if v.th != nil {
		if t, ok := v.th.groups[name]; ok {
			return t
		}
	}
	v.l.mu.RLock()
	t, ok := v.l.thr[name]
	v.l.mu.RUnlock()
	if !ok {
		return newThresholdGroup()
	}
	return t
}

func (v *view) mutableTh(name string) *thresholdGroup {
	tv := v.thv()
	if t, ok := tv.groups[name]; ok {
		return t
	}
	t := v.thGroup(name).clone()
	tv.groups[name] = t
	return t
}

// opening is the rounds about subject as this view sees them.
func (v *view) opening(subject [32]byte) (*openingState, error) {
	if v.th != nil {
		if o, ok := v.th.openings[subject]; ok {
			return o, nil
		}
	}
	return v.l.loadOpening(subject)
}

// The checked plans of threshold transactions, remembered for Apply.
type (
	committeePlan  struct{ rec *committeeRecord }
	approvalPlan   struct{ a *groupsig.Approval }
	shareProofPlan struct {
		cref [32]byte
		i    int
	}
	actPlan struct {
		subject, cref [32]byte
		what          uint8
		i             int
		act           *openingAct
		done          *completedOpening // the t-th partial's
	}
	abortPlan struct{ cref [32]byte }
)

// checkThreshold applies the rules to a threshold transaction, after
// precheck's chain, expiry and duplicate checks. The Ed25519 signature
// of an authority's transaction, and the admin's authorisation of a
// committee, are checked before anything costly.
func (v *view) checkThreshold(tx *Tx) error {
	g, ok := v.group(tx.Group)
	if !ok {
		return errorf(ErrUnknownGroup, "no group %q", tx.Group)
	}
	th := v.thGroup(tx.Group)
	switch tx.Kind {
	case KindCommittee:
		return v.checkCommittee(tx, g, th)
	case KindCommitteeAbort:
		return v.checkAbort(tx, th)
	case KindApproval:
		return v.checkApproval(tx, th)
	case KindShareProof:
		return v.checkShareProof(tx, g, th)
	case KindConsent, KindPartialOpening:
		return v.checkAct(tx, g, th)
	}
	return errorf(ErrMalformed, "unknown transaction kind %d", tx.Kind)
}

// quorum is q = max(t, n − t + 1): the approvals a rotation of cm needs.
func quorum(cm *groupsig.Committee) int {
	t, n := cm.Threshold(), len(cm.Authorities())
	return max(t, n-t+1)
}

// liveApprovals lists, in increasing order, the authorities of the active
// committee whose approval of next is on the ledger and counts at height
// at (its deadline not passed).
func (th *thresholdGroup) liveApprovals(next [32]byte, at uint64) []int {
	var out []int
	if th.active == nil {
		return nil
	}
	old := th.active.ref()
	for i, r := range th.approvals[next] {
		if r.a.OldRef() == old && r.a.Deadline() >= at {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// checkCommittee: accepted iff its cref was never posted for the group,
// it is authorised (the admin's adsig_ADMIN with no committee active; q
// live approvals from the active committee's authorities otherwise), it
// decodes, its gref is the group's, every authority has a member
// certificate of the chain CA for its label and identity key, and the
// dealer proof checks — in this order, cheapest first.
func (v *view) checkCommittee(tx *Tx, g *group, th *thresholdGroup) error {
	// Who authorised these bytes first: cref and gref need no decoding,
	// and decoding a large committee's points costs up to 0.1 s.
	cref := sha256.Sum256(tx.Committee)
	if prev, ok := th.committees[cref]; ok {
		return errorf(ErrInvalidCommittee, "committee %x was already posted for %q at height %d (a cref is posted once)", cref[:8], g.name, prev.height)
	}
	var prev [32]byte
	var approvers []int
	if th.active == nil {
		if len(tx.AdminSig) == 0 {
			return errorf(ErrBadAdminSignature, "the group's first committee needs the consortium admin's authorisation adsig_ADMIN(cref)")
		}
		if err := groupsig.VerifyCommitteeAuthorizationBytes(v.l.gen.AdminKey, tx.Committee, tx.AdminSig); err != nil {
			return errorf(ErrBadAdminSignature, "%v", err)
		}
	} else {
		if len(tx.AdminSig) != 0 {
			return errorf(ErrMalformed, "a rotation is authorised by approvals alone: post it without the admin's signature")
		}
		got, q := th.liveApprovals(cref, v.base+1), quorum(th.active.cm)
		if len(got) < q {
			old := th.active.ref()
			return errorf(ErrInsufficientApprovals, "rotating %x needs q = %d approvals from its authorities with a deadline at or past height %d; %d are on the ledger",
				old[:8], q, v.base+1, len(got))
		}
		prev, approvers = th.active.ref(), got
	}
	cm := new(groupsig.Committee)
	if err := cm.UnmarshalBinary(tx.Committee); err != nil {
		return errorf(ErrInvalidCommittee, "%v", err)
	}
	if cm.GroupRef() != g.key.Ref() {
		return errorf(ErrInvalidCommittee, "the committee is for another group than %q", g.name)
	}
	auths := cm.Authorities()
	if len(tx.AuthorityCerts) != len(auths) {
		return errorf(ErrInvalidCommittee, "%d certificates for %d authorities", len(tx.AuthorityCerts), len(auths))
	}
	certs := make([][]byte, len(tx.AuthorityCerts))
	for i, c := range tx.AuthorityCerts {
		certs[i] = bytes.Clone(c)
	}
	rec := &committeeRecord{cm: cm, raw: bytes.Clone(tx.Committee), certs: certs, status: committeePending,
		height: v.base + 1, txID: tx.ID(), prev: prev, approvers: approvers, proofs: make([]uint64, len(auths))}
	for i, a := range auths {
		id, err := v.authorityCert(tx.AuthorityCerts[i], a)
		if err != nil {
			return errorf(ErrInvalidCommittee, "authority %d (%q): %v", i+1, a.Label, err)
		}
		rec.orgs = append(rec.orgs, id.Org)
	}
	if err := cm.Verify(g.key); err != nil {
		return errorf(ErrInvalidCommittee, "%v", err)
	}
	v.remember(tx, committeePlan{rec: rec})
	return nil
}

// authorityCert checks that cert is a member certificate of the chain CA,
// valid at the view's time, for the authority's label and identity key.
func (v *view) authorityCert(der []byte, a groupsig.Authority) (*MemberIdentity, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate: %v", err)
	}
	id, err := VerifyMember(c, v.l.ca, v.at)
	if err != nil {
		return nil, err
	}
	if id.Label != a.Label || !bytes.Equal(id.Key, a.IdentityKey) {
		return nil, fmt.Errorf("the certificate is for %q with another key (the chain CA must certify the authority's label and identity key)", id.Label)
	}
	return id, nil
}

// checkAbort: the admin's adsig_ABORT(cref) of the pending committee,
// while no committee is active.
func (v *view) checkAbort(tx *Tx, th *thresholdGroup) error {
	if th.pending == nil || th.pending.ref() != tx.CommitteeRef {
		return errorf(ErrCommitteeInactive, "committee %x is not pending for %q", tx.CommitteeRef[:8], tx.Group)
	}
	if th.active != nil {
		return errorf(ErrCommitteeInactive, "a committee is active: an admin abort applies only before the group's first activation (a rotation expires or is superseded)")
	}
	if err := groupsig.VerifyCommitteeAbort(v.l.gen.AdminKey, th.pending.cm, tx.AdminSig); err != nil {
		return errorf(ErrBadAdminSignature, "%v", err)
	}
	v.remember(tx, abortPlan{cref: tx.CommitteeRef})
	return nil
}

// authoritySigned checks that tx is signed (over its id) by authority i of
// rec's committee.
func authoritySigned(tx *Tx, rec *committeeRecord, i int) error {
	auths := rec.cm.Authorities()
	if i < 1 || i > len(auths) {
		return errorf(ErrNotAuthority, "authority %d: the committee has authorities 1..%d", i, len(auths))
	}
	id := tx.ID()
	if !ed25519.Verify(auths[i-1].IdentityKey, id[:], tx.Auth) {
		return errorf(ErrNotAuthority, "the transaction is not signed by authority %d's identity key (%q)", i, auths[i-1].Label)
	}
	return nil
}

// checkApproval: from an authority of the active committee (transaction
// and sig_i), deadline not passed, for a committee not yet posted, one
// live approval per authority and new committee.
func (v *view) checkApproval(tx *Tx, th *thresholdGroup) error {
	a := new(groupsig.Approval)
	if err := a.UnmarshalBinary(tx.Object); err != nil {
		return errorf(ErrMalformed, "approval: %v", err)
	}
	old := a.OldRef()
	if th.active == nil || th.active.ref() != old {
		return errorf(ErrCommitteeInactive, "the approval is by committee %x, which is not %q's active committee", old[:8], tx.Group)
	}
	if err := authoritySigned(tx, th.active, a.Index()); err != nil {
		return err
	}
	if err := a.Verify(th.active.cm); err != nil {
		return errorf(ErrNotAuthority, "%v", err)
	}
	next := v.base + 1
	if a.Deadline() < next {
		return errorf(ErrExpired, "the approval's deadline %d is before the next block %d", a.Deadline(), next)
	}
	nr := a.NewRef()
	if _, ok := th.committees[nr]; ok {
		return errorf(ErrConflict, "committee %x is already posted", nr[:8])
	}
	if r, ok := th.approvals[nr][a.Index()]; ok && r.a.OldRef() == old && r.a.Deadline() >= next {
		return errorf(ErrAlreadyRecorded, "authority %d already approved %x until height %d", a.Index(), nr[:8], r.a.Deadline())
	}
	v.remember(tx, approvalPlan{a: a})
	return nil
}

// proofError maps a failed check of an authority's proof: after sig_i it
// names the authority (invalid_proof); before, the signature is not the
// authority's.
func proofError(err error) error {
	var ae *groupsig.AuthorityError
	if errors.As(err, &ae) {
		return errorf(ErrInvalidProof, "%v", err)
	}
	return errorf(ErrNotAuthority, "%v", err)
}

// checkShareProof: for the pending committee, signed by the authority it
// names, one per authority, and its proof checks.
func (v *view) checkShareProof(tx *Tx, g *group, th *thresholdGroup) error {
	p := new(groupsig.ShareProof)
	if err := p.UnmarshalBinary(tx.Object); err != nil {
		return errorf(ErrMalformed, "share proof: %v", err)
	}
	cref := p.CommitteeRef()
	if th.pending == nil || th.pending.ref() != cref {
		return errorf(ErrCommitteeInactive, "committee %x is not pending for %q", cref[:8], tx.Group)
	}
	rec := th.pending
	if err := authoritySigned(tx, rec, p.Index()); err != nil {
		return err
	}
	if h := rec.proofs[p.Index()-1]; h != 0 {
		return errorf(ErrAlreadyRecorded, "authority %d's share proof is on the ledger since height %d", p.Index(), h)
	}
	if err := p.Verify(g.key, rec.cm); err != nil {
		return proofError(err)
	}
	v.remember(tx, shareProofPlan{cref: cref, i: p.Index()})
	return nil
}

// subjectTx is the committed anonymous transaction of group whose
// signature a consent or partial opening names.
func (v *view) subjectTx(id [32]byte, group string) (*Tx, error) {
	tx, _, err := v.l.Tx(id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, errorf(ErrNotOnLedger, "transaction %x is not committed in an earlier block (or failed validation)", id[:8])
	case err != nil:
		return nil, fmt.Errorf("look up transaction %x: %w", id[:8], err)
	case tx.Kind != KindAnonymous || tx.Group != group:
		return nil, errorf(ErrNotOnLedger, "transaction %x is not an anonymous transaction of group %q", id[:8], group)
	}
	return tx, nil
}

// checkAct checks a consent or a partial opening: under the active
// committee, signed by the authority it names (transaction and sig_i),
// for the signature of a committed anonymous transaction of the group at
// its epoch, one per authority and signature; a partial also needs t
// consents for the signature on the ledger and §2's check. The t-th
// partial is combined into the threshold opening here.
func (v *view) checkAct(tx *Tx, g *group, th *thresholdGroup) error {
	var cref, sref [32]byte
	var epoch uint64
	var i int
	var cs *groupsig.Consent
	var po *groupsig.PartialOpening
	what := uint8(openConsent)
	if tx.Kind == KindConsent {
		cs = new(groupsig.Consent)
		if err := cs.UnmarshalBinary(tx.Object); err != nil {
			return errorf(ErrMalformed, "consent: %v", err)
		}
		cref, sref, epoch, i = cs.CommitteeRef(), cs.SigRef(), cs.Epoch(), cs.Index()
	} else {
		what = openPartial
		po = new(groupsig.PartialOpening)
		if err := po.UnmarshalBinary(tx.Object); err != nil {
			return errorf(ErrMalformed, "partial opening: %v", err)
		}
		cref, sref, epoch, i = po.CommitteeRef(), po.SigRef(), po.Epoch(), po.Index()
	}
	rec, ok := th.committees[cref]
	if !ok || rec.status != committeeActive {
		state := "unknown"
		if ok {
			state = statusNames[rec.status]
		}
		return errorf(ErrCommitteeInactive, "committee %x is %s, not %q's active committee", cref[:8], state, tx.Group)
	}
	if err := authoritySigned(tx, rec, i); err != nil {
		return err
	}
	if cs != nil {
		if err := cs.Verify(rec.cm); err != nil {
			return errorf(ErrNotAuthority, "%v", err)
		}
	}
	st, err := v.opening(tx.Subject)
	if err != nil {
		return err
	}
	round := st.round(cref)
	acts := round.consents
	if po != nil {
		acts = round.partials
	}
	if a, dup := acts[i]; dup {
		return errorf(ErrAlreadyRecorded, "authority %d already posted its %s for this signature at height %d", i, tx.Kind, a.height)
	}
	subj, err := v.subjectTx(tx.Subject, tx.Group)
	if err != nil {
		return err
	}
	if sha256.Sum256(subj.Auth) != sref || subj.Epoch != epoch {
		return errorf(ErrNotOnLedger, "the %s names another signature or epoch than transaction %x's", tx.Kind, tx.Subject[:8])
	}
	auth := rec.cm.Authorities()[i-1]
	plan := actPlan{subject: tx.Subject, cref: cref, what: what, i: i,
		act: &openingAct{height: v.base + 1, txID: tx.ID(), epoch: epoch, sref: sref, label: auth.Label, idpk: auth.IdentityKey, object: bytes.Clone(tx.Object)}}
	if po != nil {
		t := rec.cm.Threshold()
		if len(round.consents) < t {
			return errorf(ErrInsufficientConsents, "%d consents for this signature under committee %x, a partial opening needs t = %d", len(round.consents), cref[:8], t)
		}
		gk, ok := g.keys[epoch]
		if !ok {
			return fmt.Errorf("group %q has no key at epoch %d", g.name, epoch)
		}
		sid := subj.ID()
		if err := po.Verify(gk, rec.cm, sid[:], txScope(subj), subj.Auth); err != nil {
			return proofError(err)
		}
		if round.done == nil && len(round.partials)+1 == t {
			done, err := v.combine(g, gk, rec, subj, round, po)
			if err != nil {
				return err
			}
			done.height, done.txID = v.base+1, tx.ID()
			plan.done = done
		}
	}
	v.remember(tx, plan)
	return nil
}

// combine builds the threshold opening from the round's partials and the
// new one, and finds the member certified on A at the signature's epoch.
func (v *view) combine(g *group, gk *groupsig.GroupKey, rec *committeeRecord, subj *Tx, round *openingRound, po *groupsig.PartialOpening) (*completedOpening, error) {
	parts := []*groupsig.PartialOpening{po}
	for _, a := range round.partials {
		p := new(groupsig.PartialOpening)
		if err := p.UnmarshalBinary(a.object); err != nil {
			return nil, fmt.Errorf("stored partial opening: %w: %w", err, storage.ErrCorrupt)
		}
		parts = append(parts, p)
	}
	sid := subj.ID()
	o, err := groupsig.CombineOpening(gk, rec.cm, sid[:], txScope(subj), subj.Auth, parts)
	if err != nil {
		return nil, proofError(err)
	}
	a, err := o.Verify(gk, rec.cm, sid[:], txScope(subj), subj.Auth)
	if err != nil {
		return nil, proofError(err)
	}
	enc, _ := o.MarshalBinary()
	label, err := v.memberOf(g, subj.Epoch, a)
	if err != nil {
		return nil, err
	}
	return &completedOpening{opening: enc, a: a, label: label}, nil
}

// memberOf is the label of the member whose certificate at epoch e is A:
// the A of its join response if it joined at e, else the one the record
// into e re-issued it; "" if no member on the ledger holds A.
func (v *view) memberOf(g *group, e uint64, a []byte) (string, error) {
	for _, l := range sortedKeys(g.joins) {
		if r := g.joins[l].rec.Response; r.Epoch() == e && bytes.Equal(r.A(), a) {
			return l, nil
		}
	}
	if e == 0 {
		return "", nil
	}
	raw, err := v.l.db.GetState(revocationKey(g.name, e))
	if err != nil {
		return "", fmt.Errorf("group %q revocation record into epoch %d: %w", g.name, e, err)
	}
	rec := new(groupsig.RevocationRecord)
	if err := rec.UnmarshalBinary(raw); err != nil {
		return "", fmt.Errorf("group %q revocation record into epoch %d: %w: %w", g.name, e, err, storage.ErrCorrupt)
	}
	for _, l := range rec.Reissued() {
		if got, ok := rec.ReissuedA(l); ok && bytes.Equal(got, a) {
			return l, nil
		}
	}
	return "", nil
}

// applyThreshold makes a checked threshold transaction's change in the
// view and the batch.
func (v *view) applyThreshold(tx *Tx, index int, b *Block, batch *storage.Batch) error {
	what, ok := v.checked[tx.ID()]
	if !ok {
		return fmt.Errorf("%s %x was not checked before it was applied", tx.Kind, tx.ID())
	}
	name, height := tx.Group, b.Height
	th := v.mutableTh(name)
	note := func(rec *committeeRecord) {
		n := ThresholdNote{Tx: index, Group: name, Committee: rec.ref(), Status: statusNames[rec.status], Reason: reasonNames[rec.reason]}
		v.th.notes = append(v.th.notes, n)
	}
	end := func(r *committeeRecord, status, reason uint8) {
		c := r.clone()
		c.status, c.reason, c.ended = status, reason, height
		th.set(c)
		batch.PutState(committeeKey(name, c.ref()), c.encode())
		note(c)
	}
	switch p := what.(type) {
	case committeePlan:
		if th.pending != nil {
			end(th.pending, committeeAborted, abortSuperseded)
		}
		rec := p.rec
		rec.time = b.Time
		th.set(rec)
		batch.PutState(committeeKey(name, rec.ref()), rec.encode())
		note(rec)
	case abortPlan:
		end(th.committees[p.cref], committeeAborted, abortAdmin)
	case approvalPlan:
		nr := p.a.NewRef()
		m := make(map[int]*approvalRecord, len(th.approvals[nr])+1)
		for i, r := range th.approvals[nr] {
			m[i] = r
		}
		r := &approvalRecord{a: p.a, height: height, txID: tx.ID()}
		m[p.a.Index()] = r
		th.approvals[nr] = m
		batch.PutState(approvalKey(name, nr, p.a.Index()), r.encode())
	case shareProofPlan:
		rec := th.committees[p.cref].clone()
		rec.proofs[p.i-1] = height
		if rec.proved() < len(rec.proofs) {
			th.set(rec)
			batch.PutState(committeeKey(name, p.cref), rec.encode())
			break
		}
		if th.active != nil {
			end(th.active, committeeRetired, 0)
		}
		rec.status, rec.activated = committeeActive, height
		th.set(rec)
		batch.PutState(committeeKey(name, p.cref), rec.encode())
		note(rec)
	case actPlan:
		tv := v.thv()
		st, err := v.opening(p.subject)
		if err != nil {
			return err
		}
		st = st.clone()
		r := st.cloneRound(p.cref)
		if p.what == openConsent {
			r.consents[p.i] = p.act
		} else {
			r.partials[p.i] = p.act
		}
		batch.PutState(openingKey(p.subject, p.cref, p.what, p.i), p.act.encode())
		if p.done != nil {
			r.done = p.done
			batch.PutState(openingKey(p.subject, p.cref, openCompleted, 0), p.done.encode())
			tv.notes = append(tv.notes, ThresholdNote{Tx: index, Group: name, Committee: p.cref, Status: "opened", Subject: p.subject, Label: p.done.label})
		}
		tv.openings[p.subject] = st
	default:
		return fmt.Errorf("%s %x: unexpected plan %T", tx.Kind, tx.ID(), what)
	}
	return nil
}

// endThresholdBlock aborts every pending committee posted at least
// CommitteeExpiryBlocks blocks and CommitteeExpiryTime of block time
// before block b, and writes the block's notes.
func (v *view) endThresholdBlock(b *Block, batch *storage.Batch) []ThresholdNote {
	names := map[string]bool{}
	v.l.mu.RLock()
	for name := range v.l.thr {
		names[name] = true
	}
	v.l.mu.RUnlock()
	if v.th != nil {
		for name := range v.th.groups {
			names[name] = true
		}
	}
	for _, name := range sortedKeys(names) {
		p := v.thGroup(name).pending
		if p == nil || b.Height-p.height < CommitteeExpiryBlocks || b.Time-p.time < int64(CommitteeExpiryTime) {
			continue
		}
		th := v.mutableTh(name)
		c := p.clone()
		c.status, c.reason, c.ended = committeeAborted, abortExpired, b.Height
		th.set(c)
		batch.PutState(committeeKey(name, c.ref()), c.encode())
		v.th.notes = append(v.th.notes, ThresholdNote{Tx: -1, Group: name, Committee: c.ref(), Status: "aborted", Reason: "expired"})
	}
	if v.th == nil || len(v.th.notes) == 0 {
		return nil
	}
	batch.PutState(notesKey(b.Height), encodeNotes(v.th.notes))
	return v.th.notes
}

// publishThreshold makes a committed block's threshold changes the
// ledger's; the caller holds l.mu.
func (l *Ledger) publishThreshold(v *view) {
	if v.th == nil {
		return
	}
	for name, t := range v.th.groups {
		l.thr[name] = t
	}
}
