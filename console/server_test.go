package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/ui"
)

// do sends a request to the console and decodes its JSON answer.
func do(t *testing.T, method, url, ctype, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if len(data) > 0 && json.Unmarshal(data, &m) != nil {
		m = map[string]any{"_raw": string(data)}
	}
	return resp.StatusCode, m
}

func postJSON(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	return do(t, http.MethodPost, url, "application/json", body, nil)
}

func errCode(m map[string]any) string {
	if e, ok := m["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// TestConsoleOpensChecksAndLogs runs the audit console's endpoints against
// a real node: it opens two transactions to the right members with the
// key in this process, the evidence checks (and a tampered bundle fails
// with its condition), the log lists each opening with the evidence's
// digest, and no response holds the opener key.
func TestConsoleOpensChecksAndLogs(t *testing.T) {
	tn := startNet(t)
	alice := tn.send(t, "alice", "orders", "pay 10")
	bob := tn.send(t, "bob", "orders", "pay 20")
	ts, srv, kw := startConsole(t, tn, true, true)
	ca := tn.ca(t)

	if st, info := do(t, http.MethodGet, ts.URL+"/audit/info", "", "", nil); st != 200 || info["mode"] != "audit" || info["group"] != "acme" || info["can_open"] != true || info["cert_checked"] != true {
		t.Fatalf("info: %d %v", st, info)
	}

	bundles := map[string][]byte{}
	// In a fixed order: the log is checked below as alice's, then bob's.
	for _, o := range []struct{ label, id string }{{"alice", alice}, {"bob", bob}} {
		label, id := o.label, o.id
		st, r := postJSON(t, ts.URL+"/audit/open", `{"tx":"`+strings.ToUpper(id)+`"}`)
		if st != 200 || r["label"] != label || r["tx"] != id || r["group"] != "acme" || r["threshold"] != false || r["cert_checked"] != true {
			t.Fatalf("open %s: %d %v", label, st, r)
		}
		if r["org"] == "" || len(r["identity_key"].(string)) != 64 || r["opening"] == "" || r["a"] == "" || r["evidence_file"] != "evidence-"+id+".json" {
			t.Fatalf("open %s: %v", label, r)
		}
		// The evidence is the CLI's bundle: it checks down to the CA and
		// names the member; its file hashes to the digest the log keeps.
		raw, _ := json.Marshal(r["evidence"])
		var ev chain.Evidence
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		f, err := ev.Check(ca)
		if err != nil || f.Member.Label != label {
			t.Fatalf("evidence of %s: %v %v", label, f, err)
		}
		file, err := EvidenceFile(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(file); hex.EncodeToString(sum[:]) != r["evidence_sha256"] {
			t.Fatalf("evidence file of %s hashes to %x, the console says %v", label, sum, r["evidence_sha256"])
		}
		bundles[label] = file
	}

	// Check: the genuine bundle, a tampered opening, a wrong certificate,
	// not evidence at all.
	if st, c := postJSON(t, ts.URL+"/audit/check", string(bundles["alice"])); st != 200 || c["valid"] != true || c["label"] != "alice" ||
		c["tx"] != alice || c["accused_checked"] != true || c["org"] == "" || c["threshold"] != false {
		t.Fatalf("check: %d %v", st, c)
	}
	var m map[string]any
	_ = json.Unmarshal(bundles["alice"], &m)
	ge := m["group_evidence"].(map[string]any)
	op := []byte(ge["opening"].(string))
	op[len(op)-3] = map[bool]byte{true: '1', false: '0'}[op[len(op)-3] == '0'] // another hex digit
	ge["opening"] = string(op)
	tampered, _ := json.Marshal(m)
	if st, c := postJSON(t, ts.URL+"/audit/check", string(tampered)); st != 200 || c["valid"] != false || c["code"] != "not_accountable" || c["condition"] != float64(1) {
		t.Fatalf("tampered check: %d %v", st, c)
	}
	_ = json.Unmarshal(bundles["alice"], &m)
	var mb map[string]any
	_ = json.Unmarshal(bundles["bob"], &mb)
	m["member_cert"] = mb["member_cert"]
	swapped, _ := json.Marshal(m)
	if st, c := postJSON(t, ts.URL+"/audit/check", string(swapped)); st != 200 || c["valid"] != false || c["code"] == "" || c["message"] == "" {
		t.Fatalf("swapped certificate check: %d %v", st, c)
	}
	if st, c := postJSON(t, ts.URL+"/audit/check", `{"hello": 1}`); st != 200 || c["valid"] != false || c["code"] != "malformed" {
		t.Fatalf("not evidence: %d %v", st, c)
	}

	// Refusals of open.
	for _, tc := range []struct{ body, code string }{
		{`{"tx":"xyz"}`, "bad_request"},
		{`{"tx":"` + alice + `","extra":1}`, "bad_request"},
		{`not json`, "bad_request"},
		{`{"tx":"` + strings.Repeat("0", 64) + `"}`, "not_found"},
	} {
		if st, r := postJSON(t, ts.URL+"/audit/open", tc.body); st < 400 || errCode(r) != tc.code {
			t.Errorf("open %s: %d %v, want %s", tc.body, st, r, tc.code)
		}
	}
	// A transaction that is not anonymous: an admin's topic rule.
	rule := tn.sendRule(t, "votes")
	if st, r := postJSON(t, ts.URL+"/audit/open", `{"tx":"`+rule+`"}`); st != 422 || errCode(r) != "not_openable" {
		t.Errorf("open of a non-anonymous transaction: %d %v", st, r)
	}

	// The log: both openings, with their digests, in a 0600 file.
	st, lg := do(t, http.MethodGet, ts.URL+"/audit/log", "", "", nil)
	entries, _ := lg["entries"].([]any)
	if st != 200 || len(entries) != 2 || lg["path"] != srv.LogPath() {
		t.Fatalf("log: %d %v", st, lg)
	}
	for i, want := range []string{"alice", "bob"} {
		e := entries[i].(map[string]any)
		sum := sha256.Sum256(bundles[want])
		if e["label"] != want || e["group"] != "acme" || e["evidence_sha256"] != hex.EncodeToString(sum[:]) || e["threshold"] != false || e["time"] == "" {
			t.Fatalf("log entry %d: %v", i, e)
		}
	}
	fi, err := os.Stat(srv.LogPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("log file: %v %v", fi, err)
	}
	data, _ := os.ReadFile(srv.LogPath())
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Fatalf("log holds %d lines:\n%s", n, data)
	}
	// A log that cannot be written: the opening is not answered.
	if err := os.Remove(srv.LogPath()); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(srv.LogPath(), 0o700); err != nil {
		t.Fatal(err)
	}
	if st, r := postJSON(t, ts.URL+"/audit/open", `{"tx":"`+alice+`"}`); st != 500 || errCode(r) != "log_failed" || r["label"] != nil {
		t.Fatalf("open with an unwritable log: %d %v", st, r)
	}
	if kw.responses() < 10 {
		t.Fatalf("only %d responses scanned for the key", kw.responses())
	}
}

// TestConsoleGuardAndProxy: the console answers only its own origin on a
// loopback host, POSTs only as JSON, passes only reads to the node (the
// event websocket included) and serves the UI.
func TestConsoleGuardAndProxy(t *testing.T) {
	tn := startNet(t)
	tn.send(t, "alice", "orders", "pay 10")
	ts, _, _ := startConsole(t, tn, true, false)
	id := `{"tx":"` + strings.Repeat("a", 64) + `"}`
	origin := ts.URL // http://127.0.0.1:port

	for _, tc := range []struct {
		name   string
		ctype  string
		hdr    map[string]string
		status int
	}{
		{"text/plain (a form)", "text/plain", nil, http.StatusUnsupportedMediaType},
		{"form", "application/x-www-form-urlencoded", nil, http.StatusUnsupportedMediaType},
		{"another origin", "application/json", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"null origin", "application/json", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"cross-site fetch", "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"DNS rebinding", "application/json", map[string]string{"Host": "evil.example:80", "Origin": "http://evil.example:80"}, http.StatusMisdirectedRequest},
	} {
		for _, path := range []string{"/audit/open", "/audit/check"} {
			if st, r := do(t, http.MethodPost, ts.URL+path, tc.ctype, id, tc.hdr); st != tc.status {
				t.Errorf("%s %s: %d %v, want %d", tc.name, path, st, r, tc.status)
			}
		}
	}
	// Same origin (a browser's fetch) and no origin (curl) pass.
	if st, r := do(t, http.MethodPost, ts.URL+"/audit/check", "application/json; charset=utf-8", `{}`, map[string]string{"Origin": origin, "Sec-Fetch-Site": "same-origin"}); st != 200 || r["valid"] != false {
		t.Errorf("same-origin check: %d %v", st, r)
	}
	if st, _ := do(t, http.MethodGet, ts.URL+"/audit/info", "", "", map[string]string{"Host": "localhost:1"}); st != 200 {
		t.Errorf("localhost host: %d", st)
	}

	// The proxy: reads pass, writes do not.
	if st, r := do(t, http.MethodGet, ts.URL+"/v1/status", "", "", nil); st != 200 || r["chain_id"] == nil {
		t.Errorf("GET /v1/status: %d %v", st, r)
	}
	if st, _ := do(t, http.MethodGet, ts.URL+"/readyz", "", "", nil); st != 200 {
		t.Errorf("GET /readyz: %d", st)
	}
	if st, r := do(t, http.MethodGet, ts.URL+"/v1/txs/"+strings.Repeat("0", 64), "", "", nil); st != 404 || errCode(r) != "not_found" {
		t.Errorf("the node's refusal passes: %d %v", st, r)
	}
	if st, r := do(t, http.MethodPost, ts.URL+"/v1/txs", "application/json", `{"raw":"00"}`, nil); st != http.StatusMethodNotAllowed || errCode(r) != "read_only" {
		t.Errorf("POST /v1/txs: %d %v", st, r)
	}
	// The UI, at /ui/, and the workspace at /.
	for path, want := range map[string]string{"/ui/": "veil console", "/ui/audit.html": "Audit workspace", "/ui/audit.js": "/audit/open", "/": "Audit workspace"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: %d %q…", path, resp.StatusCode, string(body[:min(len(body), 80)]))
		}
	}

	// The event stream through the proxy, from the console's origin.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/v1/events?from_height=1"
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
	if err != nil {
		t.Fatalf("websocket through the console: %v", err)
	}
	_, msg, err := conn.Read(ctx)
	conn.CloseNow()
	if err != nil || !strings.Contains(string(msg), `"block"`) {
		t.Fatalf("first event: %s %v", msg, err)
	}
	if _, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}}); err == nil {
		t.Fatal("a websocket from another origin was let through")
	}
}

