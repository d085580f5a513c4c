package genesis

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/veilchain/veil/chain"
)

// Limits of genesis.json.
const (
	// MaxFileSize bounds what Read loads, so a wrong path cannot make a
	// node read a disk image into memory.
	MaxFileSize = 16 << 20
	// MaxExpiryWindow bounds expiry_window so that head + window cannot
	// overflow a block height.
	MaxExpiryWindow = 1 << 32
	// maxGroupKeySize bounds a group key, proof or join record field: far
	// above any suite's (a join request is 243 + 64 bytes at most) and
	// only keeps garbage out of Chain.
	maxGroupKeySize = 4096
)

// File is genesis.json, the chain's starting state as the consortium admin
// hands it to every node operator. The format is stable; see the package
// documentation for an example. Keys are lowercase hex, certificates PEM.
type File struct {
	ChainID      string      `json:"chain_id"`
	GenesisTime  time.Time   `json:"genesis_time"`        // RFC 3339; certificates are checked at this instant
	AdminKey     string      `json:"admin_key"`           // consortium admin Ed25519 public key, hex
	CACert       string      `json:"ca_cert"`             // chain CA certificate, PEM
	Validators   []Validator `json:"validators"`          // at least one
	Groups       []Group     `json:"groups"`              // may be empty
	ExpiryWindow uint64      `json:"expiry_window"`       // blocks; 0 means chain.DefaultExpiryWindow
	Consensus    string      `json:"consensus,omitempty"` // "raft" (also when absent) or "bft"
}

// Validator is one entry of genesis.json's validators: a node id and its
// certificate, whose CN must equal the id and which must chain to ca_cert.
type Validator struct {
	ID   string `json:"id"`
	Cert string `json:"cert"` // PEM
}

// Group is one entry of genesis.json's groups: a group that exists from
// block 0, with its founding members.
type Group struct {
	Name        string   `json:"name"`
	GroupKey    string   `json:"group_key"`    // hex of gpk_0 (SPEC-groupsig-v2 §2)
	IssuerProof string   `json:"issuer_proof"` // hex
	OpenerProof string   `json:"opener_proof"` // hex
	AdminKey    string   `json:"admin_key"`    // issuer admin Ed25519 public key, hex
	Members     []Member `json:"members,omitempty"`
}

// Member is a founding member of a genesis group: its join request and
// the issuer's response (hex) and its member identity certificate (PEM).
type Member struct {
	Request  string `json:"join_request"`
	Response string `json:"join_response"`
	Cert     string `json:"cert"`
}

// fileJSON mirrors File with genesis_time as text, so that a bad time is
// reported with its field name rather than as a bare time.Parse error.
type fileJSON struct {
	ChainID      string      `json:"chain_id"`
	GenesisTime  string      `json:"genesis_time"`
	AdminKey     string      `json:"admin_key"`
	CACert       string      `json:"ca_cert"`
	Validators   []Validator `json:"validators"`
	Groups       []Group     `json:"groups"`
	ExpiryWindow uint64      `json:"expiry_window"`
	Consensus    string      `json:"consensus,omitempty"`
}

// Read reads and checks genesis.json at path (see Parse).
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read genesis %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("read genesis %s: larger than %d bytes", path, MaxFileSize)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("read genesis %s: %w", path, err)
	}
	return f, nil
}

// Parse decodes genesis.json strictly: unknown fields, trailing data, a
// missing required field or a malformed value (hex, PEM, time, node id,
// group name) is an error naming the field. It checks form only; Chain
// checks the certificates and builds the ledger's genesis.
func Parse(data []byte) (*File, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j fileJSON
	if err := dec.Decode(&j); err != nil {
		return nil, jsonError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	f := &File{ChainID: j.ChainID, AdminKey: j.AdminKey, CACert: j.CACert,
		Validators: j.Validators, Groups: j.Groups, ExpiryWindow: j.ExpiryWindow, Consensus: j.Consensus}
	if j.GenesisTime == "" {
		return nil, errors.New("genesis_time: missing")
	}
	t, err := time.Parse(time.RFC3339Nano, j.GenesisTime)
	if err != nil {
		return nil, fmt.Errorf("genesis_time: not an RFC 3339 time: %q", j.GenesisTime)
	}
	f.GenesisTime = t
	if _, err := f.parse(); err != nil {
		return nil, err
	}
	return f, nil
}

// Write checks f and writes it to path as indented JSON (0644, atomic).
func (f *File) Write(path string) error {
	if _, err := f.parse(); err != nil {
		return fmt.Errorf("write genesis %s: %w", path, err)
	}
	out := *f
	if out.Groups == nil {
		out.Groups = []Group{} // "groups": [] reads better than null
	}
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return fmt.Errorf("write genesis %s: %w", path, err)
	}
	if err := WriteFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write genesis %s: %w", path, err)
	}
	return nil
}

