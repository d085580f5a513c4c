package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
)

// reopenable gives the fixture a ledger in dir, so that a test can close
// and reopen it.
func (f *fixture) reopenable(dir string) *storage.DB {
	f.t.Helper()
	db, err := storage.Open(dir, storage.DefaultOptions())
	if err != nil {
		f.t.Fatal(err)
	}
	if f.ledger, err = Open(db, f.gen, Config{}); err != nil {
		f.t.Fatal(err)
	}
	f.pool = NewMempool(f.ledger, MempoolConfig{})
	return db
}

func mustCommittees(t *testing.T, l *Ledger) CommitteeState {
	t.Helper()
	cs, err := l.Committees("acme")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestThresholdOpeningFlow runs a 2-of-3 committee from its posting to a
// completed opening, the record of who did what, and a restart and a
// replica that keep it all.
func TestThresholdOpeningFlow(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	dir := t.TempDir()
	db := f.reopenable(dir)
	d := f.deal(f.ok, 2, f.authorities("regulator", "acme-audit", "globex-audit"))
	cref := d.cm.Ref()
	subj := f.anonTx("alice", "orders", "pay 10")
	f.want("committee and subject", []*Tx{f.firstCommitteeTx(d), subj}, CodeOK, CodeOK)
	cs := mustCommittees(t, f.ledger)
	if cs.Pending == nil || cs.Pending.Ref != cref || cs.Active != nil || cs.Pending.Authorities[2].Org != "org-globex-audit" {
		t.Fatalf("after posting: %+v", cs)
	}
	f.refuse("consent before activation", f.consentTx(d, subj, 1), CodeCommitteeInactive)
	a := f.ledger.Head().Height
	f.activate(d)
	cs = mustCommittees(t, f.ledger)
	if cs.Active == nil || cs.Active.Ref != cref || cs.Pending != nil || cs.Active.Activated != a+1 || cs.Active.Authorities[1].ShareProof != a+1 {
		t.Fatalf("after the share proofs: %+v", cs)
	}
	if notes, _ := f.ledger.ThresholdNotes(a + 1); len(notes) != 1 || notes[0].Status != "active" || notes[0].Tx != 2 {
		t.Fatalf("activation notes: %+v", notes)
	}

	// One authority alone: its consent sits on chain, nothing is revealed.
	c1, c2 := f.consent(d, subj, 1), f.consent(d, subj, 2)
	both := []*groupsig.Consent{c1, c2}
	f.want("first consent", []*Tx{f.authTx(KindConsent, marshal(t, c1), subj.ID(), d.auths[0].id)}, CodeOK)
	f.refuse("partial before t consents", f.partialTx(d, subj, 1, both), CodeInsufficientConsents)
	f.refuse("second consent of one authority", f.consentTx(d, subj, 1), CodeAlreadyRecorded)
	f.want("second consent", []*Tx{f.authTx(KindConsent, marshal(t, c2), subj.ID(), d.auths[1].id)}, CodeOK)
	f.want("first partial", []*Tx{f.partialTx(d, subj, 1, both)}, CodeOK)
	op, err := f.ledger.Openings(subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	if len(op.Rounds) != 1 || len(op.Rounds[0].Consents) != 2 || len(op.Rounds[0].Partials) != 1 || op.Rounds[0].Completed != nil {
		t.Fatalf("after one partial: %+v", op)
	}
	f.refuse("second partial of one authority", f.partialTx(d, subj, 1, both), CodeAlreadyRecorded)
	f.want("second partial", []*Tx{f.partialTx(d, subj, 2, both)}, CodeOK)
	openedAt := f.ledger.Head().Height
	op, err = f.ledger.Openings(subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	round, ok := op.Completed()
	if !ok || round.Completed.Label != "alice" || round.Completed.Height != openedAt || round.Status != "active" || round.Threshold != 2 {
		t.Fatalf("after t partials: %+v", op)
	}
	gi, _ := f.ledger.Group("acme")
	alice, _ := gi.Member("alice")
	if !bytes.Equal(round.Completed.A, alice.Record.Response.A()) || round.Consents[1].Label != "acme-audit" || round.Consents[0].SigRef != sha256.Sum256(subj.Auth) {
		t.Fatalf("the record does not name alice or the consenters: %+v", round)
	}
	var o groupsig.ThresholdOpening
	if err := o.UnmarshalBinary(round.Completed.Opening); err != nil {
		t.Fatal(err)
	}
	id := subj.ID()
	if got, err := o.Verify(f.gk, d.cm, id[:], nil, subj.Auth); err != nil || !bytes.Equal(got, alice.Record.Response.A()) {
		t.Fatalf("the recorded opening does not check: %v", err)
	}
	if notes, _ := f.ledger.ThresholdNotes(openedAt); len(notes) != 1 || notes[0].Status != "opened" || notes[0].Label != "alice" || notes[0].Subject != subj.ID() {
		t.Fatalf("opening notes: %+v", notes)
	}
	// A third partial after completion is recorded too: who released is public.
	c3 := f.consent(d, subj, 3)
	f.want("third consent and partial", []*Tx{f.authTx(KindConsent, marshal(t, c3), subj.ID(), d.auths[2].id)}, CodeOK)
	f.want("third partial", []*Tx{f.partialTx(d, subj, 3, both)}, CodeOK)

	// Restart: the committee and the opening record survive, and so do
	// the one-per-authority rules.
	head := f.ledger.Head()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	f.reopenable(dir)
	if f.ledger.Head() != head {
		t.Fatal("head changed across the restart")
	}
	cs2 := mustCommittees(t, f.ledger)
	if cs2.Active == nil || cs2.Active.Ref != cref || cs2.Active.Activated != cs.Active.Activated {
		t.Fatalf("committee after restart: %+v", cs2)
	}
	op2, err := f.ledger.Openings(subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := op2.Completed(); !ok || r.Completed.Label != "alice" || len(r.Partials) != 3 || !bytes.Equal(r.Completed.Opening, round.Completed.Opening) {
		t.Fatalf("openings after restart: %+v", op2)
	}
	f.refuse("consent after restart", f.consentTx(d, subj, 2), CodeAlreadyRecorded)

	// A replica applying the same blocks (a snapshot restore catches up
	// this way) reaches the same state.
	replica := f.open(t.TempDir())
	for h := uint64(1); h <= f.ledger.Head().Height; h++ {
		raw, _ := f.ledger.RawBlock(h)
		if _, err := replica.Apply(context.Background(), raw); err != nil {
			t.Fatalf("replica block %d: %v", h, err)
		}
	}
	rcs, _ := replica.Committees("acme")
	rop, err := replica.Openings(subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	if rcs.Active == nil || rcs.Active.Ref != cref || len(rop.Rounds) != 1 || rop.Rounds[0].Completed == nil || rop.Rounds[0].Completed.Label != "alice" {
		t.Fatalf("replica: %+v %+v", rcs, rop)
	}
	if rn, _ := replica.ThresholdNotes(openedAt); len(rn) != 1 || rn[0].Status != "opened" {
		t.Fatalf("replica notes: %+v", rn)
	}
}

// TestThresholdRefusals checks every refusal of a consent, partial and
// share proof with its code.
func TestThresholdRefusals(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	d := f.deal(f.ok, 2, f.authorities("regulator", "acme-audit", "globex-audit"))
	subj := f.anonTx("alice", "orders", "pay 10")
	f.want("committee", []*Tx{f.firstCommitteeTx(d), subj}, CodeOK, CodeOK)
	suite := f.gk.Suite()

	// Share proofs: an authority signing as another, a bad proof (signed:
	// it names the authority), a duplicate.
	p1, err := groupsig.NewShareProof(f.gk, d.cm, d.shares[0], d.auths[0].id, f.rnd)
	if err != nil {
		t.Fatal(err)
	}
	f.refuse("share proof posted by another authority", f.authTx(KindShareProof, marshal(t, p1), [32]byte{}, d.auths[1].id), CodeNotAuthority)
	bad := marshal(t, p1)
	bad[2+32+1+31] ^= 1 // c
	f.refuse("share proof with a bad proof", f.authTx(KindShareProof, resign(suite, bad, d.auths[0].id), [32]byte{}, d.auths[0].id), CodeInvalidProof)
	f.refuse("share proof with a forged sig_i", f.authTx(KindShareProof, resign(suite, marshal(t, p1), d.auths[1].id), [32]byte{}, d.auths[0].id), CodeNotAuthority)
	f.want("share proof", []*Tx{f.authTx(KindShareProof, marshal(t, p1), [32]byte{}, d.auths[0].id)}, CodeOK)
	f.refuse("second share proof", f.shareProofTx(d, 1), CodeAlreadyRecorded)
	f.want("the other share proofs", []*Tx{f.shareProofTx(d, 2), f.shareProofTx(d, 3)}, CodeOK, CodeOK)
	f.refuse("share proof for an active committee", f.shareProofTx(d, 2), CodeCommitteeInactive)

	// Consents: forged, signed as another, for transactions that are not
	// on the ledger, failed, or not anonymous, naming another signature.
	c1 := marshal(t, f.consent(d, subj, 1))
	forged := bytes.Clone(c1)
	forged[len(forged)-1] ^= 1
	f.refuse("forged consent (bad sig_i)", f.authTx(KindConsent, forged, subj.ID(), d.auths[0].id), CodeNotAuthority)
	f.refuse("consent posted with another authority's key", f.authTx(KindConsent, c1, subj.ID(), d.auths[1].id), CodeNotAuthority)
	f.refuse("consent re-signed by another authority", f.authTx(KindConsent, resign(suite, c1, d.auths[1].id), subj.ID(), d.auths[0].id), CodeNotAuthority)
	pending := f.anonTx("bob", "orders", "never committed")
	f.refuse("consent for a transaction not on the ledger", f.consentTx(d, pending, 1), CodeNotOnLedger)
	failed := f.anonTx("bob", "orders", "fails")
	failed.Auth = bytes.Clone(failed.Auth)
	failed.Auth[len(failed.Auth)-1] ^= 1
	failed, _ = DecodeTx(failed.Encode())
	if c := f.commit(failed); c[0] != CodeBadSignature {
		t.Fatalf("forged signature: %v", c[0])
	}
	cf, err := groupsig.NewConsent(d.cm, failed.Epoch, failed.Auth, 1, d.auths[0].id)
	if err != nil {
		t.Fatal(err)
	}
	f.refuse("consent for a transaction that failed", f.authTx(KindConsent, marshal(t, cf), failed.ID(), d.auths[0].id), CodeNotOnLedger)
	ruleTx := f.topicTx("rules", TopicRule{})
	f.want("a topic rule", []*Tx{ruleTx}, CodeOK)
	f.refuse("consent naming a non-anonymous transaction", f.authTx(KindConsent, c1, ruleTx.ID(), d.auths[0].id), CodeNotOnLedger)
	other := f.anonTx("bob", "orders", "other")
	f.want("another transaction", []*Tx{other}, CodeOK)
	f.refuse("consent naming another signature", f.authTx(KindConsent, c1, other.ID(), d.auths[0].id), CodeNotOnLedger)
	f.refuse("consent of an unknown group", f.admin1(&Tx{Kind: KindConsent, Group: "nope", Object: c1, Subject: subj.ID()}, d.auths[0].id), CodeUnknownGroup)

	// Partials: before t consents (the consent objects exist, off the
	// ledger), a wrong share (its proof fails: invalid_proof, naming the
	// authority), a partial for another signature.
	c2 := f.consent(d, subj, 2)
	both := []*groupsig.Consent{f.consent(d, subj, 1), c2}
	f.want("consent 1", []*Tx{f.authTx(KindConsent, c1, subj.ID(), d.auths[0].id)}, CodeOK)
	f.refuse("partial before t consents", f.partialTx(d, subj, 1, both), CodeInsufficientConsents)
	f.want("consent 2", []*Tx{f.authTx(KindConsent, marshal(t, c2), subj.ID(), d.auths[1].id)}, CodeOK)
	wrong := marshal(t, f.partial(d, subj, 1, both))
	wrong[len(wrong)-ed25519.SignatureSize-32-1] ^= 1 // s1's last byte
	f.refuse("partial of a wrong share", f.authTx(KindPartialOpening, resign(suite, wrong, d.auths[0].id), subj.ID(), d.auths[0].id), CodeInvalidProof)
	f.refuse("partial with a forged sig_i", f.authTx(KindPartialOpening, resign(suite, wrong, d.auths[2].id), subj.ID(), d.auths[0].id), CodeNotAuthority)
	p := marshal(t, f.partial(d, subj, 1, both))
	f.refuse("partial naming another transaction", f.authTx(KindPartialOpening, p, other.ID(), d.auths[0].id), CodeNotOnLedger)
	offLedger := f.partial(d, pending, 1, []*groupsig.Consent{f.consent(d, pending, 1), f.consent(d, pending, 2)})
	f.refuse("partial for a signature not on the ledger", f.authTx(KindPartialOpening, marshal(t, offLedger), pending.ID(), d.auths[0].id), CodeNotOnLedger)
	d3 := f.deal(f.ok, 2, d.auths)
	f.refuse("partial of an unknown committee's", f.authTx(KindPartialOpening, marshal(t, f.partial(d3, subj, 1, []*groupsig.Consent{f.consent(d3, subj, 1), f.consent(d3, subj, 2)})), subj.ID(), d.auths[0].id), CodeCommitteeInactive)
	f.want("partial", []*Tx{f.authTx(KindPartialOpening, p, subj.ID(), d.auths[0].id)}, CodeOK)

	// Committee squatting: the same cref again, a committee with no or a
	// forged admin signature, another group's, an authority without a
	// certificate for its key.
	f.refuse("the committee posted again", f.firstCommitteeTx(d), CodeInvalidCommittee)
	d2 := f.deal(f.ok, 2, f.authorities("x", "y", "z"))
	f.refuse("a rotation without approvals", f.committeeTx(d2, nil), CodeInsufficientApprovals)
	f.refuse("a rotation with an admin signature", f.firstCommitteeTx(d2), CodeMalformed)
}

// TestCommitteeSquattingBeforeActivation: with no committee active, only
// the admin's authorisation counts, the certificates must name the
// authorities, and the committee must be the group's.
func TestCommitteeSquattingBeforeActivation(t *testing.T) {
	f := newFixture(t, "alice")
	as := f.authorities("regulator", "acme-audit", "globex-audit")
	d := f.deal(f.ok, 2, as)
	f.refuse("no admin signature", f.committeeTx(d, nil), CodeBadAdminSignature)
	forged, _ := groupsig.AuthorizeCommittee(f.issuer, f.gk, d.cm) // the issuer is not the consortium admin
	f.refuse("another key's signature", f.committeeTx(d, forged), CodeBadAdminSignature)
	abort, _ := groupsig.AbortCommittee(f.admin, d.cm)
	f.refuse("an abort in place of the authorisation", f.committeeTx(d, abort), CodeBadAdminSignature)
	swapped := f.firstCommitteeTx(d)
	swapped.AuthorityCerts = [][]byte{as[1].cert, as[0].cert, as[2].cert}
	_ = swapped.Seal()
	f.refuse("certificates of other authorities", swapped, CodeInvalidCommittee)
	// Bytes the admin signed that do not decode (a point off the curve).
	garbled := d.raw()
	garbled[2+32+2] ^= 0x1f
	gc := sha256.Sum256(garbled)
	gsig := ed25519.Sign(f.admin, append(append([]byte("VEIL-GS2-BLS12381-COMMITTEE-ADMIN"), garbled[2:34]...), gc[:]...))
	f.refuse("a committee that does not decode", f.sealed(&Tx{Kind: KindCommittee, Group: "acme", Committee: garbled, AuthorityCerts: certsOf(as), AdminSig: gsig}), CodeInvalidCommittee)
	_, _, otherOK, _, _, _ := groupsig.Setup(groupsig.SuiteBLS12381, f.rnd)
	od := f.deal(otherOK, 2, as)
	adsig, _ := groupsig.AuthorizeCommittee(f.admin, otherOK.GroupKey(), od.cm)
	f.refuse("another group's committee", f.committeeTx(od, adsig), CodeInvalidCommittee)
	// Admin aborts: only of the pending committee, by the admin.
	f.want("committee", []*Tx{f.firstCommitteeTx(d)}, CodeOK)
	wrongAbort, _ := groupsig.AbortCommittee(f.issuer, d.cm)
	f.refuse("abort by another key", f.sealed(&Tx{Kind: KindCommitteeAbort, Group: "acme", CommitteeRef: d.cm.Ref(), AdminSig: wrongAbort}), CodeBadAdminSignature)
	f.refuse("abort of an unknown committee", f.sealed(&Tx{Kind: KindCommitteeAbort, Group: "acme", CommitteeRef: [32]byte{1}, AdminSig: abort}), CodeCommitteeInactive)
	f.want("abort", []*Tx{f.sealed(&Tx{Kind: KindCommitteeAbort, Group: "acme", CommitteeRef: d.cm.Ref(), AdminSig: abort})}, CodeOK)
	cs := mustCommittees(t, f.ledger)
	if cs.Pending != nil || len(cs.History) != 1 || cs.History[0].Status != "aborted" || cs.History[0].Reason != "admin" {
		t.Fatalf("after the abort: %+v", cs)
	}
	f.refuse("a share proof for an aborted committee", f.shareProofTx(d, 1), CodeCommitteeInactive)
	f.refuse("an aborted cref posted again", f.firstCommitteeTx(d), CodeInvalidCommittee)
	// The first dealer keeps ξ across aborts and deals again; a second
	// posting supersedes a pending one; an abort while active is refused.
	d2, d3 := f.deal(f.ok, 2, as), f.deal(f.ok, 2, as)
	f.want("a second dealing, superseded by a third", []*Tx{f.firstCommitteeTx(d2), f.firstCommitteeTx(d3)}, CodeOK, CodeOK)
	cs = mustCommittees(t, f.ledger)
	if cs.Pending == nil || cs.Pending.Ref != d3.cm.Ref() || cs.History[1].Reason != "superseded" {
		t.Fatalf("after superseding: %+v", cs)
	}
	f.activate(d3)
	abort3, _ := groupsig.AbortCommittee(f.admin, d3.cm)
	f.refuse("abort of an active committee", f.sealed(&Tx{Kind: KindCommitteeAbort, Group: "acme", CommitteeRef: d3.cm.Ref(), AdminSig: abort3}), CodeCommitteeInactive)
}

// TestCommitteeRotation: t holders rebuild ξ for a dealer, q authorities
// approve before their deadline, the old committee stays active until the
// new one activates, then is retired: its consents and partials are
// refused, openings under way restart.
func TestCommitteeRotation(t *testing.T) {
	f := newFixture(t, "alice")
	old := f.deal(f.ok, 2, f.authorities("regulator", "acme-audit", "globex-audit"))
	subj := f.anonTx("alice", "orders", "pay 10")
	f.want("first committee", []*Tx{f.firstCommitteeTx(old), subj}, CodeOK, CodeOK)
	f.activate(old)
	f.want("a consent under the old committee", []*Tx{f.consentTx(old, subj, 1)}, CodeOK)

	xi, err := groupsig.RecoverOpenerKey(f.gk, old.cm, old.shares[1:])
	if err != nil {
		t.Fatal(err)
	}
	next := f.deal(xi, 3, f.authorities("regulator-2", "acme-2", "globex-2", "initech-2"))
	nref := next.cm.Ref()
	approve := func(i int, deadline uint64) *Tx {
		a, err := groupsig.NewApproval(f.gk, old.cm, next.cm, deadline, i, old.auths[i-1].id)
		if err != nil {
			t.Fatal(err)
		}
		return f.authTx(KindApproval, marshal(t, a), [32]byte{}, old.auths[i-1].id)
	}
	h := f.ledger.Head().Height
	f.refuse("an approval past its deadline", approve(1, h), CodeExpired)
	f.refuse("an approval posted by another authority", f.authTx(KindApproval, approve(1, h+50).Object, [32]byte{}, old.auths[1].id), CodeNotAuthority)
	h = f.ledger.Head().Height
	f.want("one approval with a short deadline", []*Tx{approve(1, h+3)}, CodeOK)
	f.refuse("a second live approval of one authority", approve(1, h+50), CodeAlreadyRecorded)
	f.refuse("one approval is not q = 2", f.committeeTx(next, nil), CodeInsufficientApprovals)
	f.want("a second approval", []*Tx{approve(2, h+50)}, CodeOK)
	// Authority 1's approval has passed its deadline by now: q is not met.
	f.commit()
	f.refuse("a rotation past an approval's deadline", f.committeeTx(next, nil), CodeInsufficientApprovals)
	f.want("authority 1 approves again, authority 3 too", []*Tx{approve(1, h+50), approve(3, h+50)}, CodeOK, CodeOK)
	f.want("the rotation", []*Tx{f.committeeTx(next, nil)}, CodeOK)
	f.refuse("an approval of a posted committee", approve(3, h+60), CodeConflict)
	cs := mustCommittees(t, f.ledger)
	if cs.Active == nil || cs.Active.Ref != old.cm.Ref() || cs.Pending == nil || cs.Pending.Ref != nref || cs.Pending.Previous != old.cm.Ref() ||
		len(cs.Pending.Approvers) != 3 || len(cs.Approvals) != 3 {
		t.Fatalf("after posting the rotation: %+v", cs)
	}
	// The old committee still opens until the new one activates.
	f.want("a second consent under the old committee", []*Tx{f.consentTx(old, subj, 2)}, CodeOK)
	f.activate(next)
	cs = mustCommittees(t, f.ledger)
	if cs.Active == nil || cs.Active.Ref != nref || len(cs.History) != 1 || cs.History[0].Status != "retired" {
		t.Fatalf("after activating the rotation: %+v", cs)
	}
	both := []*groupsig.Consent{f.consent(old, subj, 1), f.consent(old, subj, 2)}
	f.refuse("a partial under the retired committee", f.partialTx(old, subj, 1, both), CodeCommitteeInactive)
	f.refuse("a consent under the retired committee", f.consentTx(old, subj, 3), CodeCommitteeInactive)
	f.refuse("an approval by the retired committee", approve(1, h+80), CodeCommitteeInactive)
	// The opening restarts under the new committee (t = 3).
	cs3 := []*groupsig.Consent{f.consent(next, subj, 1), f.consent(next, subj, 2), f.consent(next, subj, 4)}
	f.want("three consents", []*Tx{f.authTx(KindConsent, marshal(t, cs3[0]), subj.ID(), next.auths[0].id),
		f.authTx(KindConsent, marshal(t, cs3[1]), subj.ID(), next.auths[1].id), f.authTx(KindConsent, marshal(t, cs3[2]), subj.ID(), next.auths[3].id)},
		CodeOK, CodeOK, CodeOK)
	f.want("three partials", []*Tx{f.partialTx(next, subj, 1, cs3), f.partialTx(next, subj, 2, cs3), f.partialTx(next, subj, 4, cs3)}, CodeOK, CodeOK, CodeOK)
	op, err := f.ledger.Openings(subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := op.Completed()
	if !ok || r.Committee != nref || r.Completed.Label != "alice" || len(op.Rounds) != 2 || op.Rounds[0].Status != "retired" {
		t.Fatalf("openings across the rotation: %+v", op)
	}
}

// TestPendingCommitteeExpiry: a pending committee is aborted at the end
// of the first block both CommitteeExpiryBlocks blocks and
// CommitteeExpiryTime of block time after its own, not before either.
func TestPendingCommitteeExpiry(t *testing.T) {
	f := newFixture(t, "alice")
	as := f.authorities("regulator", "acme-audit", "globex-audit")
	d := f.deal(f.ok, 2, as)
	f.want("committee", []*Tx{f.firstCommitteeTx(d)}, CodeOK)
	posted := f.ledger.Head().Height
	// Many blocks in a short time: not expired.
	for f.ledger.Head().Height < posted+CommitteeExpiryBlocks+5 {
		f.commit()
	}
	if cs := mustCommittees(t, f.ledger); cs.Pending == nil {
		t.Fatal("expired on blocks alone")
	}
	// A clock jump: expired at the end of the next block, whose own share
	// proof still counts but does not complete it.
	f.time += int64(CommitteeExpiryTime)
	f.want("a share proof in the expiring block", []*Tx{f.shareProofTx(d, 1)}, CodeOK)
	cs := mustCommittees(t, f.ledger)
	if cs.Pending != nil || len(cs.History) != 1 || cs.History[0].Reason != "expired" || cs.History[0].Ended != f.ledger.Head().Height {
		t.Fatalf("after the time limit: %+v", cs)
	}
	if notes, _ := f.ledger.ThresholdNotes(f.ledger.Head().Height); len(notes) != 1 || notes[0].Tx != -1 || notes[0].Reason != "expired" {
		t.Fatalf("expiry notes: %+v", notes)
	}
	f.refuse("a share proof after expiry", f.shareProofTx(d, 2), CodeCommitteeInactive)

	// A clock jump alone is not enough either.
	d2 := f.deal(f.ok, 2, as)
	f.want("committee", []*Tx{f.firstCommitteeTx(d2)}, CodeOK)
	f.time += 2 * int64(CommitteeExpiryTime)
	f.commit()
	if cs := mustCommittees(t, f.ledger); cs.Pending == nil || cs.Pending.ExpiresAfter != f.ledger.Head().Height-1+CommitteeExpiryBlocks {
		t.Fatalf("expired on time alone: %+v", cs.Pending)
	}
	// Activated before the limit: never expires.
	f.activate(d2)
	f.time += 2 * int64(CommitteeExpiryTime)
	for range CommitteeExpiryBlocks {
		f.commit()
	}
	if cs := mustCommittees(t, f.ledger); cs.Active == nil || cs.Active.Ref != d2.cm.Ref() {
		t.Fatalf("active committee: %+v", cs)
	}
}

// TestThresholdOpeningBN254 runs the flow on BN254, for a signature of
// epoch 1 (the member's certificate re-issued by a revocation record).
func TestThresholdOpeningBN254(t *testing.T) {
	f := newSuiteFixture(t, groupsig.SuiteBN254, "alice", "bob", "carol")
	rev := f.revokeTx("carol")
	f.want("revoke", []*Tx{rev}, CodeOK)
	f.updateMembers(rev)
	d := f.deal(f.ok, 2, f.authorities("regulator", "acme-audit", "globex-audit"))
	subj := f.voteTx("bob", "ballot", "yes")
	f.want("rule", []*Tx{f.topicTx("ballot", TopicRule{Tagged: true})}, CodeOK)
	f.want("committee and vote", []*Tx{f.firstCommitteeTx(d), subj}, CodeOK, CodeOK)
	f.activate(d)
	cs := []*groupsig.Consent{f.consent(d, subj, 2), f.consent(d, subj, 3)}
	f.want("consents", []*Tx{f.authTx(KindConsent, marshal(t, cs[0]), subj.ID(), d.auths[1].id), f.authTx(KindConsent, marshal(t, cs[1]), subj.ID(), d.auths[2].id)}, CodeOK, CodeOK)
	f.want("partials", []*Tx{f.partialTx(d, subj, 3, cs), f.partialTx(d, subj, 2, cs)}, CodeOK, CodeOK)
	op, err := f.ledger.Openings(subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := op.Completed()
	if !ok || r.Completed.Label != "bob" || op.Epoch != 1 {
		t.Fatalf("BN254 opening at epoch 1: %+v", op)
	}
	var o groupsig.ThresholdOpening
	if err := o.UnmarshalBinary(r.Completed.Opening); err != nil || !slicesEqual(o.Indices(), []int{2, 3}) {
		t.Fatalf("opening %v, indices %v", err, o.Indices())
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
