package chain

import (
	"bytes"
	"crypto/x509"
	"fmt"

	"github.com/veilchain/veil/groupsig"
)

// ThresholdEvidence is a dispute's bundle for a transaction the
// committee opened on chain (threshold spec §3): the committed anonymous
// transaction, the threshold opening the ledger recorded at its t-th
// partial, the committee whose cref was active when the partials were
// posted (pinned: a valid opening under another dealing of ξ is sound but
// proves nothing about who opened), its authorities' member certificates,
// and the member's join record, identity certificate and the group's
// revocation records into the epoch. Anyone holding the consortium CA
// certificate checks it offline with Check: it names the signer and the t
// authorities who opened. The committee and the records are trusted to be
// the ones the ledger accepted, as for Evidence. Its JSON form is what
// `veil audit openings --evidence` writes and `veil audit check` reads.
type ThresholdEvidence struct {
	ChainID string            `json:"chain_id"`
	Height  uint64            `json:"height"` // where the transaction was committed (informative)
	Tx      groupsig.HexBytes `json:"tx"`     // the transaction's canonical encoding
	// GroupKey is the group's gpk_0.
	GroupKey groupsig.HexBytes `json:"group_key"`
	// Committee is the dealing (0B) active on the ledger when the
	// partials were posted; AuthorityCerts its authorities' member
	// certificates (DER), in index order, as the committee transaction
	// carried them.
	Committee      groupsig.HexBytes   `json:"committee"`
	AuthorityCerts []groupsig.HexBytes `json:"authority_certs"`
	// Activated is the height the committee became active at, Opened the
	// height of the t-th partial (informative).
	Activated uint64 `json:"committee_activated"`
	Opened    uint64 `json:"opened_height"`
	// ThresholdOpening is the opening (0E) the ledger recorded.
	ThresholdOpening groupsig.HexBytes   `json:"threshold_opening"`
	Label            string              `json:"label"` // the member named; checked against the join record
	JoinRequest      groupsig.HexBytes   `json:"join_request"`
	JoinResponse     groupsig.HexBytes   `json:"join_response"`
	Records          []groupsig.HexBytes `json:"revocation_records"` // records into epochs 1..e, in order
	MemberCert       groupsig.HexBytes   `json:"member_cert"`        // the member's identity certificate (DER)
}

// Opener is an authority whose partial opening the threshold opening
// combines, as the chain CA certified it.
type Opener struct {
	Index int
	MemberIdentity
}

// ThresholdFinding is what checked threshold evidence establishes: who
// signed the transaction, and which authorities of which committee
// opened it.
type ThresholdFinding struct {
	Finding
	Committee [32]byte
	Threshold int
	Openers   []Opener
}

// OpenedRecord is what the ledger holds about a completed opening: the
// committee it was recorded under (its encoding, its authorities'
// certificates, its activation height) and the threshold opening with
// the height of its t-th partial.
type OpenedRecord struct {
	Committee      []byte
	AuthorityCerts [][]byte
	Activated      uint64
	Opening        []byte
	Opened         uint64
}

// NewThresholdEvidence assembles the bundle for tx (committed at height)
// from chain data: gk0 the group's gpk_0, the ledger's record of the
// completed opening, the member's join record and identity certificate
// (DER), and the group's revocation records (at least into tx's epoch).
func NewThresholdEvidence(tx *Tx, height uint64, gk0 *groupsig.GroupKey, rec *OpenedRecord, join *groupsig.JoinRecord, cert []byte, records []*groupsig.RevocationRecord) (*ThresholdEvidence, error) {
	if tx.Kind != KindAnonymous {
		return nil, fmt.Errorf("threshold evidence: transaction is %s, not anonymous", tx.Kind)
	}
	if uint64(len(records)) < tx.Epoch {
		return nil, fmt.Errorf("threshold evidence: %d records given for epoch %d", len(records), tx.Epoch)
	}
	gk, err := gk0.MarshalBinary()
	if err != nil {
		return nil, err
	}
	req, err := join.Request.MarshalBinary()
	if err != nil {
		return nil, err
	}
	resp, err := join.Response.MarshalBinary()
	if err != nil {
		return nil, err
	}
	ev := &ThresholdEvidence{ChainID: tx.ChainID, Height: height, Tx: tx.Encode(), GroupKey: gk, Committee: rec.Committee,
		Activated: rec.Activated, Opened: rec.Opened, ThresholdOpening: rec.Opening, Label: join.Label(),
		JoinRequest: req, JoinResponse: resp, MemberCert: cert, Records: []groupsig.HexBytes{}}
	for _, c := range rec.AuthorityCerts {
		ev.AuthorityCerts = append(ev.AuthorityCerts, c)
	}
	for _, r := range records[:tx.Epoch] {
		b, err := r.MarshalBinary()
		if err != nil {
			return nil, err
		}
		ev.Records = append(ev.Records, b)
	}
	return ev, nil
}

// thresholdBundle is a bundle's decoded objects.
type thresholdBundle struct {
	tx      *Tx
	gk      *groupsig.GroupKey // at the transaction's epoch
	cm      *groupsig.Committee
	o       *groupsig.ThresholdOpening
	join    *groupsig.JoinRecord
	records []*groupsig.RevocationRecord
}

