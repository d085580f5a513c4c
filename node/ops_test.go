package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
)

// opsGet asks url with the TLS client of files and returns the status
// and body.
func opsGet(t *testing.T, files client.TLSFiles, url string) (int, string) {
	t.Helper()
	tc, err := files.Config()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.HTTPClient(tc).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// clientCerts writes, next to the network, a client certificate of each
// kind the admin endpoints must tell apart, as files.
func clientCerts(t *testing.T, ln *localNet) map[string]client.TLSFiles {
	t.Helper()
	dir := t.TempDir()
	l := ln.layout
	ca, err := genesis.LoadCA(l.CACert(), l.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, certPEM, keyPEM []byte) client.TLSFiles {
		f := client.TLSFiles{CA: l.CACert(), Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key")}
		if err := os.WriteFile(f.Cert, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.Key, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	out := map[string]client.TLSFiles{"none": {CA: l.CACert()}, "node": {CA: l.CACert(), Cert: l.NodeCert(1), Key: l.NodeKey(1)}}
	c, k, err := ca.IssueOperator("ops-alice", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out["operator"] = write("operator", c, k)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	memberPEM, err := ca.IssueMember("acme", "alice", pub, time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := genesis.MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out["member"] = write("member", memberPEM, keyPEM)
	other, err := genesis.NewCA("veil-local", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c, k, err = other.IssueOperator("ops-alice", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	out["operator of another CA"] = write("alien", c, k)
	return out
}

// TestOpsPortApart: with ops_addr set, metrics, probes and pprof are
// served over TLS (the node's certificate, the chain CA) on their own
// port and no longer on the API's, which here is TLS too (api_tls);
// pprof, an admin endpoint, opens to an operator certificate only: not
// without one, not to the node's own certificate, a member's or an
// operator's of another CA. The API's websocket works over TLS.
func TestOpsPortApart(t *testing.T) {
	ln := startLocalWith(t, 1, netOptions{tweak: func(c *Config) { c.OpsAddr, c.Pprof, c.APITLS = "127.0.0.1:0", true, true }})
	n := ln.nodes[1]
	if n.OpsAddr() == n.APIAddr() {
		t.Fatalf("ops served on the API address %s", n.OpsAddr())
	}
	certs := clientCerts(t, ln)
	ops, apiURL := "https://"+n.OpsAddr(), "https://"+n.APIAddr()
	if code, body := opsGet(t, certs["none"], ops+"/metrics"); code != http.StatusOK || !strings.Contains(body, "veil_chain_height") {
		t.Errorf("ops /metrics: %d, veil_chain_height missing", code)
	}
	if code, _ := opsGet(t, certs["none"], ops+"/healthz"); code != http.StatusOK {
		t.Errorf("ops /healthz: %d", code)
	}
	for name, files := range certs {
		want := http.StatusForbidden
		if name == "operator" {
			want = http.StatusOK
		}
		if code, body := opsGet(t, files, ops+"/debug/pprof/"); code != want {
			t.Errorf("ops /debug/pprof/ with %s certificate: %d %.200s, want %d", name, code, body, want)
		}
	}
	if code, _ := opsGet(t, certs["none"], apiURL+"/metrics"); code != http.StatusNotFound {
		t.Errorf("API /metrics with ops_addr set: %d, want 404", code)
	}
	tc, err := certs["none"].Config()
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewTLS(apiURL, tc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Status(ctx); err != nil {
		t.Errorf("status over TLS: %v", err)
	}
	ectx, ecancel := context.WithCancel(ctx)
	st, err := c.Events(ectx, client.EventsOptions{FromHeight: 1})
	if err != nil {
		t.Fatalf("event stream over TLS: %v", err)
	}
	ecancel()
	for range st.C {
	}
	if _, err := client.New("http://" + n.APIAddr()).Status(ctx); err == nil {
		t.Error("plain HTTP to the TLS API port answered")
	}
	if _, err := client.New(apiURL).Status(ctx); err == nil {
		t.Error("a client that does not trust the chain CA was served")
	}
}

// TestOpsOnTheAPIListener: without ops_addr the operations routes,
// admin ones included, are served on the API's listener, here over TLS
// (api_tls), so an operator certificate opens pprof there.
func TestOpsOnTheAPIListener(t *testing.T) {
	ln := startLocalWith(t, 1, netOptions{tweak: func(c *Config) { c.Pprof, c.APITLS = true, true }})
	n := ln.nodes[1]
	certs := clientCerts(t, ln)
	base := "https://" + n.APIAddr()
	if n.OpsAddr() != n.APIAddr() {
		t.Errorf("OpsAddr %s, want the API's %s", n.OpsAddr(), n.APIAddr())
	}
	if code, body := opsGet(t, certs["none"], base+"/metrics"); code != http.StatusOK || !strings.Contains(body, "veil_chain_height") {
		t.Errorf("/metrics on the API port: %d", code)
	}
	if code, _ := opsGet(t, certs["operator"], base+"/debug/pprof/cmdline"); code != http.StatusOK {
		t.Errorf("pprof with an operator certificate on the API port: %d", code)
	}
	if code, _ := opsGet(t, certs["node"], base+"/debug/pprof/cmdline"); code != http.StatusForbidden {
		t.Errorf("pprof with the node's certificate on the API port: %d, want 403", code)
	}
}

// TestPprofOff: without the pprof setting there is no /debug/pprof, for
// operators neither.
func TestPprofOff(t *testing.T) {
	ln := startLocalWith(t, 1, netOptions{tweak: func(c *Config) { c.APITLS = true }})
	certs := clientCerts(t, ln)
	if code, _ := opsGet(t, certs["operator"], "https://"+ln.nodes[1].APIAddr()+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ with pprof off: %d, want 404", code)
	}
}

// TestOpsRoutesDocumented: every route mounted on the operations server
// (the API's probes, pprof, and whatever else a part of the node mounts)
// is an operation of the OpenAPI document the node serves.
func TestOpsRoutesDocumented(t *testing.T) {
	ln := startLocalWith(t, 1, netOptions{tweak: func(c *Config) { c.Pprof = true }})
	n := ln.nodes[1]
	resp, err := http.Get(n.APIURL() + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	routes := n.ops.Routes()
	if len(routes) < 9 { // healthz, readyz, metrics and the 6 of pprof
		t.Fatalf("ops routes %v", routes)
	}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("operations route %s is not in openapi.json", r)
		}
	}
}
