package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/genesis"
)

// recorder keeps every record a node writes, with the attributes its
// logger was made with.
type recorder struct {
	mu   *sync.Mutex
	recs *[]record
	with []slog.Attr
}

type record struct {
	level     slog.Level
	msg       string
	component string
}

func newRecorder() *recorder { return &recorder{mu: new(sync.Mutex), recs: new([]record)} }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	out := record{level: rec.Level, msg: rec.Message}
	for _, a := range r.with {
		if a.Key == "component" {
			out.component = a.Value.String()
		}
	}
	r.mu.Lock()
	*r.recs = append(*r.recs, out)
	r.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{mu: r.mu, recs: r.recs, with: append(append([]slog.Attr{}, r.with...), as...)}
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

// count counts the records of component at level.
func (r *recorder) count(component string, level slog.Level, msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := 0
	for _, rec := range *r.recs {
		if rec.component == component && rec.level == level && (msg == "" || rec.msg == msg) {
			c++
		}
	}
	return c
}

// adminClient is an HTTPS client of the operations port with an
// operator certificate from the chain CA.
func adminClient(t *testing.T, ln *localNet) *http.Client {
	t.Helper()
	caPEM, err := os.ReadFile(ln.layout.CACert())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	ca, err := genesis.LoadCA(ln.layout.CACert(), ln.layout.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueOperator("ops-test", time.Hour, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}}}
}

