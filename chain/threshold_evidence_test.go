package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/veilchain/veil/groupsig"
)

// opened is a fixture whose committee opened subj (alice's, tagged at
// epoch 1 after carol's revocation) with authorities 1 and 3.
type opened struct {
	f    *fixture
	d    *dealing
	subj *Tx
}

func newOpened(t testing.TB) *opened {
	f := newFixture(t, "alice", "bob", "carol")
	rev := f.revokeTx("carol")
	f.want("revoke", []*Tx{rev, f.topicTx("ballot", TopicRule{Tagged: true})}, CodeOK, CodeOK)
	f.updateMembers(rev)
	d := f.deal(f.ok, 2, f.authorities("regulator", "acme-audit", "globex-audit"))
	subj := f.voteTx("alice", "ballot", "yes")
	f.want("committee", []*Tx{f.firstCommitteeTx(d), subj}, CodeOK, CodeOK)
	f.activate(d)
	cs := []*groupsig.Consent{f.consent(d, subj, 1), f.consent(d, subj, 3)}
	f.want("consents", []*Tx{f.authTx(KindConsent, marshal(t, cs[0]), subj.ID(), d.auths[0].id), f.authTx(KindConsent, marshal(t, cs[1]), subj.ID(), d.auths[2].id)}, CodeOK, CodeOK)
	f.want("partials", []*Tx{f.partialTx(d, subj, 1, cs), f.partialTx(d, subj, 3, cs)}, CodeOK, CodeOK)
	return &opened{f: f, d: d, subj: subj}
}

// evidence builds the bundle from ledger state, as `veil audit openings
// --evidence` does from the API.
func (o *opened) evidence() *ThresholdEvidence {
	f := o.f
	f.t.Helper()
	op, err := f.ledger.Openings(o.subj.ID())
	if err != nil {
		f.t.Fatal(err)
	}
	r, ok := op.Completed()
	if !ok {
		f.t.Fatal("not opened")
	}
	ci, _ := f.ledger.Committee("acme", r.Committee)
	rec := &OpenedRecord{Committee: ci.Raw, Activated: ci.Activated, Opening: r.Completed.Opening, Opened: r.Completed.Height}
	for _, a := range ci.Authorities {
		rec.AuthorityCerts = append(rec.AuthorityCerts, a.Cert)
	}
	gi, _ := f.ledger.Group("acme")
	m, _ := gi.Member(r.Completed.Label)
	ev, err := NewThresholdEvidence(o.subj, op.Height, f.gk, rec, m.Record, m.Cert, f.reg.Records())
	if err != nil {
		f.t.Fatal(err)
	}
	return ev
}

