package groupsig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// JoinRequest is a member's request to join (§3): its label L, its Ed25519
// identity key idpk, H = h0^y for the secret y it chose, a proof of y and
// idpk's signature binding them: suite ‖ 03 ‖ gref ‖ lab(L) ‖ idpk ‖ H ‖ c
// ‖ s ‖ idsig (243 + len L bytes for BLS12-381). Together with its
// JoinResponse it is the member's public join record.
type JoinRequest struct {
	c     curve
	ref   [32]byte
	label string
	idpk  []byte
	hy    pointG1 // H
	ch, s scalar
	idsig []byte
	enc   []byte
}

// JoinResponse is the issuer's answer (§3): the epoch e of issue, x and
// A = (g1_e·H)^(1/(γ+x)), bound to the request by hreq:
// suite ‖ 04 ‖ gref ‖ u64be(e) ‖ lab(L) ‖ hreq ‖ x ‖ A (155 + len L bytes
// for BLS12-381).
type JoinResponse struct {
	c     curve
	ref   [32]byte
	epoch uint64
	label string
	hreq  [32]byte
	x     scalar
	a     pointG1
	enc   []byte
}

// JoinSecret is the member's side of a request: y and the request it
// belongs to, with gpk_0. It is secret (y never leaves it) and becomes
// the member key once the response arrives. Encoding (this project's):
// suite ‖ 83 ‖ y ‖ gpk_0 ‖ request.
type JoinSecret struct {
	y   scalar
	gk  *GroupKey // epoch 0
	req *JoinRequest
}

// Label is the label the request asks for.
func (q *JoinRequest) Label() string { return q.label }

// IdentityKey is the requester's Ed25519 identity key idpk.
func (q *JoinRequest) IdentityKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), q.idpk...)
}

// Hash is hreq = SHA-256(request).
func (q *JoinRequest) Hash() [32]byte { return sha256.Sum256(q.enc) }

// H is the compressed H = h0^y: unique per group over its whole life (§7).
func (q *JoinRequest) H() []byte { return q.c.CompressG1(q.hy)[0] }

// GroupRef is the gref of the group the request is for.
func (q *JoinRequest) GroupRef() [32]byte { return q.ref }

// MarshalBinary returns the encoding.
func (q *JoinRequest) MarshalBinary() ([]byte, error) {
	if q == nil || q.c == nil {
		return nil, fmt.Errorf("%w: zero join request", ErrMalformed)
	}
	return append([]byte(nil), q.enc...), nil
}

// UnmarshalBinary decodes a join request with §1's and §3.1's rules on
// every field; Verify checks its proof and signature.
func (q *JoinRequest) UnmarshalBinary(b []byte) error {
	r := newReader(b, "join request", kindJoinRequest)
	out := JoinRequest{c: r.c}
	copy(out.ref[:], r.next(32, "gref"))
	out.label = r.label("label")
	out.idpk = r.bytes(32, "idpk")
	if r.err == nil {
		if _, err := parseIdentityKey(out.idpk); err != nil {
			r.fail("%v", err)
		}
	}
	out.hy = r.g1("H")
	out.ch, out.s = r.scalar("c"), r.scalar("s")
	out.idsig = r.bytes(64, "idsig")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = append([]byte(nil), b...)
	*q = out
	return nil
}

// joinStatement is J = gpk_0 ‖ lab(L) ‖ idpk ‖ H.
func joinStatement(gk *GroupKey, label string, idpk []byte, hy []byte) []byte {
	j := append([]byte(nil), gk.g.gpk0...)
	return append(append(appendLab(j, label), idpk...), hy...)
}

