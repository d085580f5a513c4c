package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

// Config is what the console serves.
type Config struct {
	// Node is the API URL of the node whose chain the console reads
	// (http://127.0.0.1:8545).
	Node string
	// TLS is the client configuration for an https:// node (the chain CA
	// to trust); nil: the system roots.
	TLS *tls.Config
	// OpenerKey opens anonymous transactions of its group, in this
	// process. Nil: the console checks evidence and assembles the
	// evidence of threshold openings completed on chain, and opens nothing.
	OpenerKey *groupsig.OpenerKey
	// CA is the consortium CA certificate; with it, evidence is checked
	// down to the member's (and the authorities') certificates.
	CA *x509.Certificate
	// LogPath is the regulator's log (JSON lines, 0600).
	LogPath string
	// Static serves the console's files at the root of its path (package
	// ui's Handler); the console mounts it at /ui/.
	Static http.Handler
	// Timeout bounds a request to the node (default 30 s).
	Timeout time.Duration
}

// Server is the audit console's HTTP handler.
type Server struct {
	cfg   Config
	node  *url.URL
	c     *client.Client
	log   *Log
	mux   *http.ServeMux
	proxy *httputil.ReverseProxy

	groupMu sync.Mutex
	group   string // the opener key's group on chain, once found
}

// Body limits: an open request names a transaction; an evidence file
// holds a group's revocation records into the epoch, which may be large.
const (
	maxOpenBody  = 4 << 10
	maxCheckBody = 256 << 20
)

// New builds the console. It does not reach the node: the console starts
// while the node is down and says so.
func New(cfg Config) (*Server, error) {
	u, err := url.Parse(cfg.Node)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("node URL %q: want http(s)://host:port", cfg.Node)
	}
	if cfg.Static == nil {
		return nil, errors.New("console: no static files (Config.Static)")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	lg, err := OpenLog(cfg.LogPath)
	if err != nil {
		return nil, err
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = strings.TrimRight(u.Path, "/"), "", "", ""
	cfg.Node = u.String()
	s := &Server{cfg: cfg, node: u, c: client.New(cfg.Node), log: lg, mux: http.NewServeMux()}
	var transport http.RoundTripper
	if cfg.TLS != nil && u.Scheme == "https" {
		hc := client.HTTPClient(cfg.TLS)
		s.c, transport = client.NewWithHTTPClient(cfg.Node, hc), hc.Transport
	}
	nodeOrigin := u.Scheme + "://" + u.Host
	s.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// The guard let only the console's own origin through; to the
			// node the request is its own page's (its websocket accepts
			// only same-origin upgrades).
			if pr.In.Header.Get("Origin") != "" {
				pr.Out.Header.Set("Origin", nodeOrigin)
			}
			pr.Out.Header.Del("Cookie")
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, http.StatusBadGateway, "node_unreachable", fmt.Sprintf("the node at %s: %v", cfg.Node, err))
		},
	}
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/audit.html", http.StatusFound)
	})
	s.mux.HandleFunc("GET /ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/", http.StatusMovedPermanently)
	})
	s.mux.Handle("GET /ui/", http.StripPrefix("/ui", cfg.Static))
	s.mux.HandleFunc("/v1/", s.proxyRead)
	s.mux.HandleFunc("/readyz", s.proxyRead)
	s.mux.HandleFunc("GET /audit/info", s.info)
	s.mux.HandleFunc("POST /audit/open", s.open)
	s.mux.HandleFunc("POST /audit/check", s.check)
	s.mux.HandleFunc("GET /audit/log", s.getLog)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	return s, nil
}

// LogPath is where the regulator's log is.
func (s *Server) LogPath() string { return s.log.Path() }

// ServeHTTP serves the console behind its guard.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	if !loopbackHost(r.Host) {
		writeError(w, http.StatusMisdirectedRequest, "bad_host", "the audit console answers only to 127.0.0.1, [::1] or localhost")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		writeError(w, http.StatusForbidden, "cross_origin", "a request from another origin")
		return
	}
	if strings.HasPrefix(r.URL.Path, "/audit/") {
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
	}
	s.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether a Host header names this machine by a
