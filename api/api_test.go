package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig/bbs04"
	"github.com/veilchain/veil/storage"
	"golang.org/x/time/rate"
)

// single is a one-node backend: a real ledger and mempool, blocks made
// and applied by the test.
type single struct {
	ledger *chain.Ledger
	pool   *chain.Mempool
	hub    *Hub
	key    ed25519.PrivateKey
	t      testing.TB
}

func (s *single) Ledger() *chain.Ledger                        { return s.ledger }
func (s *single) Mempool() *chain.Mempool                      { return s.pool }
func (s *single) Submit(_ context.Context, tx *chain.Tx) error { return s.pool.Add(tx) }
func (s *single) Status() Status {
	return Status{NodeID: "node-1", Leader: "node-1", Role: "validator"}
}
func (s *single) Peers() []Peer { return []Peer{} }
func (s *single) Ready() error  { return nil }

// commit cuts a block from the mempool, applies it and publishes it.
func (s *single) commit() *chain.Applied {
	s.t.Helper()
	txs := s.pool.Reap(1000, 1<<22)
	head := s.ledger.Head()
	b := &chain.Block{Header: chain.Header{ChainID: s.ledger.ChainID(), Height: head.Height + 1, PrevHash: head.Hash, Time: time.Now().UnixNano(), TxRoot: chain.TxRoot(txs)}, Txs: txs}
	b.Sign("node-1", s.key)
	a, err := s.ledger.Apply(context.Background(), b.Encode())
	if err != nil {
		s.t.Fatal(err)
	}
	s.pool.Update(a)
	s.hub.Publish(a)
	return a
}

type env struct {
	*single
	srv     *httptest.Server
	members map[string]*bbs04.MemberKey
	issuer  ed25519.PrivateKey
	ik      *bbs04.IssuerKey
	reg     *bbs04.Registry
	rnd     *rand.ChaCha8
}

