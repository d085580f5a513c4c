package faults

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/p2p"
)

// opsURL is node i's operations port.
func (n *network) opsURL(i int) string {
	n.t.Helper()
	cfg, err := node.ReadConfig(n.node(i).config)
	if err != nil {
		n.t.Fatal(err)
	}
	return "https://" + cfg.OpsAddr
}

// veil runs the veil binary to its end and fails the test unless it exits
// with want.
func (n *network) veil(want int, args ...string) (stdout, stderr string) {
	n.t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(veilBin.path, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err := cmd.Run()
	got := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		n.t.Fatalf("veil %s: %v", strings.Join(args, " "), err)
	}
	if got != want {
		n.t.Fatalf("veil %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, want, o.String(), e.String())
	}
	return o.String(), e.String()
}

// TestBackupRestoreUnderLoad: under steady load, `veil node backup` takes
// a validator's chain database while it commits; the network runs on, the
// validator loses its disk (SIGKILL, data directory removed); a truncated
// and a corrupted copy of the backup are refused by `veil node restore`
// and install nothing; the backup itself is restored into the empty data
// directory, the node starts at the backup's height (not from genesis),
// catches up and agrees on the head with the others, and nothing was
// lost, forked or applied twice.
func TestBackupRestoreUnderLoad(t *testing.T) {
	n := startNetwork(t, netOptions{Nodes: 4, Validators: 3, Groups: []string{"acme"}, RaftLogBytes: 1 << 20, OpsPorts: true})
	members := n.addMembers("acme", "alice", "bob", "carol", "dave")
	w := n.watch()
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 30, Payload: 128})
	n.waitProgress(n.all(), 10)

	target := n.followers(n.leader())[0]
	l := n.layout
	opCert, opKey := filepath.Join(t.TempDir(), "op.crt"), filepath.Join(t.TempDir(), "op.key")
	n.veil(0, "ca", "issue-operator", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--name", "backup-op", "--cert-out", opCert, "--key-out", opKey)
	dir := filepath.Join(t.TempDir(), "backup")
	start := time.Now()
	out, _ := n.veil(0, "node", "backup", "--ops", n.opsURL(target), "--tls-ca", l.CACert(),
		"--tls-cert", opCert, "--tls-key", opKey, "--out", dir, "--output", "json")
	took := time.Since(start)
	var m node.BackupManifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("backup printed %q: %v", out, err)
	}
	if m.Node != n.node(target).id || m.Height == 0 {
		t.Fatalf("manifest %+v", m)
	}
	t.Logf("backup of node-%d under load: height %d, %d records, %d bytes in %v", target, m.Height, m.Records, m.Bytes, took.Round(time.Millisecond))
	b, err := n.block(target, m.Height)
	if err != nil || b.Hash != m.HeadHash {
		t.Fatalf("manifest head %d/%s; node-%d's block there: %v %v", m.Height, m.HeadHash, target, b, err)
	}

	n.waitProgress(n.all(), 10) // the network runs on past the backup
	n.kill(target)
	data := n.dataDir(target)
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{{"truncated", "the manifest says"}, {"corrupted", "checksum mismatch"}} {
		bad := filepath.Join(t.TempDir(), tc.name)
		if err := os.CopyFS(bad, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(bad, node.BackupFile)
		raw, _ := os.ReadFile(f)
		if tc.name == "truncated" {
			raw = raw[:len(raw)*2/3]
		} else {
			raw[len(raw)/3] ^= 0x10
		}
		if err := os.WriteFile(f, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr := n.veil(1, "node", "restore", "--from", bad, "--config", n.node(target).config)
		if !strings.Contains(stderr, tc.want) {
			t.Fatalf("restore of a %s backup: %q, want it to say %q", tc.name, stderr, tc.want)
		}
	}
	// Refused restores installed nothing: the real one needs no --force.
	n.veil(0, "node", "restore", "--from", dir, "--config", n.node(target).config)
	n.start(target)
	others := without(n.all(), target)
	first := true
	n.eventually(60*time.Second, fmt.Sprintf("restored node-%d answers", target), func() (bool, string) {
		st, err := n.status(target, time.Second)
		if err != nil {
			return false, err.Error()
		}
		if first && st.Height < m.Height {
			t.Errorf("restored node-%d first answered at height %d, below the backup's %d", target, st.Height, m.Height)
		}
		first = false
		return true, ""
	})
	catchUp := n.waitCaughtUp(target, others)
	t.Logf("node-%d restored from the backup at height %d caught up in %v", target, m.Height, catchUp.Round(time.Millisecond))
	n.waitProgress(n.all(), 3)
	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.summary(t, fmt.Sprintf(" backup_height=%d backup_bytes=%d backup_took=%v catch_up=%v", m.Height, m.Bytes, took.Round(time.Millisecond), catchUp.Round(time.Millisecond)))
}

// presentedCert dials addr over mutual TLS as node `as` (its files in the
// layout) and returns the certificate the server presents.
func (n *network) presentedCert(as int, addr, want string) (*x509.Certificate, error) {
	id, err := p2p.LoadIdentity(n.layout.NodeCert(as), n.layout.NodeKey(as), n.layout.CACert())
	if err != nil {
		return nil, err
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", addr, id.ClientTLSConfig(want))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// opsMetric reads one unlabelled metric from node i's operations port.
func (n *network) opsMetric(i int, name string) (float64, error) {
	pem, err := os.ReadFile(n.layout.CACert())
	if err != nil {
		return 0, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n.opsURL(i)+"/metrics", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no %s in node-%d's metrics", name, i)
}

// TestCertRenewalUnderLoad: under steady load, a follower's certificate
// is renewed with `veil ca renew-node` (same key, 10 days, so the expiry
// warning fires), moved into place and loaded by SIGHUP: new TLS
// connections to its gossip and raft ports present the new serial and
// NotAfter, the expiry gauge and a warning naming the certificate follow,
// the node keeps committing with no restart; then another node restarts
// (new connections to the renewed node) and the renewed node itself
// restarts, and everything still commits: nothing lost, forked or applied
// twice.
func TestCertRenewalUnderLoad(t *testing.T) {
	n := startNetwork(t, netOptions{Nodes: 3, Validators: 3, Groups: []string{"acme"}, OpsPorts: true})
	members := n.addMembers("acme", "alice", "bob")
	w := n.watch()
	ld := n.startLoad(loadOptions{Group: "acme", Members: members, Rate: 20, Payload: 128})
	n.waitProgress(n.all(), 3)

	leader := n.leader()
	target := n.followers(leader)[0]
	l := n.layout
	oldPEM, _ := os.ReadFile(l.NodeCert(target))
	old, _ := genesis.ParseCertificatePEM(oldPEM)
	if left, err := n.opsMetric(target, "veil_node_cert_expiry_seconds"); err != nil || left < 300*24*3600 {
		t.Fatalf("fresh certificate: gauge %v (%v), want about a year", left, err)
	}
	next := l.NodeCert(target) + ".new"
	out, _ := n.veil(0, "ca", "renew-node", "--ca-cert", l.CACert(), "--ca-key", l.CAKey(), "--cert", l.NodeCert(target),
		"--out", next, "--validity", "240h", "--ops", n.opsURL(leader), "--tls-ca", l.CACert(), "--output", "json")
	var res struct{ Serial string }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Serial == "" || res.Serial == old.SerialNumber.Text(16) {
		t.Fatalf("renew-node printed %q (%v)", out, err)
	}
	if err := os.Rename(next, l.NodeCert(target)); err != nil {
		t.Fatal(err)
	}
	renewedAt, _ := n.signal(target, syscall.SIGHUP, running)

	cfg, err := node.ReadConfig(n.node(target).config)
	if err != nil {
		t.Fatal(err)
	}
	peer := n.followers(leader)[1%len(n.followers(leader))]
	if peer == target {
		peer = leader
	}
	for _, addr := range []string{cfg.GossipAddr, cfg.RaftAddr} {
		n.eventually(30*time.Second, fmt.Sprintf("node-%d's %s presents the renewed certificate", target, addr), func() (bool, string) {
			c, err := n.presentedCert(peer, addr, n.node(target).id)
			if err != nil {
				return false, err.Error()
			}
			if c.SerialNumber.Text(16) != res.Serial || !c.NotAfter.After(time.Now().Add(239*time.Hour)) || c.NotAfter.After(time.Now().Add(241*time.Hour)) {
				return false, fmt.Sprintf("serial %s until %v", c.SerialNumber.Text(16), c.NotAfter)
			}
			return true, ""
		})
	}
	t.Logf("node-%d presents the renewed certificate %v after SIGHUP", target, time.Since(renewedAt).Round(time.Millisecond))
	n.eventually(10*time.Second, "expiry warning and gauge follow the reload", func() (bool, string) {
		log := n.logSince(target)
		if !strings.Contains(log, "node certificate expires soon") || !strings.Contains(log, "days_left=9") || !strings.Contains(log, "serial="+res.Serial) {
			return false, "no warning with days_left=9 and the new serial in the log"
		}
		left, err := n.opsMetric(target, "veil_node_cert_expiry_seconds")
		if err != nil || left > 240*3600 || left < 239*3600 {
			return false, fmt.Sprintf("gauge %v (%v)", left, err)
		}
		return true, ""
	})
	n.waitProgress(n.all(), 5)
	if p := n.node(target); func() int { p.mu.Lock(); defer p.mu.Unlock(); return p.starts }() != 1 {
		t.Fatalf("node-%d was restarted", target)
	}

	// A peer restarts: it dials the renewed node afresh. Then the renewed
	// node restarts with its new certificate.
	for _, i := range []int{peer, target} {
		n.kill(i)
		n.waitProgress(without(n.all(), i), 2)
		n.start(i)
		n.waitCaughtUp(i, without(n.all(), i))
		n.waitProgress(n.all(), 3)
	}
	ld.stop()
	t.Logf("load: %s", ld)
	o := n.verify(ld, w)
	o.summary(t, "")
}
