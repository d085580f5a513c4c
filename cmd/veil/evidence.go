package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// Evidence files. 'audit open' writes a chain.Evidence (the committed
// transaction, the §5 bundle of its signature, the member's identity
// certificate); 'audit evidence' writes an offlineBundle (the §5 bundle
// of any signature, with the member's certificate if given). 'audit check'
// reads both: a chain bundle is the one with "group_evidence".

// offlineBundle is groupsig's evidence (§5) with, optionally, the member's
// identity certificate, which ties the join record's identity key to a
// person the CA certified.
type offlineBundle struct {
	groupsig.Evidence
	MemberCert groupsig.HexBytes `json:"member_cert,omitempty"` // DER
}

// readEvidence reads an evidence file strictly (unknown fields are
// refused): a chain bundle, or an offline one.
func readEvidence(path string) (*chain.Evidence, *offlineBundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, badInput(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, nil, badInput(fmt.Errorf("%s: %w: %v", path, groupsig.ErrMalformed, err))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ev *chain.Evidence
	var off *offlineBundle
	var scope []byte
	if _, ok := fields["group_evidence"]; ok {
		ev = new(chain.Evidence)
		err = dec.Decode(ev)
		scope = ev.Group.Scope
	} else {
		off = new(offlineBundle)
		err = dec.Decode(off)
		scope = off.Scope
	}
	if err != nil {
		return nil, nil, badInput(fmt.Errorf("%s: %w: %v", path, groupsig.ErrMalformed, err))
	}
	if scope != nil {
		if err := groupsig.CheckScope(scope); err != nil {
			return nil, nil, badInput(fmt.Errorf("%s: scope: %w", path, err))
		}
	}
	return ev, off, nil
}

// readCA reads the consortium CA certificate.
func readCA(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read CA certificate: %w", err))
	}
	ca, err := genesis.ParseCertificatePEM(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("CA certificate %s: %w", path, err))
	}
	return ca, nil
}

// certIdentity checks an offline bundle's member certificate against the
// CA, as chain.Evidence.Check does for a chain bundle: a member identity
// certificate of the CA (at the start of its validity: the question is
// whether the CA certified this key for this member), for the bundle's
// label.
func (b *offlineBundle) certIdentity(ca *x509.Certificate) (*chain.MemberIdentity, error) {
	if len(b.MemberCert) == 0 {
		return nil, refused(fmt.Errorf("%w: the bundle holds no member certificate: nothing ties the join record to a person the CA certified", chain.ErrEvidence))
	}
	cert, err := x509.ParseCertificate(b.MemberCert)
	if err != nil {
		return nil, refused(fmt.Errorf("%w: member certificate: %v", chain.ErrEvidence, err))
	}
	id, err := genesis.VerifyMember(cert, ca, cert.NotBefore)
	if err != nil {
		return nil, refused(fmt.Errorf("%w: %v", chain.ErrEvidence, err))
	}
	if id.Label != b.Label {
		return nil, refused(fmt.Errorf("%w: the member certificate is for %q, the evidence names %q", chain.ErrEvidence, id.Label, b.Label))
	}
	return id, nil
}

// txFromJSON rebuilds an anonymous transaction's canonical form from the
// API's view of it, and checks that it hashes to the id the node gave.
func txFromJSON(t *api.TxResponse) (*chain.Tx, error) {
	nonce, err := hex.DecodeString(t.Nonce)
	if err != nil || len(nonce) != chain.NonceSize {
		return nil, fmt.Errorf("transaction %s: nonce %q is not %d bytes of hex", t.ID, t.Nonce, chain.NonceSize)
	}
	sig, err := hex.DecodeString(t.Signature)
	if err != nil {
		return nil, fmt.Errorf("transaction %s: signature is not hex", t.ID)
	}
	tx := &chain.Tx{Kind: chain.KindAnonymous, ChainID: t.ChainID, Expiry: t.Expiry, Group: t.Group, Epoch: t.Epoch, Topic: t.Topic, Payload: t.Payload, Auth: sig}
	copy(tx.Nonce[:], nonce)
	dec, err := chain.DecodeTx(tx.Encode())
	if err != nil {
		return nil, fmt.Errorf("transaction %s: %w", t.ID, err)
	}
	if id := dec.ID(); hex.EncodeToString(id[:]) != t.ID {
		return nil, fmt.Errorf("transaction %s: the node's view of it hashes to %x", t.ID, id)
	}
	return dec, nil
}

// chainOpening is what 'audit open' found.
type chainOpening struct {
	ev      *chain.Evidence
	tx      *chain.Tx
	accused *groupsig.Accused
	member  api.MemberSummary
	a       []byte
}

// openOnChain opens a committed anonymous transaction with the opener key
// and assembles its evidence from chain data alone: the transaction, the
// group key of its epoch, the member whose certificate at that epoch is
// the opened A (its join response's, or the re-issued one in the
// revocation record into the epoch), its join record and certificate,
// and the group's revocation records. The §5 bundle is checked
// (conditions 1-4) before it is returned.
func openOnChain(ctx context.Context, c *client.Client, ok *groupsig.OpenerKey, txID string) (*chainOpening, error) {
	tr, err := c.Tx(ctx, txID)
	if err != nil {
		return nil, apiError(err)
	}
	if tr.Kind != chain.KindAnonymous.String() {
		return nil, badInput(fmt.Errorf("transaction %s is %s, not anonymous: nothing to open", txID, tr.Kind))
	}
	if tr.Status != "committed" || tr.Height == nil {
		return nil, badInput(fmt.Errorf("transaction %s is not committed yet", txID))
	}
	tx, err := txFromJSON(tr)
	if err != nil {
		return nil, badInput(err)
	}
	gk0, err := c.GroupKey(ctx, tx.Group, 0)
	if err != nil {
		return nil, chainError(err)
	}
	if !ok.GroupKey().SameGroup(gk0) {
		return nil, badInput(fmt.Errorf("%w: the opener key is not of group %q", groupsig.ErrWrongGroup, tx.Group))
	}
	gk, err := gk0.AtEpoch(tx.Epoch)
	if err != nil {
		return nil, badInput(err)
	}
	id := tx.ID()
	var scope []byte
	if groupsig.IsTagged(tx.Auth) {
		scope = chain.TopicScope(tx.ChainID, tx.Topic)
	}
	o, err := groupsig.Open(ok, gk, id[:], scope, tx.Auth, rand.Reader)
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
	ev, err := chain.NewEvidence(tx, *tr.Height, gk0, o, join, cert, recs)
	if err != nil {
		return nil, badInput(err)
	}
	accused, err := ev.Group.Check(nil)
	if err != nil {
		return nil, checkError(fmt.Errorf("the evidence does not check: %w", err))
	}
	return &chainOpening{ev: ev, tx: tx, accused: accused, member: m, a: o.A()}, nil
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
