package api

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"time"
)

// eventsRoute is the websocket route: counted, not timed (a request
// lasts as long as its stream).
const eventsRoute = "GET /v1/events"

// instrument counts a route's requests by status code and times them
// (veil_api_requests_total, veil_api_request_duration_seconds), labelled
// with the route's pattern so that ids in paths make no new series.
func (s *Server) instrument(route string, h http.HandlerFunc) http.HandlerFunc {
	if s.metrics == nil {
		return h
	}
	timed := route != eventsRoute
	var rm *routeMetrics
	if timed {
		rm = s.metrics.route(route)
	} else {
		rm = s.metrics.route(route, http.StatusSwitchingProtocols, http.StatusUpgradeRequired)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		rm.observe(sw.code(), time.Since(start), timed)
	}
}

// statusWriter remembers the status a handler answered. It passes
// Hijack (the websocket upgrade) and Flush through, and Unwrap serves
// http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Flush flushes the underlying writer if it can.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection over (websocket upgrade: 101).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("api: response writer cannot hijack")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return hj.Hijack()
}

// Unwrap returns the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// healthz answers 200 when every component the backend checks is ok,
// else 503 naming the failed ones.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	h := Health{Status: "ok", Components: map[string]string{}}
	for _, c := range s.b.Health() {
		if c.Err == nil {
			h.Components[c.Component] = "ok"
			continue
		}
		h.Components[c.Component] = "failed"
		h.Failed = append(h.Failed, ComponentFailure{Component: c.Component, Error: c.Err.Error()})
	}
	status := http.StatusOK
	if len(h.Failed) > 0 {
		h.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}
