package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

// auditBundle is an evidence bundle as 'audit open' and 'audit evidence'
// write it and 'audit check' reads it: groupsig's evidence (§5: group
// key, epoch, message, scope, signature, opening, the member's join
// record, the revocation records into the epoch) with the member's
// identity certificate, which ties the join record's identity key to a
// person, and, from 'audit open', where the signature is on chain. The
// chain fields are informative; 'audit check' checks that they agree with
// the message and scope.
type auditBundle struct {
	groupsig.Evidence
	MemberCert groupsig.HexBytes `json:"member_cert,omitempty"` // DER, from the consortium CA
	Org        string            `json:"org,omitempty"`         // informative; the certificate says it
	ChainID    string            `json:"chain_id,omitempty"`
	Group      string            `json:"group,omitempty"`
	Topic      string            `json:"topic,omitempty"`
	Tx         string            `json:"tx,omitempty"` // the transaction id: the signed message
	Height     uint64            `json:"height,omitempty"`
}

// readBundle reads a bundle strictly: unknown fields are refused.
func readBundle(path string) (*auditBundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(err)
	}
	b := new(auditBundle)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return nil, badInput(fmt.Errorf("%s: %w: %v", path, groupsig.ErrMalformed, err))
	}
	if b.Scope != nil {
		if err := groupsig.CheckScope(b.Scope); err != nil {
			return nil, badInput(fmt.Errorf("%s: scope: %w", path, err))
		}
	}
	return b, nil
}

// checkChainFields refuses a bundle whose chain fields contradict what
// is checked: the transaction id is the message, and a tagged signature's
// scope is the topic's.
func (b *auditBundle) checkChainFields() error {
	if b.Tx != "" {
		id, err := hex.DecodeString(b.Tx)
		if err != nil || !bytes.Equal(id, b.Message) {
			return refused(fmt.Errorf("%w: the bundle's tx %q is not its message", groupsig.ErrNotAccountable, b.Tx))
		}
	}
	if b.Scope != nil && b.ChainID != "" && b.Topic != "" && !bytes.Equal(b.Scope, chain.TopicScope(b.ChainID, b.Topic)) {
		return refused(fmt.Errorf("%w: the bundle's scope is not topic %q's on chain %q", groupsig.ErrNotAccountable, b.Topic, b.ChainID))
	}
	return nil
}

// chainOpening is what 'audit open' found.
type chainOpening struct {
	bundle  *auditBundle
	accused *groupsig.Accused
	member  api.MemberSummary
	a       []byte
}

// openOnChain opens a committed anonymous transaction with the opener key
// and assembles its evidence from chain data alone: the transaction, the
// group key of its epoch, the member whose certificate at that epoch is
// the opened A (its join response's, or the re-issued one in the
// revocation record into the epoch), its join record and certificate,
// and the group's revocation records. The bundle is checked (conditions
// 1-4) before it is returned.
func openOnChain(ctx context.Context, c *client.Client, ok *groupsig.OpenerKey, txID string) (*chainOpening, error) {
	tx, err := c.Tx(ctx, txID)
	if err != nil {
		return nil, apiError(err)
	}
	if tx.Kind != chain.KindAnonymous.String() {
		return nil, badInput(fmt.Errorf("transaction %s is %s, not anonymous: nothing to open", txID, tx.Kind))
	}
	if tx.Status != "committed" || tx.Height == nil {
		return nil, badInput(fmt.Errorf("transaction %s is not committed yet", txID))
	}
	msg, err := hex.DecodeString(tx.ID)
	if err != nil {
		return nil, badInput(fmt.Errorf("transaction id %q is not hex", tx.ID))
	}
	sig, err := hex.DecodeString(tx.Signature)
	if err != nil {
		return nil, badInput(fmt.Errorf("transaction %s: signature is not hex", txID))
	}
	var scope []byte
	if groupsig.IsTagged(sig) {
		scope = chain.TopicScope(tx.ChainID, tx.Topic)
	}
	gk, err := c.GroupKey(ctx, tx.Group, tx.Epoch)
	if err != nil {
		return nil, chainError(err)
	}
	if !ok.GroupKey().SameGroup(gk) {
		return nil, badInput(fmt.Errorf("%w: the opener key is not of group %q", groupsig.ErrWrongGroup, tx.Group))
	}
	o, err := groupsig.Open(ok, gk, msg, scope, sig, rand.Reader)
	if err != nil {
		return nil, openError(err)
	}
	grp, err := c.Group(ctx, tx.Group)
	if err != nil {
		return nil, chainError(err)
	}
	recs, err := c.RevocationRecords(ctx, tx.Group)
	if err != nil {
		return nil, chainError(err)
	}
	m, found := memberAt(grp.Members, recs, tx.Epoch, o.A())
	if !found {
		return nil, refused(fmt.Errorf("%w: transaction %s opens to A = %x, which no member of %q on chain holds at epoch %d: a certificate made outside the register (the issuer's doing, SPEC §8)",
			groupsig.ErrUnknownMember, txID, o.A(), tx.Group, tx.Epoch))
	}
	join, cert, err := c.JoinRecord(ctx, tx.Group, m.Label)
	if err != nil {
		return nil, chainError(err)
	}
	ev, err := groupsig.NewEvidence(gk, msg, scope, sig, o, join, recs)
	if err != nil {
		return nil, badInput(err)
	}
	accused, err := ev.Check(nil)
	if err != nil {
		return nil, checkError(fmt.Errorf("the evidence does not check: %w", err))
	}
	b := &auditBundle{Evidence: *ev, MemberCert: cert, Org: m.Org, ChainID: tx.ChainID, Group: tx.Group, Topic: tx.Topic, Tx: tx.ID, Height: *tx.Height}
	return &chainOpening{bundle: b, accused: accused, member: m, a: o.A()}, nil
}

// memberAt finds the member whose certificate at epoch e is a: the A of
// its join response if it joined at e, else the one the record into e
// re-issued it.
func memberAt(members []api.MemberSummary, recs []*groupsig.RevocationRecord, e uint64, a []byte) (api.MemberSummary, bool) {
	want := hex.EncodeToString(a)
	for _, m := range members {
		switch {
		case m.Joined == e:
			if m.A == want {
				return m, true
			}
		case m.Joined < e && e <= uint64(len(recs)):
			if got, ok := recs[e-1].ReissuedA(m.Label); ok && bytes.Equal(got, a) {
				return m, true
			}
		}
	}
	return api.MemberSummary{}, false
}

// errNoCert: a bundle without the member's certificate, where one is
// needed.
var errNoCert = errors.New("the bundle holds no member certificate")