// Verify checks the request against its group (any epoch of it): gref,
// the proof of y (K = h0^s·H^(−c), c = H_JOIN(J ‖ K)) and idsig over
// P ‖ J by §3.1. Label policy and uniqueness are the issuer's and the
// ledger's (Registry, §7).
func (q *JoinRequest) Verify(gk *GroupKey) error {
	if err := usable(gk); err != nil {
		return err
	}
	if q == nil || q.c == nil {
		return fmt.Errorf("%w: zero join request", ErrMalformed)
	}
	if err := sameSuite("join request", q.c, gk.c); err != nil {
		return err
	}
	if q.ref != gk.g.ref {
		return fmt.Errorf("%w: join request is for another group", ErrWrongGroup)
	}
	c, t := gk.c, gk.g.tables(gk.c)
	hy := q.H()
	j := joinStatement(gk, q.label, q.idpk, hy)
	k := c.SumVT([]fixedBase{t.h0}, []scalar{q.s}, []varBase{c.VarBase(q.hy)}, []scalar{c.Neg(q.ch)})
	if !c.Equal(c.hashScalar(c.dst.join, c.appendG1(j, k)), q.ch) {
		return fmt.Errorf("%w: join request's proof of y does not verify", ErrInvalidProof)
	}
	a, err := parseIdentityKey(q.idpk)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !verifyEd25519(a, q.idpk, append([]byte(c.dst.statement), j...), q.idsig) {
		return fmt.Errorf("%w: join request's identity signature does not verify under its idpk", ErrInvalidProof)
	}
	return nil
}

// NewJoinRequest makes a join request for label under gpk_0 with the
// member's Ed25519 identity key, and the secret half that finishes it.
// The issuer and opener proofs published with gpk_0 are checked first, as
// §2 requires of a member. y and the proof's nonce are hedged (§4.1, kind
// 03, from the identity key's seed).
func NewJoinRequest(gk *GroupKey, ip *IssuerProof, op *OpenerProof, label string, id ed25519.PrivateKey, rand io.Reader) (*JoinRequest, *JoinSecret, error) {
	if err := usable(gk); err != nil {
		return nil, nil, fmt.Errorf("join request: %w", err)
	}
	fail := func(err error) (*JoinRequest, *JoinSecret, error) {
		return nil, nil, fmt.Errorf("join request: %w", err)
	}
	if err := ip.Verify(gk); err != nil {
		return fail(err)
	}
	if err := op.Verify(gk); err != nil {
		return fail(err)
	}
	if err := CheckLabel(label); err != nil {
		return fail(err)
	}
	if len(id) != ed25519.PrivateKeySize {
		return fail(fmt.Errorf("%w: identity key is %d bytes, want %d", ErrMalformed, len(id), ed25519.PrivateKeySize))
	}
	gk0, err := gk.AtEpoch(0)
	if err != nil {
		return fail(err)
	}
	c, t := gk.c, gk.g.tables(gk.c)
	idpk := []byte(id.Public().(ed25519.PublicKey))
	if _, err := parseIdentityKey(idpk); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrMalformed, err))
	}
	n, err := newNonces(c, kindJoinRequest, id.Seed(), append(appendLab(append([]byte(nil), gk.g.gpk0...), label), idpk...), rand)
	if err != nil {
		return fail(err)
	}
	defer n.wipe()
	y, err := n.nextNonzero()
	if err != nil {
		return fail(err)
	}
	k := n.next()
	hy := c.FixedMulCT(t.h0, y)
	hyEnc := c.CompressG1(hy)[0]
	j := joinStatement(gk, label, idpk, hyEnc)
	ch := c.hashScalar(c.dst.join, c.appendG1(j, c.FixedMulCT(t.h0, k)))
	s := c.Add(k, c.Mul(ch, y))
	idsig := ed25519.Sign(id, append([]byte(c.dst.statement), j...))

	enc := append([]byte{c.suite, kindJoinRequest}, gk.g.ref[:]...)
	enc = append(appendLab(enc, label), idpk...)
	enc = append(enc, hyEnc...)
	enc = c.AppendScalar(c.AppendScalar(enc, ch), s)
	enc = append(enc, idsig...)
	req := new(JoinRequest)
	if err := req.UnmarshalBinary(enc); err != nil {
		return fail(err) // cannot happen: we just encoded it
	}
	return req, &JoinSecret{y: y, gk: gk0, req: req}, nil
}

