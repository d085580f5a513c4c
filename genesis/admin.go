package genesis

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// OIDOperatorPolicy is the certificate policy "veil operator": a client
// certificate carrying it may use a node's admin endpoints (log levels,
// pprof: the operations port's HandleAdmin). A UUID OID (ITU-T X.667,
// arc 2.25). Node and member certificates never carry it, so neither a
// node's key nor a member's opens another node's admin endpoints.
var OIDOperatorPolicy = func() x509.OID {
	oid, err := x509.ParseOID("2.25.6781148789614145456311416678686144341")
	if err != nil {
		panic(err)
	}
	return oid
}()

// DefaultOperatorValidity is an operator certificate's lifetime when
// IssueOperator is given 0: short, as it opens every node's admin
// endpoints and is easily re-issued.
const DefaultOperatorValidity = 90 * 24 * time.Hour

// ErrNotOperator is wrapped by VerifyOperator's refusals.
var ErrNotOperator = errors.New("not an operator certificate")

// IssueOperator makes a key pair and an operator certificate for name
// (its CN, a node-id-like name: [a-z0-9-]), signed by the chain CA, for
// TLS client authentication under OIDOperatorPolicy. The key is ECDSA
// P-256, not Ed25519 like node keys, because browsers (pprof pages) and
// older TLS clients do not present Ed25519 client certificates.
func (ca *CA) IssueOperator(name string, validity time.Duration, rand io.Reader) (certPEM, keyPEM []byte, err error) {
	if !ValidNodeID(name) {
		return nil, nil, fmt.Errorf("issue operator %q: the name must be 1 to 64 characters of [a-z0-9-], starting with a letter or digit", name)
	}
	if validity < 0 {
		return nil, nil, fmt.Errorf("issue operator %q: negative validity", name)
	}
	if validity == 0 {
		validity = DefaultOperatorValidity
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	rand = orDefault(rand)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand)
	if err != nil {
		return nil, nil, fmt.Errorf("issue operator %q: generate key: %w", name, err)
	}
	serial, err := randomSerial(rand)
	if err != nil {
		return nil, nil, fmt.Errorf("issue operator %q: %w", name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:         name,
			Organization:       ca.cert.Subject.Organization,
			OrganizationalUnit: ca.cert.Subject.OrganizationalUnit,
		},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		Policies:              []x509.OID{OIDOperatorPolicy},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue operator %q: %w", name, err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue operator %q: %w", name, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: pkcs8}), nil
}

// VerifyOperator checks that cert, already verified against the chain CA
// for client authentication, is an operator certificate: it carries
// OIDOperatorPolicy and no server usage (a node certificate has one).
func VerifyOperator(cert *x509.Certificate) error {
	if !slices.ContainsFunc(cert.Policies, OIDOperatorPolicy.Equal) {
		return fmt.Errorf("%w: %q lacks the veil operator policy (node and member certificates never have it; issue one with 'veil ca issue-operator')", ErrNotOperator, cert.Subject.CommonName)
	}
	if slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return fmt.Errorf("%w: %q is also a server certificate", ErrNotOperator, cert.Subject.CommonName)
	}
	return nil
}
