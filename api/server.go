package api

import (
	"context"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/storage"
	"github.com/veilchain/veil/ui"
	"golang.org/x/time/rate"
)

// Backend is what the API serves: the node's ledger and mempool, and the
// node-level operations that reach beyond them.
type Backend interface {
	Ledger() *chain.Ledger
	Mempool() *chain.Mempool
	// Submit admits a transaction to the mempool and gossips it to peers;
	// a *ForkedError is answered 503 forked.
	Submit(ctx context.Context, tx *chain.Tx) error
	// Status reports the node; Height, HeadHash, ChainID and Mempool are
	// filled in by the API from the ledger.
	Status() Status
	Peers() []Peer
	// Ready reports whether the node can serve writes (joined, leader
	// known, no fork found); a *ForkedError is answered 503 forked.
	Ready() error
	// Health checks the node's components (GET /healthz: 503 naming
	// those that failed).
	Health() []ComponentHealth
}

// Config tunes the API server.
type Config struct {
	// MaxBodyBytes bounds a request body; a larger one is cut off unread.
	MaxBodyBytes int64
	// SubmitRate and SubmitBurst bound POST /v1/txs per client IP.
	SubmitRate  rate.Limit
	SubmitBurst int
	// EventBuffer is how many blocks' events a websocket client may lag
	// before it is dropped as a slow consumer.
	EventBuffer int
	Logger      *slog.Logger
	// Ops is the operations server NewServer mounts /healthz, /readyz
	// and /metrics on (nil: one of its own, DefaultOpsConfig). Unless
	// OpsApart, the API's listener serves Ops' routes too: a request the
	// API has no route for goes to Ops.
	Ops *Operations
	// OpsApart says Ops is served on a listener of its own (ops_addr).
	OpsApart bool
}

// DefaultConfig allows bodies of a maximal transaction in hex (a
// revocation may fill a block: 16 MiB of hex), 2,000
// submissions a second per client IP (bursts of 4,000), and 256 blocks of
// event lag.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 2*chain.MaxRevocationTxSize + 1024, SubmitRate: 2000, SubmitBurst: 4000, EventBuffer: 256, Logger: slog.Default()}
}

//go:embed openapi.json
var openAPI []byte

// Server is the HTTP JSON API of one node.
type Server struct {
	cfg     Config
	b       Backend
	ops     *Operations
	hub     *Hub
	metrics *Metrics
	mux     *http.ServeMux
	h       http.Handler // mux with the request-id middleware
	log     *slog.Logger

	routes []string

	limMu    sync.Mutex
	limiters map[string]*rate.Limiter
}

// NewServer builds the API over a backend, an event hub the node publishes
// applied blocks to, and metrics.
func NewServer(cfg Config, b Backend, hub *Hub, m *Metrics) *Server {
	def := DefaultConfig()
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = def.MaxBodyBytes
	}
	if cfg.SubmitRate <= 0 {
		cfg.SubmitRate, cfg.SubmitBurst = def.SubmitRate, def.SubmitBurst
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = def.EventBuffer
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.Ops == nil {
		oc := DefaultOpsConfig()
		oc.Logger = cfg.Logger
		cfg.Ops = NewOperations(oc)
	}
	s := &Server{cfg: cfg, b: b, ops: cfg.Ops, hub: hub, metrics: m, mux: http.NewServeMux(), log: cfg.Logger.With("component", "api"), limiters: map[string]*rate.Limiter{}}
	s.handle("POST /v1/txs", s.submit)
	s.handle("GET /v1/txs/{id}", s.getTx)
	s.handle("GET /v1/blocks/latest", s.getBlock)
	s.handle("GET /v1/blocks/{height}", s.getBlock)
	s.handle("GET /v1/topics/{topic}/txs", s.topicTxs)
	s.handle("GET /v1/topics/{topic}", s.getTopic)
	s.handle("GET /v1/groups", s.listGroups)
	s.handle("GET /v1/groups/{name}", s.getGroup)
	s.handle("GET /v1/groups/{name}/members/{label}", s.getMember)
	s.handle("GET /v1/groups/{name}/revocations", s.getRevocations)
	s.registerThreshold()
	s.handle("GET /v1/status", s.status)
	s.handle("GET /v1/peers", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.b.Peers()) })
	s.handle("GET /v1/events", s.events)
	s.handle("GET /v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	s.ops.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	s.ops.Handle("GET /readyz", http.HandlerFunc(s.ready))
	if m != nil {
		s.ops.Handle("GET /metrics", m.Handler())
	}
	s.mux.Handle("GET /ui/", http.StripPrefix("/ui", ui.Handler())) // the console (package ui), not a JSON route: GET /ui redirects here
	var rest http.Handler                                           // nil: 404
	if !cfg.OpsApart {
		rest = s.ops // the operations routes share this listener; Ops answers 404 for the rest
	}
	s.mux.Handle("/", noRoute(s.mux, rest))
	s.h = withRequestID(s.mux)
	return s
}

