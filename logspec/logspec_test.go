package logspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "info"},
		{"debug", "debug"},
		{"INFO:raft=debug:p2p=warn", "info:p2p=warn:raft=debug"},
		{"warn:raft,consensus=debug", "warn:consensus=debug:raft=debug"},
		{"info:raft=info", "info"},
		{"error:raft=trace", "error:raft=trace"},
		{"info:bft=debug", "info:bft=debug"}, // SmartBFT's lines on a BFT chain
	} {
		sp, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if got := sp.String(); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"loud", "info:rafft=debug", "info:raft=loud", "info:debug", "raft=debug:info", "info:=debug"} {
		if _, err := Parse(bad); !errors.Is(err, ErrBadSpec) {
			t.Errorf("Parse(%q) = %v, want ErrBadSpec", bad, err)
		}
	}
}

// TestHandlerFiltersByComponent: a logger's component decides, at the
// time of the record, whether it is written; Set changes it live.
func TestHandlerFiltersByComponent(t *testing.T) {
	var buf bytes.Buffer
	lv, err := New("info:p2p=error")
	if err != nil {
		t.Fatal(err)
	}
	root := slog.New(NewHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: LevelTrace}), lv))
	raftLog := root.With("node", "n1").With("component", "raft")
	p2pLog := root.With("component", "p2p").WithGroup("g")
	if LevelsOf(raftLog) != lv {
		t.Fatal("LevelsOf lost the Levels")
	}

	raftLog.Debug("raft-debug-1")
	p2pLog.Warn("p2p-warn-1")
	root.Info("root-info-1")
	if !strings.Contains(buf.String(), "root-info-1") || strings.Contains(buf.String(), "raft-debug-1") || strings.Contains(buf.String(), "p2p-warn-1") {
		t.Fatalf("before Set:\n%s", buf.String())
	}
	if err := lv.Set("warn:raft=debug"); err != nil {
		t.Fatal(err)
	}
	raftLog.Debug("raft-debug-2")
	p2pLog.Warn("p2p-warn-2")
	root.Info("root-info-2")
	out := buf.String()
	if !strings.Contains(out, "raft-debug-2") || !strings.Contains(out, "p2p-warn-2") || strings.Contains(out, "root-info-2") {
		t.Fatalf("after Set:\n%s", out)
	}
	if err := lv.Set("info:nosuch=debug"); err == nil || lv.Spec() != "warn:raft=debug" {
		t.Fatalf("a bad spec changed the levels: %v, %s", err, lv.Spec())
	}
}

func TestServeHTTP(t *testing.T) {
	lv, err := New("info")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(lv)
	defer srv.Close()
	put := func(body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp, b.Bytes()
	}
	resp, body := put(`{"spec":"info:raft=debug"}`)
	var v View
	if resp.StatusCode != 200 || json.Unmarshal(body, &v) != nil || v.Spec != "info:raft=debug" || v.Components["raft"] != "debug" || v.Components["p2p"] != "info" {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	if lv.Level("raft") != slog.LevelDebug {
		t.Fatalf("raft level %v after PUT", lv.Level("raft"))
	}
	for _, bad := range []string{`{"spec":"info:rafft=debug"}`, `{"spec":"shout"}`, `not json`, `{"level":"debug"}`} {
		resp, body := put(bad)
		var e errBody
		if resp.StatusCode != 400 || json.Unmarshal(body, &e) != nil || e.Error.Code != "bad_request" || e.Error.Message == "" {
			t.Fatalf("PUT %s: %d %s", bad, resp.StatusCode, body)
		}
	}
	if lv.Spec() != "info:raft=debug" {
		t.Fatalf("bad PUTs changed the spec to %s", lv.Spec())
	}
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 || v.Spec != "info:raft=debug" || v.Default != "info" {
		t.Fatalf("GET: %d %+v %v", resp.StatusCode, v, err)
	}
}

// FuzzParse: Parse never panics, and a spec it accepts round-trips
// through its canonical form.
func FuzzParse(f *testing.F) {
	f.Add("info:raft=debug:p2p=warn")
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(sp.String())
		if err != nil || again.String() != sp.String() {
			t.Fatalf("%q → %q → %v %q", s, sp.String(), err, again.String())
		}
	})
}
