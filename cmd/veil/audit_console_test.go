package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/veilchain/veil/console"
)

// syncBuffer is a buffer the command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// auditConsole runs 'veil audit console ARGS --output json' until the
// test ends (or stop), and returns what it printed once listening.
func auditConsole(t *testing.T, args ...string) (info map[string]any, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	root := newRootCmd()
	root.SetContext(ctx)
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- execute(root, append([]string{"audit", "console", "--output", "json"}, args...), &stdout, &stderr)
	}()
	code := -1
	eventually(t, "the console listens", func() bool {
		select {
		case code = <-done:
			return true
		default:
		}
		return strings.Contains(stdout.String(), `"url"`)
	})
	if code != -1 {
		cancel()
		t.Fatalf("veil audit console exited %d: %s %s", code, stdout.String(), stderr.String())
	}
	info = jsonOf(t, stdout.String())
	var once sync.Once
	stop = func() int {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return info, stop
}

func consolePost(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, jsonOf(t, string(data))
}

func consoleGet(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return jsonOf(t, string(data))
}

// TestAuditConsoleCommand: the command binds only 127.0.0.1, prints its
// URL once listening, opens with the key it loaded, logs to the default
// place (the user config directory) and stops on cancel.
func TestAuditConsoleCommand(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "localhost:0", "[::1]:0", "192.168.1.1:8600", ":8600", "nonsense"} {
		wantCode(t, exitUsage, "usage", "audit", "console", "--node", "http://127.0.0.1:1", "--listen", addr)
	}
	wantCode(t, exitUsage, "usage", "audit", "console", "--node", "", "--listen", "127.0.0.1:0")
	if testing.Short() {
		t.Skip("starts a network")
	}
	tn := startNet(t, 1, []string{"payments"}, []string{"alice"})
	l := tn.l
	tx := jsonOut(t, "tx", "send", "--node", tn.urls[0], "--key", l.MemberKey("payments", "alice"), "--topic", "orders", "--data", "pay 10", "--wait")
	cfgHome := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgHome)
	info, stop := auditConsole(t, "--node", tn.urls[0], "--opener-key", filepath.Join(l.GroupsDir(), "payments.opener.key"), "--ca", l.CACert())
	url := info["url"].(string)
	base := strings.TrimSuffix(url, "/ui/audit.html")
	wantLog := filepath.Join(cfgHome, "veil", "audit-log.jsonl")
	if !strings.HasPrefix(url, "http://127.0.0.1:") || info["log"] != wantLog || info["can_open"] != true {
		t.Fatalf("printed %v", info)
	}
	if i := consoleGet(t, base+"/audit/info"); i["group"] != "payments" || i["can_open"] != true {
		t.Fatalf("info: %v", i)
	}
	if st, r := consolePost(t, base+"/audit/open", `{"tx":"`+tx["id"].(string)+`"}`); st != 200 || r["label"] != "alice" || r["cert_checked"] != true {
		t.Fatalf("open: %d %v", st, r)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d after cancel", code)
	}
	data, err := os.ReadFile(wantLog)
	if err != nil || !strings.Contains(string(data), `"label":"alice"`) || fileMode(t, wantLog) != 0o600 {
		t.Fatalf("log %s: %v %q", wantLog, err, data)
	}
}