// Request is the join request this secret belongs to.
func (js *JoinSecret) Request() *JoinRequest { return js.req }

// GroupKey is gpk_0 of the group joined.
func (js *JoinSecret) GroupKey() *GroupKey { return js.gk }

// MarshalBinary returns suite ‖ 83 ‖ y ‖ gpk_0 ‖ request.
func (js *JoinSecret) MarshalBinary() ([]byte, error) {
	if js == nil || js.gk == nil || js.req == nil {
		return nil, fmt.Errorf("%w: zero join secret", ErrMalformed)
	}
	c := js.gk.c
	b := c.AppendScalar([]byte{c.suite, kindJoinSecret}, js.y)
	return append(append(b, js.gk.g.gpk0...), js.req.enc...), nil
}

// UnmarshalBinary decodes a join secret and checks that it is the secret
// of its request (H = h0^y) and that the request is for its group.
func (js *JoinSecret) UnmarshalBinary(b []byte) error {
	r := newReader(b, "join secret", kindJoinSecret)
	y := r.scalar("y")
	r.nonzero(y, "y")
	var gkEnc []byte
	if r.err == nil {
		gkEnc = r.next(groupKeySize(r.c), "group key")
	}
	if r.err != nil {
		return r.err
	}
	gk := new(GroupKey)
	if err := gk.UnmarshalBinary(gkEnc); err != nil {
		return fmt.Errorf("join secret: %w", err)
	}
	if gk.epoch != 0 || gk.c != r.c {
		return fmt.Errorf("%w: join secret must hold gpk_0 of its own suite", ErrMalformed)
	}
	req := new(JoinRequest)
	if err := req.UnmarshalBinary(r.b); err != nil {
		return fmt.Errorf("join secret: %w", err)
	}
	if req.c != gk.c {
		return fmt.Errorf("%w: join secret of suite %s holds a request of suite %s", ErrWrongSuite, gk.c.Name(), req.c.Name())
	}
	c, t := gk.c, gk.g.tables(gk.c)
	if req.ref != gk.g.ref || !c.EqualG1(c.FixedMulCT(t.h0, y), req.hy) {
		return fmt.Errorf("%w: join secret does not belong to its request", ErrInvalidKey)
	}
	*js = JoinSecret{y: y, gk: gk, req: req}
	return nil
}

// Epoch is the epoch at which the issuer issued A.
func (p *JoinResponse) Epoch() uint64 { return p.epoch }

// Label is the label the response issues.
func (p *JoinResponse) Label() string { return p.label }

// RequestHash is hreq, the hash of the request answered.
func (p *JoinResponse) RequestHash() [32]byte { return p.hreq }

// X is the encoding of x, unique per group over its whole life (§7).
func (p *JoinResponse) X() []byte { return p.c.AppendScalar(nil, p.x) }

// A is the compressed certificate A.
func (p *JoinResponse) A() []byte { return p.c.CompressG1(p.a)[0] }

// GroupRef is the gref of the group.
func (p *JoinResponse) GroupRef() [32]byte { return p.ref }

// MarshalBinary returns the encoding.
func (p *JoinResponse) MarshalBinary() ([]byte, error) {
	if p == nil || p.c == nil {
		return nil, fmt.Errorf("%w: zero join response", ErrMalformed)
	}
	return append([]byte(nil), p.enc...), nil
}

// UnmarshalBinary decodes a join response; Verify checks it.
func (p *JoinResponse) UnmarshalBinary(b []byte) error {
	r := newReader(b, "join response", kindJoinResponse)
	out := JoinResponse{c: r.c}
	copy(out.ref[:], r.next(32, "gref"))
	out.epoch = r.uint64("epoch")
	out.label = r.label("label")
	copy(out.hreq[:], r.next(32, "hreq"))
	out.x = r.scalar("x")
	out.a = r.g1("A")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = append([]byte(nil), b...)
	*p = out
	return nil
}

