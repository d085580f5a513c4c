package chain

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/veilchain/veil/groupsig"
)

// Evidence is a dispute's bundle, built from chain data alone: the
// committed anonymous transaction itself, the group-signature evidence of
// SPEC-groupsig-v2 §5 for its signature (opening, the member's join
// record, the revocation records into its epoch) and the member's identity
// certificate. Anyone holding the consortium CA certificate checks it
// offline with Check: no node, no secret. Its JSON form is what `veil
// audit open` writes and `veil audit check` reads.
type Evidence struct {
	ChainID string            `json:"chain_id"`
	Height  uint64            `json:"height"` // where the transaction was committed (informative)
	Tx      groupsig.HexBytes `json:"tx"`     // the transaction's canonical encoding
	// Group is the §5 bundle; its message is the transaction id and its
	// signature the transaction's.
	Group groupsig.Evidence `json:"group_evidence"`
	// MemberCert is the accused's identity certificate (DER), which the
	// ledger checked when the join request was committed.
	MemberCert groupsig.HexBytes `json:"member_cert"`
}

// ErrEvidence marks evidence that does not hold together outside the
// group-signature check: a transaction that is not the one signed, or a
// certificate that does not name the member who joined.
var ErrEvidence = errors.New("evidence refused")

// Finding is what checked evidence establishes.
type Finding struct {
	TxID  [32]byte
	Group string
	Topic string
	Epoch uint64
	// Member is the accused as the consortium CA certified it: the owner of
	// this identity key signed the transaction; the issuer could not have.
	Member MemberIdentity
}

// NewEvidence assembles the bundle for tx (committed at height) opened
// with o: gk0 is the group's gpk_0, join the member's join record, cert
// its identity certificate (DER) and records the group's revocation
// records (at least into tx's epoch).
func NewEvidence(tx *Tx, height uint64, gk0 *groupsig.GroupKey, o *groupsig.Opening, join *groupsig.JoinRecord, cert []byte, records []*groupsig.RevocationRecord) (*Evidence, error) {
	if tx.Kind != KindAnonymous {
		return nil, fmt.Errorf("evidence: transaction is %s, not anonymous", tx.Kind)
	}
	gk, err := gk0.AtEpoch(tx.Epoch)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	id := tx.ID()
	ge, err := groupsig.NewEvidence(gk, id[:], txScope(tx), tx.Auth, o, join, records)
	if err != nil {
		return nil, err
	}
	return &Evidence{ChainID: tx.ChainID, Height: height, Tx: tx.Encode(), Group: *ge, MemberCert: cert}, nil
}

// txScope is the scope a transaction's signature is made in: the topic's
// for a tagged signature, none for an untagged one.
func txScope(tx *Tx) []byte {
	if groupsig.IsTagged(tx.Auth) {
		return TopicScope(tx.ChainID, tx.Topic)
	}
	return nil
}

// Check verifies the bundle against the consortium CA: the transaction
// decodes and is the message signed, in its topic's scope; the §5
// accountable-opening check holds (groupsig.Evidence.Check: the opening,
// the join record's proof and idsig, the records' chain); and the identity
// certificate chains to ca as a member certificate for the join record's
// label and identity key (condition 5). The certificate is checked at the
// start of its validity: the question is whether the CA certified this
// key for this member, which a later expiry does not undo. A refusal wraps
// ErrEvidence, groupsig.ErrNotAccountable or groupsig.ErrMalformed.
func (ev *Evidence) Check(ca *x509.Certificate) (*Finding, error) {
	tx, err := evidenceTx(ev.Tx, ev.ChainID)
	if err != nil {
		return nil, err
	}
	id := tx.ID()
	switch {
	case !bytes.Equal(ev.Group.Message, id[:]):
		return nil, fmt.Errorf("%w: the opened message is not this transaction's id", ErrEvidence)
	case !bytes.Equal(ev.Group.Signature, tx.Auth):
		return nil, fmt.Errorf("%w: the opened signature is not this transaction's", ErrEvidence)
	case !bytes.Equal(ev.Group.Scope, txScope(tx)):
		return nil, fmt.Errorf("%w: the scope is not the transaction's topic scope", ErrEvidence)
	case ev.Group.Epoch != tx.Epoch:
		return nil, fmt.Errorf("%w: the bundle's epoch %d is not the transaction's %d", ErrEvidence, ev.Group.Epoch, tx.Epoch)
	}
	mi, err := evidenceMember(ev.MemberCert, ca)
	if err != nil {
		return nil, err
	}
	acc, err := ev.Group.Check(mi.Key)
	if err != nil {
		return nil, err
	}
	if acc.Label != mi.Label {
		return nil, fmt.Errorf("%w: the certificate is for %q, the join record for %q", ErrEvidence, mi.Label, acc.Label)
	}
	return &Finding{TxID: id, Group: tx.Group, Topic: tx.Topic, Epoch: tx.Epoch, Member: *mi}, nil
}

// evidenceTx decodes a bundle's transaction: an anonymous one of chainID.
func evidenceTx(raw []byte, chainID string) (*Tx, error) {
	tx, err := DecodeTx(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: transaction: %w", ErrEvidence, err)
	}
	switch {
	case tx.Kind != KindAnonymous:
		return nil, fmt.Errorf("%w: transaction is %s, not anonymous", ErrEvidence, tx.Kind)
	case tx.ChainID != chainID:
		return nil, fmt.Errorf("%w: transaction is of chain %q, the bundle says %q", ErrEvidence, tx.ChainID, chainID)
	}
	return tx, nil
}

// evidenceMember checks a bundle's member certificate (DER) against ca, at
// the start of its validity: whether the CA certified this key for this
// member, which a later expiry does not undo.
func evidenceMember(der []byte, ca *x509.Certificate) (*MemberIdentity, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: member certificate: %w", ErrEvidence, err)
	}
	mi, err := VerifyMember(cert, ca, cert.NotBefore)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEvidence, err)
	}
	return mi, nil
}
