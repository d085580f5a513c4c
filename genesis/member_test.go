package genesis

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
)

func TestMemberCertificate(t *testing.T) {
	ca, err := NewCA("test-chain", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	certPEM, err := ca.IssueMember("bank-a", "alice", pub, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	id, err := VerifyMember(cert, ca.Certificate(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if id.Org != "bank-a" || id.Label != "alice" || !id.Key.Equal(pub) {
		t.Fatalf("identity %+v", id)
	}
	// A member certificate never admits a node, and a node certificate is
	// never a member identity.
	if _, _, err := VerifyNode(cert, ca.Certificate(), time.Now()); err == nil {
		t.Fatal("member certificate accepted as a node certificate")
	}
	nodePEM, _, err := ca.IssueNode("node-1", nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	nodeCert, _ := ParseCertificatePEM(nodePEM)
	if _, err := VerifyMember(nodeCert, ca.Certificate(), time.Now()); err == nil || !strings.Contains(err.Error(), "extended key usage") {
		t.Fatalf("node certificate as a member identity: %v", err)
	}
	// Another CA's member, and an expired one, are refused.
	other, _ := NewCA("other-chain", 0, nil)
	if _, err := VerifyMember(cert, other.Certificate(), time.Now()); err == nil {
		t.Fatal("member certificate verified under another CA")
	}
	if _, err := VerifyMember(cert, ca.Certificate(), time.Now().Add(3*DefaultMemberValidity)); err == nil {
		t.Fatal("expired member certificate verified")
	}
	for _, bad := range [][2]string{{"", "alice"}, {"bank-a", ""}, {strings.Repeat("o", chain.MaxOrgLen+1), "alice"}, {"bank-a", strings.Repeat("l", 65)}} {
		if _, err := ca.IssueMember(bad[0], bad[1], pub, 0, nil); err == nil {
			t.Errorf("issued a member certificate for %q/%q", bad[0], bad[1])
		}
	}
}
