package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/p2p"
)

// presented dials addr over TLS as node `as` would and returns the
// certificate the server presents.
func presented(t *testing.T, as *Node, addr, want string) *x509.Certificate {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, as.identity.ClientTLSConfig(want))
	if err != nil {
		t.Fatalf("TLS dial %s as %s: %v", addr, as.cfg.NodeID, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// adminHTTP returns HTTPS clients of the operations ports that trust the
// chain CA: admin presents an operator certificate of the chain CA,
// asNode node 1's own certificate (never an admin's), bare none.
func adminHTTP(t *testing.T, ln *localNet) (admin, asNode, bare *http.Client) {
	t.Helper()
	caPEM, err := os.ReadFile(ln.layout.CACert())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	ca, err := genesis.LoadCA(ln.layout.CACert(), ln.layout.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueOperator("ops-test", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	op, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	nodeKP, err := tls.LoadX509KeyPair(ln.layout.NodeCert(1), ln.layout.NodeKey(1))
	if err != nil {
		t.Fatal(err)
	}
	mk := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	return mk(op), mk(nodeKP), mk()
}

// withOps gives every node an operations port of its own (TLS).
func withOps(c *Config) { c.OpsAddr = "127.0.0.1:0" }

// nodeMetric scrapes one unlabelled metric from a node's /metrics.
func nodeMetric(t *testing.T, n *Node, name string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	n.metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// TestCertRenewalWithoutRestart: on a 3-node network under transactions,
// node 2's certificate is renewed for the same key (10 days, so the
// expiry warning fires), installed and reloaded through the admin
// handler; new TLS connections to its gossip and raft ports present the
// new serial and NotAfter, the node keeps committing with its peers, the
// expiry gauge and warning show the new certificate, and a peer restarted
// afterwards (new connections both ways) and node 2 itself restarted
// still join and commit.
func TestCertRenewalWithoutRestart(t *testing.T) {
	ln := startLocalWith(t, 3, netOptions{members: []string{"alice"}, tweak: withOps})
	k := newKit(t, ln, "alice")
	admin, asNode, bare := adminHTTP(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	k.waitLeader(ctx, 1, 2, 3)
	k.commit(ctx, 1, k.anon(ctx, 1, "acme", "alice", "t", "before", false))

	n2 := ln.nodes[2]
	old := n2.identity.Certificate()
	if left := nodeMetric(t, n2, "veil_node_cert_expiry_seconds"); left < 300*24*3600 {
		t.Fatalf("fresh certificate: %v seconds left, want about a year", left)
	}
	if _, warned := ln.errLogs[2].find(slog.LevelWarn, "node certificate expires soon", nil); warned {
		t.Fatal("warned about a certificate with a year left")
	}

	newPEM, err := k.ca.RenewNode(old, 10*24*time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := genesis.WriteFileAtomic(n2.cfg.Cert, newPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	reload := "https://" + n2.OpsAddr() + "/admin/reload-identity"
	for who, c := range map[string]*http.Client{"no client certificate": bare, "a node certificate": asNode} {
		if resp, err := c.Post(reload, "", nil); err != nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("reload with %s: %v %v, want 403", who, resp, err)
		}
	}
	resp, err := admin.Post(reload, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var info identityInfo
	if err := json.Unmarshal(body, &info); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("reload: %d %s", resp.StatusCode, body)
	}
	renewed, _ := genesis.ParseCertificatePEM(newPEM)
	if info.Serial != renewed.SerialNumber.Text(16) || info.Node != "node-2" || info.DaysLeft != 9 {
		t.Fatalf("reload answered %+v, want serial %s, 9 days left", info, renewed.SerialNumber.Text(16))
	}
	// New connections present the renewed certificate, on both ports.
	for _, addr := range []string{n2.cluster.Addr(), n2.cfg.RaftAddr, n2.OpsAddr()} {
		got := presented(t, ln.nodes[1], addr, "node-2")
		if got.SerialNumber.Cmp(renewed.SerialNumber) != 0 || !got.NotAfter.Equal(renewed.NotAfter) {
			t.Fatalf("%s presents serial %s until %v, want %s until %v", addr, got.SerialNumber.Text(16), got.NotAfter, renewed.SerialNumber.Text(16), renewed.NotAfter)
		}
	}
	// The gauge and the warning follow the reload.
	if left := nodeMetric(t, n2, "veil_node_cert_expiry_seconds"); left > 10*24*3600 || left < 9*24*3600 {
		t.Fatalf("after renewal to 10 days: gauge %v seconds", left)
	}
	w, ok := ln.errLogs[2].find(slog.LevelWarn, "node certificate expires soon", map[string]string{"days_left": "9", "check": "reload"})
	if !ok || w.attrs["serial"] != renewed.SerialNumber.Text(16) || w.attrs["cert"] != n2.cfg.Cert {
		t.Fatalf("no expiry warning naming the renewed certificate: %+v", w)
	}
	// It keeps committing with its peers, through itself too.
	k.commit(ctx, 2, k.anon(ctx, 2, "acme", "alice", "t", "after reload", false))
	k.waitSameHead(ctx, 1, 2, 3)

	// A peer restarted after the renewal dials node 2 afresh and accepts
	// the renewed certificate; so does everyone when node 2 restarts.
	for _, i := range []int{3, 2} {
		ln.stop(i)
		ln.start(i)
		k.waitLeader(ctx, 1, 2, 3)
		k.commit(ctx, i, k.anon(ctx, i, "acme", "alice", "t", fmt.Sprintf("after restart of %d", i), false))
		k.waitSameHead(ctx, 1, 2, 3)
	}
	if got := ln.nodes[2].identity.Certificate().SerialNumber; got.Cmp(renewed.SerialNumber) != 0 {
		t.Fatalf("node 2 restarted with serial %s", got.Text(16))
	}
	// The warning is also logged at start.
	if _, ok := ln.errLogs[2].find(slog.LevelWarn, "node certificate expires soon", map[string]string{"check": "start"}); !ok {
		t.Fatal("no expiry warning at start")
	}
}

// TestReloadRefusesOtherNode: a certificate for another node id on disk is
// refused by the reload (422) and the node keeps presenting its own.
func TestReloadRefusesOtherNode(t *testing.T) {
	ln := startLocal(t, 1)
	n := ln.nodes[1]
	k := newKit(t, ln)
	before := n.identity.Certificate().SerialNumber
	certPEM, keyPEM, err := k.ca.IssueNode("node-9", nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{n.cfg.Cert: certPEM, n.cfg.Key: keyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	n.reloadIdentityHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/admin/reload-identity", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "identity_refused") || !strings.Contains(string(body), "node-9") {
		t.Fatalf("reload of another node's certificate: %d %s", rec.Code, body)
	}
	if got := presented(t, n, n.cluster.Addr(), "node-1").SerialNumber; got.Cmp(before) != 0 {
		t.Fatalf("presents %s after a refused reload, want %s", got.Text(16), before.Text(16))
	}
}

// TestCertWatchThreshold: no warning with more than the threshold left, a
// warning with days left below it, an error once expired; the gauge is
// the time left, negative after NotAfter.
func TestCertWatchThreshold(t *testing.T) {
	l, err := InitLocal(t.TempDir(), LocalOptions{Nodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	id, err := p2p.LoadIdentity(l.NodeCert(1), l.NodeKey(1), l.CACert())
	if err != nil {
		t.Fatal(err)
	}
	notAfter := id.Certificate().NotAfter
	for _, tc := range []struct {
		before time.Duration // now = NotAfter - before
		level  slog.Level
		msg    string
		days   string
	}{
		{31 * 24 * time.Hour, 0, "", ""},
		{29*24*time.Hour + time.Hour, slog.LevelWarn, "node certificate expires soon", "29"},
		{time.Hour, slog.LevelWarn, "node certificate expires soon", "0"},
		{-49 * time.Hour, slog.LevelError, "node certificate has expired: peers refuse this node", "-2"},
	} {
		el := &errorLog{}
		log := slog.New(&captureHandler{inner: slog.NewTextHandler(io.Discard, nil), restores: &restoreLog{}, errs: el})
		now := notAfter.Add(-tc.before)
		cw := &certWatch{identity: id, file: l.NodeCert(1), threshold: DefaultCertExpiryWarning, log: log, now: func() time.Time { return now }}
		cw.check("test")
		el.mu.Lock()
		recs := el.recs
		el.mu.Unlock()
		if tc.msg == "" {
			if len(recs) != 0 {
				t.Fatalf("%v before NotAfter: logged %+v", tc.before, recs)
			}
		} else if len(recs) != 1 || recs[0].level != tc.level || recs[0].msg != tc.msg || recs[0].attrs["days_left"] != tc.days || recs[0].attrs["cert"] != l.NodeCert(1) {
			t.Fatalf("%v before NotAfter: logged %+v, want %v %q days_left=%s", tc.before, recs, tc.level, tc.msg, tc.days)
		}
		if got := cw.left(); got != tc.before {
			t.Fatalf("left %v, want %v", got, tc.before)
		}
	}
}
