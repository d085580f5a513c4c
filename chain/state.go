package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/veilchain/veil/groupsig"
)

// State keys (under storage's state prefix). See doc.go.
const (
	stateGroup   = "g/" // g/ ‖ name → encodeGroupHeader
	stateJoin    = "j/" // j/ ‖ u8 len(name) ‖ name ‖ label → join entry
	statePending = "q/" // q/ ‖ u8 len(name) ‖ name ‖ hreq → pending request
	stateRevoke  = "v/" // v/ ‖ u8 len(name) ‖ name ‖ epoch u64 → the revocation record that started it
	stateTag     = "t/" // t/ ‖ gref ‖ u8 len(S) ‖ S ‖ τ → id of the transaction that acted
	stateTopic   = "p/" // p/ ‖ topic → topic rule ‖ u64 tally
	stateResults = "r/" // r/ ‖ height u64 → one Code byte per transaction
	stateNode    = "n/" // n/ ‖ node id → u64 height of the revocation
	stateCert    = "k/" // k/ ‖ height u64 → the block's BFT commit certificate (ApplyCertified)
	stateGenesis = "genesis"
)

func named(prefix, name string) []byte {
	return append(append([]byte(prefix), byte(len(name))), name...)
}

func joinKey(name, label string) []byte { return append(named(stateJoin, name), label...) }

func pendingKey(name string, hreq [32]byte) []byte {
	return append(named(statePending, name), hreq[:]...)
}

func revocationKey(name string, epoch uint64) []byte {
	return binary.BigEndian.AppendUint64(named(stateRevoke, name), epoch)
}

func tagKey(ref [32]byte, scope, tag []byte) []byte {
	k := append([]byte(stateTag), ref[:]...)
	k = append(append(k, byte(len(scope))), scope...)
	return append(k, tag...)
}

func certKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(stateCert), height)
}

func resultsKey(height uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(stateResults), height)
}

// joinEntry is an admitted member: its join record, identity certificate,
// the height it was admitted at, and the epoch whose record revoked it
// (0 while a member).
type joinEntry struct {
	rec       *groupsig.JoinRecord
	cert      []byte
	org       string
	height    uint64
	revokedAt uint64
}

func (j *joinEntry) encode() []byte {
	e := &encoder{}
	req, _ := j.rec.Request.MarshalBinary()
	resp, _ := j.rec.Response.MarshalBinary()
	e.bytes16(req)
	e.bytes16(resp)
	e.bytes16(j.cert)
	e.str8(j.org)
	e.u64(j.height)
	e.u64(j.revokedAt)
	return e.b
}

func decodeJoinEntry(b []byte) (*joinEntry, error) {
	d := &decoder{b: b}
	req, resp := d.bytes16(maxObject, "request"), d.bytes16(maxObject, "response")
	j := &joinEntry{rec: &groupsig.JoinRecord{Request: new(groupsig.JoinRequest), Response: new(groupsig.JoinResponse)}}
	j.cert = d.bytes16(MaxCertSize, "certificate")
	j.org = d.str8(MaxOrgLen, "org")
	j.height, j.revokedAt = d.u64("height"), d.u64("revoked")
	d.end("join entry")
	if d.err != nil {
		return nil, d.err
	}
	if err := j.rec.Request.UnmarshalBinary(req); err != nil {
		return nil, err
	}
	if err := j.rec.Response.UnmarshalBinary(resp); err != nil {
		return nil, err
	}
	return j, nil
}

// pendingJoin is a posted request that no response has answered yet.
type pendingJoin struct {
	req    *groupsig.JoinRequest
	cert   []byte
	org    string
	height uint64
}

func (p *pendingJoin) encode() []byte {
	e := &encoder{}
	req, _ := p.req.MarshalBinary()
	e.bytes16(req)
	e.bytes16(p.cert)
	e.str8(p.org)
	e.u64(p.height)
	return e.b
}

func decodePending(b []byte) (*pendingJoin, error) {
	d := &decoder{b: b}
	req := d.bytes16(maxObject, "request")
	p := &pendingJoin{req: new(groupsig.JoinRequest), cert: d.bytes16(MaxCertSize, "certificate"), org: d.str8(MaxOrgLen, "org"), height: d.u64("height")}
	d.end("pending request")
	if d.err != nil {
		return nil, d.err
	}
	return p, p.req.UnmarshalBinary(req)
}

