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

// TestRenewNodeCLI: `veil ca renew-node` renews a node's certificate for
// the same key after asking a node's operations port, refuses to
// overwrite without --force, and refuses a node revoked on chain.
func TestRenewNodeCLI(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 3, Tweak: func(c *node.Config) { c.OpsAddr = "127.0.0.1:0" }})
	l := net.Layout
	ops := "https://" + net.Nodes[0].OpsAddr()
	out := filepath.Join(t.TempDir(), "node-2.crt")
	args := []string{"ca", "renew-node", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--cert", l.NodeCert(2), "--out", out,
		"--ops", ops, "--tls-ca", l.CACert(), "--validity", "240h"}
	res, code := runOut(t, append(args, "-o", "json")...)
	if code != 0 {
		all, _ := run(t, args...)
		t.Fatalf("renew-node: exit %d: %s", code, all)
	}
	m := jsonOf(t, res)
	oldPEM, _ := os.ReadFile(l.NodeCert(2))
	newPEM, _ := os.ReadFile(out)
	old, _ := genesis.ParseCertificatePEM(oldPEM)
	renewed, err := genesis.ParseCertificatePEM(newPEM)
	if err != nil {
		t.Fatal(err)
	}
	if m["node"] != "node-2" || m["serial"] != renewed.SerialNumber.Text(16) || m["previous_serial"] != old.SerialNumber.Text(16) || m["revocation_checked"] != true {
		t.Fatalf("renew-node printed %v", m)
	}
	ca, err := genesis.LoadCA(l.CACert(), l.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	if id, key, err := genesis.NodePublicKey(newPEM, ca.Certificate()); err != nil || id != "node-2" || !key.Equal(old.PublicKey) {
		t.Fatalf("renewed certificate: %q %v", id, err)
	}
	wantCode(t, 2, "file_exists", args...)
	wantCode(t, 2, "usage", "ca", "renew-node", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--cert", l.NodeCert(2), "--out", out+"2")

	// Revoke node-3 on chain; its renewal is refused.
	if got, code := run(t, "node", "revoke", "--node", net.URL(0), "--admin-key", l.AdminKey(), "--id", "node-3"); code != 0 {
		t.Fatalf("node revoke: exit %d: %s", code, got)
	}
	args3 := []string{"ca", "renew-node", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--cert", l.NodeCert(3),
		"--out", filepath.Join(t.TempDir(), "node-3.crt"), "--ops", ops, "--tls-ca", l.CACert()}
	_, msg, _ := wantError(t, 1, args3...)
	if !strings.Contains(msg, "node-3 is revoked") {
		t.Fatalf("renewal of a revoked node: %s", msg)
	}
}

// TestBackupRestoreCLI: `veil node backup` downloads a checked backup
// from a running node's operations port with an admin certificate (and
// is refused without one); `veil node restore` installs it into an empty
// data directory, refuses a non-empty one and a corrupted backup.
func TestBackupRestoreCLI(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 1, Tweak: func(c *node.Config) { c.OpsAddr = "127.0.0.1:0" }})
	l := net.Layout
	ops := "https://" + net.Nodes[0].OpsAddr()
	dir := filepath.Join(t.TempDir(), "backup")
	backup := []string{"node", "backup", "--ops", ops, "--tls-ca", l.CACert(), "--out", dir}
	wantCode(t, 1, "forbidden", backup...)                                                                 // no client certificate: 403
	wantCode(t, 1, "forbidden", append(backup, "--tls-cert", l.NodeCert(1), "--tls-key", l.NodeKey(1))...) // a node's is no operator's
	opCert, opKey := filepath.Join(t.TempDir(), "op.crt"), filepath.Join(t.TempDir(), "op.key")
	if got, code := run(t, "ca", "issue-operator", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--name", "backup-op", "--cert-out", opCert, "--key-out", opKey); code != 0 {
		t.Fatalf("issue-operator: exit %d: %s", code, got)
	}
	backup = append(backup, "--tls-cert", opCert, "--tls-key", opKey)
	res, code := runOut(t, append(backup, "-o", "json")...)
	if code != 0 {
		all, _ := run(t, backup...)
		t.Fatalf("node backup: exit %d: %s", code, all)
	}
	m := jsonOf(t, res)
	if m["chain_id"] != "veil-local" || m["node"] != "node-1" || m["sha256"] == "" {
		t.Fatalf("backup printed %v", m)
	}
	if _, err := node.ReadBackupManifest(dir); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(t.TempDir(), "data")
	restore := []string{"node", "restore", "--from", dir, "--data-dir", data}
	res, code = runOut(t, append(restore, "-o", "json")...)
	if code != 0 {
		all, _ := run(t, restore...)
		t.Fatalf("node restore: exit %d: %s", code, all)
	}
	if r := jsonOf(t, res); r["head_hash"] != m["head_hash"] || r["height"] != m["height"] {
		t.Fatalf("restore printed %v, backup %v", r, m)
	}
	if _, err := os.Stat(filepath.Join(data, "chain", "CURRENT")); err != nil {
		t.Fatalf("no chain database restored: %v", err)
	}
	_, msg, _ := wantError(t, 2, restore...)
	if !strings.Contains(msg, "not empty") || !strings.Contains(msg, "--force") {
		t.Fatalf("restore into a non-empty data directory: %s", msg)
	}

	b, err := os.ReadFile(filepath.Join(dir, node.BackupFile))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(filepath.Join(dir, node.BackupFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	msg = wantCode(t, 1, "bad_backup", "node", "restore", "--from", dir, "--data-dir", filepath.Join(t.TempDir(), "d2"))["message"].(string)
	if !strings.Contains(msg, "checksum mismatch") {
		t.Fatalf("restore of a corrupted backup: %s", msg)
	}
}
