package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

func init() {
	// pprof's index page; kin-openapi decodes only the types it knows.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// conformance checks real answers of a real node against the document
// the node serves, and records which operations answered which statuses.
type conformance struct {
	t      *testing.T
	doc    *openapi3.T
	router routers.Router
	seen   map[string]map[int]bool // "GET /v1/status" → statuses seen
}

// newConformance loads the document from the node and points its
// servers at the node's API and operations URLs.
func newConformance(t *testing.T, apiURL, opsURL string) *conformance {
	t.Helper()
	resp, err := http.Get(apiURL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: apiURL}}
	for _, item := range doc.Paths.Map() {
		if len(item.Servers) > 0 {
			item.Servers = openapi3.Servers{{URL: opsURL}}
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &conformance{t: t, doc: doc, router: router, seen: map[string]map[int]bool{}}
}

// check sends a request with hc and validates the answer against the
// document: a documented status (want, or any documented one when want
// is 0) with headers and body of its schema. routeMethod, when set,
// names the method whose operation documents the answer (a 405 answers
// a method the path does not have).
func (c *conformance) check(hc *http.Client, method, u string, body []byte, hdr http.Header, want int, routeMethod string) []byte {
	c.t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, u, err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want != 0 && resp.StatusCode != want {
		c.t.Errorf("%s %s: %d %.300s, want %d", method, u, resp.StatusCode, got, want)
	}
	c.validate(req, routeMethod, resp.StatusCode, resp.Header, got, false)
	return got
}

// validate checks one answer against the operation of req (or of
// routeMethod at req's path).
func (c *conformance) validate(req *http.Request, routeMethod string, status int, hdr http.Header, body []byte, skipBody bool) {
	c.t.Helper()
	rr := req
	if routeMethod != "" {
		rr = req.Clone(req.Context())
		rr.Method = routeMethod
	}
	route, params, err := c.router.FindRoute(rr)
	if err != nil {
		c.t.Errorf("%s %s: no operation in the document: %v", rr.Method, req.URL, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route},
		Status:                 status, Header: hdr, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: skipBody, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Errorf("%s %s answered %d, not as documented: %v\n%.500s", req.Method, req.URL, status, err, body)
	}
	key := route.Method + " " + route.Path
	if c.seen[key] == nil {
		c.seen[key] = map[int]bool{}
	}
	c.seen[key][status] = true
}

// covered fails for every operation of the document that answered no
// success (2xx, or 101 for the websocket) and no error.
func (c *conformance) covered() {
	c.t.Helper()
	var missing []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			key := method + " " + path
			var ok, bad bool
			for s := range c.seen[key] {
				ok = ok || s < 300
				bad = bad || s >= 400
			}
			if !ok || !bad {
				missing = append(missing, fmt.Sprintf("%s (success %v, error %v)", key, ok, bad))
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		c.t.Errorf("operation not exercised: %s", m)
	}
}

// anonTx signs an anonymous transaction of member label of acme.
func anonTx(t *testing.T, l *genesis.Layout, label, topic string, expiry uint64) *chain.Tx {
	t.Helper()
	mf, err := groupsig.ReadMemberFile(l.MemberKey("acme", label))
	if err != nil {
		t.Fatal(err)
	}
	tx := &chain.Tx{ChainID: "veil-local", Expiry: expiry, Group: "acme", Epoch: mf.Key.Epoch(), Topic: topic, Payload: []byte("conformance")}
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestRealResponsesMatchOpenAPI drives every operation of the document
// on a real node (API on HTTP, operations port on TLS with pprof) to a
// success and to errors, and validates each real answer against the
// document the node serves with kin-openapi; websocket messages are
// validated against the Event schema.
func TestRealResponsesMatchOpenAPI(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 2, Groups: []string{"acme"}, Members: []string{"alice"},
		Tweak: func(c *node.Config) { c.Pprof, c.OpsAddr = true, "127.0.0.1:0" }})
	n, l := net.Nodes[0], net.Layout
	u, o := net.URL(0), n.OpsURL()
	c := newConformance(t, u, o)
	hc := &http.Client{Timeout: 30 * time.Second}

	// Operator and plain TLS clients for the operations port.
	ca, err := genesis.LoadCA(l.CACert(), l.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueOperator("ops-test", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opFiles := client.TLSFiles{CA: l.CACert(), Cert: filepath.Join(dir, "op.crt"), Key: filepath.Join(dir, "op.key")}
	_ = os.WriteFile(opFiles.Cert, certPEM, 0o600)
	_ = os.WriteFile(opFiles.Key, keyPEM, 0o600)
	tlsClient := func(f client.TLSFiles) *http.Client {
		tc, err := f.Config()
		if err != nil {
			t.Fatal(err)
		}
		return client.HTTPClient(tc)
	}
	opc, anon := tlsClient(opFiles), tlsClient(client.TLSFiles{CA: l.CACert()})

	// A committed transaction to read.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tx := anonTx(t, l, "alice", "orders", 100)
	body := fmt.Appendf(nil, `{"tx":%q}`, hex.EncodeToString(tx.Encode()))
	c.check(hc, "POST", u+"/v1/txs", body, http.Header{"Content-Type": {"application/json"}}, 202, "")
	id := tx.ID()
	idHex := hex.EncodeToString(id[:])
	if _, err := client.New(u).WaitCommitted(ctx, idHex, 1); err != nil {
		t.Fatalf("commit: %v", err)
	}

	for _, k := range []struct {
		method, path string
		body         []byte
		want         int
	}{
		{"POST", "/v1/txs", []byte(`{`), 400},
		{"POST", "/v1/txs", body, 400}, // duplicate
		{"POST", "/v1/txs", []byte(`{"tx":"` + strings.Repeat("ab", 9<<20) + `"}`), 413},
		{"GET", "/v1/txs/" + idHex, nil, 200},
		{"GET", "/v1/txs/zz", nil, 400},
		{"GET", "/v1/txs/" + strings.Repeat("0", 64), nil, 404},
		{"GET", "/v1/txs/" + idHex + "/openings", nil, 0},
		{"GET", "/v1/txs/zz/openings", nil, 400},
		{"GET", "/v1/txs/" + strings.Repeat("0", 64) + "/openings", nil, 404},
		{"GET", "/v1/blocks/latest", nil, 200},
		{"GET", "/v1/blocks/1", nil, 200},
		{"GET", "/v1/blocks/abc", nil, 400},
		{"GET", "/v1/blocks/999999", nil, 404},
		{"GET", "/v1/topics/orders", nil, 200},
		{"GET", "/v1/topics/" + strings.Repeat("x", 65), nil, 400},
		{"GET", "/v1/topics/orders/txs", nil, 200},
		{"GET", "/v1/topics/orders/txs?limit=0", nil, 400},
		{"GET", "/v1/groups", nil, 200},
		{"GET", "/v1/groups/acme", nil, 200},
		{"GET", "/v1/groups/acme?epoch=x", nil, 400},
		{"GET", "/v1/groups/nope", nil, 404},
		{"GET", "/v1/groups/acme/members/alice", nil, 200},
		{"GET", "/v1/groups/acme/members/zed", nil, 404},
		{"GET", "/v1/groups/acme/revocations", nil, 200},
		{"GET", "/v1/groups/nope/revocations", nil, 404},
		{"GET", "/v1/groups/acme/committee", nil, 200},
		{"GET", "/v1/groups/nope/committee", nil, 404},
		{"GET", "/v1/status", nil, 200},
		{"GET", "/v1/peers", nil, 200},
		{"GET", "/v1/validators", nil, 200},
		{"GET", "/v1/openapi.json", nil, 200},
		{"GET", "/v1/events?from_height=0", nil, 400},
		{"GET", "/v1/events", nil, 426},
	} {
		var hdr http.Header
		if k.body != nil {
			hdr = http.Header{"Content-Type": {"application/json"}}
		}
		c.check(hc, k.method, u+k.path, k.body, hdr, k.want, "")
	}
	ws := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Origin": {"https://elsewhere.example"}}
	c.check(hc, "GET", u+"/v1/events", nil, ws, 403, "")

	// The websocket: the 101, then each message against Event.
	conn, resp, err := websocket.Dial(ctx, strings.Replace(u, "http", "ws", 1)+"/v1/events?from_height=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", u+"/v1/events?from_height=1", nil)
	c.validate(req, "", resp.StatusCode, resp.Header, nil, true)
	event := c.doc.Components.Schemas["Event"].Value
	kinds := map[string]bool{}
	for !kinds["block"] || !kinds["tx"] {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("event stream: %v (saw %v)", err, kinds)
		}
		var v any
		if err := json.Unmarshal(msg, &v); err != nil {
			t.Fatal(err)
		}
		if err := c.doc.ValidateSchemaJSON(event, v); err != nil {
			t.Errorf("event %s is not an Event: %v", msg, err)
		}
		kinds[v.(map[string]any)["type"].(string)] = true
	}
	conn.Close(websocket.StatusNormalClosure, "")

	// The operations port: probes and metrics to anyone, pprof to
	// operators.
	for _, k := range []struct {
		hc           *http.Client
		method, path string
		body         []byte
		want         int
	}{
		{anon, "GET", "/healthz", nil, 200},
		{anon, "GET", "/readyz", nil, 200},
		{anon, "GET", "/metrics", nil, 200},
		{opc, "GET", "/debug/pprof/", nil, 200},
		{anon, "GET", "/debug/pprof/", nil, 403},
		{opc, "GET", "/debug/pprof/heap", nil, 200},
		{opc, "GET", "/debug/pprof/heap?seconds=x", nil, 400},
		{opc, "GET", "/debug/pprof/nope", nil, 404},
		{anon, "GET", "/debug/pprof/goroutine", nil, 403},
		{opc, "GET", "/debug/pprof/cmdline", nil, 200},
		{anon, "GET", "/debug/pprof/cmdline", nil, 403},
		{opc, "GET", "/debug/pprof/profile?seconds=1", nil, 200},
		{anon, "GET", "/debug/pprof/profile", nil, 403},
		{opc, "GET", "/debug/pprof/symbol", nil, 200},
		{opc, "POST", "/debug/pprof/symbol", []byte("0x1"), 200},
		{anon, "GET", "/debug/pprof/symbol", nil, 403},
		{anon, "POST", "/debug/pprof/symbol", []byte("0x1"), 403},
		{opc, "GET", "/debug/pprof/trace?seconds=0.2", nil, 200},
		{anon, "GET", "/debug/pprof/trace", nil, 403},
		{opc, "GET", "/logspec", nil, 200},
		{anon, "GET", "/logspec", nil, 403},
		{opc, "PUT", "/logspec", []byte(`{"spec":"info:raft=warn"}`), 200},
		{opc, "PUT", "/logspec", []byte(`{"spec":"loud"}`), 400},
		{anon, "PUT", "/logspec", []byte(`{"spec":"info"}`), 403},
		// Certificate renewal and backup (package node, maintenance.go).
		{opc, "POST", "/admin/reload-identity", nil, 200},
		{anon, "POST", "/admin/reload-identity", nil, 403},
		{opc, "GET", "/admin/backup", nil, 200},
		{anon, "GET", "/admin/backup", nil, 403},
		{anon, "GET", "/nodes/node-2/revoked", nil, 200},
		{anon, "GET", "/nodes/Not_A_Node/revoked", nil, 400},
	} {
		c.check(k.hc, k.method, o+k.path, k.body, nil, k.want, "")
	}

	// A method a path lacks: 405, documented on the path's operations.
	for path, item := range c.doc.Paths.Map() {
		base, doc := u, path
		if len(item.Servers) > 0 {
			base = o
		}
		doc = strings.NewReplacer("{id}", idHex, "{height}", "1", "{topic}", "orders", "{name}", "acme", "{label}", "alice", "{profile}", "heap").Replace(doc)
		var method string
		for m := range item.Operations() {
			method = m
		}
		h := hc
		if base == o {
			h = opc
		}
		c.check(h, "DELETE", base+doc, nil, nil, 405, method)
	}

	// 429 on a node that allows no submissions at all.
	limited := nodetest.Start(t, node.LocalOptions{Nodes: 1, Groups: []string{"acme"}, Members: []string{"alice"},
		Tweak: func(c *node.Config) { c.SubmitRate = 0.001 }})
	lu := limited.URL(0)
	lc := newConformance(t, lu, lu)
	ltx := anonTx(t, limited.Layout, "alice", "orders", 100)
	a := lc.check(hc, "POST", lu+"/v1/txs", fmt.Appendf(nil, `{"tx":%q}`, hex.EncodeToString(ltx.Encode())), http.Header{"Content-Type": {"application/json"}}, 429, "")
	var eb api.ErrorBody
	if json.Unmarshal(a, &eb); eb.Error.Code != api.CodeRateLimited {
		t.Errorf("429 body %s", a)
	}
	for k, v := range lc.seen {
		for s := range v {
			if c.seen[k] == nil {
				c.seen[k] = map[int]bool{}
			}
			c.seen[k][s] = true
		}
	}
	c.covered()
}

// TestBFTStatusMatchesOpenAPI validates a real BFT chain's answers
// against the document: /v1/status of a validator and of the observer
// (consensus bft, the bft object), and /v1/validators, whose raft list
// is empty there.
func TestBFTStatusMatchesOpenAPI(t *testing.T) {
	net := nodetest.Start(t, node.LocalOptions{Nodes: 5, Consensus: chain.ConsensusBFT})
	hc := &http.Client{Timeout: 30 * time.Second}
	for i, want := range map[int]bool{0: true, 4: false} {
		var st api.Status
		c := newConformance(t, net.URL(i), net.URL(i))
		body := c.check(hc, "GET", net.URL(i)+"/v1/status", nil, nil, 200, "")
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		if st.Consensus != chain.ConsensusBFT || st.BFT == nil || st.BFT.Running != want || st.BFT.N != 4 || st.BFT.F != 1 || st.BFT.Quorum != 3 {
			t.Errorf("node-%d's status: %s", i+1, body)
		}
	}
	newConformance(t, net.URL(0), net.URL(0)).check(hc, "GET", net.URL(0)+"/v1/validators", nil, nil, 200, "")
}