// group is the in-memory state of one group. A block works on a clone
// (see view.mutable); a published group is never mutated.
type group struct {
	name  string
	key   *groupsig.GroupKey // current epoch
	keys  map[uint64]*groupsig.GroupKey
	admin ed25519.PublicKey
	// issuerProof and openerProof are gpk_0's proofs, as posted.
	issuerProof, openerProof []byte
	prev                     [32]byte // SHA-256 of the last record, zeros before the first
	joins                    map[string]*joinEntry
	hs, xs                   map[string]bool // H and x of every admitted member, ever
	pending                  map[[32]byte]*pendingJoin
}

// newGroup checks a new group's key and proofs (§7: the ledger refuses a
// gpk_0 whose proofs fail).
func newGroup(name string, gpk, ip, op []byte, admin ed25519.PublicKey) (*group, error) {
	gk := new(groupsig.GroupKey)
	if err := gk.UnmarshalBinary(gpk); err != nil {
		return nil, errorf(ErrMalformed, "group key: %v", err)
	}
	if gk.Epoch() != 0 {
		return nil, errorf(ErrMalformed, "a new group's key must be gpk_0, not epoch %d", gk.Epoch())
	}
	var ipr groupsig.IssuerProof
	var opr groupsig.OpenerProof
	if err := ipr.UnmarshalBinary(ip); err != nil {
		return nil, errorf(ErrMalformed, "issuer proof: %v", err)
	}
	if err := opr.UnmarshalBinary(op); err != nil {
		return nil, errorf(ErrMalformed, "opener proof: %v", err)
	}
	if err := ipr.Verify(gk); err != nil {
		return nil, errorf(ErrMalformed, "issuer proof: %v", err)
	}
	if err := opr.Verify(gk); err != nil {
		return nil, errorf(ErrMalformed, "opener proof: %v", err)
	}
	if len(admin) != ed25519.PublicKeySize {
		return nil, errorf(ErrMalformed, "admin key must be Ed25519")
	}
	return &group{name: name, key: gk, keys: map[uint64]*groupsig.GroupKey{0: gk}, admin: admin,
		issuerProof: slices.Clone(ip), openerProof: slices.Clone(op),
		joins: map[string]*joinEntry{}, hs: map[string]bool{}, xs: map[string]bool{}, pending: map[[32]byte]*pendingJoin{}}, nil
}

func (g *group) epoch() uint64 { return g.key.Epoch() }

// clone copies what a transaction may change, so a block's changes stay
// private until the block commits.
func (g *group) clone() *group {
	c := *g
	c.keys, c.joins, c.hs, c.xs, c.pending = maps.Clone(g.keys), maps.Clone(g.joins), maps.Clone(g.hs), maps.Clone(g.xs), maps.Clone(g.pending)
	return &c
}

