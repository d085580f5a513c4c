package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRequestMetricsByRoute: requests are counted under their route's
// pattern (not the raw path) and status, and every route's series exist
// before its first request.
func TestRequestMetricsByRoute(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	scrape := func() string {
		resp, err := http.Get(e.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	before := scrape()
	for _, want := range []string{
		`veil_api_requests_total{code="404",route="GET /v1/txs/{id}"} 0`,
		`veil_api_requests_total{code="200",route="GET /v1/status"} 0`,
		`veil_api_requests_total{code="101",route="GET /v1/events"} 0`,
		`veil_api_request_duration_seconds_count{route="GET /v1/blocks/{height}"} 0`,
	} {
		if !strings.Contains(before, want) {
			t.Errorf("before any request, /metrics lacks %s", want)
		}
	}
	for range 2 {
		resp, err := http.Get(e.srv.URL + "/v1/txs/" + strings.Repeat("ab", 32))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("unknown tx: %d", resp.StatusCode)
		}
	}
	after := scrape()
	for _, want := range []string{
		`veil_api_requests_total{code="404",route="GET /v1/txs/{id}"} 2`,
		`veil_api_request_duration_seconds_count{route="GET /v1/txs/{id}"} 2`,
	} {
		if !strings.Contains(after, want) {
			t.Errorf("after the requests, /metrics lacks %s", want)
		}
	}
	if strings.Contains(after, strings.Repeat("ab", 32)) {
		t.Error("a raw path became a label value")
	}
}

// TestHealthzNamesFailedStorage: /healthz is 200 with every component ok,
// then 503 naming storage once the database's fault latch is set.
func TestHealthzNamesFailedStorage(t *testing.T) {
	e := newEnv(t, DefaultConfig())
	get := func() (int, Health) {
		resp, err := http.Get(e.srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, h
	}
	if code, h := get(); code != 200 || h.Status != "ok" || h.Components["storage"] != "ok" || len(h.Failed) != 0 {
		t.Fatalf("healthy: %d %+v", code, h)
	}
	e.db.Fault().Set(errors.New("disk full: chain: no space left on device"))
	code, h := get()
	if code != 503 || h.Status != "unavailable" || len(h.Failed) != 1 || h.Failed[0].Component != "storage" || !strings.Contains(h.Failed[0].Error, "no space") {
		t.Fatalf("after the fault: %d %+v", code, h)
	}
}

// BenchmarkInstrument measures a small JSON answer through instrument
// (count and time by route) against the same handler unwrapped, the
// baseline of the same run.
func BenchmarkInstrument(b *testing.B) {
	h := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
	req, _ := http.NewRequest(http.MethodGet, "/v1/status", nil)
	run := func(b *testing.B, f http.HandlerFunc) {
		for b.Loop() {
			f(discardWriter{h: http.Header{}}, req)
		}
	}
	b.Run("baseline=plain", func(b *testing.B) { run(b, h) })
	b.Run("instrumented", func(b *testing.B) {
		s := &Server{metrics: NewMetrics(Gauges{})}
		run(b, s.instrument("GET /v1/status", h))
	})
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
