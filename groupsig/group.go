package groupsig

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

// GroupKey is a group's public key at one epoch, gpk_e of §2:
// suite ‖ 01 ‖ gid ‖ u64be(e) ‖ u ‖ v ‖ w, with the bases the spec derives
// from it (h, h0, g1_e; B_S per scope on demand). It is immutable and safe
// for concurrent use; the keys of all epochs of one group share their
// precomputed tables.
type GroupKey struct {
	c     curve
	epoch uint64
	enc   []byte // gpk_e, hashed into every signature challenge
	g     *group
	g1    pointG1 // g1_e = HG_G1(gpk_0 ‖ u64be(e))
	g1Tab *lazyFixed
}

type lazyFixed struct {
	once sync.Once
	t    fixedBase
}

// group is what every epoch of a group shares.
type group struct {
	gid   [32]byte
	gpk0  []byte
	ref   [32]byte // gref = SHA-256(gpk_0)
	u, v  pointG1
	w     pointG2
	h, h0 pointG1

	once sync.Once
	tab  groupTables
	tags tagBases
}

// groupTables are the fixed-base forms of u, v, h, h0 and the Miller-loop
// lines of g2 and w, built on first use (for BLS12-381 ≈ 10 ms and 840 KiB
// per comb table, after which a multiplication by one of these points
// costs a tenth of a generic one).
type groupTables struct {
	u, v, h, h0 fixedBase
	g2, w       prepared
}

func (g *group) tables(c curve) *groupTables {
	g.once.Do(func() {
		g.tab = groupTables{u: c.Fixed(g.u), v: c.Fixed(g.v), h: c.Fixed(g.h), h0: c.Fixed(g.h0),
			g2: c.Prepare(c.G2Generator()), w: c.Prepare(g.w)}
	})
	return &g.tab
}

func (gk *GroupKey) g1Table() fixedBase {
	gk.g1Tab.once.Do(func() { gk.g1Tab.t = gk.c.Fixed(gk.g1) })
	return gk.g1Tab.t
}

func groupKeySize(c curve) int { return 2 + 32 + 8 + 2*c.G1Size() + c.G2Size() }

// Suite is the group's pairing type.
func (gk *GroupKey) Suite() Suite {
	if usable(gk) != nil {
		return 0
	}
	return Suite(gk.c.suite)
}

// Epoch is the key's epoch: 0 at setup, one more per revocation record.
func (gk *GroupKey) Epoch() uint64 { return gk.epoch }

// Ref is gref = SHA-256(gpk_0), the group's reference in every other
// object.
func (gk *GroupKey) Ref() [32]byte {
	if usable(gk) != nil {
		return [32]byte{}
	}
	return gk.g.ref
}

// GID is the group's 32-byte identifier fixed at setup.
func (gk *GroupKey) GID() [32]byte {
	if usable(gk) != nil {
		return [32]byte{}
	}
	return gk.g.gid
}

// AtEpoch returns gpk_e of the same group for epoch e (nothing new to
// trust, §6: only the epoch field and g1_e change). It is the caller's
// to know that e is an epoch the group has reached.
func (gk *GroupKey) AtEpoch(e uint64) (*GroupKey, error) {
	if err := usable(gk); err != nil {
		return nil, err
	}
	if e == gk.epoch {
		return gk, nil
	}
	return newGroupKey(gk.c, gk.g, e)
}

// Equal reports whether two keys are the same group at the same epoch.
func (gk *GroupKey) Equal(o *GroupKey) bool { return o != nil && string(gk.enc) == string(o.enc) }

// SameGroup reports whether two keys are of the same group, at any epoch.
func (gk *GroupKey) SameGroup(o *GroupKey) bool {
	return usable(gk) == nil && usable(o) == nil && gk.g.ref == o.g.ref
}

// usable refuses a nil or zero group key.
func usable(gk *GroupKey) error {
	if gk == nil || gk.c == nil || gk.g == nil {
		return fmt.Errorf("%w: zero group key", ErrMalformed)
	}
	return nil
}

// MarshalBinary returns gpk_e (234 bytes for BLS12-381, 170 for BN254).
func (gk *GroupKey) MarshalBinary() ([]byte, error) {
	if err := usable(gk); err != nil {
		return nil, err
	}
	return append([]byte(nil), gk.enc...), nil
}

