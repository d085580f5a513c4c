package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// answer is one response as the conventions test reads it.
type answer struct {
	status int
	header http.Header
	body   ErrorBody
	raw    string
}

func ask(t *testing.T, method, url string, body io.Reader, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if resp.StatusCode >= 400 && method != http.MethodHead {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: %d with Content-Type %q, want application/json", method, url, resp.StatusCode, ct)
		}
		if err := json.Unmarshal(raw, &a.body); err != nil || a.body.Error.Code == "" || a.body.Error.Message == "" {
			t.Errorf("%s %s: %d with a body that is not an ErrorBody: %q", method, url, resp.StatusCode, raw)
		}
	}
	return a
}

// unsized hides a body's length, so that it is sent chunked and only
// reading it finds it too large.
type unsized struct{ io.Reader }

// TestHTTPConventions: 405 with Allow for a wrong method (API and
// operations routes on one listener), 404, 413 both when the length is
// declared and when only reading finds it, Retry-After on every 429 and
// 503, JSON bodies on the websocket's 426 and 403.
func TestHTTPConventions(t *testing.T) {
	e := newEnv(t, Config{MaxBodyBytes: 4096, SubmitRate: 0.001, SubmitBurst: 2})
	u := e.srv.URL
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodDelete, "/v1/status", "GET, HEAD"},
		{http.MethodPut, "/v1/txs", "POST"},
		{http.MethodPost, "/v1/blocks/7", "GET, HEAD"},
		{http.MethodPost, "/metrics", "GET, HEAD"}, // an operations route behind the API's listener
		{http.MethodPost, "/readyz", "GET, HEAD"},
	} {
		a := ask(t, c.method, u+c.path, nil, nil)
		if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != c.allow || a.body.Error.Code != CodeMethodNotAllowed {
			t.Errorf("%s %s: %d Allow %q %+v, want 405 Allow %q method_not_allowed", c.method, c.path, a.status, a.header.Get("Allow"), a.body, c.allow)
		}
	}
	if a := ask(t, http.MethodGet, u+"/v2/nothing", nil, nil); a.status != http.StatusNotFound || a.body.Error.Code != CodeNotFound {
		t.Errorf("GET /v2/nothing: %d %+v, want 404 not_found", a.status, a.body)
	}

	big := `{"tx":"` + strings.Repeat("ab", 4096) + `"}`
	for name, body := range map[string]io.Reader{"declared length": strings.NewReader(big), "chunked": unsized{strings.NewReader(big)}} {
		a := ask(t, http.MethodPost, u+"/v1/txs", body, http.Header{"Content-Type": {"application/json"}})
		if a.status != http.StatusRequestEntityTooLarge || a.body.Error.Code != "too_large" {
			t.Errorf("oversized body, %s: %d %+v, want 413 too_large", name, a.status, a.body)
		}
	}
	// The rate limiter (burst 2, one token in 1,000 s): the two 413s
	// above spent the tokens, so this is the 429.
	a := ask(t, http.MethodPost, u+"/v1/txs", strings.NewReader(txBody(e.anon("alice", "t", "1"))), nil)
	if a.status != http.StatusTooManyRequests || a.body.Error.Code != CodeRateLimited || a.header.Get("Retry-After") == "" {
		t.Errorf("second submission: %d Retry-After %q %+v, want 429 rate_limited with Retry-After", a.status, a.header.Get("Retry-After"), a.body)
	}

	// The websocket's refusals.
	a = ask(t, http.MethodGet, u+"/v1/events", nil, nil)
	if a.status != http.StatusUpgradeRequired || a.body.Error.Code != CodeUpgradeRequired || !strings.EqualFold(a.header.Get("Upgrade"), "websocket") {
		t.Errorf("GET /v1/events without upgrade: %d Upgrade %q %+v, want 426 upgrade_required", a.status, a.header.Get("Upgrade"), a.body)
	}
	ws := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Origin": {"https://evil.example"}}
	a = ask(t, http.MethodGet, u+"/v1/events", nil, ws)
	if a.status != http.StatusForbidden || a.body.Error.Code != CodeForbidden {
		t.Errorf("GET /v1/events from a foreign origin: %d %+v, want 403 forbidden", a.status, a.body)
	}
	ws.Del("Origin")
	ws.Set("Sec-Websocket-Version", "8")
	a = ask(t, http.MethodGet, u+"/v1/events", nil, ws)
	if a.status != http.StatusBadRequest || a.body.Error.Code != CodeBadRequest || a.header.Get("Sec-Websocket-Version") != "13" {
		t.Errorf("GET /v1/events version 8: %d %v %+v, want 400 bad_request with Sec-WebSocket-Version 13", a.status, a.header, a.body)
	}
}

