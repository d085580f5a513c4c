package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConsoleServed checks that the API serves the console (package ui)
// at /ui/: index.html at the prefix, its script and stylesheet beside it,
// and GET /ui redirected to /ui/. The console is not a JSON route, so it
// is outside the OpenAPI document.
func TestConsoleServed(t *testing.T) {
	srv := httptest.NewServer(NewServer(Config{}, nil, NewHub(), NewMetrics(Gauges{})))
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	resp, body := get("/ui/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<title>veil console</title>") {
		t.Fatalf("GET /ui/: %d %s, body %.200q; want index.html", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for path, ctype := range map[string]string{"/ui/app.js": "text/javascript", "/ui/style.css": "text/css"} {
		if resp, body := get(path); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("GET %s: %d %s (%d bytes), want %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), ctype)
		}
	}
	if resp, _ := get("/ui/no-such-file.js"); resp.StatusCode != 404 {
		t.Errorf("GET /ui/no-such-file.js: %d, want 404", resp.StatusCode)
	}
	noFollow := *srv.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r, err := noFollow.Get(srv.URL + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode/100 != 3 || r.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /ui: %d to %q, want a redirect to /ui/", r.StatusCode, r.Header.Get("Location"))
	}
	if resp, _ := get("/uix"); resp.StatusCode != 404 {
		t.Errorf("GET /uix: %d, want the API's 404", resp.StatusCode)
	}
}
