package genesis

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

// TestOperatorCertificate: an operator certificate verifies for client
// authentication against its CA and passes VerifyOperator; node and
// member certificates of the same CA do not.
func TestOperatorCertificate(t *testing.T) {
	ca, err := NewCA("veil-test", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(pemData []byte) *x509.Certificate {
		t.Helper()
		c, err := ParseCertificatePEM(pemData)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	opPEM, keyPEM, err := ca.IssueOperator("ops-alice", 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	op := parse(opPEM)
	if _, err := op.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("operator certificate does not verify for client auth: %v", err)
	}
	if err := VerifyOperator(op); err != nil {
		t.Errorf("VerifyOperator(operator): %v", err)
	}
	if op.Subject.CommonName != "ops-alice" || op.NotAfter.After(ca.Certificate().NotAfter) || len(keyPEM) == 0 {
		t.Errorf("operator certificate CN %q not after %v (CA %v)", op.Subject.CommonName, op.NotAfter, ca.Certificate().NotAfter)
	}
	nodePEM, _, err := ca.IssueNode("node-1", nil, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	memberPEM, err := ca.IssueMember("acme", "alice", pub, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*x509.Certificate{"node": parse(nodePEM), "member": parse(memberPEM)} {
		if err := VerifyOperator(c); !errors.Is(err, ErrNotOperator) {
			t.Errorf("VerifyOperator(%s certificate): %v, want ErrNotOperator", name, err)
		}
	}
	if _, _, err := ca.IssueOperator("Not A Name", 0, rand.Reader); err == nil {
		t.Error("an operator name with spaces accepted")
	}
}