// UnmarshalBinary decodes gpk_e and derives h, h0 and g1_e.
func (gk *GroupKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "group key", kindGroupKey)
	if r.err != nil {
		return r.err
	}
	r.fixedLen(len(b), groupKeySize(r.c))
	g := new(group)
	copy(g.gid[:], r.next(32, "gid"))
	epoch := r.uint64("epoch")
	g.u, g.v, g.w = r.g1("u"), r.g1("v"), r.g2("w")
	if err := r.end(); err != nil {
		return err
	}
	g.gpk0 = append([]byte(nil), b...)
	binary.BigEndian.PutUint64(g.gpk0[34:], 0)
	if err := g.derive(r.c); err != nil {
		return fmt.Errorf("group key: %w", err)
	}
	k, err := newGroupKey(r.c, g, epoch)
	if err != nil {
		return fmt.Errorf("group key: %w", err)
	}
	*gk = *k
	return nil
}

// derive computes gref, h and h0 from gid and gpk_0.
func (g *group) derive(c curve) error {
	g.ref = sha256.Sum256(g.gpk0)
	var err error
	if g.h, err = c.hashG1(c.dst.hgH, g.gid[:]); err != nil {
		return err
	}
	g.h0, err = c.hashG1(c.dst.hgH0, g.gpk0)
	return err
}

// newGroupKey makes gpk_e of group g with g1_e = HG_G1(gpk_0 ‖ u64be(e)).
func newGroupKey(c curve, g *group, epoch uint64) (*GroupKey, error) {
	enc := append([]byte(nil), g.gpk0...)
	binary.BigEndian.PutUint64(enc[34:], epoch)
	g1, err := c.hashG1(c.dst.hgG1, binary.BigEndian.AppendUint64(append([]byte(nil), g.gpk0...), epoch))
	if err != nil {
		return nil, fmt.Errorf("g1 of epoch %d: %w", epoch, err)
	}
	return &GroupKey{c: c, epoch: epoch, enc: enc, g: g, g1: g1, g1Tab: new(lazyFixed)}, nil
}

// String names the key by suite, epoch and gref; it is public.
func (gk *GroupKey) String() string {
	if usable(gk) != nil {
		return "groupsig.GroupKey{}"
	}
	return fmt.Sprintf("groupsig.GroupKey{suite: %s, epoch: %d, gref: %s…}", gk.c.Name(), gk.epoch, hex.EncodeToString(gk.g.ref[:8]))
}

// IssuerKey is the issuer's secret γ (w = g2^γ) with the group's gpk_0.
type IssuerKey struct {
	gamma scalar
	gk    *GroupKey // epoch 0
}

// OpenerKey is the opener's secret (ξ1, ξ2) (u^ξ1 = h = v^ξ2) with the
// group's gpk_0. One opener key serves every epoch.
type OpenerKey struct {
	xi1, xi2 scalar
	gk       *GroupKey // epoch 0
}

// GroupKey returns gpk_0 of the issuer's group.
func (ik *IssuerKey) GroupKey() *GroupKey { return ik.gk }

// GroupKey returns gpk_0 of the opener's group.
func (ok *OpenerKey) GroupKey() *GroupKey { return ok.gk }

// MarshalBinary returns suite ‖ 81 ‖ γ ‖ gpk_0 (this project's encoding).
func (ik *IssuerKey) MarshalBinary() ([]byte, error) {
	if ik == nil || ik.gk == nil {
		return nil, fmt.Errorf("%w: zero issuer key", ErrMalformed)
	}
	c := ik.gk.c
	return append(c.AppendScalar([]byte{c.suite, kindIssuerKey}, ik.gamma), ik.gk.g.gpk0...), nil
}

// UnmarshalBinary decodes an issuer key and checks w = g2^γ.
func (ik *IssuerKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "issuer key", kindIssuerKey)
	gamma := r.scalar("gamma")
	r.nonzero(gamma, "gamma")
	gk, err := r.nestedGroupKey()
	if err != nil {
		return err
	}
	c := gk.c
	if !c.EqualG2(c.MulG2(c.G2Generator(), gamma), gk.g.w) {
		return fmt.Errorf("%w: issuer key's γ does not match its group key", ErrInvalidKey)
	}
	*ik = IssuerKey{gamma: gamma, gk: gk}
	return nil
}

