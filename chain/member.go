package chain

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// MaxOrgLen bounds a member certificate's organisation name.
const MaxOrgLen = 64

// Member identity certificates. A member's Ed25519 identity key signs its
// group join request (SPEC-groupsig-v2 §3); the chain CA certifies the key
// with a certificate that names the member's organisation (O) and label
// (CN) and that can never pass for a node certificate: its extended key
// usage is id-kp-documentSigning (RFC 9336) instead of TLS server and
// client auth, which node certificates must carry both of, and it carries
// veil's member-identity policy, which node certificates never do.
var (
	// OIDDocumentSigning is id-kp-documentSigning, RFC 9336.
	OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	// OIDMemberPolicy is the certificate policy "veil member identity", a
	// UUID OID (ITU-T X.667, arc 2.25).
	OIDMemberPolicy = mustOID("2.25.164137050930739078470150837906457310813")
)

func mustOID(s string) x509.OID {
	oid, err := x509.ParseOID(s)
	if err != nil {
		panic(err)
	}
	return oid
}

// MemberIdentity is what a verified member certificate says.
type MemberIdentity struct {
	Org   string            // the member's organisation
	Label string            // the member label it may join groups under
	Key   ed25519.PublicKey // the identity key that signs join requests
}

// CheckMemberNames checks a member certificate's organisation and label.
func CheckMemberNames(org, label string) error {
	if org == "" || len(org) > MaxOrgLen || !utf8.ValidString(org) {
		return fmt.Errorf("organisation must be 1 to %d bytes of UTF-8", MaxOrgLen)
	}
	if label == "" || len(label) > MaxLabelLen || !utf8.ValidString(label) {
		return fmt.Errorf("label must be 1 to %d bytes of UTF-8", MaxLabelLen)
	}
	return nil
}

// VerifyMember checks that cert is a member identity certificate issued by
// ca and valid at at: chained to ca, not a CA, document signing and the
// member policy, no TLS usage, an Ed25519 key. A node certificate is
// refused, and VerifyNode refuses a member certificate.
func VerifyMember(cert, ca *x509.Certificate, at time.Time) (*MemberIdentity, error) {
	if ca == nil {
		return nil, errors.New("member cert: no CA certificate")
	}
	label := cert.Subject.CommonName
	if cert.IsCA {
		return nil, fmt.Errorf("member cert %q: is a CA certificate", label)
	}
	if len(cert.Subject.Organization) != 1 {
		return nil, fmt.Errorf("member cert %q: names %d organisations, want 1", label, len(cert.Subject.Organization))
	}
	org := cert.Subject.Organization[0]
	if err := CheckMemberNames(org, label); err != nil {
		return nil, fmt.Errorf("member cert %q: %w", label, err)
	}
	if len(cert.ExtKeyUsage) != 0 || !slices.ContainsFunc(cert.UnknownExtKeyUsage, OIDDocumentSigning.Equal) {
		return nil, fmt.Errorf("member cert %q: extended key usage must be document signing alone (no TLS usage)", label)
	}
	if !slices.ContainsFunc(cert.Policies, OIDMemberPolicy.Equal) {
		return nil, fmt.Errorf("member cert %q: lacks veil's member identity policy", label)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("member cert %q: key is %T, want Ed25519", label, cert.PublicKey)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("member cert %q: %w", label, err)
	}
	return &MemberIdentity{Org: org, Label: label, Key: pub}, nil
}
