package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// TestIssueOperator: the certificate and its key (0600) are written, pass
// genesis.VerifyOperator, and are not overwritten without --force.
func TestIssueOperator(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "genesis", "init", "--dir", dir, "--nodes", "1")
	l := &genesis.Layout{Dir: dir}
	crt, key := filepath.Join(dir, "op.crt"), filepath.Join(dir, "op.key")
	args := []string{"ca", "issue-operator", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--name", "ops-alice", "--cert-out", crt, "--key-out", key}
	res := jsonOut(t, args...)
	if res["name"] != "ops-alice" || res["key_file"] != key {
		t.Errorf("result %v", res)
	}
	if m := fileMode(t, key); m != 0o600 {
		t.Errorf("key mode %o, want 600", m)
	}
	pemData, err := os.ReadFile(crt)
	if err != nil {
		t.Fatal(err)
	}
	c, err := genesis.ParseCertificatePEM(pemData)
	if err != nil {
		t.Fatal(err)
	}
	if err := genesis.VerifyOperator(c); err != nil {
		t.Errorf("issued certificate: %v", err)
	}
	if code, msg, _ := wantError(t, 2, args...); !strings.Contains(msg, "exists") {
		t.Errorf("second issue without --force: %s %s", code, msg)
	}
	mustRun(t, append(args, "--force")...)
}

// TestTLSNode: a node serving its API over TLS answers the CLI given the
// chain CA by --tls-ca or $VEIL_CA, and not without it.
func TestTLSNode(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 1, APITLS: true})
	url := net.URL(0)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("URL %s", url)
	}
	ca := net.Layout.CACert()
	if st := jsonOut(t, "status", "--node", url, "--tls-ca", ca); st["node_id"] != "node-1" {
		t.Errorf("status over TLS: %v", st)
	}
	if out, code := run(t, "status", "--node", url); code == 0 {
		t.Errorf("status without the chain CA succeeded: %s", out)
	}
	t.Setenv("VEIL_CA", ca)
	if st := jsonOut(t, "status", "--node", url); st["node_id"] != "node-1" {
		t.Errorf("status with $VEIL_CA: %v", st)
	}
	if _, code := run(t, "status", "--node", url, "--tls-cert", ca); code != 2 {
		t.Errorf("--tls-cert without --tls-key: exit %d, want 2", code)
	}
}