// TestRaftLogLevelsAtRuntime: raft's lines reach slog at raft's own
// levels (an election at info, under component raft), and a PUT of
// info:raft=debug to the operations port's /logspec makes raft's debug
// lines appear, where there were none at info; a bad spec is a 400 that
// changes nothing.
func TestRaftLogLevelsAtRuntime(t *testing.T) {
	recs := map[int]*recorder{1: newRecorder(), 2: newRecorder(), 3: newRecorder()}
	ln := startLocalWith(t, 3, netOptions{
		tweak: func(c *Config) { c.LogLevel, c.OpsAddr = "info", "127.0.0.1:0" },
		log:   func(i int) slog.Handler { return recs[i] },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := newKit(t, ln)
	k.waitLeader(ctx, 1, 2, 3)
	leader := 0
	for i := 1; i <= 3; i++ {
		if recs[i].count("raft", slog.LevelInfo, "entering leader state") > 0 {
			leader = i
		}
	}
	st, err := k.c(1).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if leader == 0 || st.Leader != ln.layout.NodeID(leader) {
		t.Fatalf("no node logged raft's \"entering leader state\" at info under component raft (leader %s, logged by node %d)", st.Leader, leader)
	}
	for i := 1; i <= 3; i++ {
		if c := recs[i].count("raft", slog.LevelDebug, ""); c != 0 {
			t.Fatalf("node %d wrote %d raft debug lines at log_level info", i, c)
		}
	}

	admin := adminClient(t, ln)
	put := func(i int, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "https://"+ln.nodes[i].OpsAddr()+"/logspec", strings.NewReader(body))
		resp, err := admin.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := put(1, `{"spec":"info:raft=loud"}`); code != http.StatusBadRequest || !strings.Contains(body, `"code":"bad_request"`) || !strings.Contains(body, "loud") {
		t.Fatalf("bad spec: %d %s", code, body)
	}
	for i := 1; i <= 3; i++ {
		if code, body := put(i, `{"spec":"info:raft=debug"}`); code != http.StatusOK || !strings.Contains(body, `"raft":"debug"`) {
			t.Fatalf("node %d PUT /logspec: %d %s", i, code, body)
		}
		if got := ln.nodes[i].LogLevels().Spec(); got != "info:raft=debug" {
			t.Fatalf("node %d levels %s", i, got)
		}
	}
	// The leader hands over on stop: a leadership transfer and an
	// election, both of which raft logs at debug.
	ln.stop(leader)
	waitFor(t, ctx, "raft debug lines after info:raft=debug", func() bool {
		c := 0
		for i := 1; i <= 3; i++ {
			c += recs[i].count("raft", slog.LevelDebug, "")
		}
		return c > 0
	})
}

// expectedMetrics are the names /metrics must carry (histograms by their
// _count series).
var expectedMetrics = []string{
	"veil_txs_admitted_total", "veil_txs_refused_total", "veil_txs_committed_total", "veil_api_busy_total",
	"veil_signature_verifications_total", "veil_verify_queue_depth", "veil_group_signature_verify_seconds_count",
	"veil_block_commit_seconds_count", "veil_block_txs_count", "veil_block_bytes_count",
	"veil_chain_height", "veil_head_block_timestamp_seconds", "veil_mempool_txs", "veil_mempool_bytes",
	"veil_peers", "veil_gossip_dropped_total", "veil_gossip_tx_copies_sent_total",
	"veil_event_subscribers", "veil_event_subscribers_dropped_total",
	"veil_raft_leader_changes_total", "veil_raft_term", "veil_raft_state", "veil_raft_commit_index",
	"veil_raft_applied_index", "veil_raft_last_contact_seconds",
	"veil_verdict_cache_lookups_total", "veil_sync_target_height", "veil_block_sync_blocks_fetched_total",
	"veil_block_sync_refused_total", "veil_fork_detected", "veil_fork_conflicts_total",
	"veil_node_cert_expiry_seconds", "veil_api_requests_total", "veil_api_request_duration_seconds_count",
}

// metricValue is the value of the first series of /metrics text that
// starts with series (a name, or a name and labels).
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + `(\{[^}]*\})? (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("/metrics has no %s", series)
	}
	v, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetricsStatusAndPromtool: a real network's /metrics carries every
// expected metric, with values that follow what happened (blocks with
// transactions, raft indexes, a certificate that has not expired), passes
// `promtool check metrics`, and /v1/status shows raft's view and sync.
func TestMetricsStatusAndPromtool(t *testing.T) {
	ln := startLocalWith(t, 3, netOptions{members: []string{"alice"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k := newKit(t, ln, "alice")
	k.waitLeader(ctx, 1, 2, 3)
	var ids []string
	for j := range 3 {
		ids = append(ids, k.submit(ctx, 1, k.anon(ctx, 1, "acme", "alice", "obs", fmt.Sprint("m", j), false)))
	}
	k.waitEverywhere(ctx, ids...)

	resp, err := http.Get("http://" + ln.nodes[2].OpsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, name := range expectedMetrics {
		if !regexp.MustCompile(`(?m)^` + name + `[{ ]`).MatchString(text) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v := metricValue(t, text, `veil_txs_committed_total{result="valid"}`); v < 3 {
		t.Errorf("veil_txs_committed_total{valid} = %v, want ≥ 3", v)
	}
	if v := metricValue(t, text, `veil_txs_committed_total{result="invalid"}`); v != 0 {
		t.Errorf("veil_txs_committed_total{invalid} = %v", v)
	}
	if v := metricValue(t, text, "veil_block_txs_sum"); v < 3 {
		t.Errorf("veil_block_txs_sum = %v, want ≥ 3", v)
	}
	if v := metricValue(t, text, "veil_raft_applied_index"); v < 1 {
		t.Errorf("veil_raft_applied_index = %v", v)
	}
	if v := metricValue(t, text, "veil_node_cert_expiry_seconds"); v < 24*3600 {
		t.Errorf("veil_node_cert_expiry_seconds = %v", v)
	}
	if v := metricValue(t, text, "veil_head_block_timestamp_seconds"); v < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("veil_head_block_timestamp_seconds = %v", v)
	}
	if v := metricValue(t, text, `veil_verdict_cache_lookups_total{result="hit"}`); v < 1 {
		t.Errorf("verdict cache hits = %v: gossip admission verified, block apply should have hit", v)
	}
	promtoolCheck(t, body)

	st, err := k.c(2).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Term == 0 || (st.RaftState != "Follower" && st.RaftState != "Leader") || st.CommitIndex == 0 || st.AppliedIndex == 0 ||
		strings.Join(st.Voters, ",") != "node-1,node-2,node-3" || len(st.Observers) != 0 || st.Sync != "caught_up" || st.TargetHeight < st.Height {
		t.Errorf("status: %+v", st)
	}
	if st.RaftState == "Follower" && (st.LastContactSeconds < 0 || st.LastContactSeconds > 30) {
		t.Errorf("follower's last contact %v s", st.LastContactSeconds)
	}
}

// promtoolCheck runs `promtool check metrics` on a scrape. Without
// promtool it skips, unless CI is set (.ci/run installs it).
func promtoolCheck(t *testing.T, scrape []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not found, and CI is set: .ci/run installs it (Debian package prometheus)")
		}
		t.Log("promtool not found (Debian package prometheus): skipping `promtool check metrics`")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestHealthzNamesFailedComponents: a running node's /healthz is 200
// with storage, raft and gossip ok; once its memberlist is shut down it
// is 503 naming gossip, and once raft is stopped too, both.
func TestHealthzNamesFailedComponents(t *testing.T) {
	ln := startLocal(t, 1)
	n := ln.nodes[1]
	get := func() (int, api.Health) {
		t.Helper()
		resp, err := http.Get("http://" + n.OpsAddr() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h api.Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, h
	}
	failed := func(h api.Health) string {
		var names []string
		for _, f := range h.Failed {
			if f.Error == "" {
				t.Errorf("%s failed without an error", f.Component)
			}
			names = append(names, f.Component)
		}
		return strings.Join(names, ",")
	}
	if code, h := get(); code != http.StatusOK || h.Status != "ok" || len(h.Components) != 3 || h.Components["storage"] != "ok" || h.Components["raft"] != "ok" || h.Components["gossip"] != "ok" {
		t.Fatalf("healthy node: %d %+v", code, h)
	}
	if err := n.cluster.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if code, h := get(); code != http.StatusServiceUnavailable || h.Status != "unavailable" || failed(h) != "gossip" || h.Components["gossip"] != "failed" {
		t.Fatalf("memberlist shut down: %d %+v", code, h)
	}
	if err := n.orderer.Stop(); err != nil {
		t.Fatal(err)
	}
	if code, h := get(); code != http.StatusServiceUnavailable || failed(h) != "raft,gossip" || !strings.Contains(h.Failed[0].Error, "shut down") {
		t.Fatalf("raft stopped too: %d %+v", code, h)
	}
}