func (ev *ThresholdEvidence) decode() (*thresholdBundle, error) {
	fail := func(what string, err error) (*thresholdBundle, error) {
		return nil, fmt.Errorf("threshold evidence: %s: %w", what, err)
	}
	b := &thresholdBundle{cm: new(groupsig.Committee), o: new(groupsig.ThresholdOpening),
		join: &groupsig.JoinRecord{Request: new(groupsig.JoinRequest), Response: new(groupsig.JoinResponse)}}
	tx, err := evidenceTx(ev.Tx, ev.ChainID)
	if err != nil {
		return nil, err
	}
	b.tx = tx
	gk0 := new(groupsig.GroupKey)
	if err := gk0.UnmarshalBinary(ev.GroupKey); err != nil {
		return fail("group key", err)
	}
	if gk0.Epoch() != 0 {
		return fail("group key", fmt.Errorf("%w: must be gpk_0", groupsig.ErrMalformed))
	}
	if b.gk, err = gk0.AtEpoch(tx.Epoch); err != nil {
		return fail("group key", err)
	}
	for _, o := range []struct {
		what string
		raw  []byte
		into interface{ UnmarshalBinary([]byte) error }
	}{{"committee", ev.Committee, b.cm}, {"threshold opening", ev.ThresholdOpening, b.o},
		{"join request", ev.JoinRequest, b.join.Request}, {"join response", ev.JoinResponse, b.join.Response}} {
		if err := o.into.UnmarshalBinary(o.raw); err != nil {
			return fail(o.what, err)
		}
	}
	if ev.Label != b.join.Label() {
		return fail("label", fmt.Errorf("%w: %q, the join record is for %q", groupsig.ErrMalformed, ev.Label, b.join.Label()))
	}
	for i, raw := range ev.Records {
		r := new(groupsig.RevocationRecord)
		if err := r.UnmarshalBinary(raw); err != nil {
			return fail(fmt.Sprintf("record %d", i+1), err)
		}
		b.records = append(b.records, r)
	}
	return b, nil
}

// Accountable checks the bundle without the CA: the transaction and its
// objects decode, and §5's conditions (1)–(4) hold with the threshold
// opening as condition (1) under the bundle's committee. It names the
// member's label and identity key; the member and authority certificates
// are Check's.
func (ev *ThresholdEvidence) Accountable() (*groupsig.Accused, error) {
	b, err := ev.decode()
	if err != nil {
		return nil, err
	}
	id := b.tx.ID()
	return groupsig.AccountableThresholdOpening(b.gk, id[:], txScope(b.tx), b.tx.Auth, b.o, b.cm, b.join, b.records, nil)
}

// Check verifies the bundle against the consortium CA: as Accountable,
// with condition (5) the member certificate's key, which must chain to ca
// as a member certificate for the join record's label; and every
// authority of the committee certified by ca for its label and identity
// key, naming the t authorities who opened. Certificates are checked at
// the start of their validity (what the CA certified is not undone by a
// later expiry). A refusal wraps ErrEvidence, groupsig.ErrNotAccountable
// or groupsig.ErrMalformed.
func (ev *ThresholdEvidence) Check(ca *x509.Certificate) (*ThresholdFinding, error) {
	b, err := ev.decode()
	if err != nil {
		return nil, err
	}
	auths := b.cm.Authorities()
	if len(ev.AuthorityCerts) != len(auths) {
		return nil, fmt.Errorf("%w: %d authority certificates for %d authorities", ErrEvidence, len(ev.AuthorityCerts), len(auths))
	}
	ids := make([]*MemberIdentity, len(auths))
	for i, der := range ev.AuthorityCerts {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: authority %d's certificate: %w", ErrEvidence, i+1, err)
		}
		if ids[i], err = VerifyMember(c, ca, c.NotBefore); err != nil {
			return nil, fmt.Errorf("%w: authority %d: %w", ErrEvidence, i+1, err)
		}
		if ids[i].Label != auths[i].Label || !bytes.Equal(ids[i].Key, auths[i].IdentityKey) {
			return nil, fmt.Errorf("%w: authority %d's certificate is for %q with another key than the committee's %q", ErrEvidence, i+1, ids[i].Label, auths[i].Label)
		}
	}
	mi, err := evidenceMember(ev.MemberCert, ca)
	if err != nil {
		return nil, err
	}
	id := b.tx.ID()
	acc, err := groupsig.AccountableThresholdOpening(b.gk, id[:], txScope(b.tx), b.tx.Auth, b.o, b.cm, b.join, b.records, mi.Key)
	if err != nil {
		return nil, err
	}
	if acc.Label != mi.Label {
		return nil, fmt.Errorf("%w: the certificate is for %q, the join record for %q", ErrEvidence, mi.Label, acc.Label)
	}
	f := &ThresholdFinding{Finding: Finding{TxID: id, Group: b.tx.Group, Topic: b.tx.Topic, Epoch: b.tx.Epoch, Member: *mi},
		Committee: b.cm.Ref(), Threshold: b.cm.Threshold()}
	for _, i := range b.o.Indices() {
		f.Openers = append(f.Openers, Opener{Index: i, MemberIdentity: *ids[i-1]})
	}
	return f, nil
}
