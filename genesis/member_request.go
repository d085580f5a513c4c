package genesis

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/veilchain/veil/chain"
)

const pemCertificateRequest = "CERTIFICATE REQUEST"

// ErrRequestSignature: a member's certificate request whose
// self-signature does not verify (the requester may not hold the key).
var ErrRequestSignature = errors.New("member request: not signed by its key")

// MemberRequest is what a member's certificate request asks the CA to
// certify: its organisation, its label and its Ed25519 identity key.
type MemberRequest struct {
	Org   string
	Label string
	Key   ed25519.PublicKey
}

// NewMemberRequest makes a member's certificate request: a PKCS#10 CSR
// (PEM "CERTIFICATE REQUEST") for O=org, CN=label, signed by the identity
// key itself, so that the CA knows the member holds it. rand nil means
// crypto/rand.
func NewMemberRequest(org, label string, key ed25519.PrivateKey, rand io.Reader) ([]byte, error) {
	if err := chain.CheckMemberNames(org, label); err != nil {
		return nil, fmt.Errorf("member request: %w", err)
	}
	der, err := x509.CreateCertificateRequest(orDefault(rand), &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: label, Organization: []string{org}},
	}, key)
	if err != nil {
		return nil, fmt.Errorf("member request %q: %w", label, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificateRequest, Bytes: der}), nil
}

// ParseMemberRequest reads a member's certificate request (one PEM
// CERTIFICATE REQUEST block) and checks its self-signature, its Ed25519
// key and its names (one organisation, a label).
func ParseMemberRequest(data []byte) (*MemberRequest, error) {
	der, err := onePEMBlock(bytes.TrimSpace(data), pemCertificateRequest, "request")
	if err != nil {
		return nil, fmt.Errorf("member request: %w", err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("member request: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRequestSignature, err)
	}
	pub, ok := csr.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("member request: key is %T, want Ed25519", csr.PublicKey)
	}
	if len(csr.Subject.Organization) != 1 {
		return nil, fmt.Errorf("member request: names %d organisations, want 1", len(csr.Subject.Organization))
	}
	r := &MemberRequest{Org: csr.Subject.Organization[0], Label: csr.Subject.CommonName, Key: pub}
	if err := chain.CheckMemberNames(r.Org, r.Label); err != nil {
		return nil, fmt.Errorf("member request: %w", err)
	}
	return r, nil
}
