package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"

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

// openTxError maps a failed client.OpenTx: a transaction that is not
// openable, or an opener key of another group, is bad input (exit 2); an A
// no member holds, a signature or evidence that does not check is refused
// (exit 1); a node's refusal or an unreachable node as chainError.
func openTxError(err error) error {
	var ae *client.Error
	switch {
	case errors.Is(err, client.ErrNotOpenable):
		return badInput(err)
	case errors.As(err, &ae):
		return chainError(err)
	case errors.Is(err, groupsig.ErrUnknownMember), errors.Is(err, groupsig.ErrNotAccountable), errors.Is(err, groupsig.ErrInvalidSignature):
		return refused(err)
	}
	return checkError(err)
}
