package genesis

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

const pemCRL = "X509 CRL"

// DefaultCRLValidity is how far NextUpdate lies after ThisUpdate when
// RevokeNodes is given 0.
const DefaultCRLValidity = 30 * 24 * time.Hour

// RevokeNodes returns a PEM CRL, signed by the CA, that lists serials (the
// serial numbers of revoked node certificates). number is the CRL number
// and must grow with each CRL the CA issues; validity sets NextUpdate (0
// means DefaultCRLValidity). A CRL replaces the previous one, so list every
// revoked serial that has not yet expired, not only the new ones.
func (ca *CA) RevokeNodes(serials []*big.Int, number uint64, validity time.Duration, rand io.Reader) ([]byte, error) {
	if validity < 0 {
		return nil, errors.New("revoke nodes: negative validity")
	}
	if validity == 0 {
		validity = DefaultCRLValidity
	}
	now := time.Now()
	entries := make([]x509.RevocationListEntry, 0, len(serials))
	for i, s := range serials {
		if s == nil || s.Sign() <= 0 {
			return nil, fmt.Errorf("revoke nodes: serial %d is not a positive number", i)
		}
		entries = append(entries, x509.RevocationListEntry{SerialNumber: new(big.Int).Set(s), RevocationTime: now})
	}
	tmpl := &x509.RevocationList{
		Number:                    new(big.Int).SetUint64(number),
		ThisUpdate:                now.Add(-clockSkew),
		NextUpdate:                now.Add(validity),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(orDefault(rand), tmpl, ca.cert, ca.key)
	if err != nil {
		return nil, fmt.Errorf("revoke nodes: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemCRL, Bytes: der}), nil
}

// CRL is a verified certificate revocation list of the chain CA.
type CRL struct {
	Number     *big.Int
	ThisUpdate time.Time
	NextUpdate time.Time
	Serials    []*big.Int // serial numbers of revoked node certificates
	revoked    map[string]bool
}

// ParseCRL parses one PEM "X509 CRL" block and checks that ca issued and
// signed it. It does not refuse a CRL past its NextUpdate: a stale list
// still names certificates that must stay out, so the caller decides
// whether to warn.
func ParseCRL(data []byte, ca *x509.Certificate) (*CRL, error) {
	if ca == nil {
		return nil, errors.New("parse CRL: no CA certificate")
	}
	der, err := onePEMBlock(data, pemCRL, "CRL")
	if err != nil {
		return nil, fmt.Errorf("parse CRL: %w", err)
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("parse CRL: %w", err)
	}
	if !bytes.Equal(rl.RawIssuer, ca.RawSubject) {
		return nil, errors.New("parse CRL: issuer is not the chain CA")
	}
	if err := rl.CheckSignatureFrom(ca); err != nil {
		return nil, fmt.Errorf("parse CRL: signature: %w", err)
	}
	c := &CRL{Number: rl.Number, ThisUpdate: rl.ThisUpdate, NextUpdate: rl.NextUpdate, revoked: map[string]bool{}}
	for _, e := range rl.RevokedCertificateEntries {
		c.Serials = append(c.Serials, e.SerialNumber)
		c.revoked[e.SerialNumber.String()] = true
	}
	return c, nil
}

// Revoked reports whether the certificate with this serial is revoked.
func (c *CRL) Revoked(serial *big.Int) bool {
	return c != nil && serial != nil && c.revoked[serial.String()]
}

// IsRevoked reports whether cert is revoked by this CRL.
func (c *CRL) IsRevoked(cert *x509.Certificate) bool {
	return cert != nil && c.Revoked(cert.SerialNumber)
}