func encodeResponse(c curve, ref [32]byte, epoch uint64, label string, hreq [32]byte, x scalar, a pointG1) []byte {
	b := append([]byte{c.suite, kindJoinResponse}, ref[:]...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = append(appendLab(b, label), hreq[:]...)
	return c.appendG1(c.AppendScalar(b, x), a)
}

// certificateHolds checks e(A, w·g2^x) = e(g1_e·H, g2) as one Miller loop
// over the key's lines: e(A, w) · e(A^x · (g1_e·H)^(−1), g2) = 1.
func certificateHolds(gk *GroupKey, a pointG1, x scalar, hy pointG1) bool {
	c, t := gk.c, gk.g.tables(gk.c)
	p := c.AddG1(c.SumVT(nil, nil, []varBase{c.VarBase(a)}, []scalar{x}), c.NegG1(c.AddG1(gk.g1, hy)))
	return c.IsOneGT(c.PairPreparedVT([]pointG1{a, p}, []prepared{t.w, t.g2}))
}

// Verify checks the response against its request and group: gref, label
// and hreq match, and the certificate e(A, w·g2^x) = e(g1_e·H, g2) holds at
// the response's epoch. It does not check the request (see
// JoinRequest.Verify) nor that e is the ledger's current epoch.
func (p *JoinResponse) Verify(gk *GroupKey, req *JoinRequest) error {
	if err := usable(gk); err != nil {
		return err
	}
	if p == nil || p.c == nil || req == nil || req.c == nil {
		return fmt.Errorf("%w: zero join response or request", ErrMalformed)
	}
	if err := sameSuite("join response", p.c, gk.c); err != nil {
		return err
	}
	if err := sameSuite("join request", req.c, gk.c); err != nil {
		return err
	}
	if p.ref != gk.g.ref || req.ref != gk.g.ref {
		return fmt.Errorf("%w: join response or request is for another group", ErrWrongGroup)
	}
	if p.label != req.label || p.hreq != req.Hash() {
		return fmt.Errorf("%w: join response answers another request", ErrWrongGroup)
	}
	gke, err := gk.AtEpoch(p.epoch)
	if err != nil {
		return err
	}
	if !certificateHolds(gke, p.a, p.x, req.hy) {
		return fmt.Errorf("%w: join response's certificate does not satisfy e(A, w·g2^x) = e(g1_e·H, g2) at epoch %d", ErrInvalidKey, p.epoch)
	}
	return nil
}

// issue answers a verified request at epoch gke.Epoch() with the given x:
// A = (g1_e·H)^(1/(γ+x)), in constant time in γ and x.
func (ik *IssuerKey) issue(gke *GroupKey, req *JoinRequest, x scalar) (*JoinResponse, error) {
	c := gke.c
	sum := c.Add(ik.gamma, x)
	if c.IsZero(sum) {
		return nil, fmt.Errorf("%w: γ + x = 0", ErrRandom)
	}
	a := c.MulCT(c.AddG1(gke.g1, req.hy), c.Inv(sum))
	p := new(JoinResponse)
	if err := p.UnmarshalBinary(encodeResponse(c, gke.g.ref, gke.epoch, req.label, req.Hash(), x, a)); err != nil {
		return nil, err
	}
	return p, nil
}

// Finish checks the issuer's response against this request at gpk of the
// response's epoch and returns the member key (A, x, y). The caller checks
// that the epoch is the ledger's current one.
func (js *JoinSecret) Finish(resp *JoinResponse) (*MemberKey, error) {
	if js == nil || js.gk == nil {
		return nil, fmt.Errorf("finish join: %w: zero join secret", ErrMalformed)
	}
	if err := resp.Verify(js.gk, js.req); err != nil {
		return nil, fmt.Errorf("finish join: %w", err)
	}
	return &MemberKey{c: js.gk.c, ref: js.gk.g.ref, epoch: resp.epoch, a: resp.a, x: resp.x, y: js.y}, nil
}
