package main

import (
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/groupsig/bbs04"
)

// TestCLIv1Routing checks that the group commands still serve a v1 group
// directory, as genesis and testnet write it, and send v2 work to v2.
func TestCLIv1Routing(t *testing.T) {
	t.Setenv("VEIL_NODE", "")
	dir := t.TempDir()
	g := bbs04.GroupDir{Dir: filepath.Join(dir, "groups"), Name: "acme"}
	if _, err := g.Create(rand.Reader); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, l := range []string{"alice", "bob"} {
		mk, err := g.AddMember(l, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys[l] = filepath.Join(dir, l+".key")
		if err := bbs04.WriteFile(keys[l], mk); err != nil {
			t.Fatal(err)
		}
	}

	// Offline v1 issuance is gone; on chain it needs the admin key and a node.
	if _, msg, _ := wantError(t, exitUsage, "group", "add-member", "--dir", g.Dir, "--name", "acme", "--label", "carol", "--out", filepath.Join(dir, "carol.key")); !strings.Contains(msg, "join-request") {
		t.Fatalf("add-member without --admin-key: %s", msg)
	}
	wantError(t, exitUsage, "group", "create", "--name", "globex", "--dir", g.Dir, "--admin-key", filepath.Join(dir, "admin.key"))

	// A v1 directory revokes the v1 way, one label at a time, and v1 keys update with v1 records.
	wantError(t, exitUsage, "group", "revoke", "--dir", g.Dir, "--name", "acme", "--label", "alice", "--label", "bob")
	rev := jsonOut(t, "group", "revoke", "--dir", g.Dir, "--name", "acme", "--label", "alice")
	if rev["record_file"] != g.RevocationPath(1) {
		t.Fatalf("v1 revoke: %v", rev)
	}
	if code, _, _ := wantError(t, exitRefused, "group", "update-key", "--key", keys["alice"], "--record", g.RevocationPath(1)); code != "revoked" {
		t.Fatalf("v1 revoked update: code %q", code)
	}
	if up := jsonOut(t, "group", "update-key", "--key", keys["bob"], "--record", g.RevocationPath(1)); up["epoch"] != float64(1) {
		t.Fatalf("v1 update: %v", up)
	}
	wantError(t, exitUsage, "group", "update-key", "--key", keys["bob"], "--record", g.RevocationPath(1), "--prev", strings.Repeat("00", 32))

	// v1 keys do not sign offline any more, and say why.
	if _, msg, _ := wantError(t, exitUsage, "sign", "--key", keys["bob"], "--message", "x"); !strings.Contains(msg, "v1") {
		t.Fatalf("v1 key given to sign: %s", msg)
	}

	// A v2 directory is offline only.
	v2 := t.TempDir()
	mustRun(t, "group", "create", "--name", "acme", "--dir", v2)
	wantError(t, exitUsage, "group", "revoke", "--dir", v2, "--name", "acme", "--label", "x", "--admin-key", filepath.Join(dir, "admin.key"))
	wantError(t, exitUsage, "group", "add-member", "--dir", v2, "--name", "acme", "--label", "x", "--out", filepath.Join(v2, "x.key"),
		"--admin-key", filepath.Join(dir, "admin.key"), "--node", "http://127.0.0.1:1")
	if _, msg, _ := wantError(t, exitUsage, "group", "revoke", "--dir", v2, "--name", "nothing", "--label", "x"); !strings.Contains(msg, "no group") {
		t.Fatalf("revoke of a missing group: %s", msg)
	}
}