// TestConsoleWithoutKey: no opener key, the console opens nothing a
// committee has not opened on chain, and still checks evidence.
func TestConsoleWithoutKey(t *testing.T) {
	tn := startNet(t)
	id := tn.send(t, "alice", "orders", "pay 10")
	ts, _, _ := startConsole(t, tn, false, true)
	if _, info := do(t, http.MethodGet, ts.URL+"/audit/info", "", "", nil); info["can_open"] != false || info["group"] != "" {
		t.Fatalf("info: %v", info)
	}
	if st, r := postJSON(t, ts.URL+"/audit/open", `{"tx":"`+id+`"}`); st != http.StatusConflict || errCode(r) != "not_opened" {
		t.Fatalf("open without a key: %d %v", st, r)
	}
	if _, lg := do(t, http.MethodGet, ts.URL+"/audit/log", "", "", nil); len(lg["entries"].([]any)) != 0 {
		t.Fatalf("log: %v", lg)
	}
}

// TestConsoleNodeDown: the console starts and answers while its node
// does not; openings say why they wait.
func TestConsoleNodeDown(t *testing.T) {
	s, err := New(Config{Node: "http://127.0.0.1:1", LogPath: filepath.Join(t.TempDir(), "log"), Static: ui.Handler(), Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptestServer(t, s)
	if st, info := do(t, http.MethodGet, ts+"/audit/info", "", "", nil); st != 200 || info["mode"] != "audit" {
		t.Fatalf("info: %d %v", st, info)
	}
	if st, r := do(t, http.MethodGet, ts+"/v1/status", "", "", nil); st != http.StatusBadGateway || errCode(r) != "node_unreachable" {
		t.Fatalf("proxy to a dead node: %d %v", st, r)
	}
	if st, r := postJSON(t, ts+"/audit/open", `{"tx":"`+strings.Repeat("a", 64)+`"}`); st != http.StatusBadGateway || errCode(r) != "node_unreachable" {
		t.Fatalf("open with a dead node: %d %v", st, r)
	}
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, cfg := range []Config{
		{Node: "127.0.0.1:8545", LogPath: filepath.Join(dir, "a"), Static: ui.Handler()},
		{Node: "ftp://x", LogPath: filepath.Join(dir, "b"), Static: ui.Handler()},
		{Node: "http://127.0.0.1:1", LogPath: filepath.Join(dir, "c")},
		{Node: "http://127.0.0.1:1", Static: ui.Handler()},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	open := filepath.Join(dir, "open.log")
	if err := os.WriteFile(open, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLog(open); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a log others may read: %v", err)
	}
}

func TestLogSkipsTornLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "log.jsonl")
	l, err := OpenLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(LogEntry{Time: time.Now(), Tx: "aa", Group: "g", Label: "alice", EvidenceSHA256: "00"}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"time":"2026-`)
	f.Close()
	es, bad, err := l.Entries()
	if err != nil || len(es) != 1 || bad != 1 || es[0].Label != "alice" {
		t.Fatalf("entries %v bad %d err %v", es, bad, err)
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Fatalf("log directory mode %v", fi.Mode())
	}
}