// MarshalBinary returns suite ‖ 82 ‖ ξ1 ‖ ξ2 ‖ gpk_0 (this project's
// encoding).
func (ok *OpenerKey) MarshalBinary() ([]byte, error) {
	if ok == nil || ok.gk == nil {
		return nil, fmt.Errorf("%w: zero opener key", ErrMalformed)
	}
	c := ok.gk.c
	b := c.AppendScalar([]byte{c.suite, kindOpenerKey}, ok.xi1)
	return append(c.AppendScalar(b, ok.xi2), ok.gk.g.gpk0...), nil
}

// UnmarshalBinary decodes an opener key and checks u^ξ1 = h = v^ξ2.
func (ok *OpenerKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opener key", kindOpenerKey)
	xi1, xi2 := r.scalar("xi1"), r.scalar("xi2")
	r.nonzero(xi1, "xi1")
	r.nonzero(xi2, "xi2")
	gk, err := r.nestedGroupKey()
	if err != nil {
		return err
	}
	c, g := gk.c, gk.g
	if !c.EqualG1(c.MulCT(g.u, xi1), g.h) || !c.EqualG1(c.MulCT(g.v, xi2), g.h) {
		return fmt.Errorf("%w: opener key's ξ1, ξ2 do not match its group key", ErrInvalidKey)
	}
	*ok = OpenerKey{xi1: xi1, xi2: xi2, gk: gk}
	return nil
}

// nestedGroupKey decodes the rest of r as a gpk_0 of r's suite.
func (r *reader) nestedGroupKey() (*GroupKey, error) {
	if r.err != nil {
		return nil, r.err
	}
	rest := r.b
	r.b = nil
	if len(rest) > 0 && rest[0] != r.c.suite {
		return nil, fmt.Errorf("%w: %s of suite %s holds a group key of suite 0x%02x", ErrWrongSuite, r.what, r.c.Name(), rest[0])
	}
	gk := new(GroupKey)
	if err := gk.UnmarshalBinary(rest); err != nil {
		return nil, fmt.Errorf("%s: %w", r.what, err)
	}
	if gk.epoch != 0 {
		return nil, fmt.Errorf("%w: %s holds the group key of epoch %d, want gpk_0", ErrMalformed, r.what, gk.epoch)
	}
	return gk, nil
}

// IssuerProof proves knowledge of γ with w = g2^γ (§2):
// suite ‖ 02 ‖ c ‖ s, 66 bytes.
type IssuerProof struct {
	c     curve
	ch, s scalar
}

// OpenerProof proves knowledge of ξ1, ξ2 with u^ξ1 = h = v^ξ2 (§2):
// suite ‖ 0A ‖ c ‖ s1 ‖ s2, 98 bytes.
type OpenerProof struct {
	c          curve
	ch, s1, s2 scalar
}

// MarshalBinary returns the 66-byte encoding.
func (p *IssuerProof) MarshalBinary() ([]byte, error) {
	if p == nil || p.c == nil {
		return nil, fmt.Errorf("%w: zero issuer proof", ErrMalformed)
	}
	return p.c.AppendScalar(p.c.AppendScalar([]byte{p.c.suite, kindIssuerProof}, p.ch), p.s), nil
}

// UnmarshalBinary decodes an issuer proof (scalars below r).
func (p *IssuerProof) UnmarshalBinary(b []byte) error {
	r := newReader(b, "issuer proof", kindIssuerProof)
	if r.err == nil {
		r.fixedLen(len(b), 2+2*scalarSize)
	}
	out := IssuerProof{c: r.c, ch: r.scalar("c"), s: r.scalar("s")}
	if err := r.end(); err != nil {
		return err
	}
	*p = out
	return nil
}

// MarshalBinary returns the 98-byte encoding.
func (p *OpenerProof) MarshalBinary() ([]byte, error) {
	if p == nil || p.c == nil {
		return nil, fmt.Errorf("%w: zero opener proof", ErrMalformed)
	}
	b := p.c.AppendScalar([]byte{p.c.suite, kindOpenerProof}, p.ch)
	return p.c.AppendScalar(p.c.AppendScalar(b, p.s1), p.s2), nil
}

// UnmarshalBinary decodes an opener proof (scalars below r).
func (p *OpenerProof) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opener proof", kindOpenerProof)
	if r.err == nil {
		r.fixedLen(len(b), 2+3*scalarSize)
	}
	out := OpenerProof{c: r.c, ch: r.scalar("c"), s1: r.scalar("s1"), s2: r.scalar("s2")}
	if err := r.end(); err != nil {
		return err
	}
	*p = out
	return nil
}