// loopback address or "localhost" — not a name a remote site controls.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// proxyRead passes a read of the node's API to the node: GET and HEAD
// only (the console writes nothing to the chain), the /v1/events
// websocket included.
func (s *Server) proxyRead(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "read_only", "the audit console passes only reads (GET, HEAD) to the node")
		return
	}
	s.proxy.ServeHTTP(w, r)
}

// postGuard admits a POST from the console's own page: JSON (a form of
// another site cannot send it, a cross-site fetch would need a preflight
// the console does not answer) and, where the browser says, same-origin.
func postGuard(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "bad_request", "the body must be application/json")
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		writeError(w, http.StatusForbidden, "cross_origin", "a request from another site ("+site+")")
		return false
	}
	return true
}

// keyGroup names the opener key's group on chain ("" without a key, or
// while the node does not answer).
func (s *Server) keyGroup(ctx context.Context) (string, error) {
	if s.cfg.OpenerKey == nil {
		return "", nil
	}
	s.groupMu.Lock()
	defer s.groupMu.Unlock()
	if s.group != "" {
		return s.group, nil
	}
	g, err := s.c.GroupOf(ctx, s.cfg.OpenerKey.GroupKey())
	if err != nil {
		return "", err
	}
	s.group = g
	return g, nil
}

// InfoResponse is GET /audit/info.
type InfoResponse struct {
	Mode    string `json:"mode"` // "audit"
	Node    string `json:"node"`
	Group   string `json:"group"`    // the opener key's group on chain; "" without a key or not found
	CanOpen bool   `json:"can_open"` // an opener key is loaded (it opens its group's transactions)
	// GroupError says why the key's group is not named (node unreachable,
	// no such group on this chain).
	GroupError string `json:"group_error,omitempty"`
	// Threshold: the key's group shares its opener key in a committee; its
	// transactions are shown as the committee opened them on chain.
	Threshold   bool   `json:"threshold"`
	CertChecked bool   `json:"cert_checked"` // a CA certificate is loaded
	Log         string `json:"log"`          // the regulator's log file
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	res := InfoResponse{Mode: "audit", Node: s.cfg.Node, CanOpen: s.cfg.OpenerKey != nil, CertChecked: s.cfg.CA != nil, Log: s.log.Path()}
	if g, err := s.keyGroup(ctx); err != nil {
		res.GroupError = err.Error()
	} else if g != "" {
		res.Group = g
		res.Threshold = s.hasCommittee(ctx, g)
	}
	writeJSON(w, http.StatusOK, res)
}

// hasCommittee reports whether group has an active committee: its opener
// key is shared, and (dealt, then erased) no longer the one to open with.
func (s *Server) hasCommittee(ctx context.Context, group string) bool {
	cs, err := s.c.Committees(ctx, group)
	return err == nil && cs.Active != nil
}

// Authority is an opening authority named in a threshold opening.
type Authority struct {
	Index       int    `json:"index"`
	Label       string `json:"label"`
	Org         string `json:"org,omitempty"`
	IdentityKey string `json:"identity_key,omitempty"`
}

// OpenResponse is POST /audit/open: who signed, the proof, and the
// evidence bundle exactly as offered for download (its SHA-256 is the
// log's).
type OpenResponse struct {
	Tx          string `json:"tx"`
	Group       string `json:"group"`
	Topic       string `json:"topic,omitempty"`
	Epoch       uint64 `json:"epoch"`
	Height      uint64 `json:"height"`
	Label       string `json:"label"`
	Org         string `json:"org"`
	IdentityKey string `json:"identity_key"` // Ed25519, hex
	A           string `json:"a"`            // the certificate the opening revealed, hex
	// Opening is the proof: the opening (single opener) or the threshold
	// opening the ledger recorded, hex.
	Opening     string          `json:"opening"`
	Threshold   bool            `json:"threshold"`
	Committee   string          `json:"committee,omitempty"` // cref, hex
	T           int             `json:"t,omitempty"`
	OpenedBy    []Authority     `json:"opened_by,omitempty"`
	CertChecked bool            `json:"cert_checked"`
	Evidence    json.RawMessage `json:"evidence"`
	EvidenceSHA string          `json:"evidence_sha256"`
	File        string          `json:"evidence_file"` // the download's name
	Logged      time.Time       `json:"logged"`
}