// current lists the join records of current(e), sorted by label.
func (g *group) current() []*groupsig.JoinRecord {
	var out []*groupsig.JoinRecord
	for _, l := range sortedKeys(g.joins) {
		if j := g.joins[l]; j.revokedAt == 0 {
			out = append(out, j.rec)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkRequest is §7's check of a posted join request: it verifies (proof
// of y and identity signature), its certificate chains to the chain CA at
// at and binds the request's label and idpk, its hreq is new and its label
// and H unused (pending requests may share them).
func (g *group) checkRequest(reqBytes, cert []byte, ca *x509.Certificate, at time.Time) (*pendingJoin, error) {
	req := new(groupsig.JoinRequest)
	if err := req.UnmarshalBinary(reqBytes); err != nil {
		return nil, errorf(ErrMalformed, "join request: %v", err)
	}
	if err := req.Verify(g.key); err != nil {
		return nil, errorf(ErrInvalidJoin, "join request: %v", err)
	}
	c, err := x509.ParseCertificate(cert)
	if err != nil {
		return nil, errorf(ErrMalformed, "member certificate: %v", err)
	}
	id, err := VerifyMember(c, ca, at)
	if err != nil {
		return nil, errorf(ErrInvalidJoin, "%v", err)
	}
	if id.Label != req.Label() || !bytes.Equal(id.Key, req.IdentityKey()) {
		return nil, errorf(ErrInvalidJoin, "member certificate is for %q with another key; the request asks for %q", id.Label, req.Label())
	}
	if _, dup := g.pending[req.Hash()]; dup {
		return nil, errorf(ErrDuplicate, "join request %x is already posted", req.Hash())
	}
	if _, used := g.joins[req.Label()]; used {
		return nil, errorf(ErrInvalidJoin, "group %q already has a member labelled %q (labels are never reused)", g.name, req.Label())
	}
	if g.hs[string(req.H())] {
		return nil, errorf(ErrInvalidJoin, "H of the request is another member's (y reused)")
	}
	return &pendingJoin{req: req, cert: cert, org: id.Org}, nil
}

// checkResponse is §7's check of a join response: it answers a posted,
// unanswered request whose label and H are still unused, its x is new, its
// epoch is current and its certificate checks.
func (g *group) checkResponse(respBytes []byte) (*joinEntry, error) {
	resp := new(groupsig.JoinResponse)
	if err := resp.UnmarshalBinary(respBytes); err != nil {
		return nil, errorf(ErrMalformed, "join response: %v", err)
	}
	p, ok := g.pending[resp.RequestHash()]
	if !ok {
		return nil, errorf(ErrInvalidJoin, "join response answers no pending request of group %q", g.name)
	}
	switch {
	case resp.Epoch() != g.epoch():
		return nil, errorf(ErrInvalidJoin, "join response is for epoch %d, group %q is at %d", resp.Epoch(), g.name, g.epoch())
	case g.joins[resp.Label()] != nil:
		return nil, errorf(ErrInvalidJoin, "label %q is already used", resp.Label())
	case g.hs[string(p.req.H())]:
		return nil, errorf(ErrInvalidJoin, "H of the request is already used")
	case g.xs[string(resp.X())]:
		return nil, errorf(ErrInvalidJoin, "x is another member's")
	}
	if err := resp.Verify(g.key, p.req); err != nil {
		return nil, errorf(ErrInvalidJoin, "join response: %v", err)
	}
	return &joinEntry{rec: &groupsig.JoinRecord{Request: p.req, Response: resp}, cert: p.cert, org: p.org}, nil
}

// admit makes a checked join entry a member, and drops every pending
// request it makes unanswerable (same label or H). It returns the hashes
// of the requests dropped, the answered one included.
func (g *group) admit(j *joinEntry, height uint64) [][32]byte {
	j.height = height
	g.joins[j.rec.Label()] = j
	g.hs[string(j.rec.Request.H())] = true
	g.xs[string(j.rec.Response.X())] = true
	var dropped [][32]byte
	for h, p := range g.pending {
		if p.req.Label() == j.rec.Label() || bytes.Equal(p.req.H(), j.rec.Request.H()) {
			dropped = append(dropped, h)
			delete(g.pending, h)
		}
	}
	return dropped
}

// GroupInfo is the public view of a group in chain state.
type GroupInfo struct {
	Name     string
	Epoch    uint64
	GroupKey *groupsig.GroupKey // current epoch
	// IssuerProof and OpenerProof are gpk_0's proofs (what a member checks
	// before it makes a join request).
	IssuerProof []byte
	OpenerProof []byte
	AdminKey    ed25519.PublicKey
	Members     []MemberInfo  // sorted by label
	Pending     []PendingInfo // posted requests not yet answered, by hash
}

// MemberInfo is one admitted member.
type MemberInfo struct {
	Label       string
	Org         string
	IdentityKey ed25519.PublicKey
	Joined      uint64 // epoch of its join response
	Height      uint64 // height its response was committed at (0: genesis)
	RevokedAt   uint64 // epoch its revocation started; 0 while a member
	Record      *groupsig.JoinRecord
	Cert        []byte // identity certificate, DER
}

// PendingInfo is a posted join request.
type PendingInfo struct {
	Hash    [32]byte
	Label   string
	Org     string
	Height  uint64
	Request *groupsig.JoinRequest
	Cert    []byte
}

func (g *group) info() GroupInfo {
	gi := GroupInfo{Name: g.name, Epoch: g.epoch(), GroupKey: g.key, AdminKey: g.admin,
		IssuerProof: slices.Clone(g.issuerProof), OpenerProof: slices.Clone(g.openerProof)}
	for _, l := range sortedKeys(g.joins) {
		j := g.joins[l]
		gi.Members = append(gi.Members, MemberInfo{Label: l, Org: j.org, IdentityKey: j.rec.Request.IdentityKey(), Joined: j.rec.Response.Epoch(),
			Height: j.height, RevokedAt: j.revokedAt, Record: j.rec, Cert: j.cert})
	}
	for h, p := range g.pending {
		gi.Pending = append(gi.Pending, PendingInfo{Hash: h, Label: p.req.Label(), Org: p.org, Height: p.height, Request: p.req, Cert: p.cert})
	}
	sort.Slice(gi.Pending, func(i, j int) bool { return bytes.Compare(gi.Pending[i].Hash[:], gi.Pending[j].Hash[:]) < 0 })
	return gi
}

// Member returns the member labelled label.
func (gi *GroupInfo) Member(label string) (*MemberInfo, bool) {
	i := sort.Search(len(gi.Members), func(i int) bool { return gi.Members[i].Label >= label })
	if i < len(gi.Members) && gi.Members[i].Label == label {
		return &gi.Members[i], true
	}
	return nil, false
}

// topicState is a topic's rule and its tally of distinct tags.
type topicState struct {
	rule   TopicRule
	height uint64 // height the rule was set at
	tally  uint64
}

func (t *topicState) encode() []byte {
	e := &encoder{}
	e.u8(uint8(len(t.rule.Groups)))
	for _, g := range t.rule.Groups {
		e.str8(g)
	}
	e.u8(boolByte(t.rule.Tagged))
	e.u64(t.rule.Closes)
	e.u64(t.height)
	e.u64(t.tally)
	return e.b
}

func decodeTopic(b []byte) (*topicState, error) {
	d := &decoder{b: b}
	t := &topicState{}
	n := d.u8("groups")
	for i := uint8(0); i < n && d.err == nil; i++ {
		t.rule.Groups = append(t.rule.Groups, d.str8(MaxGroupNameLen, "group"))
	}
	if tg := d.u8("tagged"); d.err == nil && tg > 1 {
		d.fail("tagged flag %d, want 0 or 1", tg)
	} else {
		t.rule.Tagged = tg == 1
	}
	t.rule.Closes, t.height, t.tally = d.u64("closes"), d.u64("height"), d.u64("tally")
	d.end("topic")
	return t, d.err
}

// TopicInfo is a topic's rule and, for a tagged topic, the number of
// distinct members who acted on it.
type TopicInfo struct {
	Topic  string
	Rule   TopicRule
	Height uint64 // the rule's height
	Tally  uint64
}

// encodeGroupHeader is the group record: u64 epoch ‖ admin key ‖ prev ‖
// gpk_0 ‖ issuer proof ‖ opener proof (each u16-length prefixed). The
// proofs are kept so that a member can check them before it joins (§3:
// the request is made only against a key whose proofs verify).
func encodeGroupHeader(g *group) []byte {
	gk0, _ := g.keys[0].MarshalBinary()
	e := &encoder{}
	e.u64(g.epoch())
	e.raw(g.admin)
	e.raw(g.prev[:])
	e.bytes16(gk0)
	e.bytes16(g.issuerProof)
	e.bytes16(g.openerProof)
	return e.b
}

func decodeGroupHeader(name string, b []byte) (*group, error) {
	d := &decoder{b: b}
	epoch := d.u64("epoch")
	admin := ed25519.PublicKey(d.take(ed25519.PublicKeySize, "admin key"))
	var prev [32]byte
	d.fixed(prev[:], "prev")
	gk0 := d.bytes16(4096, "gpk_0")
	ip, op := d.bytes16(4096, "issuer proof"), d.bytes16(4096, "opener proof")
	d.end("group record")
	if d.err != nil {
		return nil, d.err
	}
	gk := new(groupsig.GroupKey)
	if err := gk.UnmarshalBinary(gk0); err != nil {
		return nil, fmt.Errorf("group record: %w", err)
	}
	g := &group{name: name, key: gk, keys: map[uint64]*groupsig.GroupKey{0: gk}, admin: slices.Clone(admin), prev: prev,
		issuerProof: slices.Clone(ip), openerProof: slices.Clone(op),
		joins: map[string]*joinEntry{}, hs: map[string]bool{}, xs: map[string]bool{}, pending: map[[32]byte]*pendingJoin{}}
	for e := uint64(1); e <= epoch; e++ {
		k, err := gk.AtEpoch(e)
		if err != nil {
			return nil, err
		}
		g.keys[e] = k
	}
	g.key = g.keys[epoch]
	return g, nil
}
