package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestNoKeyFileOverwritten runs each command that writes a secret twice:
// the second run is refused (file_exists or an existing network) and
// leaves every secret byte for byte as it was; only --force replaces.
func TestNoKeyFileOverwritten(t *testing.T) {
	dir := t.TempDir()
	read := func(p string) []byte {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	same := func(p string, before []byte) {
		t.Helper()
		if !bytes.Equal(read(p), before) {
			t.Fatalf("%s was replaced", p)
		}
	}

	id := filepath.Join(dir, "alice.id")
	mustRun(t, "member", "keygen", "--out", id)
	key := read(id)
	wantCode(t, exitUsage, "file_exists", "member", "keygen", "--out", id)
	same(id, key)
	mustRun(t, "member", "keygen", "--out", id, "--force")
	if bytes.Equal(read(id), key) {
		t.Fatal("--force did not replace the key")
	}

	net := filepath.Join(dir, "net")
	mustRun(t, "genesis", "init", "--dir", net, "--nodes", "1")
	admin, ca, nodeKey := read(filepath.Join(net, "admin.key")), read(filepath.Join(net, "ca", "ca.key")), read(filepath.Join(net, "nodes", "node-1", "node.key"))
	wantError(t, exitUsage, "genesis", "init", "--dir", net, "--nodes", "1")
	// A partial layout (genesis.json gone) is refused too, not rewritten.
	if err := os.Remove(filepath.Join(net, "genesis.json")); err != nil {
		t.Fatal(err)
	}
	wantError(t, exitUsage, "genesis", "init", "--dir", net, "--nodes", "1")
	same(filepath.Join(net, "admin.key"), admin)
	same(filepath.Join(net, "ca", "ca.key"), ca)
	same(filepath.Join(net, "nodes", "node-1", "node.key"), nodeKey)

	issuer := filepath.Join(dir, "issuer")
	mustRun(t, "group", "create", "--name", "acme", "--dir", issuer)
	ik, ok := read(filepath.Join(issuer, "acme.issuer.key")), read(filepath.Join(issuer, "acme.opener.key"))
	wantCode(t, exitUsage, "file_exists", "group", "create", "--name", "acme", "--dir", issuer)
	same(filepath.Join(issuer, "acme.issuer.key"), ik)
	same(filepath.Join(issuer, "acme.opener.key"), ok)
	// group create has no default directory for its secrets.
	wantCode(t, exitUsage, "usage", "group", "create", "--name", "other")

	req := filepath.Join(dir, "alice.req")
	mustRun(t, "group", "join-request", "--gpk", filepath.Join(issuer, "acme.gpk"), "--label", "alice", "--identity", id, "--out", req)
	secret := read(req + ".secret")
	if err := os.Remove(req); err != nil {
		t.Fatal(err)
	}
	wantCode(t, exitUsage, "file_exists", "group", "join-request", "--gpk", filepath.Join(issuer, "acme.gpk"), "--label", "alice", "--identity", id, "--out", req)
	same(req+".secret", secret)
}
