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
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/storage"
	"golang.org/x/time/rate"
)

// single is a one-node backend: a real ledger and mempool, blocks made
// and applied by the test.
type single struct {
	db     *storage.DB
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
func (s *single) Health() []ComponentHealth {
	return []ComponentHealth{{Component: "storage", Err: s.db.Fault().Err()}}
}

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
	layout  *genesis.Layout
	members map[string]*groupsig.MemberFile
	admin   ed25519.PrivateKey // consortium admin
	issuer  ed25519.PrivateKey // acme's issuer admin
	ik      *groupsig.IssuerKey
	reg     *groupsig.Registry
	rnd     *rand.ChaCha8
}

// newEnv founds chain "api-test" the way `veil genesis init` does: one
// validator and group acme with founding members alice and bob, each of
// whom made its own join request.
func newEnv(t testing.TB, cfg Config) *env {
	rnd := rand.NewChaCha8([32]byte{7})
	layout, err := genesis.Init(t.TempDir(), genesis.InitOptions{ChainID: "api-test", Nodes: 1, Groups: []string{"acme"}, Members: []string{"alice", "bob"}, Rand: rnd})
	if err != nil {
		t.Fatal(err)
	}
	gf, err := genesis.Read(layout.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	gen, err := gf.Chain()
	if err != nil {
		t.Fatal(err)
	}
	nodeKey, err := genesis.ReadPrivateKey(layout.NodeKey(1))
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(t.TempDir(), storage.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ledger, err := chain.Open(db, gen, chain.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := &single{db: db, ledger: ledger, pool: chain.NewMempool(ledger, chain.MempoolConfig{}), hub: NewHub(), key: nodeKey, t: t}
	srv := httptest.NewServer(NewServer(cfg, s, s.hub, NewMetrics(Gauges{Height: func() float64 { return float64(ledger.Head().Height) }})))
	t.Cleanup(srv.Close)
	e := &env{single: s, srv: srv, layout: layout, members: map[string]*groupsig.MemberFile{}, rnd: rnd}
	if e.admin, err = genesis.ReadPrivateKey(layout.AdminKey()); err != nil {
		t.Fatal(err)
	}
	if e.issuer, err = genesis.ReadPrivateKey(layout.GroupAdminKey("acme")); err != nil {
		t.Fatal(err)
	}
	if e.ik, e.reg, err = layout.GroupDir("acme").Load(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"alice", "bob"} {
		if e.members[l], err = groupsig.ReadMemberFile(layout.MemberKey("acme", l)); err != nil {
			t.Fatal(err)
		}
	}
	e.commit() // height 1, empty
	return e
}

func (e *env) nonce() [chain.NonceSize]byte {
	n, _ := chain.NewNonce(e.rnd)
	return n
}

func (e *env) signed(member, topic, payload string, tagged bool) *chain.Tx {
	mf := e.members[member]
	tx := &chain.Tx{ChainID: "api-test", Expiry: e.ledger.Head().Height + 50, Nonce: e.nonce(), Group: "acme", Epoch: mf.Key.Epoch(), Topic: topic, Payload: []byte(payload)}
	if err := tx.SignAnonymous(mf.Group, mf.Key, tagged, e.rnd); err != nil {
		panic(err)
	}
	return tx
}

func (e *env) anon(member, topic, payload string) *chain.Tx {
	return e.signed(member, topic, payload, false)
}

// adminTx signs an admin-kind transaction with key.
func (e *env) adminTx(tx *chain.Tx, key ed25519.PrivateKey) *chain.Tx {
	tx.ChainID, tx.Expiry, tx.Nonce = "api-test", e.ledger.Head().Height+50, e.nonce()
	if err := tx.SignAdmin(key); err != nil {
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

	mf := e.members["bob"]
	resign := func(edit func(*chain.Tx)) *chain.Tx {
		tx := e.anon("bob", "t", "x")
		edit(tx)
		if err := tx.SignAnonymous(mf.Group, mf.Key, false, e.rnd); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	forged := e.anon("bob", "t", "forged")
	forged.Auth[50] ^= 1
	oversize := strings.Repeat("a", 2*chain.MaxRevocationTxSize+2048)
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
		{"oversized body", `{"tx":"` + oversize + `"}`, 413, "too_large"},
	}
	for _, c := range cases {
		st, eb, _ := e.post(t, c.body)
		if st != c.status || eb.Error.Code != c.code || eb.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", c.name, st, eb, c.status, c.code)
		}
	}
	// Stale epoch: revoke bob, then bob's old key.
	rec, err := e.reg.Revoke(e.ik, []string{"bob"}, e.rnd)
	if err != nil {
		t.Fatal(err)
	}
	recb, _ := rec.MarshalBinary()
	rtx := e.adminTx(&chain.Tx{Kind: chain.KindRevokeMember, Group: "acme", Revocation: recb}, e.issuer)
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
	if st := getJSON(t, e.srv.URL+"/v1/groups/acme", &g); st != 200 || g.Epoch != 0 || len(g.Members) != 2 || g.Members[0].Label != "alice" ||
		g.Members[0].State != "active" || g.Members[0].Org == "" || len(g.Pending) != 0 || g.GroupKey == "" {
		t.Fatalf("group: %d %+v", st, g)
	}
	var gs GroupsResponse
	if st := getJSON(t, e.srv.URL+"/v1/groups", &gs); st != 200 || len(gs.Groups) != 1 || gs.Groups[0] != "acme" {
		t.Fatalf("groups: %d %+v", st, gs)
	}
	var m MemberResponse
	if st := getJSON(t, e.srv.URL+"/v1/groups/acme/members/bob", &m); st != 200 || m.Label != "bob" || m.JoinRequest == "" || m.JoinResponse == "" || m.Cert == "" {
		t.Fatalf("member: %d %+v", st, m)
	}
	// The join record served is the one the member made: it verifies
	// under the group key and names the member's identity key.
	var req groupsig.JoinRequest
	if b, _ := hex.DecodeString(m.JoinRequest); req.UnmarshalBinary(b) != nil || req.Verify(e.members["bob"].Group) != nil || hex.EncodeToString(req.IdentityKey()) != m.IdentityKey {
		t.Fatal("served join request does not verify")
	}
	if st := getJSON(t, e.srv.URL+"/v1/groups/acme/members/zed", &eb); st != 404 || eb.Error.Code != "not_found" {
		t.Fatalf("unknown member: %d %+v", st, eb)
	}
	var topic TopicResponse
	if st := getJSON(t, e.srv.URL+"/v1/topics/invoices", &topic); st != 200 || topic.Rule != nil || !topic.Open || topic.Scope != "veil/api-test/invoices" {
		t.Fatalf("topic without a rule: %d %+v", st, topic)
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
	for len(got) < 5 { // block 1 (empty), block 2 with its tx, then block 3 with its tx
		var ev Event
		if err := wsjson.Read(ctx, c, &ev); err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, ev)
	}
	wantTypes := "block block tx block tx"
	var types []string
	for _, ev := range got {
		types = append(types, ev.Type)
	}
	if strings.Join(types, " ") != wantTypes || got[0].Height != 1 || got[2].Height != 2 || got[4].Height != 3 {
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
	// A block of 1,000 topic rules makes ~250 KB of events; the client
	// reads none. Once the socket buffers are full the stream lags, and the
	// hub must drop it rather than wait: publishing never blocks.
	for i := range 1000 {
		tx := e.adminTx(&chain.Tx{Kind: chain.KindTopicRule, Topic: fmt.Sprintf("topic-%d", i), Rule: chain.TopicRule{Tagged: true}}, e.admin)
		if err := e.pool.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	a := e.commit()
	start := time.Now()
	// The stream sends a height once, so the block is published again
	// under the heights that follow.
	for i := 0; i < 400 && e.hub.Drops() == 0; i++ {
		again, b := *a, *a.Block
		b.Height += uint64(i)
		again.Block = &b
		e.hub.Publish(&again)
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

// TestTaggedTopicTally votes on a tagged topic: a member's second vote is
// refused with already_acted, the tally counts members, and the events
// carry each vote's tag.
func TestTaggedTopicTally(t *testing.T) {
	e := newEnv(t, Config{})
	rule := chain.TopicRule{Groups: []string{"acme"}, Tagged: true, Closes: 20}
	if st, eb, _ := e.post(t, txBody(e.adminTx(&chain.Tx{Kind: chain.KindTopicRule, Topic: "vote", Rule: rule}, e.admin))); st != 202 {
		t.Fatalf("topic rule: %d %+v", st, eb)
	}
	e.commit()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(e.srv.URL, "http", "ws", 1)+"/v1/events?topic=vote", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	time.Sleep(50 * time.Millisecond)
	if st, eb, _ := e.post(t, txBody(e.anon("alice", "vote", "yes"))); st != 400 || eb.Error.Code != "tag_required" {
		t.Fatalf("untagged vote: %d %+v", st, eb)
	}
	first := e.signed("alice", "vote", "yes", true)
	if st, eb, _ := e.post(t, txBody(first)); st != 202 {
		t.Fatalf("alice's vote: %d %+v", st, eb)
	}
	// Alice's second vote, in the same block's mempool: refused at once.
	if st, eb, _ := e.post(t, txBody(e.signed("alice", "vote", "no", true))); st != 400 || eb.Error.Code != "already_acted" {
		t.Fatalf("alice's second pending vote: %d %+v", st, eb)
	}
	e.post(t, txBody(e.signed("bob", "vote", "no", true)))
	e.commit()
	// And once committed.
	if st, eb, _ := e.post(t, txBody(e.signed("alice", "vote", "again", true))); st != 400 || eb.Error.Code != "already_acted" {
		t.Fatalf("alice's second vote: %d %+v", st, eb)
	}
	var topic TopicResponse
	if st := getJSON(t, e.srv.URL+"/v1/topics/vote", &topic); st != 200 || topic.Tally != 2 || topic.Rule == nil || !topic.Rule.Tagged ||
		topic.Rule.Closes != 20 || len(topic.Rule.Groups) != 1 || !topic.Open {
		t.Fatalf("topic: %d %+v", st, topic)
	}
	tags := map[string]bool{}
	for range 2 {
		var ev Event
		if err := wsjson.Read(ctx, c, &ev); err != nil || ev.Type != "tx" || len(ev.Tx.Tag) != 96 {
			t.Fatalf("vote event: %+v %v", ev, err)
		}
		tags[ev.Tx.Tag] = true
	}
	if want := hex.EncodeToString(groupsig.TagOf(first.Auth)); len(tags) != 2 || !tags[want] {
		t.Fatalf("event tags %v, want alice's %s among two", tags, want)
	}
}

// TestJoinThroughTheAPI posts a join request signed by the member's
// identity key; it shows as pending with its hash, the issuer's response
// admits it, and the events name the label and the request.
func TestJoinThroughTheAPI(t *testing.T) {
	e := newEnv(t, Config{})
	ca, err := genesis.LoadCA(e.layout.CACert(), e.layout.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	_, id, _ := ed25519.GenerateKey(e.rnd)
	certPEM, err := ca.IssueMember("carol-org", "carol", id.Public().(ed25519.PublicKey), time.Hour, e.rnd)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := genesis.ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	cert := parsed.Raw
	gk, ip, op, err := groupsig.ReadGroupFile(e.layout.GroupDir("acme").GroupKeyPath())
	if err != nil {
		t.Fatal(err)
	}
	req, js, err := groupsig.NewJoinRequest(gk, ip, op, "carol", id, e.rnd)
	if err != nil {
		t.Fatal(err)
	}
	reqb, _ := req.MarshalBinary()
	if st, eb, _ := e.post(t, txBody(e.adminTx(&chain.Tx{Kind: chain.KindJoinRequest, Group: "acme", JoinRequest: reqb, MemberCert: cert}, id))); st != 202 {
		t.Fatalf("join request: %d %+v", st, eb)
	}
	// The same request again (a new nonce, so a new id) is refused.
	if st, eb, _ := e.post(t, txBody(e.adminTx(&chain.Tx{Kind: chain.KindJoinRequest, Group: "acme", JoinRequest: reqb, MemberCert: cert}, id))); st != 400 || eb.Error.Code != "duplicate" {
		t.Fatalf("repeated join request: %d %+v", st, eb)
	}
	e.commit()
	var g GroupResponse
	h := req.Hash()
	if getJSON(t, e.srv.URL+"/v1/groups/acme", &g); len(g.Pending) != 1 || g.Pending[0].Label != "carol" || g.Pending[0].Hash != hex.EncodeToString(h[:]) || g.Pending[0].Org != "carol-org" {
		t.Fatalf("pending: %+v", g.Pending)
	}
	resp, err := e.reg.Issue(e.ik, req, e.rnd)
	if err != nil {
		t.Fatal(err)
	}
	respb, _ := resp.MarshalBinary()
	if st, eb, _ := e.post(t, txBody(e.adminTx(&chain.Tx{Kind: chain.KindJoinResponse, Group: "acme", JoinResponse: respb}, e.issuer))); st != 202 {
		t.Fatalf("join response: %d %+v", st, eb)
	}
	a := e.commit()
	evs := blockEvents(a.Block, a.Codes, a.Threshold)
	if len(evs) != 2 || evs[1].Tx.Kind != chain.KindJoinResponse.String() || evs[1].Tx.Label != "carol" || evs[1].Tx.Request != hex.EncodeToString(h[:]) {
		t.Fatalf("response events %+v", evs)
	}
	if getJSON(t, e.srv.URL+"/v1/groups/acme", &g); len(g.Pending) != 0 || len(g.Members) != 3 {
		t.Fatalf("after the response: %+v", g)
	}
	mk, err := js.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	e.members["carol"] = &groupsig.MemberFile{Key: mk, Label: "carol", Group: gk}
	if st, eb, _ := e.post(t, txBody(e.anon("carol", "t", "hello"))); st != 202 {
		t.Fatalf("carol signs: %d %+v", st, eb)
	}
}
