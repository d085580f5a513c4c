package genesis

import (
	"crypto/ed25519"
	"slices"
	"testing"
	"time"
)

// TestRenewNode: the renewed certificate keeps the node id, the key and
// the host names, gets a new serial and validity, and verifies as a node
// certificate; an expired certificate renews too, one of another CA or a
// CA certificate does not.
func TestRenewNode(t *testing.T) {
	now := time.Now()
	ca, err := newCA("testnet", now.Add(-100*time.Hour), now.Add(1000*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	oldPEM, _, err := ca.issueNode("node-3", []string{"10.1.2.3", "n3.example.com"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	old, err := ParseCertificatePEM(oldPEM)
	if err != nil {
		t.Fatal(err)
	}
	newPEM, err := ca.RenewNode(old, 240*time.Hour, nil)
	if err != nil {
		t.Fatalf("renew an expired node certificate: %v", err)
	}
	id, pub, err := NodePublicKey(newPEM, ca.Certificate())
	if err != nil {
		t.Fatalf("renewed certificate: %v", err)
	}
	cert, _ := ParseCertificatePEM(newPEM)
	if id != "node-3" || !pub.Equal(old.PublicKey.(ed25519.PublicKey)) {
		t.Fatalf("renewed for %q with another key", id)
	}
	if cert.SerialNumber.Cmp(old.SerialNumber) == 0 {
		t.Fatal("same serial number")
	}
	if d := time.Until(cert.NotAfter); d < 239*time.Hour || d > 241*time.Hour {
		t.Fatalf("NotAfter in %v, want 240h", d)
	}
	if !slices.Equal(cert.DNSNames, old.DNSNames) || len(cert.IPAddresses) != len(old.IPAddresses) {
		t.Fatalf("hosts %v %v, want %v %v", cert.DNSNames, cert.IPAddresses, old.DNSNames, old.IPAddresses)
	}
	for i := range old.IPAddresses {
		if !cert.IPAddresses[i].Equal(old.IPAddresses[i]) {
			t.Fatalf("IP SANs %v, want %v", cert.IPAddresses, old.IPAddresses)
		}
	}
	// Capped at the CA's expiry, like IssueNode.
	long, err := ca.RenewNode(old, 10000*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := ParseCertificatePEM(long); c.NotAfter.After(ca.Certificate().NotAfter) {
		t.Fatalf("renewed past the CA's NotAfter")
	}

	other := testCA(t, "testnet")
	_, err = other.RenewNode(old, 0, nil)
	mustContain(t, err, "not signed by this CA")
	_, err = ca.RenewNode(ca.Certificate(), 0, nil)
	mustContain(t, err, "node id")
	if _, err := ca.RenewNode(old, -time.Hour, nil); err == nil {
		t.Fatal("negative validity accepted")
	}
}
