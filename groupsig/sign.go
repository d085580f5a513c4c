package groupsig

import (
	"encoding/binary"
	"fmt"
	"io"
)

// signatureSize is the size of an untagged (06) or tagged (07) signature.
func signatureSize(c curve, tagged bool) int {
	n := 2 + 3*c.G1Size() + 7*scalarSize
	if tagged {
		n += c.G1Size()
	}
	return n
}

// signCtx is ctx of §4: u64be(len m) ‖ m, and ‖ sc(S) when tagged.
func signCtx(msg, scope []byte) []byte {
	ctx := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(msg)+1+len(scope)), uint64(len(msg)))
	ctx = append(ctx, msg...)
	if scope != nil {
		ctx = appendSc(ctx, scope)
	}
	return ctx
}

func sigKind(scope []byte) byte {
	if scope != nil {
		return kindTagged
	}
	return kindSignature
}

// signature is a parsed group signature (§4). Parsing checks the
// encoding only.
type signature struct {
	c                            curve
	kind                         byte
	t1, t2, t3, tau              pointG1 // tau only for kind 07
	ch, sa, sb, sx, sd1, sd2, sy scalar
	enc                          []byte
}

func parseSignature(b []byte) (*signature, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: signature is %d bytes, too short", ErrMalformed, len(b))
	}
	kind := byte(kindSignature)
	if b[1] == kindTagged {
		kind = kindTagged
	}
	r := newReader(b, "signature", kind)
	if r.err == nil {
		r.fixedLen(len(b), signatureSize(r.c, kind == kindTagged))
	}
	s := &signature{c: r.c, kind: kind}
	s.t1, s.t2, s.t3 = r.g1("T1"), r.g1("T2"), r.g1("T3")
	if kind == kindTagged {
		s.tau = r.g1("tau")
	}
	s.ch, s.sa, s.sb = r.scalar("c"), r.scalar("s_alpha"), r.scalar("s_beta")
	s.sx, s.sd1, s.sd2, s.sy = r.scalar("s_x"), r.scalar("s_delta1"), r.scalar("s_delta2"), r.scalar("s_y")
	if err := r.end(); err != nil {
		return nil, err
	}
	s.enc = append([]byte(nil), b...)
	return s, nil
}

// points returns the encoding of T1 ‖ T2 ‖ T3 ‖ [τ] as received.
func (s *signature) points() []byte {
	n := 3
	if s.kind == kindTagged {
		n = 4
	}
	return s.enc[2 : 2+n*s.c.G1Size()]
}

// signChallenge is H_SIGN(gpk_e ‖ kind ‖ ctx ‖ T1 ‖ T2 ‖ T3 ‖ [τ] ‖ R1 ‖ R2
// ‖ R3 ‖ R4 ‖ R5 ‖ [R6]); rs holds R1, R2, R4, R5 [, R6] compressed.
func signChallenge(gk *GroupKey, kind byte, ctx, points []byte, rs [][]byte, r3 gtElem) scalar {
	c := gk.c
	in := make([]byte, 0, len(gk.enc)+1+len(ctx)+len(points)+5*c.G1Size()+c.GTSize())
	in = append(append(append(in, gk.enc...), kind), ctx...)
	in = append(append(append(in, points...), rs[0]...), rs[1]...)
	in = c.AppendGT(in, r3)
	in = append(append(in, rs[2]...), rs[3]...)
	if len(rs) == 5 {
		in = append(in, rs[4]...)
	}
	return c.hashScalar(c.dst.sign, in)
}