func issuerChallenge(gk *GroupKey, kw pointG2) scalar {
	c := gk.c
	return c.hashScalar(c.dst.issuer, c.AppendG2(append([]byte(nil), gk.g.gpk0...), kw))
}

func openerChallenge(gk *GroupKey, k1, k2 pointG1) scalar {
	c := gk.c
	in := append([]byte(nil), gk.g.gpk0...)
	for _, k := range c.CompressG1(k1, k2) {
		in = append(in, k...)
	}
	return c.hashScalar(c.dst.opener, in)
}

// Verify checks the issuer proof against the group (any epoch of it):
// Kw = g2^s·w^(−c) and c = H_ISSUER(gpk_0 ‖ Kw).
func (p *IssuerProof) Verify(gk *GroupKey) error {
	if err := usable(gk); err != nil {
		return err
	}
	if p == nil || p.c == nil {
		return fmt.Errorf("%w: zero issuer proof", ErrMalformed)
	}
	if err := sameSuite("issuer proof", p.c, gk.c); err != nil {
		return err
	}
	c := gk.c
	kw := c.AddG2(c.MulG2(c.G2Generator(), p.s), c.MulG2(gk.g.w, c.Neg(p.ch)))
	if !c.Equal(issuerChallenge(gk, kw), p.ch) {
		return fmt.Errorf("%w: issuer proof does not prove knowledge of γ for this group", ErrInvalidProof)
	}
	return nil
}

// Verify checks the opener proof against the group (any epoch of it):
// K1 = u^s1·h^(−c), K2 = v^s2·h^(−c) and c = H_OPENER(gpk_0 ‖ K1 ‖ K2).
func (p *OpenerProof) Verify(gk *GroupKey) error {
	if err := usable(gk); err != nil {
		return err
	}
	if p == nil || p.c == nil {
		return fmt.Errorf("%w: zero opener proof", ErrMalformed)
	}
	if err := sameSuite("opener proof", p.c, gk.c); err != nil {
		return err
	}
	c, t := gk.c, gk.g.tables(gk.c)
	negC := c.Neg(p.ch)
	k1 := c.SumVT([]fixedBase{t.u, t.h}, []scalar{p.s1, negC}, nil, nil)
	k2 := c.SumVT([]fixedBase{t.v, t.h}, []scalar{p.s2, negC}, nil, nil)
	if !c.Equal(openerChallenge(gk, k1, k2), p.ch) {
		return fmt.Errorf("%w: opener proof does not prove knowledge of ξ1, ξ2 for this group", ErrInvalidProof)
	}
	return nil
}

// Setup creates a group of the suite at epoch 0: gpk_0, the issuer's and
// the opener's keys, and the two proofs that are published with gpk_0.
// rand must be a cryptographic source.
func Setup(suite Suite, rand io.Reader) (*GroupKey, *IssuerKey, *OpenerKey, *IssuerProof, *OpenerProof, error) {
	fail := func(err error) (*GroupKey, *IssuerKey, *OpenerKey, *IssuerProof, *OpenerProof, error) {
		return nil, nil, nil, nil, nil, fmt.Errorf("setup: %w", err)
	}
	c := curveOf(byte(suite))
	if c == nil {
		return fail(fmt.Errorf("%w: suite 0x%02x is not implemented by this build", ErrWrongSuite, byte(suite)))
	}
	g := new(group)
	if _, err := io.ReadFull(rand, g.gid[:]); err != nil {
		return fail(fmt.Errorf("%w: draw gid: %v", ErrRandom, err))
	}
	var s [3]scalar
	for i := range s {
		var err error
		if s[i], err = randomNonzero(c, rand); err != nil {
			return fail(err)
		}
	}
	gamma, xi1, xi2 := s[0], s[1], s[2]
	var err error
	if g.h, err = c.hashG1(c.dst.hgH, g.gid[:]); err != nil {
		return fail(err)
	}
	g.u, g.v = c.MulCT(g.h, c.Inv(xi1)), c.MulCT(g.h, c.Inv(xi2))
	g.w = c.MulG2(c.G2Generator(), gamma)
	g.gpk0 = make([]byte, 0, groupKeySize(c))
	g.gpk0 = append(append(g.gpk0, c.suite, kindGroupKey), g.gid[:]...)
	g.gpk0 = binary.BigEndian.AppendUint64(g.gpk0, 0)
	for _, p := range c.CompressG1(g.u, g.v) {
		g.gpk0 = append(g.gpk0, p...)
	}
	g.gpk0 = c.AppendG2(g.gpk0, g.w)
	if err := g.derive(c); err != nil {
		return fail(err)
	}
	gk, err := newGroupKey(c, g, 0)
	if err != nil {
		return fail(err)
	}
	ik := &IssuerKey{gamma: gamma, gk: gk}
	ok := &OpenerKey{xi1: xi1, xi2: xi2, gk: gk}
	ip, err := ik.prove(rand)
	if err != nil {
		return fail(err)
	}
	op, err := ok.prove(rand)
	if err != nil {
		return fail(err)
	}
	return gk, ik, ok, ip, op, nil
}