func TestThresholdEvidence(t *testing.T) {
	o := newOpened(t)
	ev := o.evidence()
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var back ThresholdEvidence
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	got, err := back.Check(o.f.ca.cert)
	if err != nil {
		t.Fatal(err)
	}
	if got.TxID != o.subj.ID() || got.Member.Label != "alice" || got.Member.Org != "org-alice" || got.Epoch != 1 || got.Committee != o.d.cm.Ref() ||
		len(got.Openers) != 2 || got.Openers[0].Label != "regulator" || got.Openers[1].Index != 3 || got.Openers[1].Org != "org-globex-audit" {
		t.Fatalf("finding: %+v", got)
	}
	if acc, err := back.Accountable(); err != nil || acc.Label != "alice" {
		t.Fatalf("without the CA: %v %v", acc, err)
	}
	// Every piece is pinned: another committee (the same authorities,
	// another dealing), another transaction, another member's record, a
	// swapped authority certificate, a foreign CA.
	other := o.f.deal(o.f.ok, 2, o.d.auths)
	bob, _ := func() (*MemberInfo, bool) { gi, _ := o.f.ledger.Group("acme"); return gi.Member("bob") }()
	bobReq, _ := bob.Record.Request.MarshalBinary()
	bobResp, _ := bob.Record.Response.MarshalBinary()
	for name, c := range map[string]struct {
		edit func(ev *ThresholdEvidence)
		want error
	}{
		"another dealing":     {func(ev *ThresholdEvidence) { ev.Committee = other.raw() }, groupsig.ErrNotAccountable},
		"another transaction": {func(ev *ThresholdEvidence) { ev.Tx = o.f.anonTx("alice", "t", "x").Encode() }, groupsig.ErrNotAccountable},
		"another member":      {func(ev *ThresholdEvidence) { ev.Label, ev.JoinRequest, ev.JoinResponse = "bob", bobReq, bobResp }, groupsig.ErrNotAccountable},
		"swapped authority certificates": {func(ev *ThresholdEvidence) {
			ev.AuthorityCerts[0], ev.AuthorityCerts[1] = ev.AuthorityCerts[1], ev.AuthorityCerts[0]
		}, ErrEvidence},
		"another member's certificate": {func(ev *ThresholdEvidence) { ev.MemberCert = bob.Cert }, groupsig.ErrNotAccountable},
		"no records":                   {func(ev *ThresholdEvidence) { ev.Records = nil }, groupsig.ErrNotAccountable},
		"another chain":                {func(ev *ThresholdEvidence) { ev.ChainID = "other" }, ErrEvidence},
	} {
		ev := o.evidence()
		c.edit(ev)
		if _, err := ev.Check(o.f.ca.cert); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	foreign := newTestCA(t, o.f.rnd)
	if _, err := ev.Check(foreign.cert); !errors.Is(err, ErrEvidence) {
		t.Fatalf("foreign CA: %v", err)
	}
}

// FuzzThresholdEvidence: a bundle read from a file never panics its
// check, and no mutation of a genuine bundle is accepted unless it names
// the same member for the same transaction and the same openers.
func FuzzThresholdEvidence(f *testing.F) {
	o := newOpened(f)
	good, _ := json.Marshal(o.evidence())
	f.Add(good)
	f.Add([]byte(`{"tx":"00","threshold_opening":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev ThresholdEvidence
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		got, err := ev.Check(o.f.ca.cert)
		if err != nil {
			return
		}
		if got.TxID != o.subj.ID() || got.Member.Label != "alice" || len(got.Openers) != 2 || got.Openers[0].Index != 1 || got.Openers[1].Index != 3 {
			t.Fatalf("accepted evidence naming %q for %x", got.Member.Label, got.TxID)
		}
	})
}

// thresholdTxSeeds are one transaction of each threshold kind, and a
// rotation's committee (no admin signature).
func thresholdTxSeeds(t testing.TB) [][]byte {
	o := newOpened(t)
	f, d := o.f, o.d
	next := f.deal(f.ok, 2, d.auths)
	a, err := groupsig.NewApproval(f.gk, d.cm, next.cm, 99, 2, d.auths[1].id)
	if err != nil {
		t.Fatal(err)
	}
	abort, _ := groupsig.AbortCommittee(f.admin, next.cm)
	cs := []*groupsig.Consent{f.consent(d, o.subj, 1), f.consent(d, o.subj, 2)}
	var out [][]byte
	for _, tx := range []*Tx{f.firstCommitteeTx(next), f.committeeTx(next, nil), f.authTx(KindApproval, marshal(t, a), [32]byte{}, d.auths[1].id),
		f.shareProofTx(d, 2), f.consentTx(d, o.subj, 2), f.partialTx(d, o.subj, 2, cs),
		f.sealed(&Tx{Kind: KindCommitteeAbort, Group: "acme", CommitteeRef: next.cm.Ref(), AdminSig: abort})} {
		out = append(out, tx.Encode())
	}
	return out
}

// thresholdStateSeeds are one record of each threshold kind the ledger
// reads back from chain state, in FuzzDecodeState's order (cases 4–8).
func thresholdStateSeeds(t testing.TB) [][]byte {
	o := newOpened(t)
	f := o.f
	th := f.ledger.thr["acme"]
	var ap *approvalRecord
	next := f.deal(f.ok, 2, o.d.auths)
	a, _ := groupsig.NewApproval(f.gk, o.d.cm, next.cm, 99, 2, o.d.auths[1].id)
	ap = &approvalRecord{a: a, height: 7}
	st, err := f.ledger.loadOpening(o.subj.ID())
	if err != nil {
		t.Fatal(err)
	}
	r := st.rounds[o.d.cm.Ref()]
	rec := th.active.clone()
	rec.approvers, rec.prev, rec.status, rec.reason = []int{1, 3}, [32]byte{9}, committeeAborted, abortExpired
	notes := []ThresholdNote{{Tx: 2, Group: "acme", Committee: [32]byte{1}, Status: "aborted", Reason: "superseded"},
		{Tx: -1, Group: "acme", Committee: [32]byte{2}, Status: "opened", Subject: [32]byte{3}, Label: "alice"}}
	return [][]byte{rec.encode(), ap.encode(), r.consents[1].encode(), r.done.encode(), encodeNotes(notes)}
}

// fuzzThresholdState decodes data as the threshold record which (4–8)
// names and returns its re-encoding, or nil when it does not decode.
func fuzzThresholdState(which uint8, data []byte) []byte {
	switch which {
	case 4:
		if r, err := decodeCommitteeRecord(data); err == nil {
			return r.encode()
		}
	case 5:
		if r, err := decodeApprovalRecord(data); err == nil {
			return r.encode()
		}
	case 6:
		if a, err := decodeOpeningAct(data); err == nil {
			return a.encode()
		}
	case 7:
		if c, err := decodeCompletedOpening(data); err == nil {
			return c.encode()
		}
	case 8:
		if n, err := decodeNotes(data); err == nil {
			return encodeNotes(n)
		}
	}
	return nil
}

func TestThresholdStateRoundTrips(t *testing.T) {
	for i, b := range thresholdStateSeeds(t) {
		if got := fuzzThresholdState(uint8(i+4), b); !bytes.Equal(got, b) {
			t.Errorf("state seed %d does not round-trip", i+4)
		}
	}
	for _, b := range thresholdTxSeeds(t) {
		tx, err := DecodeTx(b)
		if err != nil || !bytes.Equal(tx.Encode(), b) {
			t.Fatalf("threshold tx seed: %v", err)
		}
	}
}

func TestWriteThresholdFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus to regenerate testdata/fuzz")
	}
	for _, b := range thresholdTxSeeds(t) {
		writeSeed(t, "FuzzDecodeTx", fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b))
	}
	for i, b := range thresholdStateSeeds(t) {
		writeSeed(t, "FuzzDecodeState", fmt.Appendf(nil, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", byte(i+4), b))
	}
	o := newOpened(t)
	ev, _ := json.Marshal(o.evidence())
	writeSeed(t, "FuzzThresholdEvidence", fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", ev))
}

func writeSeed(t *testing.T, target string, body []byte) {
	sum := sha256.Sum256(body)
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:8])), body, 0o644); err != nil {
		t.Fatal(err)
	}
}
