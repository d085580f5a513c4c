package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// run executes the CLI in-process as main does and returns what it printed
// (stdout, then stderr) and its exit status.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := execute(newRootCmd(), args, &stdout, &stderr)
	return stdout.String() + stderr.String(), code
}

// runOut is run with stdout alone.
func runOut(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := execute(newRootCmd(), args, &stdout, &stderr)
	return stdout.String(), code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := run(t, args...)
	if code != 0 {
		t.Fatalf("veil %s: exit %d: %s", strings.Join(args, " "), code, out)
	}
	return out
}

func jsonOut(t *testing.T, args ...string) map[string]any {
	t.Helper()
	args = append(args, "--output", "json")
	out, code := runOut(t, args...)
	if code != 0 {
		all, _ := run(t, args...)
		t.Fatalf("veil %s: exit %d: %s", strings.Join(args, " "), code, all)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("veil %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return m
}

// wantError runs a command that must fail with exit status code; under
// --output json it must print the error object, whose code and message it
// returns.
func wantError(t *testing.T, code int, args ...string) (errCode, message string, obj map[string]any) {
	t.Helper()
	args = append(args, "--output", "json")
	out, got := runOut(t, args...)
	if got != code {
		all, _ := run(t, args...)
		t.Fatalf("veil %s: exit %d, want %d: %s", strings.Join(args, " "), got, code, all)
	}
	var m struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Error == nil {
		t.Fatalf("veil %s: no JSON error object on stdout (%v): %q", strings.Join(args, " "), err, out)
	}
	c, _ := m.Error["code"].(string)
	msg, _ := m.Error["message"].(string)
	if c == "" || msg == "" {
		t.Fatalf("veil %s: error object %v", strings.Join(args, " "), m.Error)
	}
	return c, msg, m.Error
}

func TestEveryCommandHasAnExample(t *testing.T) {
	root := newRootCmd()
	stack := root.Commands()
	for len(stack) > 0 {
		c := stack[0]
		stack = append(stack[1:], c.Commands()...)
		if c.Example == "" && c.Name() != "help" && c.Name() != "completion" {
			t.Errorf("veil %s has no example", c.CommandPath())
		}
	}
}

func TestErrorObjects(t *testing.T) {
	// A flag error is bad usage, with the object even when parsing failed.
	if code, _, _ := wantError(t, exitUsage, "verify", "--bogus"); code != "usage" {
		t.Fatalf("unknown flag: code %q", code)
	}
	if code, _, _ := wantError(t, exitUsage, "sign", "--key", "/nonexistent/key", "--message", "m"); code != "usage" {
		t.Fatalf("missing key file: code %q", code)
	}
	// Without --output json nothing is printed on stdout.
	var stdout, stderr bytes.Buffer
	if code := execute(newRootCmd(), []string{"verify", "--bogus"}, &stdout, &stderr); code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "bogus") {
		t.Fatalf("text mode: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}