// notReady is a backend whose Ready fails with err.
type notReady struct {
	*single
	err error
}

func (n notReady) Ready() error { return n.err }

// TestRetryAfterOn503: /readyz's 503s carry Retry-After, 30 s for a fork
// (an operator must act) and 1 s otherwise.
func TestRetryAfterOn503(t *testing.T) {
	e := newEnv(t, Config{})
	for _, c := range []struct {
		err   error
		code  string
		retry string
	}{
		{errors.New("no raft leader known"), CodeUnavailable, "1"},
		{&ForkedError{Conflicts: []ForkConflict{{Peer: "node-2", Height: 3}}}, CodeForked, retryAfterForked},
	} {
		srv := httptest.NewServer(NewServer(Config{}, notReady{e.single, c.err}, NewHub(), nil))
		a := ask(t, http.MethodGet, srv.URL+"/readyz", nil, nil)
		srv.Close()
		if a.status != http.StatusServiceUnavailable || a.body.Error.Code != c.code || a.header.Get("Retry-After") != c.retry {
			t.Errorf("/readyz with %v: %d Retry-After %q %+v, want 503 %s Retry-After %s", c.err, a.status, a.header.Get("Retry-After"), a.body, c.code, c.retry)
		}
	}
}

// TestRequestIDs: a client's X-Request-Id is echoed and logged, a
// missing or unusable one replaced by a new one; the operations routes
// behind the API's listener keep the API's id.
func TestRequestIDs(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, Config{})
	ops := NewOperations(OpsConfig{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ops.HandleAdmin("GET /admin", http.NotFoundHandler())
	srv := httptest.NewServer(NewServer(Config{Ops: ops}, e.single, NewHub(), nil))
	defer srv.Close()
	fresh := regexp.MustCompile(`^[0-9a-f]{24}$`)
	for _, c := range []struct{ sent, path string }{
		{"client-chose-this-1", "/v1/status"},
		{"", "/v1/status"},
		{"has space", "/v1/status"},
		{strings.Repeat("x", 129), "/v1/status"},
		{"client-chose-this-2", "/admin"}, // 403 on plain HTTP, logged
		{"client-chose-this-3", "/nothing"},
	} {
		h := http.Header{}
		if c.sent != "" {
			h.Set(HeaderRequestID, c.sent)
		}
		a := ask(t, http.MethodGet, srv.URL+c.path, nil, h)
		got := a.header.Get(HeaderRequestID)
		if validRequestID(c.sent) && got != c.sent || !validRequestID(c.sent) && !fresh.MatchString(got) {
			t.Errorf("GET %s with id %q: answered id %q", c.path, c.sent, got)
		}
	}
	if !strings.Contains(logs.String(), "request_id=client-chose-this-2") {
		t.Errorf("the admin refusal's log line lacks the request id: %q", logs.String())
	}
}

// BenchmarkRequestID is what the conventions cost a request: GET
// /v1/status through the server (request id made, echoed, in the
// context) against the bare route table, in one run; and a 405 (the
// methods probed for Allow) against a 404.
func BenchmarkRequestID(b *testing.B) {
	e := newEnv(b, Config{})
	srv := NewServer(Config{}, e.single, NewHub(), nil)
	for _, c := range []struct {
		name, method, path string
		h                  http.Handler
	}{
		{"mux", "GET", "/v1/status", srv.mux},
		{"server", "GET", "/v1/status", srv},
		{"404", "GET", "/v2/nothing", srv},
		{"405", "DELETE", "/v1/status", srv},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(c.method, c.path, nil)
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
