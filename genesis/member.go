package genesis

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"
	"time"

	"github.com/veilchain/veil/chain"
)

// DefaultMemberValidity is a member identity certificate's lifetime when
// IssueMember is given 0.
const DefaultMemberValidity = 2 * 365 * 24 * time.Hour

// IssueMember certifies a member's Ed25519 identity key for org and label,
// valid for validity (0 means DefaultMemberValidity), and returns the
// certificate as PEM.
func (ca *CA) IssueMember(org, label string, key ed25519.PublicKey, validity time.Duration, rand io.Reader) ([]byte, error) {
	if err := chain.CheckMemberNames(org, label); err != nil {
		return nil, fmt.Errorf("issue member %q: %w", label, err)
	}
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("issue member %q: identity key is %d bytes, want %d", label, len(key), ed25519.PublicKeySize)
	}
	if validity < 0 {
		return nil, fmt.Errorf("issue member %q: negative validity", label)
	}
	if validity == 0 {
		validity = DefaultMemberValidity
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter // a leaf outliving its CA would fail to verify anyway
	}
	rand = orDefault(rand)
	serial, err := randomSerial(rand)
	if err != nil {
		return nil, fmt.Errorf("issue member %q: %w", label, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         label,
			Organization:       []string{org},
			OrganizationalUnit: ca.cert.Subject.OrganizationalUnit, // the chain id
		},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{chain.OIDDocumentSigning},
		Policies:              []x509.OID{chain.OIDMemberPolicy},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand, tmpl, ca.cert, key, ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue member %q: %w", label, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}), nil
}

// VerifyMember checks a member identity certificate against the chain CA
// (see chain.VerifyMember).
func VerifyMember(cert, ca *x509.Certificate, at time.Time) (*chain.MemberIdentity, error) {
	return chain.VerifyMember(cert, ca, at)
}