// CA parses ca_cert and checks that it is a self-signed Ed25519 CA.
func (f *File) CA() (*x509.Certificate, error) {
	if f.CACert == "" {
		return nil, errors.New("ca_cert: missing")
	}
	cert, err := ParseCertificatePEM([]byte(f.CACert))
	if err != nil {
		return nil, fmt.Errorf("ca_cert: %w", err)
	}
	if err := checkCACert(cert); err != nil {
		return nil, fmt.Errorf("ca_cert: %w", err)
	}
	return cert, nil
}

// Chain verifies every validator certificate against ca_cert at the
// genesis time and checks that its CN equals the listed id, then builds
// the ledger's genesis and validates it.
//
// Certificates are checked at genesis_time, not now: the genesis must give
// every node the same verdict forever, long after the node certificates in
// it have expired and been renewed. The network layer checks the
// certificates peers present now (NodePublicKey, VerifyNode).
func (f *File) Chain() (*chain.Genesis, error) {
	p, err := f.parse()
	if err != nil {
		return nil, err
	}
	g := &chain.Genesis{
		ChainID:      f.ChainID,
		Time:         f.GenesisTime.UnixNano(),
		AdminKey:     p.adminKey,
		ExpiryWindow: f.ExpiryWindow,
		Consensus:    f.Consensus,
	}
	for i, v := range f.Validators {
		id, key, err := VerifyNode(p.validatorCerts[i], p.ca, f.GenesisTime)
		if err != nil {
			return nil, fmt.Errorf("validators[%d] (%s): %w", i, v.ID, err)
		}
		if id != v.ID {
			return nil, fmt.Errorf("validators[%d]: certificate CN %q does not match id %q", i, id, v.ID)
		}
		g.Validators = append(g.Validators, chain.Validator{ID: id, PublicKey: key})
	}
	g.CACert = p.ca.Raw
	g.Groups = p.groups
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// parsed holds the decoded values of a File.
type parsed struct {
	ca             *x509.Certificate
	adminKey       ed25519.PublicKey
	validatorCerts []*x509.Certificate
	groups         []chain.GenesisGroup
}

// parse checks the form of every field and decodes it.
func (f *File) parse() (*parsed, error) {
	p := &parsed{}
	if f.ChainID == "" {
		return nil, errors.New("chain_id: missing")
	}
	if len(f.ChainID) > chain.MaxChainIDLen {
		return nil, fmt.Errorf("chain_id: longer than %d bytes", chain.MaxChainIDLen)
	}
	if f.GenesisTime.IsZero() {
		return nil, errors.New("genesis_time: missing")
	}
	// UnixNano is defined for 1678..2262; the ledger hashes it as a u64.
	if y := f.GenesisTime.Year(); y < 1970 || y > 2261 {
		return nil, fmt.Errorf("genesis_time: year %d outside 1970..2261", y)
	}
	var err error
	if p.adminKey, err = hexKey(f.AdminKey); err != nil {
		return nil, fmt.Errorf("admin_key: %w", err)
	}
	if p.ca, err = f.CA(); err != nil {
		return nil, err
	}
	if len(f.Validators) == 0 {
		return nil, errors.New("validators: missing or empty")
	}
	if c := f.Consensus; c != "" && c != chain.ConsensusRaft && c != chain.ConsensusBFT {
		return nil, fmt.Errorf("consensus: %q is neither %q nor %q", c, chain.ConsensusRaft, chain.ConsensusBFT)
	}
	ids := map[string]bool{}
	for i, v := range f.Validators {
		if !ValidNodeID(v.ID) {
			return nil, fmt.Errorf("validators[%d].id: %q is not a node id (1 to 64 characters of [a-z0-9-], starting with a letter or digit)", i, v.ID)
		}
		if ids[v.ID] {
			return nil, fmt.Errorf("validators[%d].id: %q listed twice", i, v.ID)
		}
		ids[v.ID] = true
		if v.Cert == "" {
			return nil, fmt.Errorf("validators[%d].cert: missing", i)
		}
		cert, err := ParseCertificatePEM([]byte(v.Cert))
		if err != nil {
			return nil, fmt.Errorf("validators[%d].cert: %w", i, err)
		}
		p.validatorCerts = append(p.validatorCerts, cert)
	}
	names := map[string]bool{}
	for i, g := range f.Groups {
		if !chain.ValidGroupName(g.Name) {
			return nil, fmt.Errorf("groups[%d].name: %q is not a group name", i, g.Name)
		}
		if names[g.Name] {
			return nil, fmt.Errorf("groups[%d].name: %q listed twice", i, g.Name)
		}
		names[g.Name] = true
		// Form only: the ledger's genesis check (Chain) decodes the keys and
		// checks proofs, join records and certificates.
		gg := chain.GenesisGroup{Name: g.Name}
		for _, fld := range []struct {
			name, val string
			dst       *[]byte
		}{{"group_key", g.GroupKey, &gg.GroupKey}, {"issuer_proof", g.IssuerProof, &gg.IssuerProof}, {"opener_proof", g.OpenerProof, &gg.OpenerProof}} {
			b, err := hexField(fld.val)
			if err != nil {
				return nil, fmt.Errorf("groups[%d].%s: %w", i, fld.name, err)
			}
			*fld.dst = b
		}
		admin, err := hexKey(g.AdminKey)
		if err != nil {
			return nil, fmt.Errorf("groups[%d].admin_key: %w", i, err)
		}
		gg.AdminKey = admin
		for j, m := range g.Members {
			var gm chain.GenesisMember
			if gm.Request, err = hexField(m.Request); err != nil {
				return nil, fmt.Errorf("groups[%d].members[%d].join_request: %w", i, j, err)
			}
			if gm.Response, err = hexField(m.Response); err != nil {
				return nil, fmt.Errorf("groups[%d].members[%d].join_response: %w", i, j, err)
			}
			cert, err := ParseCertificatePEM([]byte(m.Cert))
			if err != nil {
				return nil, fmt.Errorf("groups[%d].members[%d].cert: %w", i, j, err)
			}
			gm.Cert = cert.Raw
			gg.Members = append(gg.Members, gm)
		}
		p.groups = append(p.groups, gg)
	}
	if f.ExpiryWindow > MaxExpiryWindow {
		return nil, fmt.Errorf("expiry_window: %d exceeds %d", f.ExpiryWindow, uint64(MaxExpiryWindow))
	}
	return p, nil
}

// hexField decodes a required hex field of at most maxGroupKeySize bytes.
func hexField(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hex")
	}
	if len(b) > maxGroupKeySize {
		return nil, fmt.Errorf("%d bytes, more than %d", len(b), maxGroupKeySize)
	}
	return b, nil
}

// hexKey decodes a hex Ed25519 public key.
func hexKey(s string) (ed25519.PublicKey, error) {
	if s == "" {
		return nil, errors.New("missing")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hex")
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%d bytes, want an Ed25519 public key (%d)", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// jsonError turns encoding/json's errors into ones that name the field or
// the line, and never mention Go types.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("empty file")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated JSON")
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Errorf("JSON syntax error at line %d, column %d: %s", line, col, syn.Error())
	case errors.As(err, &typ):
		if typ.Type == nil {
			return fmt.Errorf("%s: unexpected %s", typ.Field, typ.Value)
		}
		if typ.Field == "" {
			return fmt.Errorf("top level: %s where an object was expected", typ.Value)
		}
		return fmt.Errorf("%s: %s where %s was expected", typ.Field, typ.Value, jsonKind(typ.Type.Kind().String()))
	}
	// DisallowUnknownFields reports `json: unknown field "x"`.
	return fmt.Errorf("%s", bytes.TrimPrefix([]byte(err.Error()), []byte("json: ")))
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	case "uint64":
		return "a non-negative integer"
	}
	return k
}

func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