// handle registers a route and remembers its pattern (the OpenAPI
// document's test checks each is described).
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.HandleFunc(pattern, s.instrument(pattern, h))
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// Serve serves on ln until ctx ends, then closes the event streams and
// shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return serveHTTP(ctx, ln, s, s.hub.Close, s.log)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) allow(r *http.Request) bool {
	ip := clientIP(r)
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l, ok := s.limiters[ip]
	if !ok {
		if len(s.limiters) > 10_000 { // forget idle clients rather than grow without bound
			clear(s.limiters)
		}
		l = rate.NewLimiter(s.cfg.SubmitRate, s.cfg.SubmitBurst)
		s.limiters[ip] = l
	}
	return l.Allow()
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	if !s.allow(r) {
		s.metrics.refused(CodeRateLimited)
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many submissions from this address; retry later")
		return
	}
	tooLarge := func() {
		s.metrics.refused(chain.CodeTooLarge.String())
		writeError(w, http.StatusRequestEntityTooLarge, chain.CodeTooLarge.String(), fmt.Sprintf("request body over %d bytes", s.cfg.MaxBodyBytes))
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		tooLarge() // said so up front: no need to read any of it
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			tooLarge()
			return
		}
		writeError(w, http.StatusBadRequest, chain.CodeMalformed.String(), "read body: "+err.Error())
		return
	}
	var req SubmitRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.metrics.refused(chain.CodeMalformed.String())
		writeError(w, http.StatusBadRequest, chain.CodeMalformed.String(), "body must be {\"tx\": \"<hex>\"}: "+err.Error())
		return
	}
	raw, err := hex.DecodeString(req.Tx)
	if err != nil {
		s.metrics.refused(chain.CodeMalformed.String())
		writeError(w, http.StatusBadRequest, chain.CodeMalformed.String(), "tx is not hex: "+err.Error())
		return
	}
	tx, err := chain.DecodeTx(raw)
	if err == nil {
		err = s.b.Submit(r.Context(), tx)
	}
	if err != nil {
		if code := writeTxError(w, err); code == CodeBusy {
			s.metrics.busied() // shed load, not a refusal of the transaction
		} else {
			s.metrics.refused(code)
		}
		return
	}
	s.metrics.admitted()
	id := tx.ID()
	writeJSON(w, http.StatusAccepted, SubmitResponse{ID: hex.EncodeToString(id[:]), Status: "pending"})
}

func parseID(w http.ResponseWriter, s string) ([32]byte, bool) {
	var id [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "a transaction id is 64 hex characters")
		return id, false
	}
	copy(id[:], b)
	return id, true
}

func (s *Server) getTx(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(w, r.PathValue("id"))
	if !ok {
		return
	}
	tx, loc, err := s.b.Ledger().Tx(id)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, TxResponse{TxJSON: tx.JSON(), Raw: hex.EncodeToString(tx.Encode()), Status: "committed", Height: &loc.Height, Index: &loc.Index})
	case errors.Is(err, storage.ErrNotFound):
		if tx, ok := s.b.Mempool().Get(id); ok {
			writeJSON(w, http.StatusOK, TxResponse{TxJSON: tx.JSON(), Raw: hex.EncodeToString(tx.Encode()), Status: "pending"})
			return
		}
		writeError(w, http.StatusNotFound, CodeNotFound, "no committed or pending transaction with this id")
	default:
		s.internal(w, r, err)
	}
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	RequestLogger(r, s.log).Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, CodeUnavailable, "internal error")
}

func (s *Server) getBlock(w http.ResponseWriter, r *http.Request) {
	l := s.b.Ledger()
	height := l.Head().Height
	if hs := r.PathValue("height"); hs != "" {
		h, err := strconv.ParseUint(hs, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "height must be a number or latest")
			return
		}
		height = h
	}
	if height == 0 {
		writeError(w, http.StatusNotFound, CodeNotFound, "no blocks yet (height 0 is the genesis)")
		return
	}
	b, err := l.Block(height)
	if errors.Is(err, storage.ErrNotFound) {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no block at height %d", height))
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	codes, _ := l.Results(height)
	writeJSON(w, http.StatusOK, b.JSON(codes))
}

