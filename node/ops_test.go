package node

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestOpsPortApart: with ops_addr set, metrics and probes are served over
// TLS (the node's certificate, the chain CA) on their own port and no
// longer on the API's; the API's own routes stay where they were.
func TestOpsPortApart(t *testing.T) {
	ln := startLocalWith(t, 1, netOptions{tweak: func(c *Config) { c.OpsAddr = "127.0.0.1:0" }})
	n := ln.nodes[1]
	if n.OpsAddr() == n.APIAddr() {
		t.Fatalf("ops served on the API address %s", n.OpsAddr())
	}
	caPEM, err := os.ReadFile(ln.layout.CACert())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	https := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	plain := &http.Client{Timeout: 10 * time.Second}
	get := func(c *http.Client, url string) (int, string) {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(https, "https://"+n.OpsAddr()+"/metrics"); code != http.StatusOK || !strings.Contains(body, "veil_chain_height") {
		t.Errorf("ops /metrics: %d, veil_chain_height missing", code)
	}
	if code, _ := get(https, "https://"+n.OpsAddr()+"/healthz"); code != http.StatusOK {
		t.Errorf("ops /healthz: %d", code)
	}
	if code, _ := get(plain, "http://"+n.APIAddr()+"/metrics"); code != http.StatusNotFound {
		t.Errorf("API /metrics with ops_addr set: %d, want 404", code)
	}
	if code, _ := get(plain, "http://"+n.APIAddr()+"/v1/status"); code != http.StatusOK {
		t.Errorf("API /v1/status: %d", code)
	}
}
