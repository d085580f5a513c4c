package groupsig

import (
	"fmt"
	"io"
)

// Opening names the certificate A behind a group signature and proves it
// (§5): suite ‖ 08 ‖ A ‖ c ‖ s1 ‖ s2 (146 bytes for BLS12-381), a proof of
// knowledge of the opener's ξ1, ξ2 with u^ξ1 = h = v^ξ2 and
// T3/A = T1^ξ1·T2^ξ2, bound to gpk_e, the signature and its context.
type Opening struct {
	c          curve
	a          pointG1
	ch, s1, s2 scalar
}

func openingSize(c curve) int { return 2 + c.G1Size() + 3*scalarSize }

// A is the compressed certificate the opening names.
func (o *Opening) A() []byte { return o.c.CompressG1(o.a)[0] }

// MarshalBinary returns the encoding.
func (o *Opening) MarshalBinary() ([]byte, error) {
	if o == nil || o.c == nil {
		return nil, fmt.Errorf("%w: zero opening", ErrMalformed)
	}
	c := o.c
	b := c.appendG1([]byte{c.suite, kindOpening}, o.a)
	return c.AppendScalar(c.AppendScalar(c.AppendScalar(b, o.ch), o.s1), o.s2), nil
}

// UnmarshalBinary decodes an opening; VerifyOpening checks it.
func (o *Opening) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opening", kindOpening)
	if r.err == nil {
		r.fixedLen(len(b), openingSize(r.c))
	}
	out := Opening{c: r.c, a: r.g1("A")}
	out.ch, out.s1, out.s2 = r.scalar("c"), r.scalar("s1"), r.scalar("s2")
	if err := r.end(); err != nil {
		return err
	}
	*o = out
	return nil
}

// openChallenge is H_OPEN(gpk_e ‖ σ ‖ ctx ‖ A ‖ K1 ‖ K2 ‖ K3).
func openChallenge(gk *GroupKey, sig, ctx []byte, a, k1, k2, k3 pointG1) scalar {
	c := gk.c
	in := append(append(append([]byte(nil), gk.enc...), sig...), ctx...)
	for _, p := range c.CompressG1(a, k1, k2, k3) {
		in = append(in, p...)
	}
	return c.hashScalar(c.dst.open, in)
}

// Open verifies sig on msg (in scope, or untagged for a nil scope) under
// gk, the key of the signature's epoch, recovers A = T3/(T1^ξ1·T2^ξ2) and
// proves it. Opening an invalid signature is an error, not a guess. Which
// member A belongs to is the join records' (AccountableOpening). For
// BLS12-381, operations on ξ1, ξ2 and the nonces are constant time.
func Open(ok *OpenerKey, gk *GroupKey, msg, scope, sig []byte, rand io.Reader) (*Opening, error) {
	if err := usable(gk); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if ok == nil || ok.gk == nil {
		return nil, fmt.Errorf("open: %w: zero opener key", ErrMalformed)
	}
	if err := sameSuite("opener key", ok.gk.c, gk.c); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if !ok.gk.SameGroup(gk) {
		return nil, fmt.Errorf("open: %w: the opener key is not this group's", ErrWrongGroup)
	}
	s, err := parseSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if err := s.verify(gk, msg, scope); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	c, t := gk.c, gk.g.tables(gk.c)
	a := c.AddG1(s.t3, c.NegG1(c.AddG1(c.MulCT(s.t1, ok.xi1), c.MulCT(s.t2, ok.xi2))))
	ctx := signCtx(msg, scope)
	secret := c.AppendScalar(c.AppendScalar(nil, ok.xi1), ok.xi2)
	n, err := newNonces(c, kindOpening, secret, append(append(append([]byte(nil), gk.enc...), s.enc...), ctx...), rand)
	clear(secret)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer n.wipe()
	k1, k2 := n.next(), n.next()
	k3 := c.AddG1(c.MulCT(s.t1, k1), c.MulCT(s.t2, k2))
	ch := openChallenge(gk, s.enc, ctx, a, c.FixedMulCT(t.u, k1), c.FixedMulCT(t.v, k2), k3)
	return &Opening{c: c, a: a, ch: ch, s1: c.Add(k1, c.Mul(ch, ok.xi1)), s2: c.Add(k2, c.Mul(ch, ok.xi2))}, nil
}

// VerifyOpening checks, from public data alone, that sig on msg (in scope,
// or untagged) verifies under gk and that o names its A: K1 = u^s1·h^(−c),
// K2 = v^s2·h^(−c), K3 = T1^s1·T2^s2·(T3/A)^(−c), c = H_OPEN(…). The
// proof's soundness is unconditional (§8): no other A has a valid one.
func VerifyOpening(gk *GroupKey, msg, scope, sig []byte, o *Opening) error {
	if err := usable(gk); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	if o == nil || o.c == nil {
		return fmt.Errorf("verify opening: %w: zero opening", ErrMalformed)
	}
	if err := sameSuite("opening", o.c, gk.c); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	s, err := parseSignature(sig)
	if err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	if err := s.verify(gk, msg, scope); err != nil {
		return fmt.Errorf("verify opening: %w", err)
	}
	c, t := gk.c, gk.g.tables(gk.c)
	negC := c.Neg(o.ch)
	k1 := c.SumVT([]fixedBase{t.u, t.h}, []scalar{o.s1, negC}, nil, nil)
	k2 := c.SumVT([]fixedBase{t.v, t.h}, []scalar{o.s2, negC}, nil, nil)
	k3 := c.MultiMulVT([]pointG1{s.t1, s.t2, c.AddG1(s.t3, c.NegG1(o.a))}, []scalar{o.s1, o.s2, negC})
	if !c.Equal(openChallenge(gk, s.enc, signCtx(msg, scope), o.a, k1, k2, k3), o.ch) {
		return fmt.Errorf("%w: the opening does not bind this signature to its A", ErrInvalidProof)
	}
	return nil
}
