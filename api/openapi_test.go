package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/veilchain/veil/chain"
)

// TestOpenAPIDescribesWhatTheServerDoes keeps the served document true:
// every route the server registers is a path of the document, every
// transaction kind and every refusal code is in its enums.
func TestOpenAPIDescribesWhatTheServerDoes(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(Config{}, nil, NewHub(), NewMetrics(Gauges{}))
	for _, route := range append(srv.routes, srv.ops.Routes()...) {
		method, path, _ := strings.Cut(route, " ")
		if path == "/" {
			continue
		}
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", route)
		}
	}
	enum := func(schema string, at ...string) []string {
		var v any
		if err := json.Unmarshal(doc.Components.Schemas[schema], &v); err != nil {
			t.Fatal(err)
		}
		for _, k := range at {
			v = v.(map[string]any)[k]
		}
		var out []string
		for _, e := range v.(map[string]any)["enum"].([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	kinds := enum("Tx", "properties", "kind")
	evKinds := enum("Event", "properties", "tx", "properties", "kind")
	for k := chain.Kind(1); !strings.HasPrefix(k.String(), "kind("); k++ {
		if !slices.Contains(kinds, k.String()) || !slices.Contains(evKinds, k.String()) {
			t.Errorf("kind %s is not in the Tx and Event enums", k)
		}
	}
	codes := enum("ErrorBody", "properties", "error", "properties", "code")
	for c := chain.Code(1); !strings.HasPrefix(c.String(), "code("); c++ {
		if !slices.Contains(codes, c.String()) {
			t.Errorf("code %s is not in the ErrorBody enum", c)
		}
	}
	for _, c := range []string{CodeNotFound, CodeRateLimited, CodeMempoolFull, CodeBusy, CodeBadRequest, CodeUnavailable, CodeForked} {
		if !slices.Contains(codes, c) {
			t.Errorf("code %s is not in the ErrorBody enum", c)
		}
	}
}
