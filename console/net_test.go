package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
	"github.com/veilchain/veil/ui"
)

// testNet is a one-node local network, in this process, with group acme
// founded by alice and bob.
type testNet struct {
	l   *genesis.Layout
	url string
	c   *client.Client
}

func startNet(t *testing.T) *testNet {
	t.Helper()
	n := nodetest.Start(t, node.LocalOptions{Nodes: 1, Groups: []string{"acme"}, Members: []string{"alice", "bob"}})
	tn := &testNet{l: n.Layout, url: n.URL(0)}
	tn.c = client.New(tn.url)
	return tn
}

// send commits an anonymous transaction signed by label and returns its id.
func (tn *testNet) send(t *testing.T, label, topic, data string) string {
	t.Helper()
	mf, err := groupsig.ReadMemberFile(tn.l.MemberKey("acme", label))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx := &chain.Tx{Group: "acme", Epoch: mf.Key.Epoch(), Topic: topic, Payload: []byte(data)}
	id, _, err := tn.c.SubmitSigned(ctx, tx, 0, func(tx *chain.Tx) error { return tx.SignAnonymous(mf.Group, mf.Key, false, rand.Reader) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.c.WaitTx(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (tn *testNet) openerKey(t *testing.T) *groupsig.OpenerKey {
	t.Helper()
	ok := new(groupsig.OpenerKey)
	if _, err := groupsig.ReadFile(tn.l.GroupDir("acme").OpenerKeyPath(), ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func (tn *testNet) ca(t *testing.T) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(tn.l.CACert())
	if err != nil {
		t.Fatal(err)
	}
	ca, err := genesis.ParseCertificatePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// secretMarks are forms of the opener key's secret (ξ1 ‖ ξ2) no response
// may hold: raw, hex (either case), base64, and the PEM file's lines.
func secretMarks(t *testing.T, path string, ok *groupsig.OpenerKey) [][]byte {
	t.Helper()
	full, err := ok.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	gk, err := ok.GroupKey().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	secret := full[2 : len(full)-len(gk)]
	if len(secret) < 32 || len(secret)%2 != 0 {
		t.Fatalf("opener key secret of %d bytes", len(secret))
	}
	half := len(secret) / 2
	var marks [][]byte
	for _, s := range [][]byte{secret, secret[:half], secret[half:], full} {
		marks = append(marks, s, []byte(hex.EncodeToString(s)), []byte(strings.ToUpper(hex.EncodeToString(s))),
			[]byte(base64.StdEncoding.EncodeToString(s)), []byte(base64.RawURLEncoding.EncodeToString(s)))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(data); b != nil {
		for _, line := range strings.Split(string(data), "\n") {
			if len(line) >= 40 && !strings.HasPrefix(line, "-----") && !strings.Contains(line, ":") {
				marks = append(marks, []byte(line))
			}
		}
	}
	return marks
}

// keyWatch wraps the console and fails the test if any response body (the
// proxied ones included; a websocket, hijacked, carries only the node's
// events) holds a mark.
type keyWatch struct {
	t     *testing.T
	h     http.Handler
	marks [][]byte
	mu    sync.Mutex
	seen  int // responses scanned
}

func (kw *keyWatch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &teeWriter{ResponseWriter: w, kw: kw, what: r.Method + " " + r.URL.Path}
	kw.h.ServeHTTP(rec, r)
	kw.scan(rec.what, rec.buf.Bytes())
}

func (kw *keyWatch) scan(what string, body []byte) {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	kw.seen++
	for _, m := range kw.marks {
		if bytes.Contains(body, m) {
			kw.t.Errorf("%s: the response holds the opener key (%d-byte mark)", what, len(m))
			return
		}
	}
}

func (kw *keyWatch) responses() int {
	kw.mu.Lock()
	defer kw.mu.Unlock()
	return kw.seen
}

type teeWriter struct {
	http.ResponseWriter
	kw   *keyWatch
	what string
	buf  bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// startConsole serves a console over tn behind a keyWatch.
func startConsole(t *testing.T, tn *testNet, withKey, withCA bool) (*httptest.Server, *Server, *keyWatch) {
	t.Helper()
	cfg := Config{Node: tn.url, LogPath: filepath.Join(t.TempDir(), "regulator", "audit-log.jsonl"), Static: ui.Handler()}
	okPath := tn.l.GroupDir("acme").OpenerKeyPath()
	ok := tn.openerKey(t)
	if withKey {
		cfg.OpenerKey = ok
	}
	if withCA {
		cfg.CA = tn.ca(t)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	kw := &keyWatch{t: t, h: s, marks: secretMarks(t, okPath, ok)}
	ts := httptest.NewServer(kw)
	t.Cleanup(ts.Close)
	return ts, s, kw
}

// httptestServer serves h on a loopback port and returns its URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// sendRule commits a topic rule (an admin transaction: not openable) and
// returns its id.
func (tn *testNet) sendRule(t *testing.T, topic string) string {
	t.Helper()
	key, err := genesis.ReadPrivateKey(tn.l.AdminKey())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, _, err := tn.c.SubmitAdmin(ctx, &chain.Tx{Kind: chain.KindTopicRule, Topic: topic, Rule: chain.TopicRule{Groups: []string{"acme"}}}, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.c.WaitTx(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestConsoleNodeOverTLS: with the node's API over TLS, the console's
// own reads (an opening) and its proxy trust the chain CA it is given.
func TestConsoleNodeOverTLS(t *testing.T) {
	n := nodetest.Start(t, node.LocalOptions{Nodes: 1, Groups: []string{"acme"}, Members: []string{"alice"}, APITLS: true})
	tc, err := client.TLSFiles{CA: n.Layout.CACert()}.Config()
	if err != nil {
		t.Fatal(err)
	}
	tn := &testNet{l: n.Layout, url: n.URL(0), c: client.NewTLS(n.URL(0), tc)}
	if !strings.HasPrefix(tn.url, "https://") {
		t.Fatalf("the node's API is %s, not TLS", tn.url)
	}
	id := tn.send(t, "alice", "orders", "pay 10")
	s, err := New(Config{Node: tn.url, TLS: tc, OpenerKey: tn.openerKey(t), LogPath: filepath.Join(t.TempDir(), "audit-log.jsonl"), Static: ui.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	if st, r := do(t, http.MethodGet, ts.URL+"/v1/status", "", "", nil); st != 200 || r["chain_id"] == nil {
		t.Fatalf("GET /v1/status through the console: %d %v", st, r)
	}
	if st, r := postJSON(t, ts.URL+"/audit/open", `{"tx":"`+id+`"}`); st != 200 || r["label"] != "alice" {
		t.Fatalf("open over TLS: %d %v", st, r)
	}
}