func newEnv(t *testing.T, cfg Config) *env {
	rnd := rand.NewChaCha8([32]byte{7})
	_, nodeKey, _ := ed25519.GenerateKey(rnd)
	_, admin, _ := ed25519.GenerateKey(rnd)
	_, issuer, _ := ed25519.GenerateKey(rnd)
	pk, ik, _, _ := bbs04.Setup(rnd)
	pkb, _ := pk.MarshalBinary()
	gen := &chain.Genesis{ChainID: "api-test", Time: 1, AdminKey: admin.Public().(ed25519.PublicKey),
		Validators: []chain.Validator{{ID: "node-1", PublicKey: nodeKey.Public().(ed25519.PublicKey)}},
		Groups:     []chain.GenesisGroup{{Name: "acme", PublicKey: pkb, AdminKey: issuer.Public().(ed25519.PublicKey)}}}
	db, err := storage.Open(t.TempDir(), storage.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ledger, err := chain.Open(db, gen, chain.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := &single{ledger: ledger, pool: chain.NewMempool(ledger, chain.MempoolConfig{}), hub: NewHub(), key: nodeKey, t: t}
	srv := httptest.NewServer(NewServer(cfg, s, s.hub, NewMetrics(Gauges{Height: func() float64 { return float64(ledger.Head().Height) }})))
	t.Cleanup(srv.Close)
	e := &env{single: s, srv: srv, members: map[string]*bbs04.MemberKey{}, issuer: issuer, ik: ik, reg: bbs04.NewRegistry(pk), rnd: rnd}
	for _, l := range []string{"alice", "bob"} {
		mk, _ := e.reg.Issue(ik, l, rnd)
		e.members[l] = mk
		tx := &chain.Tx{Kind: chain.KindRegisterMember, ChainID: "api-test", Expiry: 100, Group: "acme", Label: l, Identity: mk.Identity()}
		_ = tx.SignAdmin(issuer)
		if err := s.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	s.commit()
	return e
}

func (e *env) anon(member, topic, payload string) *chain.Tx {
	mk := e.members[member]
	tx := &chain.Tx{ChainID: "api-test", Expiry: e.ledger.Head().Height + 50, Group: "acme", Epoch: mk.PublicKey().Epoch(), Topic: topic, Payload: []byte(payload)}
	tx.Nonce, _ = chain.NewNonce(e.rnd)
	if err := tx.SignAnonymous(mk, e.rnd); err != nil {
		panic(err)
	}
	return tx
}

func (e *env) post(t *testing.T, body string) (int, ErrorBody, SubmitResponse) {
	t.Helper()
	resp, err := http.Post(e.srv.URL+"/v1/txs", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var eb ErrorBody
	var ok SubmitResponse
	_ = json.Unmarshal(data, &eb)
	_ = json.Unmarshal(data, &ok)
	return resp.StatusCode, eb, ok
}

func txBody(tx *chain.Tx) string { return fmt.Sprintf(`{"tx":%q}`, hex.EncodeToString(tx.Encode())) }

func TestSubmitAndRefusalCodes(t *testing.T) {
	e := newEnv(t, Config{})
	good := e.anon("alice", "orders", "1")
	if st, _, ok := e.post(t, txBody(good)); st != http.StatusAccepted || ok.Status != "pending" {
		t.Fatalf("submit: %d %+v", st, ok)
	}
	committed := good
	e.commit()

	mk := e.members["bob"]
	resign := func(edit func(*chain.Tx)) *chain.Tx {
		tx := e.anon("bob", "t", "x")
		edit(tx)
		if err := tx.SignAnonymous(mk, e.rnd); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	forged := e.anon("bob", "t", "forged")
	forged.Auth[50] ^= 1
	oversize := strings.Repeat("a", 2*chain.MaxTxSize+2048)
	cases := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"not json", "{", 400, "malformed"},
		{"not hex", `{"tx":"zz"}`, 400, "malformed"},
		{"garbage tx", `{"tx":"0102"}`, 400, "malformed"},
		{"wrong chain", txBody(resign(func(tx *chain.Tx) { tx.ChainID = "other" })), 400, "wrong_chain"},
		{"unknown group", txBody(resign(func(tx *chain.Tx) { tx.Group = "nope" })), 400, "unknown_group"},
		{"bad signature", txBody(forged), 400, "bad_signature"},
		{"expired", txBody(resign(func(tx *chain.Tx) { tx.Expiry = 1 })), 400, "expired"},
		{"expiry too far", txBody(resign(func(tx *chain.Tx) { tx.Expiry = 5000 })), 400, "expiry_too_far"},
		{"duplicate", txBody(committed), 400, "duplicate"},
		{"oversized body", `{"tx":"` + oversize + `"}`, 400, "too_large"},
	}
	for _, c := range cases {
		st, eb, _ := e.post(t, c.body)
		if st != c.status || eb.Error.Code != c.code || eb.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", c.name, st, eb, c.status, c.code)
		}
	}
	// Stale epoch: revoke bob, then bob's old key.
	rec, nik, _ := e.reg.Revoke(e.ik, "bob")
	e.ik = nik
	recb, _ := rec.MarshalBinary()
	rtx := &chain.Tx{Kind: chain.KindRevokeMember, ChainID: "api-test", Expiry: e.ledger.Head().Height + 10, Group: "acme", Label: "bob", Revocation: recb,
		Updates: []chain.MemberUpdate{{Label: "alice", Identity: e.reg.Members()[0].Identity}}}
	_ = rtx.SignAdmin(e.issuer)
	if st, eb, _ := e.post(t, txBody(rtx)); st != http.StatusAccepted {
		t.Fatalf("revocation: %d %+v", st, eb)
	}
	e.commit()
	if st, eb, _ := e.post(t, txBody(e.anon("bob", "t", "after"))); st != 400 || eb.Error.Code != "stale_epoch" {
		t.Fatalf("revoked member: %d %+v", st, eb)
	}
}

func TestRateLimitAndMempoolFull(t *testing.T) {
	e := newEnv(t, Config{SubmitRate: rate.Limit(0.001), SubmitBurst: 2})
	codes := map[int]int{}
	for range 4 {
		st, _, _ := e.post(t, txBody(e.anon("alice", "t", fmt.Sprint(e.rnd.Uint64()))))
		codes[st]++
	}
	if codes[http.StatusTooManyRequests] != 2 || codes[http.StatusAccepted] != 2 {
		t.Fatalf("statuses %v", codes)
	}
	st, eb, _ := e.post(t, "{}")
	if st != 429 || eb.Error.Code != "rate_limited" {
		t.Fatalf("rate limited: %d %+v", st, eb)
	}

	full := newEnv(t, Config{})
	full.pool = chain.NewMempool(full.ledger, chain.MempoolConfig{MaxTxs: 1})
	full.post(t, txBody(full.anon("alice", "t", "1")))
	if st, eb, _ := full.post(t, txBody(full.anon("alice", "t", "2"))); st != 503 || eb.Error.Code != "mempool_full" {
		t.Fatalf("mempool full: %d %+v", st, eb)
	}
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func TestReads(t *testing.T) {
	e := newEnv(t, Config{})
	tx := e.anon("alice", "invoices", "pay 7")
	id := tx.ID()
	idHex := hex.EncodeToString(id[:])
	e.post(t, txBody(tx))
	var tr TxResponse
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+idHex, &tr); st != 200 || tr.Status != "pending" {
		t.Fatalf("pending tx: %d %+v", st, tr)
	}
	e.commit()
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+idHex, &tr); st != 200 || tr.Status != "committed" || *tr.Height != 2 || string(tr.Payload) != "pay 7" || tr.Topic != "invoices" {
		t.Fatalf("committed tx: %d %+v", st, tr)
	}
	var eb ErrorBody
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+strings.Repeat("00", 32), &eb); st != 404 || eb.Error.Code != "not_found" {
		t.Fatalf("unknown tx: %d %+v", st, eb)
	}
	if st := getJSON(t, e.srv.URL+"/v1/txs/xyz", &eb); st != 400 {
		t.Fatalf("bad id: %d", st)
	}
	var b chain.BlockJSON
	if st := getJSON(t, e.srv.URL+"/v1/blocks/latest", &b); st != 200 || b.Height != 2 || len(b.TxIDs) != 1 || b.TxIDs[0] != idHex {
		t.Fatalf("latest block: %d %+v", st, b)
	}
	if st := getJSON(t, e.srv.URL+"/v1/blocks/99", &eb); st != 404 || eb.Error.Code != "not_found" {
		t.Fatalf("missing block: %d", st)
	}
	var page TopicPage
	if st := getJSON(t, e.srv.URL+"/v1/topics/invoices/txs?limit=10", &page); st != 200 || len(page.IDs) != 1 || page.IDs[0] != idHex {
		t.Fatalf("topic: %d %+v", st, page)
	}
	if st := getJSON(t, e.srv.URL+"/v1/topics/invoices/txs?after="+page.Next, &page); st != 200 || len(page.IDs) != 0 {
		t.Fatalf("topic next page: %+v", page)
	}
	var g GroupResponse
	if st := getJSON(t, e.srv.URL+"/v1/groups/acme", &g); st != 200 || g.Epoch != 0 || len(g.Members) != 2 || len(g.Registry) != 2 {
		t.Fatalf("group: %d %+v", st, g)
	}
	var s Status
	if st := getJSON(t, e.srv.URL+"/v1/status", &s); st != 200 || s.Height != 2 || s.ChainID != "api-test" {
		t.Fatalf("status %+v", s)
	}
	var doc map[string]any
	if st := getJSON(t, e.srv.URL+"/v1/openapi.json", &doc); st != 200 || doc["openapi"] == nil {
		t.Fatalf("openapi: %d", st)
	}
	resp, _ := http.Get(e.srv.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte("veil_txs_admitted_total 1")) || !bytes.Contains(body, []byte("veil_chain_height 2")) {
		t.Fatalf("metrics missing figures:\n%s", body)
	}
}

