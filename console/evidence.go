package console

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// Evidence files, as `veil audit` writes them and `veil audit check` and
// the console's POST /audit/check read them: a chain.Evidence ('audit
// open' with an opener key: it holds "group_evidence"), a
// chain.ThresholdEvidence ('audit openings --evidence', 'audit open'
// without a key: it holds "threshold_opening") or an OfflineBundle
// ('audit evidence': any signature, no transaction).

// OfflineBundle is groupsig's evidence (§5) with, optionally, the
// member's identity certificate, which ties the join record's identity
// key to a person the CA certified.
type OfflineBundle struct {
	groupsig.Evidence
	MemberCert groupsig.HexBytes `json:"member_cert,omitempty"` // DER
}

// Bundle is a decoded evidence file: exactly one of its fields is set.
type Bundle struct {
	Chain     *chain.Evidence
	Threshold *chain.ThresholdEvidence
	Offline   *OfflineBundle
}

// DecodeEvidence decodes an evidence file strictly (unknown fields are
// refused) and checks a signature's scope. A failure wraps
// groupsig.ErrMalformed (or the scope's error): the file is not evidence.
func DecodeEvidence(data []byte) (*Bundle, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("%w: %v", groupsig.ErrMalformed, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var b Bundle
	var scope []byte
	var err error
	switch {
	case fields["threshold_opening"] != nil:
		b.Threshold = new(chain.ThresholdEvidence)
		err = dec.Decode(b.Threshold)
	case fields["group_evidence"] != nil:
		b.Chain = new(chain.Evidence)
		err = dec.Decode(b.Chain)
		scope = b.Chain.Group.Scope
	default:
		b.Offline = new(OfflineBundle)
		err = dec.Decode(b.Offline)
		scope = b.Offline.Scope
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", groupsig.ErrMalformed, err)
	}
	if scope != nil {
		if err := groupsig.CheckScope(scope); err != nil {
			return nil, fmt.Errorf("scope: %w", err)
		}
	}
	return &b, nil
}

// Verdict is what a checked bundle establishes.
type Verdict struct {
	Threshold   bool // a threshold opening's bundle
	Label       string
	IdentityKey ed25519.PublicKey
	Epoch       uint64
	// Member is the signer as the CA certified it (with its organisation);
	// nil when no CA was given.
	Member *chain.MemberIdentity
	// The transaction, for a chain or threshold bundle checked against
	// the CA (the check that binds the transaction to the signature).
	TxID    string // hex; "" when not checked
	Group   string
	Topic   string
	ChainID string
	Height  uint64
	// A threshold bundle checked against the CA: the committee (cref,
	// hex), its threshold t and the t authorities who opened.
	Committee string
	T         int
	Openers   []chain.Opener
	// CertChecked: a CA was given; AccusedChecked: condition 5 was
	// checked (against the CA's certificate or the accused's key).
	CertChecked, AccusedChecked bool
}

// Check checks the bundle with public data alone. With ca, the member's
// (and a committee's authorities') identity certificates must be of that
// CA and the transaction the one signed; with accused, the signer must
// be the owner of that key (condition 5). Without either, conditions 1-4
// hold and the identity key is named for the reader to compare.
//
// A refusal wraps a *groupsig.AccountabilityError (the failed condition),
// groupsig.ErrNotAccountable or chain.ErrEvidence (what else does not hold
// together: the certificate, the transaction); anything else (typically
// groupsig.ErrMalformed) is a bundle that does not decode.
func (b *Bundle) Check(ca *x509.Certificate, accused ed25519.PublicKey) (*Verdict, error) {
	v := &Verdict{CertChecked: ca != nil}
	switch {
	case b.Threshold != nil:
		ev := b.Threshold
		v.Threshold = true
		if ca != nil {
			f, err := ev.Check(ca)
			if err != nil {
				return nil, err
			}
			v.Label, v.IdentityKey, v.Epoch, v.Member = f.Member.Label, f.Member.Key, f.Epoch, &f.Member
			v.TxID, v.Group, v.Topic, v.ChainID, v.Height = hex.EncodeToString(f.TxID[:]), f.Group, f.Topic, ev.ChainID, ev.Height
			v.Committee, v.T, v.Openers = hex.EncodeToString(f.Committee[:]), f.Threshold, f.Openers
		} else {
			acc, err := ev.Accountable()
			if err != nil {
				return nil, err
			}
			v.Label, v.IdentityKey, v.Epoch = acc.Label, acc.IdentityKey, acc.Epoch
		}
		if accused != nil && !accused.Equal(v.IdentityKey) {
			return nil, fmt.Errorf("%w: (5) the accused (--accused) is not the member the evidence names", groupsig.ErrNotAccountable)
		}
		v.AccusedChecked = accused != nil || ca != nil
		return v, nil
	case b.Chain != nil && ca != nil:
		ev := b.Chain
		f, err := ev.Check(ca)
		if err != nil {
			return nil, err
		}
		v.Member = &f.Member
		v.Label, v.IdentityKey, v.Epoch = f.Member.Label, f.Member.Key, f.Epoch
		v.TxID, v.Group, v.Topic, v.ChainID, v.Height = hex.EncodeToString(f.TxID[:]), f.Group, f.Topic, ev.ChainID, ev.Height
	case b.Chain != nil:
		got, err := b.Chain.Group.Check(accused)
		if err != nil {
			return nil, err
		}
		v.Label, v.IdentityKey, v.Epoch = got.Label, got.IdentityKey, got.Epoch
	case b.Offline != nil:
		key := accused
		if ca != nil {
			who, err := b.Offline.certIdentity(ca)
			if err != nil {
				return nil, err
			}
			v.Member, key = who, who.Key
		}
		got, err := b.Offline.Check(key)
		if err != nil {
			return nil, err
		}
		v.Label, v.IdentityKey, v.Epoch = got.Label, got.IdentityKey, got.Epoch
	default:
		return nil, fmt.Errorf("%w: an empty bundle", groupsig.ErrMalformed)
	}
	if accused != nil && !accused.Equal(v.IdentityKey) {
		return nil, fmt.Errorf("%w: the accused (--accused) is not the member the evidence names", chain.ErrEvidence)
	}
	v.AccusedChecked = accused != nil || v.Member != nil
	return v, nil
}

// certIdentity checks an offline bundle's member certificate against the
// CA, as chain.Evidence.Check does for a chain bundle: a member identity
// certificate of the CA (at the start of its validity: the question is
// whether the CA certified this key for this member), for the bundle's
// label.
func (b *OfflineBundle) certIdentity(ca *x509.Certificate) (*chain.MemberIdentity, error) {
	if len(b.MemberCert) == 0 {
		return nil, fmt.Errorf("%w: the bundle holds no member certificate: nothing ties the join record to a person the CA certified", chain.ErrEvidence)
	}
	cert, err := x509.ParseCertificate(b.MemberCert)
	if err != nil {
		return nil, fmt.Errorf("%w: member certificate: %v", chain.ErrEvidence, err)
	}
	id, err := genesis.VerifyMember(cert, ca, cert.NotBefore)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", chain.ErrEvidence, err)
	}
	if id.Label != b.Label {
		return nil, fmt.Errorf("%w: the member certificate is for %q, the evidence names %q", chain.ErrEvidence, id.Label, b.Label)
	}
	return id, nil
}