// Sign signs msg with the member key under gk, the group key of the
// key's epoch. With a non-nil scope S (1..255 bytes) the signature is
// tagged (kind 07) and carries τ = B_S^y, the same for every signature of
// this member in scope S ("one action per member per scope"); with a nil
// scope it is untagged (06) and unlinkable. Nonces are hedged (§4.1):
// derived from the key, the message and 32 bytes of rand. For BLS12-381
// every operation on A, x, y and the nonces is constant time.
func Sign(gk *GroupKey, mk *MemberKey, msg, scope []byte, rand io.Reader) ([]byte, error) {
	if err := mk.bound(gk); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var bs pointG1
	if scope != nil {
		if err := CheckScope(scope); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
		var err error
		if bs, err = gk.tagBase(scope); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	c, t := gk.c, gk.g.tables(gk.c)
	kind, ctx := sigKind(scope), signCtx(msg, scope)

	secret := mk.encode()
	n, err := newNonces(c, kind, secret, append(append(append([]byte(nil), gk.enc...), kind), ctx...), rand)
	clear(secret)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	defer n.wipe()
	alpha, err := n.nextNonzero()
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var beta, ab scalar
	for range maxDraws {
		if beta = n.next(); c.IsZero(beta) {
			continue
		}
		if ab = c.Add(alpha, beta); !c.IsZero(ab) { // α + β = 0 would make T3 = A
			break
		}
	}
	if beta == nil || c.IsZero(beta) || c.IsZero(ab) {
		return nil, fmt.Errorf("sign: %w: no usable β", ErrRandom)
	}
	ra, rb, rx, rd1, rd2, ry := n.next(), n.next(), n.next(), n.next(), n.next(), n.next()

	d1, d2 := c.Mul(mk.x, alpha), c.Mul(mk.x, beta) // δ1 = x·α, δ2 = x·β
	t1 := c.FixedMulCT(t.u, alpha)
	t2 := c.FixedMulCT(t.v, beta)
	t3 := c.AddG1(c.FixedMulCT(t.h, ab), mk.a)
	r1 := c.FixedMulCT(t.u, ra)
	r2 := c.FixedMulCT(t.v, rb)
	// The signer knows α and β, so T1^rx·u^(−rδ1) = u^(α·rx − rδ1), and
	// likewise R5: one multiplication each instead of two.
	r4 := c.FixedMulCT(t.u, c.Sub(c.Mul(alpha, rx), rd1))
	r5 := c.FixedMulCT(t.v, c.Sub(c.Mul(beta, rx), rd2))
	// R3 = e(T3^rx · h^(−rδ1−rδ2) · h0^(−ry), g2) · e(h^(−rα−rβ), w), with
	// T3^rx = A^rx · h^((α+β)·rx).
	p1 := c.AddG1(c.AddG1(c.MulCT(mk.a, rx), c.FixedMulCT(t.h, c.Sub(c.Sub(c.Mul(ab, rx), rd1), rd2))), c.FixedMulCT(t.h0, c.Neg(ry)))
	p2 := c.FixedMulCT(t.h, c.Neg(c.Add(ra, rb)))
	r3 := c.PairPreparedCT([]pointG1{p1, p2}, []prepared{t.g2, t.w})

	pts := []pointG1{t1, t2, t3, r1, r2, r4, r5}
	if bs != nil {
		pts = append(pts, c.MulCT(bs, mk.y), c.MulCT(bs, ry)) // τ, R6
	}
	enc := c.CompressG1(pts...)
	points := append(append(append([]byte(nil), enc[0]...), enc[1]...), enc[2]...)
	rs := [][]byte{enc[3], enc[4], enc[5], enc[6]}
	if bs != nil {
		points = append(points, enc[7]...)
		rs = append(rs, enc[8])
	}
	ch := signChallenge(gk, kind, ctx, points, rs, r3)

	out := make([]byte, 0, signatureSize(c, bs != nil))
	out = append(append(out, c.suite, kind), points...)
	out = c.AppendScalar(out, ch)
	for _, z := range [][2]scalar{{ra, alpha}, {rb, beta}, {rx, mk.x}, {rd1, d1}, {rd2, d2}, {ry, mk.y}} {
		out = c.AppendScalar(out, c.Add(z[0], c.Mul(ch, z[1])))
	}
	return out, nil
}

// Verify checks that sig is a group signature on msg by a member of the
// group at gk's epoch, untagged when scope is nil and tagged in scope
// otherwise (a scope with an untagged signature, or none with a tagged
// one, is refused). It returns τ, compressed, for a tagged signature and
// nil for an untagged one. Errors wrap ErrMalformed, ErrWrongSuite or
// ErrInvalidSignature.
//
// A signature verifies only under the key of its own epoch (gpk_e is
// hashed), and stays valid under it forever, revoked or not: callers
// verify under the ledger's current key or an epoch the application
// fixes (§4). A tag consumer keys its tag set by (gref, S).
func Verify(gk *GroupKey, msg, scope, sig []byte) (tag []byte, err error) {
	s, err := parseSignature(sig)
	if err != nil {
		return nil, err
	}
	if err := s.verify(gk, msg, scope); err != nil {
		return nil, err
	}
	if s.tau != nil {
		return s.enc[2+3*s.c.G1Size() : 2+4*s.c.G1Size()], nil
	}
	return nil, nil
}

// TagOf returns τ of a tagged signature's encoding, or nil for any other
// bytes. It decodes nothing: use it only on a signature Verify accepted
// (a ledger keeps the tags of signatures it verified once).
func TagOf(sig []byte) []byte {
	if len(sig) < 2 || sig[1] != kindTagged {
		return nil
	}
	c := curveOf(sig[0])
	if c == nil || len(sig) != signatureSize(c, true) {
		return nil
	}
	return append([]byte(nil), sig[2+3*c.G1Size():2+4*c.G1Size()]...)
}

// IsTagged reports whether sig's encoding is of a tagged signature (kind
// 07); like TagOf it checks nothing else.
func IsTagged(sig []byte) bool { return len(sig) >= 2 && sig[1] == kindTagged }

// SignatureSizes lists every encoded size a signature of this build can
// have (untagged and tagged, per suite), for a container's size checks.
func SignatureSizes() []int {
	var out []int
	for _, s := range Suites() {
		c := curveOf(byte(s))
		out = append(out, signatureSize(c, false), signatureSize(c, true))
	}
	return out
}

// verify recomputes R1..R6 from public data with variable-time arithmetic:
// each R_i (and each pairing input) is one SumVT over the group's
// fixed-base tables and the small tables of T1, T2, T3 (τ and B_S), which
// the decoder's subgroup checks half built.
func (s *signature) verify(gk *GroupKey, msg, scope []byte) error {
	if err := usable(gk); err != nil {
		return err
	}
	c := gk.c
	if err := sameSuite("signature", s.c, c); err != nil {
		return err
	}
	switch {
	case scope == nil && s.kind == kindTagged:
		return fmt.Errorf("%w: a tagged signature where no scope was given", ErrInvalidSignature)
	case scope != nil && s.kind != kindTagged:
		return fmt.Errorf("%w: an untagged signature where scope %q requires a tag", ErrInvalidSignature, scope)
	}
	var vbs varBase
	if scope != nil {
		if err := CheckScope(scope); err != nil {
			return err
		}
		var err error
		if vbs, err = gk.tagTable(scope); err != nil {
			return err
		}
	}
	rs, p1, p2 := s.recompute(gk, vbs)
	t := gk.g.tables(c)
	r3 := c.PairPreparedVT([]pointG1{p1, p2}, []prepared{t.g2, t.w})
	if !c.Equal(signChallenge(gk, s.kind, signCtx(msg, scope), s.points(), c.CompressG1(rs...), r3), s.ch) {
		return fmt.Errorf("%w: challenge does not match under group key epoch %d", ErrInvalidSignature, gk.epoch)
	}
	return nil
}

// recompute returns R1, R2, R4, R5 [, R6] and the G1 inputs of R3 =
// e(p1, g2)·e(p2, w), each one SumVT: vbs is B_S's table for a tagged
// signature, nil otherwise.
func (s *signature) recompute(gk *GroupKey, vbs varBase) (rs []pointG1, p1, p2 pointG1) {
	c, t := gk.c, gk.g.tables(gk.c)
	negC := c.Neg(s.ch)
	vt1, vt2, vt3 := c.VarBase(s.t1), c.VarBase(s.t2), c.VarBase(s.t3)
	sum := func(fs []fixedBase, fk []scalar, v varBase, vk scalar) pointG1 {
		return c.SumVT(fs, fk, []varBase{v}, []scalar{vk})
	}
	// R1 = u^sα·T1^(−c), R2 = v^sβ·T2^(−c)
	r1 := sum([]fixedBase{t.u}, []scalar{s.sa}, vt1, negC)
	r2 := sum([]fixedBase{t.v}, []scalar{s.sb}, vt2, negC)
	// R4 = T1^sx·u^(−sδ1), R5 = T2^sx·v^(−sδ2)
	r4 := sum([]fixedBase{t.u}, []scalar{c.Neg(s.sd1)}, vt1, s.sx)
	r5 := sum([]fixedBase{t.v}, []scalar{c.Neg(s.sd2)}, vt2, s.sx)
	// R3's p1 = T3^sx · h^(−sδ1−sδ2) · h0^(−sy) · g1_e^(−c), p2 = h^(−sα−sβ) · T3^c
	p1 = sum([]fixedBase{t.h, t.h0, gk.g1Table()}, []scalar{c.Neg(c.Add(s.sd1, s.sd2)), c.Neg(s.sy), negC}, vt3, s.sx)
	p2 = sum([]fixedBase{t.h}, []scalar{c.Neg(c.Add(s.sa, s.sb))}, vt3, s.ch)
	rs = []pointG1{r1, r2, r4, r5}
	if vbs != nil {
		// R6 = B_S^sy·τ^(−c)
		rs = append(rs, c.SumVT(nil, nil, []varBase{vbs, c.VarBase(s.tau)}, []scalar{s.sy, negC}))
	}
	return rs, p1, p2
}
