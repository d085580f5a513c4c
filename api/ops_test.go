package api

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/p2p"
)

// opsPKI is a chain CA with a node identity and client certificates of
// each kind the operations port must tell apart.
type opsPKI struct {
	id     *p2p.Identity
	roots  *x509.CertPool
	op     tls.Certificate // an operator certificate from the chain CA
	node   tls.Certificate // a node certificate from the chain CA
	member tls.Certificate // a member identity certificate from the chain CA (document signing, not TLS)
	alien  tls.Certificate // an operator certificate from another CA
}

func newOpsPKI(t *testing.T) *opsPKI {
	t.Helper()
	dir := t.TempDir()
	ca, err := genesis.NewCA("veil-test", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Save(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")); err != nil {
		t.Fatal(err)
	}
	issue := func(ca *genesis.CA, name string) tls.Certificate {
		certPEM, keyPEM, err := ca.IssueNode(name, nil, time.Hour, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".crt"), certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".key"), keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p := &opsPKI{roots: ca.Pool()}
	p.node = issue(ca, "node-1")
	issue(ca, "node-2")
	if p.id, err = p2p.LoadIdentity(filepath.Join(dir, "node-2.crt"), filepath.Join(dir, "node-2.key"), filepath.Join(dir, "ca.crt")); err != nil {
		t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	memberPEM, err := ca.IssueMember("acme", "alice", pub, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(memberPEM)
	p.member = tls.Certificate{Certificate: [][]byte{blk.Bytes}, PrivateKey: key}
	other, err := genesis.NewCA("veil-test", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	operator := func(ca *genesis.CA) tls.Certificate {
		certPEM, keyPEM, err := ca.IssueOperator("ops-alice", time.Hour, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p.op, p.alien = operator(ca), operator(other)
	return p
}

// client is an HTTPS client trusting the chain CA, presenting cert if any.
func (p *opsPKI) client(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

// serveOps serves o on a loopback port until the test ends.
func serveOps(t *testing.T, o *Operations) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func get(t *testing.T, c *http.Client, url string) (int, ErrorBody, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var eb ErrorBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(body, &eb); err != nil {
			t.Errorf("GET %s: %d with a body that is not JSON: %q", url, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, eb, string(body)
}

func opsWith(p *opsPKI, tlsOn bool) *Operations {
	cfg := DefaultOpsConfig()
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Admin = func(certs []*x509.Certificate) error { // as package node's
		leaf, err := p.id.VerifyClient(certs)
		if err != nil {
			return err
		}
		return genesis.VerifyOperator(leaf)
	}
	if tlsOn {
		cfg.TLS = p.id.HTTPSConfig()
	}
	o := NewOperations(cfg)
	o.Handle("GET /open", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "open") }))
	o.HandleAdmin("GET /admin", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "admin") }))
	return o
}

// TestOperationsAdminNeedsAnOperatorCertificate serves the operations
// port over real TLS with a node's identity and asks its open and admin
// endpoints with each kind of client certificate.
func TestOperationsAdminNeedsAnOperatorCertificate(t *testing.T) {
	p := newOpsPKI(t)
	base := "https://" + serveOps(t, opsWith(p, true))
	for _, tc := range []struct {
		name  string
		cert  *tls.Certificate
		admin int
	}{
		{"no certificate", nil, http.StatusForbidden},
		{"operator certificate from the chain CA", &p.op, http.StatusOK},
		{"node certificate from the chain CA", &p.node, http.StatusForbidden},
		{"member certificate from the chain CA", &p.member, http.StatusForbidden},
		{"operator certificate from another CA", &p.alien, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := p.client(tc.cert)
			if code, _, body := get(t, c, base+"/open"); code != http.StatusOK || body != "open" {
				t.Errorf("GET /open: %d %q, want 200 open", code, body)
			}
			code, eb, body := get(t, c, base+"/admin")
			if code != tc.admin {
				t.Errorf("GET /admin: %d %q, want %d", code, body, tc.admin)
			}
			if code == http.StatusForbidden && eb.Error.Code != CodeForbidden {
				t.Errorf("GET /admin: code %q, want %q", eb.Error.Code, CodeForbidden)
			}
			if code, eb, _ := get(t, c, base+"/nothing"); code != http.StatusNotFound || eb.Error.Code != CodeNotFound {
				t.Errorf("GET /nothing: %d %+v, want 404 not_found", code, eb)
			}
		})
	}
}

// TestOperationsPlainHTTPRefusesAdmin: without TLS no client can prove
// anything, so admin endpoints refuse everyone while open ones serve.
func TestOperationsPlainHTTPRefusesAdmin(t *testing.T) {
	p := newOpsPKI(t)
	base := "http://" + serveOps(t, opsWith(p, false))
	c := &http.Client{Timeout: 10 * time.Second}
	if code, _, body := get(t, c, base+"/open"); code != http.StatusOK || body != "open" {
		t.Errorf("GET /open: %d %q", code, body)
	}
	if code, eb, _ := get(t, c, base+"/admin"); code != http.StatusForbidden || eb.Error.Code != CodeForbidden {
		t.Errorf("GET /admin over plain HTTP: %d %+v, want 403 forbidden", code, eb)
	}
}
