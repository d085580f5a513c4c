package p2p

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"
)

// TestVerifyClient: a client certificate counts only if it chains to the
// current chain CA, is valid now and its serial is not revoked.
func TestVerifyClient(t *testing.T) {
	ca, other := newTestCA(t, "chain"), newTestCA(t, "other")
	id := newIdentity(t, ca, "node-1", certOpts{})
	parse := func(certPEM []byte) []*x509.Certificate {
		blk, _ := pem.Decode(certPEM)
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return []*x509.Certificate{c}
	}
	good, _ := ca.issue(t, "ops", certOpts{})
	if leaf, err := id.VerifyClient(parse(good)); err != nil || leaf.Subject.CommonName != "ops" {
		t.Fatalf("good client certificate: %v", err)
	}
	alien, _ := other.issue(t, "ops", certOpts{})
	expired, _ := ca.issue(t, "ops", certOpts{notAfter: time.Now().Add(-time.Minute)})
	revoked, _ := ca.issue(t, "ops", certOpts{})
	rc := parse(revoked)
	id.RevokeSerial(rc[0].SerialNumber)
	for name, certs := range map[string][]*x509.Certificate{"none": nil, "another CA": parse(alien), "expired": parse(expired), "revoked serial": rc} {
		if _, err := id.VerifyClient(certs); !errors.Is(err, ErrPeerRefused) {
			t.Errorf("%s: %v, want ErrPeerRefused", name, err)
		}
	}
	if c := id.HTTPSConfig(); c.GetCertificate == nil || len(c.NextProtos) != 1 || c.NextProtos[0] != "http/1.1" {
		t.Errorf("HTTPSConfig %+v", c)
	}
}