func TestEventStreamReplaysAndFollows(t *testing.T) {
	e := newEnv(t, Config{})
	first := e.anon("alice", "a", "1")
	e.post(t, txBody(first))
	e.commit() // height 2
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := strings.Replace(e.srv.URL, "http", "ws", 1)
	c, _, err := websocket.Dial(ctx, ws+"/v1/events?from_height=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	topic, _, err := websocket.Dial(ctx, ws+"/v1/events?topic=b", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer topic.CloseNow()
	time.Sleep(50 * time.Millisecond) // let the topic stream subscribe
	second := e.anon("bob", "b", "2")
	e.post(t, txBody(second))
	e.commit() // height 3
	var got []Event
	for len(got) < 6 { // block 1 with its 2 registrations, block 2 with its tx, then block 3
		var ev Event
		if err := wsjson.Read(ctx, c, &ev); err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, ev)
	}
	wantTypes := "block tx tx block tx block"
	var types []string
	for _, ev := range got {
		types = append(types, ev.Type)
	}
	if strings.Join(types, " ") != wantTypes || got[0].Height != 1 || got[3].Height != 2 || got[5].Height != 3 {
		t.Fatalf("events %v", types)
	}
	var ev Event
	if err := wsjson.Read(ctx, topic, &ev); err != nil || ev.Type != "tx" || ev.Tx.Topic != "b" {
		t.Fatalf("topic stream: %+v %v", ev, err)
	}
	id := second.ID()
	if ev.Tx.ID != hex.EncodeToString(id[:]) {
		t.Fatal("topic stream sent another tx")
	}
}

func TestSlowConsumerIsDropped(t *testing.T) {
	e := newEnv(t, Config{EventBuffer: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(e.srv.URL, "http", "ws", 1)+"/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(16 << 20)
	time.Sleep(50 * time.Millisecond)
	// A block of 1,000 registrations makes ~250 KB of events; the client
	// reads none. Once the socket buffers are full the stream lags, and the
	// hub must drop it rather than wait: publishing never blocks.
	for i := range 1000 {
		tx := &chain.Tx{Kind: chain.KindRegisterMember, ChainID: "api-test", Expiry: 100, Group: "acme", Label: fmt.Sprintf("m%d", i), Identity: e.members["alice"].Identity()}
		_ = tx.SignAdmin(e.issuer)
		if err := e.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	a := e.commit()
	start := time.Now()
	for i := 0; i < 400 && e.hub.Drops() == 0; i++ {
		e.hub.Publish(a)
	}
	if e.hub.Drops() == 0 {
		t.Fatal("slow consumer was not dropped")
	}
	t.Logf("dropped after %v", time.Since(start).Round(time.Millisecond))
	for {
		var ev Event
		if err := wsjson.Read(ctx, c, &ev); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("stream ended with %v, want policy violation", err)
			}
			return
		}
	}
}