// prove makes the issuer proof with a hedged nonce (§4.1, kind 02).
func (ik *IssuerKey) prove(rand io.Reader) (*IssuerProof, error) {
	gk := ik.gk
	c := gk.c
	n, err := newNonces(c, kindIssuerProof, c.AppendScalar(nil, ik.gamma), gk.g.gpk0, rand)
	if err != nil {
		return nil, fmt.Errorf("issuer proof: %w", err)
	}
	defer n.wipe()
	k := n.next()
	ch := issuerChallenge(gk, c.MulG2(c.G2Generator(), k))
	return &IssuerProof{c: c, ch: ch, s: c.Add(k, c.Mul(ch, ik.gamma))}, nil
}

// prove makes the opener proof with hedged nonces (§4.1, kind 0A).
func (ok *OpenerKey) prove(rand io.Reader) (*OpenerProof, error) {
	gk := ok.gk
	c, t := gk.c, gk.g.tables(gk.c)
	n, err := newNonces(c, kindOpenerProof, c.AppendScalar(c.AppendScalar(nil, ok.xi1), ok.xi2), gk.g.gpk0, rand)
	if err != nil {
		return nil, fmt.Errorf("opener proof: %w", err)
	}
	defer n.wipe()
	k1, k2 := n.next(), n.next()
	ch := openerChallenge(gk, c.FixedMulCT(t.u, k1), c.FixedMulCT(t.v, k2))
	return &OpenerProof{c: c, ch: ch, s1: c.Add(k1, c.Mul(ch, ok.xi1)), s2: c.Add(k2, c.Mul(ch, ok.xi2))}, nil
}

// maxDraws bounds every loop that rejects a random value: a source that
// keeps producing rejected values is broken, and gets an error, not a hang.
const maxDraws = 16

func randomNonzero(c curve, rand io.Reader) (scalar, error) {
	for range maxDraws {
		s, err := c.RandomScalar(rand)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRandom, err)
		}
		if !c.IsZero(s) {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: %d zero scalars in a row", ErrRandom, maxDraws)
}

// nonces derives the hedged prover nonces of §4.1:
// n_i = H_NONCE(u8(kind) ‖ secret ‖ msg ‖ ρ ‖ u32be(i)), ρ 32 fresh bytes.
type nonces struct {
	c      curve
	prefix []byte
	i      uint32
}

func newNonces(c curve, kind byte, secret, msg []byte, rand io.Reader) (*nonces, error) {
	p := make([]byte, 0, 1+len(secret)+len(msg)+32+4)
	p = append(append(append(p, kind), secret...), msg...)
	var rho [32]byte
	if _, err := io.ReadFull(rand, rho[:]); err != nil {
		clear(p)
		return nil, fmt.Errorf("%w: draw ρ: %v", ErrRandom, err)
	}
	return &nonces{c: c, prefix: append(p, rho[:]...)}, nil
}

func (n *nonces) next() scalar {
	in := binary.BigEndian.AppendUint32(n.prefix, n.i)
	n.i++
	s := n.c.hashScalar(n.c.dst.nonce, in)
	n.prefix = in[:len(in)-4]
	return s
}

// nextNonzero takes values until one is nonzero (§4.1: a zero is skipped).
func (n *nonces) nextNonzero() (scalar, error) {
	for range maxDraws {
		if s := n.next(); !n.c.IsZero(s) {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: %d zero nonces in a row", ErrRandom, maxDraws)
}

// wipe clears the secret the nonces were derived from.
func (n *nonces) wipe() { clear(n.prefix[:cap(n.prefix)]) }
