package api

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
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
	for _, c := range []string{CodeNotFound, CodeRateLimited, CodeMempoolFull, CodeBusy, CodeBadRequest, CodeUnavailable, CodeForked,
		CodeForbidden, CodeMethodNotAllowed, CodeUpgradeRequired} {
		if !slices.Contains(codes, c) {
			t.Errorf("code %s is not in the ErrorBody enum", c)
		}
	}
}

// TestOpenAPIDocumentIsValid loads the document with kin-openapi and
// validates it (OpenAPI 3.1, every $ref resolved, examples and defaults
// against their schemas).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// redoclyVersion is the @redocly/cli that .ci/run installs.
const redoclyVersion = "2.77.0"

// TestOpenAPIRedoclyLint runs `redocly lint` with the recommended ruleset
// (redocly.yaml) on the document and fails on any problem, warnings
// included, but those .redocly.lint-ignore.yaml lists with their reasons.
// Without redocly it skips, unless CI is set: there .ci/run installs it,
// and its absence is a failure.
func TestOpenAPIRedoclyLint(t *testing.T) {
	bin, err := exec.LookPath("redocly")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but redocly is not installed (.ci/run: npm install -g @redocly/cli@%s)", redoclyVersion)
		}
		t.Skipf("redocly not installed (npm install -g @redocly/cli@%s); CI runs this test", redoclyVersion)
	}
	cmd := exec.Command(bin, "lint", "--config", "redocly.yaml", "--format", "json", "openapi.json")
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.Output()
	var res struct {
		Totals struct {
			Errors, Warnings, Ignored int
		} `json:"totals"`
		Version  string            `json:"version"`
		Problems []json.RawMessage `json:"problems"`
	}
	if jerr := json.Unmarshal(out, &res); jerr != nil {
		t.Fatalf("redocly lint: %v (%v): %s", err, jerr, out)
	}
	if res.Version != redoclyVersion {
		t.Logf("redocly %s, .ci/run pins %s", res.Version, redoclyVersion)
	}
	if res.Totals.Errors+res.Totals.Warnings > 0 || err != nil {
		for _, p := range res.Problems {
			t.Errorf("redocly: %s", p)
		}
		t.Fatalf("redocly lint: %d errors, %d warnings (%v)", res.Totals.Errors, res.Totals.Warnings, err)
	}
}