// TestAuditConsoleThreshold: for a group whose opener key is shared in a
// committee, the console shows a transaction as the committee opened it
// on chain — with the key loaded (the group's committee is active: the
// key is not the one to open with) and without — and its evidence is the
// threshold bundle 'veil audit check' accepts, naming who opened.
func TestAuditConsoleThreshold(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a network")
	}
	tn := startNet(t, 1, []string{"payments"}, []string{"alice"})
	t.Setenv("VEIL_NODE", tn.urls[0])
	l := tn.l
	reg := member{"regulator", "Financial Authority", t.TempDir()}
	acme := member{"acme", "Acme Bank", t.TempDir()}
	auths := []member{reg, acme}
	var authArgs []string
	for _, m := range auths {
		certify(t, l, m)
		authArgs = append(authArgs, "--authority", m.label+"="+m.path(".crt"))
	}
	opener := filepath.Join(t.TempDir(), "payments.opener.key")
	copyFile(t, filepath.Join(l.GroupsDir(), "payments.opener.key"), opener)
	kept := filepath.Join(l.GroupsDir(), "payments.opener.key") // a copy the dealer did not erase
	txID := jsonOut(t, "tx", "send", "--key", l.MemberKey("payments", "alice"), "--topic", "orders", "--data", "pay 10", "--wait")["id"].(string)

	dealDir := filepath.Join(t.TempDir(), "dealing")
	deal := slices.Clip(append([]string{"audit", "committee", "deal", "--group", "payments", "--threshold", "2", "--out", dealDir}, authArgs...))
	dealt := runAsync(append(deal, "--opener-key", opener, "--admin-key", l.AdminKey(), "--wait", "--erase-opener-key", "--output", "json")...)
	eventually(t, "the dealing", func() bool {
		for _, m := range auths {
			if _, err := os.Stat(filepath.Join(dealDir, m.label+".share")); err != nil {
				return false
			}
		}
		return jsonOut(t, "audit", "committee", "show", "--group", "payments")["pending"] != nil
	})
	for _, m := range auths {
		copySecret(t, filepath.Join(dealDir, m.label+".share"), m.path(".share"))
	}
	for _, m := range auths {
		jsonOut(t, "audit", "share", "accept", "--share", m.path(".share"), "--identity", m.path(".id"))
	}
	if res := <-dealt; res.code != 0 {
		t.Fatalf("deal: exit %d: %s %s", res.code, res.stdout, res.stderr)
	}

	// Not yet opened: the console says so.
	info, _ := auditConsole(t, "--node", tn.urls[0], "--opener-key", kept, "--ca", l.CACert(), "--log", filepath.Join(t.TempDir(), "log.jsonl"))
	base := strings.TrimSuffix(info["url"].(string), "/ui/audit.html")
	if i := consoleGet(t, base+"/audit/info"); i["threshold"] != true || i["group"] != "payments" {
		t.Fatalf("info: %v", i)
	}
	if st, r := consolePost(t, base+"/audit/open", `{"tx":"`+txID+`"}`); st != http.StatusConflict || r["error"].(map[string]any)["code"] != "not_opened" {
		t.Fatalf("open before the committee did: %d %v", st, r)
	}
	for _, m := range auths {
		jsonOut(t, "audit", "consent", "--tx", txID, "--share", m.path(".share"), "--identity", m.path(".id"))
	}
	for _, m := range auths {
		jsonOut(t, "audit", "release", "--tx", txID, "--share", m.path(".share"), "--identity", m.path(".id"))
	}

	noKey, _ := auditConsole(t, "--node", tn.urls[0], "--log", filepath.Join(t.TempDir(), "log.jsonl"))
	for _, b := range []string{base, strings.TrimSuffix(noKey["url"].(string), "/ui/audit.html")} {
		st, r := consolePost(t, b+"/audit/open", `{"tx":"`+txID+`"}`)
		if st != 200 || r["label"] != "alice" || r["threshold"] != true || r["t"] != float64(2) || len(r["opened_by"].([]any)) != 2 || r["org"] == "" {
			t.Fatalf("open after the committee did (%s): %d %v", b, st, r)
		}
		ev, _ := json.Marshal(r["evidence"])
		if _, ok := r["evidence"].(map[string]any)["threshold_opening"]; !ok {
			t.Fatalf("not a threshold bundle: %s", ev)
		}
		ca, err := readCA(l.CACert())
		if err != nil {
			t.Fatal(err)
		}
		if c := console.CheckEvidence(ev, ca); !c.Valid || c.Label != "alice" || !c.Threshold || len(c.Authorities) != 2 || c.Authorities[1].Org != "Acme Bank" {
			t.Fatalf("check of the console's threshold bundle: %+v", c)
		}
		entries := consoleGet(t, b+"/audit/log")["entries"].([]any)
		if len(entries) != 1 || entries[0].(map[string]any)["threshold"] != true {
			t.Fatalf("log: %v", entries)
		}
	}
}
