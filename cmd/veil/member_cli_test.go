package main

import (
	"bytes"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/genesis"
)

// TestMemberCertificates covers the member's and the CA's side of
// identity certificates offline, with every refusal's exit status.
func TestMemberCertificates(t *testing.T) {
	t.Setenv("VEIL_NODE", "")
	dir := t.TempDir()
	ca, err := genesis.NewCA("veil-test", 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caCert, caKey := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := ca.Save(caCert, caKey); err != nil {
		t.Fatal(err)
	}
	id, csr := filepath.Join(dir, "alice.id"), filepath.Join(dir, "alice.csr")
	r1 := jsonOut(t, "member", "request-cert", "--identity", id, "--org", "Acme Bank", "--label", "alice", "--out", csr)
	if r1["identity_created"] != true || fileMode(t, id) != 0o600 || fileMode(t, filepath.Join(dir, "alice.pub")) != 0o644 {
		t.Fatalf("request-cert: %v", r1)
	}
	// The identity key is reused, the request kept unless --force.
	wantCode(t, exitUsage, "file_exists", "member", "request-cert", "--identity", id, "--org", "Acme Bank", "--label", "alice", "--out", csr)
	r2 := jsonOut(t, "member", "request-cert", "--identity", id, "--org", "Acme Bank", "--label", "alice", "--out", csr, "--force")
	if r2["identity_created"] != false || r2["identity_public_key"] != r1["identity_public_key"] {
		t.Fatalf("request-cert reusing the key: %v", r2)
	}
	wantCode(t, exitUsage, "usage", "member", "request-cert", "--identity", id, "--org", "", "--label", "alice", "--out", filepath.Join(dir, "x.csr"))
	wantCode(t, exitUsage, "usage", "member", "request-cert", "--identity", id, "--org", "Acme", "--label", strings.Repeat("l", 65), "--out", filepath.Join(dir, "x.csr"))
	wantCode(t, exitUsage, "usage", "member", "request-cert", "--identity", csr, "--org", "Acme", "--label", "alice", "--out", filepath.Join(dir, "x.csr"))

	crt := filepath.Join(dir, "alice.crt")
	c := jsonOut(t, "ca", "issue-member", "--ca-cert", caCert, "--ca-key", caKey, "--request", csr, "--out", crt, "--org", "Acme Bank")
	if c["label"] != "alice" || c["identity_public_key"] != r1["identity_public_key"] {
		t.Fatalf("issue-member: %v", c)
	}
	data, _ := os.ReadFile(crt)
	cert, err := genesis.ParseCertificatePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := genesis.VerifyMember(cert, ca.Certificate(), cert.NotBefore.Add(1)); err != nil {
		t.Fatalf("the certificate is no member certificate: %v", err)
	}
	if _, _, err := genesis.VerifyNode(cert, ca.Certificate(), cert.NotBefore.Add(1)); err == nil {
		t.Fatal("a member certificate passes for a node's")
	}
	// A request whose signature does not verify is refused; so is a key that is not the certificate's.
	block, _ := pem.Decode(mustRead(t, csr))
	block.Bytes[len(block.Bytes)-1] ^= 1
	forged := filepath.Join(dir, "forged.csr")
	if err := os.WriteFile(forged, pem.EncodeToMemory(block), 0o644); err != nil {
		t.Fatal(err)
	}
	wantCode(t, exitRefused, "bad_certificate", "ca", "issue-member", "--ca-cert", caCert, "--ca-key", caKey, "--request", forged, "--out", filepath.Join(dir, "f.crt"))
	wantCode(t, exitUsage, "usage", "ca", "issue-member", "--ca-cert", caCert, "--ca-key", id, "--request", csr, "--out", filepath.Join(dir, "g.crt"))
	wantCode(t, exitUsage, "usage", "ca", "issue-member", "--ca-cert", caCert, "--ca-key", caKey, "--request", crt, "--out", filepath.Join(dir, "h.crt"))
	wantCode(t, exitUsage, "usage", "ca", "issue-member", "--ca-cert", caCert, "--ca-key", caKey, "--request", csr, "--out", filepath.Join(dir, "i.crt"), "--validity", "-1h")
	for _, f := range []string{"f.crt", "g.crt", "h.crt", "i.crt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Fatalf("a refused issue wrote %s", f)
		}
	}

	// The on-chain commands refuse bad input before touching a node.
	key := filepath.Join(dir, "alice.key")
	wantCode(t, exitUsage, "usage", "group", "join", "--group", "payments", "--identity", id, "--cert", crt, "--out", key)                                // no node
	wantCode(t, exitUsage, "usage", "group", "join", "--node", "http://127.0.0.1:1", "--group", "payments", "--identity", id, "--out", key)               // no --cert
	wantCode(t, exitUsage, "usage", "group", "join", "--node", "http://127.0.0.1:1", "--group", "payments", "--identity", id, "--cert", id, "--out", key) // not a certificate
	wantCode(t, exitUsage, "usage", "tx", "send", "--key", key, "--topic", "t", "--data", "x")
	wantCode(t, exitUsage, "usage", "group", "update-key", "--key", key, "--prev", strings.Repeat("00", 32))
	wantCode(t, exitUsage, "usage", "group", "update-key", "--key", key, "--record", "r", "--group", "payments")
	wantCode(t, exitUsage, "usage", "topic", "set", "--topic", "t", "--admin-key", caKey)
	wantCode(t, exitUsage, "usage", "audit", "check", "--evidence", filepath.Join(dir, "missing.json"))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}