// ErrNotOpened: the transaction's signature has no completed threshold
// opening on chain (fewer than t partials under the active committee).
var ErrNotOpened = errors.New("not opened")

// ThresholdEvidence assembles the bundle of a completed threshold
// opening op from chain data (the transaction, the committee the opening
// was recorded under with its authorities' certificates, the member's
// join record and certificate, the revocation records) and checks
// conditions 1-4. A node's refusal is a *client.Error; an opening naming
// an A no member holds wraps groupsig.ErrUnknownMember; a failed check
// wraps what Bundle.Check's do; anything else is chain data that does not
// decode.
func ThresholdEvidence(ctx context.Context, c *client.Client, op *api.OpeningsResponse) (*chain.ThresholdEvidence, error) {
	if op.Opening == nil {
		return nil, fmt.Errorf("%w: transaction %s: %s", ErrNotOpened, op.Tx, OpeningProgress(op))
	}
	tx, h, err := c.CommittedAnonymous(ctx, op.Tx)
	if err != nil {
		return nil, err
	}
	o := op.Opening
	if o.Label == "" {
		return nil, fmt.Errorf("%w: the opening names A = %s, which no member of %q on chain holds at epoch %d: a certificate made outside the register (the issuer's doing)",
			groupsig.ErrUnknownMember, o.A, op.Group, op.Epoch)
	}
	cs, err := c.Committees(ctx, op.Group)
	if err != nil {
		return nil, err
	}
	var sum *api.CommitteeSummary
	for _, cj := range []*api.CommitteeJSON{cs.Active, cs.Pending} {
		if cj != nil && cj.Ref == o.Committee {
			sum = &cj.CommitteeSummary
		}
	}
	for i := range cs.History {
		if cs.History[i].Ref == o.Committee {
			sum = &cs.History[i]
		}
	}
	if sum == nil {
		return nil, fmt.Errorf("the node does not know committee %s of the opening", o.Committee)
	}
	ctr, err := c.Tx(ctx, sum.Tx)
	if err != nil {
		return nil, err
	}
	rec := &chain.OpenedRecord{Activated: sum.Activated, Opened: o.Height}
	if rec.Committee, err = hex.DecodeString(ctr.Committee); err != nil {
		return nil, fmt.Errorf("committee transaction %s: %w", sum.Tx, err)
	}
	if _, err := client.DecodeCommittee(ctr.Committee, o.Committee); err != nil {
		return nil, fmt.Errorf("committee transaction %s: %w", sum.Tx, err)
	}
	for _, ch := range ctr.AuthorityCerts {
		der, err := hex.DecodeString(ch)
		if err != nil {
			return nil, fmt.Errorf("committee transaction %s: certificate is not hex", sum.Tx)
		}
		rec.AuthorityCerts = append(rec.AuthorityCerts, der)
	}
	if rec.Opening, err = hex.DecodeString(o.ThresholdOpening); err != nil {
		return nil, fmt.Errorf("threshold opening is not hex: %w", err)
	}
	gk0, _, _, err := c.GroupOrigin(ctx, op.Group)
	if err != nil {
		return nil, err
	}
	join, cert, err := c.JoinRecord(ctx, op.Group, o.Label)
	if err != nil {
		return nil, err
	}
	recs, err := c.RevocationRecords(ctx, op.Group)
	if err != nil {
		return nil, err
	}
	ev, err := chain.NewThresholdEvidence(tx, h, gk0, rec, join, cert, recs)
	if err != nil {
		return nil, err
	}
	if _, err := ev.Accountable(); err != nil {
		return nil, fmt.Errorf("the evidence does not check: %w", err)
	}
	return ev, nil
}

// OpeningProgress says where a threshold opening stands.
func OpeningProgress(op *api.OpeningsResponse) string {
	for _, r := range op.Rounds {
		if r.Status == "active" {
			return fmt.Sprintf("%d of t = %d consents, %d partials under the active committee", len(r.Consents), r.Threshold, len(r.Partials))
		}
	}
	return "no consent under the active committee"
}