func (s *Server) open(w http.ResponseWriter, r *http.Request) {
	if !postGuard(w, r) {
		return
	}
	var req struct {
		Tx string `json:"tx"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxOpenBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the body must be {\"tx\": \"<id>\"}: "+err.Error())
		return
	}
	id := strings.ToLower(strings.TrimSpace(req.Tx))
	if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
		writeError(w, http.StatusBadRequest, "bad_request", "a transaction id is 64 hex digits")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	res, err := s.openTx(ctx, id)
	if err != nil {
		writeFailure(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// openTx opens transaction id: with the opener key here if it is of the
// transaction's group and that group has no active committee, else as
// the committee opened it on chain. It logs the opening before it
// answers.
func (s *Server) openTx(ctx context.Context, id string) (*OpenResponse, error) {
	tx, height, err := s.c.CommittedTx(ctx, id)
	if err != nil {
		return nil, err
	}
	if tx.Kind != chain.KindAnonymous || height == 0 {
		return nil, fmt.Errorf("%w: transaction %s is a %s transaction, committed at height %d: only committed anonymous transactions are opened", client.ErrNotOpenable, id, tx.Kind, height)
	}
	kg := ""
	if s.cfg.OpenerKey != nil {
		if kg, err = s.keyGroup(ctx); err != nil {
			var ue *url.Error
			var ae *client.Error
			if errors.As(err, &ue) || errors.As(err, &ae) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w: the opener key's group: %v", client.ErrNotOpenable, groupsig.ErrWrongGroup, err)
		}
	}
	if kg == tx.Group && kg != "" && !s.hasCommittee(ctx, tx.Group) {
		return s.openWithKey(ctx, id)
	}
	op, err := s.c.Openings(ctx, id)
	if err != nil {
		return nil, err
	}
	if op.Opening == nil {
		if kg != "" && kg != tx.Group {
			return nil, fmt.Errorf("%w: %w: the opener key is of group %q, the transaction of %q, and no committee opened it on chain",
				client.ErrNotOpenable, groupsig.ErrWrongGroup, kg, tx.Group)
		}
		return nil, fmt.Errorf("%w: transaction %s of group %q: %s", ErrNotOpened, id, tx.Group, OpeningProgress(op))
	}
	return s.openThreshold(ctx, op)
}

func (s *Server) openWithKey(ctx context.Context, id string) (*OpenResponse, error) {
	op, err := s.c.OpenTx(ctx, s.cfg.OpenerKey, id)
	if err != nil {
		return nil, err
	}
	if s.cfg.CA != nil {
		if _, err := op.Evidence.Check(s.cfg.CA); err != nil {
			return nil, fmt.Errorf("the evidence does not check against the CA: %w", err)
		}
	}
	tx := op.Tx
	res := &OpenResponse{Tx: id, Group: tx.Group, Topic: tx.Topic, Epoch: tx.Epoch, Height: op.Evidence.Height,
		Label: op.Accused.Label, Org: op.Member.Org, IdentityKey: hex.EncodeToString(op.Accused.IdentityKey),
		A: hex.EncodeToString(op.A), Opening: hex.EncodeToString(op.Evidence.Group.Opening), CertChecked: s.cfg.CA != nil}
	return res, s.logged(res, op.Evidence)
}

func (s *Server) openThreshold(ctx context.Context, op *api.OpeningsResponse) (*OpenResponse, error) {
	ev, err := ThresholdEvidence(ctx, s.c, op)
	if err != nil {
		return nil, err
	}
	o := op.Opening
	res := &OpenResponse{Tx: op.Tx, Group: op.Group, Epoch: op.Epoch, Height: op.Height, Label: o.Label, A: o.A,
		Opening: o.ThresholdOpening, Threshold: true, Committee: o.Committee, CertChecked: s.cfg.CA != nil}
	if tx, err := chain.DecodeTx(ev.Tx); err == nil {
		res.Topic = tx.Topic
	}
	if s.cfg.CA != nil {
		f, err := ev.Check(s.cfg.CA)
		if err != nil {
			return nil, fmt.Errorf("the evidence does not check against the CA: %w", err)
		}
		res.Org, res.IdentityKey, res.T = f.Member.Org, hex.EncodeToString(f.Member.Key), f.Threshold
		for _, a := range f.Openers {
			res.OpenedBy = append(res.OpenedBy, Authority{Index: a.Index, Label: a.Label, Org: a.Org, IdentityKey: hex.EncodeToString(a.Key)})
		}
	} else {
		acc, err := ev.Accountable()
		if err != nil {
			return nil, err
		}
		res.IdentityKey = hex.EncodeToString(acc.IdentityKey)
		for _, r := range op.Rounds {
			if r.Committee == o.Committee {
				res.T = r.Threshold
				for _, p := range r.Partials {
					res.OpenedBy = append(res.OpenedBy, Authority{Index: p.Authority, Label: p.Label, IdentityKey: p.IdentityKey})
				}
			}
		}
		if g, err := s.c.Group(ctx, op.Group); err == nil {
			for _, m := range g.Members {
				if m.Label == o.Label {
					res.Org = m.Org
				}
			}
		}
	}
	return res, s.logged(res, ev)
}

// logged fills in the evidence file (what the browser downloads: the
// indented JSON 'veil audit open --out' writes) and its digest, and
// appends the opening to the log: no opening is answered that is not
// logged.
func (s *Server) logged(res *OpenResponse, ev any) error {
	data, err := EvidenceFile(ev)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	res.Evidence, res.EvidenceSHA, res.File = data, hex.EncodeToString(sum[:]), "evidence-"+res.Tx+".json"
	res.Logged = time.Now().UTC()
	return s.log.Append(LogEntry{Time: res.Logged, Tx: res.Tx, Group: res.Group, Epoch: res.Epoch, Label: res.Label, Org: res.Org,
		Threshold: res.Threshold, EvidenceSHA256: res.EvidenceSHA, CertChecked: res.CertChecked})
}

// EvidenceFile is an evidence bundle's file: indented JSON (two spaces,
// no HTML escaping) and a final newline, which is also what a browser's
// JSON.stringify(bundle, null, 2) + "\n" gives.
func EvidenceFile(ev any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ev); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CheckResponse is POST /audit/check: valid with who signed, or invalid
// with the code (and the failed condition of SPEC-groupsig-v2 §5).
type CheckResponse struct {
	Valid bool `json:"valid"`
	// Invalid: code "not_accountable" (with Condition 1-5), "bad_evidence"
	// (the certificate or the transaction does not hold together) or
	// "malformed" (not an evidence file).
	Code          string `json:"code,omitempty"`
	Condition     int    `json:"condition,omitempty"`
	ConditionName string `json:"condition_name,omitempty"`
	Message       string `json:"message,omitempty"`
	// Valid:
	Label          string      `json:"label,omitempty"`
	Org            string      `json:"org,omitempty"`
	IdentityKey    string      `json:"identity_key,omitempty"`
	Epoch          uint64      `json:"epoch"`
	Threshold      bool        `json:"threshold"`
	Authorities    []Authority `json:"authorities,omitempty"` // who opened (threshold, with the CA)
	Committee      string      `json:"committee,omitempty"`
	T              int         `json:"t,omitempty"`
	Tx             string      `json:"tx,omitempty"` // the transaction, when checked against the CA
	Group          string      `json:"group,omitempty"`
	Topic          string      `json:"topic,omitempty"`
	ChainID        string      `json:"chain_id,omitempty"`
	Height         uint64      `json:"height,omitempty"`
	CertChecked    bool        `json:"cert_checked"`
	AccusedChecked bool        `json:"accused_checked"` // condition 5: the identity key is the CA's for the label
}

// conditionNames name §5's conditions for the page.
var conditionNames = map[int]string{
	groupsig.CondOpening:     "the opening checks",
	groupsig.CondCurrent:     "A is the member's certificate at the signature's epoch",
	groupsig.CondCertificate: "A is a certificate of the member's x and H",
	4:                        "the member's join request checks and the response answers it",
	groupsig.CondIdentity:    "the join record's identity key is the accused's",
}

func (s *Server) check(w http.ResponseWriter, r *http.Request) {
	if !postGuard(w, r) {
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCheckBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "bad_request", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, CheckEvidence(data, s.cfg.CA))
}

// CheckEvidence is POST /audit/check's answer for an evidence file: the
// checks of `veil audit check` (DecodeEvidence, Bundle.Check).
func CheckEvidence(data []byte, ca *x509.Certificate) *CheckResponse {
	b, err := DecodeEvidence(data)
	if err != nil {
		return &CheckResponse{Code: "malformed", Message: err.Error(), CertChecked: ca != nil}
	}
	v, err := b.Check(ca, nil)
	if err != nil {
		code, cond := failureCode(err)
		return &CheckResponse{Code: code, Condition: cond, ConditionName: conditionNames[cond], Message: err.Error(), CertChecked: ca != nil, Threshold: b.Threshold != nil}
	}
	res := &CheckResponse{Valid: true, Label: v.Label, IdentityKey: hex.EncodeToString(v.IdentityKey), Epoch: v.Epoch, Threshold: v.Threshold,
		Committee: v.Committee, T: v.T, Tx: v.TxID, Group: v.Group, Topic: v.Topic, ChainID: v.ChainID, Height: v.Height,
		CertChecked: v.CertChecked, AccusedChecked: v.AccusedChecked}
	if v.Member != nil {
		res.Org = v.Member.Org
	}
	for _, o := range v.Openers {
		res.Authorities = append(res.Authorities, Authority{Index: o.Index, Label: o.Label, Org: o.Org, IdentityKey: hex.EncodeToString(o.Key)})
	}
	return res
}

// LogResponse is GET /audit/log.
type LogResponse struct {
	Path    string     `json:"path"`
	Entries []LogEntry `json:"entries"` // oldest first
	Bad     int        `json:"unreadable_lines,omitempty"`
}

func (s *Server) getLog(w http.ResponseWriter, _ *http.Request) {
	entries, bad, err := s.log.Entries()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "log_unreadable", err.Error())
		return
	}
	if entries == nil {
		entries = []LogEntry{}
	}
	writeJSON(w, http.StatusOK, LogResponse{Path: s.log.Path(), Entries: entries, Bad: bad})
}

// failureCode names a refusal by the sentinel it wraps, as the CLI's
// --output json does, with the failed condition.
func failureCode(err error) (string, int) {
	var acc *groupsig.AccountabilityError
	var ae *client.Error
	switch {
	case errors.As(err, &ae):
		return ae.Code, 0
	case errors.As(err, &acc):
		return "not_accountable", acc.Condition
	}
	for _, c := range []struct {
		err  error
		code string
	}{
		{ErrLog, "log_failed"}, {ErrNotOpened, "not_opened"}, {client.ErrNotOpenable, "not_openable"}, {groupsig.ErrUnknownMember, "unknown_member"},
		{groupsig.ErrNotAccountable, "not_accountable"}, {chain.ErrEvidence, "bad_evidence"},
		{groupsig.ErrInvalidSignature, "invalid_signature"}, {groupsig.ErrWrongGroup, "wrong_group"},
		{groupsig.ErrMalformed, "malformed"}, {context.DeadlineExceeded, "timeout"},
	} {
		if errors.Is(err, c.err) {
			return c.code, 0
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "node_unreachable", 0
	}
	return "failed", 0
}

// writeFailure answers a failed opening with the API's error object.
func writeFailure(w http.ResponseWriter, err error) {
	code, cond := failureCode(err)
	status := http.StatusUnprocessableEntity
	var ae *client.Error
	switch {
	case errors.As(err, &ae):
		status = ae.Status
		if status < 400 || status > 599 {
			status = http.StatusBadGateway
		}
	case code == "not_opened":
		status = http.StatusConflict
	case code == "timeout":
		status = http.StatusGatewayTimeout
	case code == "node_unreachable":
		status = http.StatusBadGateway
	case code == "failed", code == "log_failed":
		status = http.StatusInternalServerError
	}
	var body struct {
		Error struct {
			api.ErrorDetail
			Condition int `json:"condition,omitempty"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message, body.Error.Condition = code, err.Error(), cond
	writeJSON(w, status, body)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