func (s *Server) topicTxs(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	limit := 100
	if ls := r.URL.Query().Get("limit"); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "limit must be 1 to 1000")
			return
		}
		limit = n
	}
	var after []byte
	if as := r.URL.Query().Get("after"); as != "" {
		b, err := hex.DecodeString(as)
		if err != nil || len(b) != 8 {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "after must be a cursor from a previous page")
			return
		}
		after = b
	}
	if len(topic) > chain.MaxTopicLen {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "topic longer than 64 bytes")
		return
	}
	ids, next, err := s.b.Ledger().TopicTxs(topic, after, limit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	page := TopicPage{Topic: topic, IDs: make([]string, len(ids)), Next: hex.EncodeToString(next)}
	for i, id := range ids {
		page.IDs[i] = hex.EncodeToString(id[:])
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) listGroups(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, GroupsResponse{Groups: append([]string{}, s.b.Ledger().Groups()...)})
}

func memberSummary(m *chain.MemberInfo) MemberSummary {
	ms := MemberSummary{Label: m.Label, Org: m.Org, IdentityKey: hex.EncodeToString(m.IdentityKey), State: "active",
		Joined: m.Joined, Height: m.Height, RevokedAt: m.RevokedAt, A: hex.EncodeToString(m.Record.Response.A())}
	if m.RevokedAt != 0 {
		ms.State = "revoked"
	}
	return ms
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	gi, err := s.b.Ledger().Group(r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	}
	key := gi.GroupKey
	if es := r.URL.Query().Get("epoch"); es != "" {
		e, err := strconv.ParseUint(es, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "epoch must be a number")
			return
		}
		if key, err = s.b.Ledger().GroupKey(gi.Name, e); err != nil {
			writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
			return
		}
	}
	gk, err := key.MarshalBinary()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	resp := GroupResponse{Name: gi.Name, Epoch: gi.Epoch, KeyEpoch: key.Epoch(), GroupKey: hex.EncodeToString(gk), AdminKey: hex.EncodeToString(gi.AdminKey),
		IssuerProof: hex.EncodeToString(gi.IssuerProof), OpenerProof: hex.EncodeToString(gi.OpenerProof),
		Members: make([]MemberSummary, 0, len(gi.Members)), Pending: make([]PendingJoin, 0, len(gi.Pending))}
	for i := range gi.Members {
		resp.Members = append(resp.Members, memberSummary(&gi.Members[i]))
	}
	for _, p := range gi.Pending {
		req, _ := p.Request.MarshalBinary()
		resp.Pending = append(resp.Pending, PendingJoin{Hash: hex.EncodeToString(p.Hash[:]), Label: p.Label, Org: p.Org,
			IdentityKey: hex.EncodeToString(p.Request.IdentityKey()), Height: p.Height, JoinRequest: hex.EncodeToString(req), Cert: hex.EncodeToString(p.Cert)})
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) {
	gi, err := s.b.Ledger().Group(r.PathValue("name"))
	if err != nil {
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	}
	m, ok := gi.Member(r.PathValue("label"))
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, fmt.Sprintf("group %q has no member %q", gi.Name, r.PathValue("label")))
		return
	}
	req, err := m.Record.Request.MarshalBinary()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	resp, err := m.Record.Response.MarshalBinary()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, MemberResponse{MemberSummary: memberSummary(m), Group: gi.Name,
		JoinRequest: hex.EncodeToString(req), JoinResponse: hex.EncodeToString(resp), Cert: hex.EncodeToString(m.Cert)})
}

func (s *Server) getTopic(w http.ResponseWriter, r *http.Request) {
	topic := r.PathValue("topic")
	if len(topic) > chain.MaxTopicLen {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "topic longer than 64 bytes")
		return
	}
	l := s.b.Ledger()
	ti, ok := l.Topic(topic)
	resp := TopicResponse{Topic: topic, Scope: string(chain.TopicScope(l.ChainID(), topic)), Open: true}
	if ok {
		rule := ti.Rule.JSON()
		resp.Rule, resp.Height, resp.Tally = &rule, ti.Height, ti.Tally
		resp.Open = ti.Rule.Closes == 0 || l.Head().Height < ti.Rule.Closes
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getRevocations(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	recs, err := s.b.Ledger().Revocations(name)
	if err != nil {
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error())
		return
	}
	resp := RevocationsResponse{Name: name, Records: []string{}}
	for _, rec := range recs {
		resp.Records = append(resp.Records, hex.EncodeToString(rec))
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.b.Status()
	head := s.b.Ledger().Head()
	st.ChainID = s.b.Ledger().ChainID()
	st.Height = head.Height
	st.HeadHash = hex.EncodeToString(head.Hash[:])
	st.Mempool = s.b.Mempool().Len()
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if err := s.b.Ready(); err != nil {
		if writeForked(w, err) {
			return
		}
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
