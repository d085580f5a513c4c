package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Threshold opening, SPEC-groupsig-v2-threshold-opening §2 and §3: t
// authorities consent (0F) to open a signature σ, then each releases a
// partial opening D_i = T1^ξ1_i·T2^ξ2_i with a proof (0D), and any t
// valid partials combine into the threshold opening (0E), which names
// A = T3/∏D_i^(λ_i) to anyone. A completed opening is public.

// partialHeader is cref ‖ u64be(e) ‖ sref, the header of a consent, a
// partial and a threshold opening: the committee, σ's epoch and
// sref = SHA-256(σ).
type partialHeader struct {
	cref  [32]byte
	epoch uint64
	sref  [32]byte
}

const headerSize = 32 + 8 + 32

func (h partialHeader) appendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(append(b, h.cref[:]...), h.epoch)
	return append(b, h.sref[:]...)
}

func (r *reader) header() partialHeader {
	var h partialHeader
	copy(h.cref[:], r.next(32, "cref"))
	h.epoch = r.uint64("epoch")
	copy(h.sref[:], r.next(32, "sref"))
	return h
}

// partialEntry is u8(i) ‖ D_i ‖ c ‖ s1 ‖ s2 ‖ sig_i: a partial opening
// without its header, and an entry of a threshold opening.
type partialEntry struct {
	i          int
	d          pointG1
	ch, s1, s2 scalar
	sig        []byte
	raw        []byte // the entry as encoded
}

func entrySize(c curve) int { return 1 + c.G1Size() + 3*scalarSize + ed25519.SignatureSize }

func (r *reader) entry(prefix string) partialEntry {
	start := r.b
	var e partialEntry
	e.i = r.index()
	e.d = r.g1(prefix + "D_i")
	e.ch, e.s1, e.s2 = r.scalar(prefix+"c"), r.scalar(prefix+"s1"), r.scalar(prefix+"s2")
	e.sig = r.bytes(ed25519.SignatureSize, prefix+"sig_i")
	if r.err == nil {
		e.raw = bytes.Clone(start[:entrySize(r.c)])
	}
	return e
}

// partialBody is what authority i signs for an entry: its 0D encoding
// up to sig_i, suite ‖ 0D ‖ cref ‖ u64be(e) ‖ sref ‖ u8(i) ‖ D_i ‖ c ‖ s1 ‖ s2.
func partialBody(c curve, h partialHeader, raw []byte) []byte {
	b := h.appendTo([]byte{c.suite, kindPartial})
	return append(b, raw[:len(raw)-ed25519.SignatureSize]...)
}

// Consent is authority i's signed consent to open σ (§2 phase 1, kind
// 0F): suite ‖ 0F ‖ cref ‖ u64be(e) ‖ sref ‖ u8(i) ‖ sig_i, 139 bytes. It
// carries no D_i; an authority releases its partial opening only after
// checking t consents itself.
type Consent struct {
	c   curve
	hdr partialHeader
	i   int
	sig []byte
	enc []byte
}

func consentSize() int { return 2 + headerSize + 1 + ed25519.SignatureSize }

// CommitteeRef is the cref the consent is under.
func (cs *Consent) CommitteeRef() [32]byte { return cs.hdr.cref }

// Epoch is σ's epoch e.
func (cs *Consent) Epoch() uint64 { return cs.hdr.epoch }

// SigRef is sref = SHA-256(σ).
func (cs *Consent) SigRef() [32]byte { return cs.hdr.sref }

// Index is the consenting authority's index i.
func (cs *Consent) Index() int { return cs.i }

// MarshalBinary returns the 139-byte encoding.
func (cs *Consent) MarshalBinary() ([]byte, error) {
	if cs == nil || cs.c == nil {
		return nil, fmt.Errorf("%w: zero consent", ErrMalformed)
	}
	return bytes.Clone(cs.enc), nil
}

// UnmarshalBinary decodes a consent (index ≥ 1); Verify checks it.
func (cs *Consent) UnmarshalBinary(b []byte) error {
	r := newReader(b, "consent", kindConsent)
	if r.err == nil {
		r.fixedLen(len(b), consentSize())
	}
	out := Consent{c: r.c, hdr: r.header(), i: r.index()}
	out.sig = r.bytes(ed25519.SignatureSize, "sig_i")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = bytes.Clone(b)
	*cs = out
	return nil
}

// NewConsent is authority i's consent to open sig, a signature of epoch
// e, under the committee, signed with its identity key idsk (the
// committee's idpk_i). sig must decode as a signature of the committee's
// suite; that it is on the ledger at e is the caller's to know.
func NewConsent(cm *Committee, epoch uint64, sig []byte, i int, idsk ed25519.PrivateKey) (*Consent, error) {
	if err := cm.ok(); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	if err := cm.signer(i, idsk); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	s, err := parseSignature(sig)
	if err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	if err := sameSuite("signature", s.c, cm.c); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	c := cm.c
	body := partialHeader{cref: cm.Ref(), epoch: epoch, sref: sha256.Sum256(sig)}.appendTo([]byte{c.suite, kindConsent})
	body = append(body, byte(i))
	out := new(Consent)
	if err := out.UnmarshalBinary(append(body, authoritySign(c, idsk, body)...)); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	return out, nil
}

// Verify checks the consent against the committee: cref, 1 ≤ i ≤ n and
// sig_i under idpk_i (§3.1). That σ is on the ledger at e, and one
// consent per authority, are the ledger's.
func (cs *Consent) Verify(cm *Committee) error {
	if cs == nil || cs.c == nil {
		return fmt.Errorf("%w: zero consent", ErrMalformed)
	}
	if err := cm.ok(); err != nil {
		return err
	}
	if err := sameSuite("consent", cs.c, cm.c); err != nil {
		return err
	}
	if cs.hdr.cref != cm.Ref() {
		return fmt.Errorf("%w: the consent is under another committee", ErrWrongGroup)
	}
	if err := cm.index(cs.i); err != nil {
		return err
	}
	return cm.checkAuthoritySig(cs.i, cs.enc[:len(cs.enc)-ed25519.SignatureSize], cs.sig, "the consent")
}

// checkConsents is the release rule's count: t consents for (cref, e,
// sref), valid under the committee, by t distinct authorities.
func checkConsents(cm *Committee, h partialHeader, consents []*Consent) error {
	seen := map[int]bool{}
	for _, cs := range consents {
		if cs != nil && cs.c != nil && cs.hdr == h && cs.Verify(cm) == nil {
			seen[cs.i] = true
		}
	}
	if len(seen) < cm.t {
		return fmt.Errorf("%w: %d valid consents by distinct authorities for this signature, the release rule needs t = %d", ErrInvalidProof, len(seen), cm.t)
	}
	return nil
}

// PartialOpening is authority i's share of an opening (§2 phase 2, kind
// 0D): suite ‖ 0D ‖ cref ‖ u64be(e) ‖ sref ‖ u8(i) ‖ D_i ‖ c ‖ s1 ‖ s2 ‖
// sig_i, 283 bytes for BLS12-381 (267 for BN254), with D_i =
// T1^ξ1_i·T2^ξ2_i and a proof that D_i, Y1_i, Y2_i share ξ1_i, ξ2_i.
type PartialOpening struct {
	c   curve
	hdr partialHeader
	e   partialEntry
	enc []byte
}

func partialSize(c curve) int { return 2 + headerSize + entrySize(c) }

// CommitteeRef is the cref the partial is under.
func (p *PartialOpening) CommitteeRef() [32]byte { return p.hdr.cref }

// Epoch is σ's epoch e.
func (p *PartialOpening) Epoch() uint64 { return p.hdr.epoch }

// SigRef is sref = SHA-256(σ).
func (p *PartialOpening) SigRef() [32]byte { return p.hdr.sref }

// Index is the authority index i.
func (p *PartialOpening) Index() int { return p.e.i }

// MarshalBinary returns the encoding.
func (p *PartialOpening) MarshalBinary() ([]byte, error) {
	if p == nil || p.c == nil {
		return nil, fmt.Errorf("%w: zero partial opening", ErrMalformed)
	}
	return bytes.Clone(p.enc), nil
}

// UnmarshalBinary decodes a partial opening (index ≥ 1, D_i a point of
// G1 other than the identity, scalars below r); Verify checks it.
func (p *PartialOpening) UnmarshalBinary(b []byte) error {
	r := newReader(b, "partial opening", kindPartial)
	if r.err == nil {
		r.fixedLen(len(b), partialSize(r.c))
	}
	out := PartialOpening{c: r.c, hdr: r.header(), e: r.entry("")}
	if err := r.end(); err != nil {
		return err
	}
	out.enc = bytes.Clone(b)
	*p = out
	return nil
}

// topenChallenge is H_TOPEN(gpk_e ‖ cref ‖ u8(i) ‖ σ ‖ ctx ‖ D_i ‖ K1 ‖
// K2 ‖ K3).
func topenChallenge(gk *GroupKey, cref [32]byte, i int, sig, ctx []byte, d, k1, k2, k3 pointG1) scalar {
	c := gk.c
	in := append(append(append([]byte(nil), gk.enc...), cref[:]...), byte(i))
	in = append(append(in, sig...), ctx...)
	for _, p := range c.CompressG1(d, k1, k2, k3) {
		in = append(in, p...)
	}
	return c.hashScalar(c.dst.topen, in)
}

// NewPartialOpening is authority i's partial opening of sig on msg (in
// scope, or untagged for nil) under gk, the key of σ's epoch, with its
// share and identity key idsk (the committee's idpk_i). It enforces what
// the release rule (§2) lets a library check: the share checks against
// the committee, σ verifies under gk, and consents holds t valid consents
// for (cref, e, sref) by t distinct authorities. The rest of the rule is
// the caller's, read from its own node: the committee is active and σ is
// on the ledger. Nonces are hedged (§4.1 extended, kind 0D); for
// BLS12-381 operations on the share and the nonces are constant time.
func NewPartialOpening(gk *GroupKey, cm *Committee, sh *Share, msg, scope, sig []byte, consents []*Consent, idsk ed25519.PrivateKey, rand io.Reader) (*PartialOpening, error) {
	fail := func(err error) (*PartialOpening, error) { return nil, fmt.Errorf("partial opening: %w", err) }
	if err := sh.Check(gk, cm); err != nil {
		return fail(err)
	}
	if err := cm.signer(sh.i, idsk); err != nil {
		return fail(err)
	}
	s, err := parseSignature(sig)
	if err != nil {
		return fail(err)
	}
	if err := s.verify(gk, msg, scope); err != nil {
		return fail(err)
	}
	h := partialHeader{cref: cm.Ref(), epoch: gk.epoch, sref: sha256.Sum256(sig)}
	if err := checkConsents(cm, h, consents); err != nil {
		return fail(err)
	}
	c := gk.c
	ctx := signCtx(msg, scope)
	nmsg := append(append(append(append([]byte(nil), gk.enc...), h.cref[:]...), byte(sh.i)), sig...)
	secret := sh.secret()
	n, err := newNonces(c, kindPartial, secret, append(nmsg, ctx...), rand)
	clear(secret)
	if err != nil {
		return fail(err)
	}
	defer n.wipe()
	return newPartialOpening(gk, h, sh, s, ctx, idsk, n)
}

func newPartialOpening(gk *GroupKey, h partialHeader, sh *Share, s *signature, ctx []byte, idsk ed25519.PrivateKey, n nonceSource) (*PartialOpening, error) {
	c, t := gk.c, gk.g.tables(gk.c)
	k1, k2 := n.next(), n.next()
	d := c.AddG1(c.MulCT(s.t1, sh.xi1), c.MulCT(s.t2, sh.xi2))
	k3 := c.AddG1(c.MulCT(s.t1, k1), c.MulCT(s.t2, k2))
	ch := topenChallenge(gk, h.cref, sh.i, s.enc, ctx, d, c.FixedMulCT(t.u, k1), c.FixedMulCT(t.v, k2), k3)
	body := append(h.appendTo([]byte{c.suite, kindPartial}), byte(sh.i))
	body = c.AppendScalar(c.appendG1(body, d), ch)
	body = c.AppendScalar(c.AppendScalar(body, c.Add(k1, c.Mul(ch, sh.xi1))), c.Add(k2, c.Mul(ch, sh.xi2)))
	p := new(PartialOpening)
	if err := p.UnmarshalBinary(append(body, authoritySign(c, idsk, body)...)); err != nil {
		return nil, fmt.Errorf("partial opening: %w", err)
	}
	return p, nil
}

// sigCheck verifies σ once for all the entries that name it.
type sigCheck struct {
	gk              *GroupKey
	msg, scope, raw []byte
	done            bool
	s               *signature
	err             error
	sref            [32]byte
}

func newSigCheck(gk *GroupKey, msg, scope, sig []byte) *sigCheck {
	return &sigCheck{gk: gk, msg: msg, scope: scope, raw: sig, sref: sha256.Sum256(sig)}
}

func (v *sigCheck) get() (*signature, error) {
	if !v.done {
		v.done = true
		if v.s, v.err = parseSignature(v.raw); v.err == nil {
			v.err = v.s.verify(v.gk, v.msg, v.scope)
		}
	}
	return v.s, v.err
}

// checkHeader checks a header against the committee and gk's epoch; a
// failure names no one.
func checkHeader(gk *GroupKey, cm *Committee, c curve, h partialHeader, what string) error {
	if err := sameSuite(what, c, gk.c); err != nil {
		return err
	}
	if h.cref != cm.Ref() {
		return fmt.Errorf("%w: the %s is under another committee", ErrWrongGroup, what)
	}
	if h.epoch != gk.epoch {
		return fmt.Errorf("%w: the %s is for a signature of epoch %d, the group key is epoch %d", ErrWrongGroup, what, h.epoch, gk.epoch)
	}
	return nil
}

// checkEntry is §2's check of one partial after its header: 1 ≤ i ≤ n;
// sig_i; σ verifies under gk_e; sref = SHA-256(σ); K1 = u^s1·Y1_i^(−c),
// K2 = v^s2·Y2_i^(−c), K3 = T1^s1·T2^s2·D_i^(−c), c = H_TOPEN(…). A
// failure after sig_i is an *AuthorityError naming i.
func checkEntry(gk *GroupKey, cm *Committee, keys *committeeKeys, h partialHeader, e *partialEntry, sc *sigCheck, what string) error {
	if err := cm.index(e.i); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := cm.checkAuthoritySig(e.i, partialBody(cm.c, h, e.raw), e.sig, what); err != nil {
		return err
	}
	blame := func(err error) error { return &AuthorityError{Index: e.i, Err: fmt.Errorf("%s: %w", what, err)} }
	s, err := sc.get()
	if err != nil {
		return blame(fmt.Errorf("opens a signature that does not verify: %w", err))
	}
	if h.sref != sc.sref {
		return blame(fmt.Errorf("%w: sref is not SHA-256 of the signature", ErrWrongGroup))
	}
	c, t := gk.c, gk.g.tables(gk.c)
	negC := c.Neg(e.ch)
	k1 := c.SumVT([]fixedBase{t.u}, []scalar{e.s1}, []varBase{c.VarBase(keys.y1[e.i-1])}, []scalar{negC})
	k2 := c.SumVT([]fixedBase{t.v}, []scalar{e.s2}, []varBase{c.VarBase(keys.y2[e.i-1])}, []scalar{negC})
	k3 := c.MultiMulVT([]pointG1{s.t1, s.t2, e.d}, []scalar{e.s1, e.s2, negC})
	if !c.Equal(topenChallenge(gk, h.cref, e.i, s.enc, signCtx(sc.msg, sc.scope), e.d, k1, k2, k3), e.ch) {
		return blame(fmt.Errorf("%w: the proof does not bind D_%d to share %d", ErrInvalidProof, e.i, e.i))
	}
	return nil
}

// Verify checks the partial opening of sig on msg (in scope, or
// untagged) against the committee under gk, the key of σ's epoch, as §2
// orders it: cref and epoch, 1 ≤ i ≤ n, sig_i under idpk_i, σ verifies,
// sref = SHA-256(σ), the proof. sig must be the signature the partial
// names (the ledger's under sref). A failure after sig_i is an
// *AuthorityError naming i; one before names no one.
func (p *PartialOpening) Verify(gk *GroupKey, cm *Committee, msg, scope, sig []byte) error {
	if p == nil || p.c == nil {
		return fmt.Errorf("%w: zero partial opening", ErrMalformed)
	}
	keys, err := cm.bind(gk)
	if err != nil {
		return err
	}
	if err := checkHeader(gk, cm, p.c, p.hdr, "partial opening"); err != nil {
		return err
	}
	return checkEntry(gk, cm, keys, p.hdr, &p.e, newSigCheck(gk, msg, scope, sig), "partial opening")
}

// ThresholdOpening is a completed opening (§3, kind 0E): suite ‖ 0E ‖
// cref ‖ u64be(e) ‖ sref ‖ u8(k) ‖ k × (u8(i) ‖ D_i ‖ c ‖ s1 ‖ s2 ‖ sig_i),
// 75 + 209k bytes for BLS12-381 (193k on BN254), i strictly increasing;
// the header with entry j is authority i's partial opening byte for
// byte. It names A = T3/∏D_i^(λ_i) to anyone who checks it: a completed
// opening is public.
type ThresholdOpening struct {
	c       curve
	hdr     partialHeader
	entries []partialEntry
	enc     []byte
}

// CommitteeRef is the cref the opening is under.
func (o *ThresholdOpening) CommitteeRef() [32]byte { return o.hdr.cref }

// Epoch is σ's epoch e.
func (o *ThresholdOpening) Epoch() uint64 { return o.hdr.epoch }

// SigRef is sref = SHA-256(σ).
func (o *ThresholdOpening) SigRef() [32]byte { return o.hdr.sref }

// Indices lists the authorities whose partials the opening combines, in
// increasing order.
func (o *ThresholdOpening) Indices() []int {
	out := make([]int, len(o.entries))
	for k, e := range o.entries {
		out[k] = e.i
	}
	return out
}

// MarshalBinary returns the encoding.
func (o *ThresholdOpening) MarshalBinary() ([]byte, error) {
	if o == nil || o.c == nil {
		return nil, fmt.Errorf("%w: zero threshold opening", ErrMalformed)
	}
	return bytes.Clone(o.enc), nil
}

// UnmarshalBinary decodes a threshold opening: k ≥ 2 entries, the length
// k gives, indices ≥ 1 and strictly increasing, every D_i a point of G1
// other than the identity, scalars below r. Verify checks it.
func (o *ThresholdOpening) UnmarshalBinary(b []byte) error {
	r := newReader(b, "threshold opening", kindThreshold)
	out := ThresholdOpening{c: r.c, hdr: r.header()}
	kb := r.next(1, "k")
	if r.err == nil {
		k := int(kb[0])
		if k < MinThreshold {
			r.fail("%d entries, a threshold opening has at least %d", k, MinThreshold)
		}
		r.fixedLen(len(b), 2+headerSize+1+k*entrySize(r.c))
		for j := 1; j <= k && r.err == nil; j++ {
			e := r.entry(fmt.Sprintf("entry %d: ", j))
			if r.err == nil && j > 1 && e.i <= out.entries[j-2].i {
				r.fail("entry %d: authority %d after authority %d, indices must increase", j, e.i, out.entries[j-2].i)
			}
			out.entries = append(out.entries, e)
		}
	}
	if err := r.end(); err != nil {
		return err
	}
	out.enc = bytes.Clone(b)
	*o = out
	return nil
}

// Verify checks the threshold opening of sig on msg (in scope, or
// untagged) against the committee under gk, the key of σ's epoch, and
// returns the compressed certificate A it names: cref and epoch, k = t,
// every entry as a partial opening (§2; the first failure is named as
// there, an *AuthorityError once its sig_i checked), then
// D = ∏ D_i^(λ_i^S) = T1^ξ1·T2^ξ2 and A = T3/D ≠ 1. Soundness holds
// whoever dealt; which dealing it proves is the committee the caller
// pins (§3: the cref active on the ledger when the partials were posted).
func (o *ThresholdOpening) Verify(gk *GroupKey, cm *Committee, msg, scope, sig []byte) ([]byte, error) {
	a, err := o.verify(gk, cm, msg, scope, sig)
	if err != nil {
		return nil, err
	}
	return gk.c.CompressG1(a)[0], nil
}

func (o *ThresholdOpening) verify(gk *GroupKey, cm *Committee, msg, scope, sig []byte) (pointG1, error) {
	if o == nil || o.c == nil {
		return nil, fmt.Errorf("%w: zero threshold opening", ErrMalformed)
	}
	keys, err := cm.bind(gk)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(gk, cm, o.c, o.hdr, "threshold opening"); err != nil {
		return nil, err
	}
	if len(o.entries) != cm.t {
		return nil, fmt.Errorf("%w: the threshold opening has %d entries, the committee's threshold is %d", ErrInvalidProof, len(o.entries), cm.t)
	}
	sc := newSigCheck(gk, msg, scope, sig)
	for j := range o.entries {
		if err := checkEntry(gk, cm, keys, o.hdr, &o.entries[j], sc, fmt.Sprintf("entry %d", j+1)); err != nil {
			return nil, err
		}
	}
	s, _ := sc.get()
	_, a, err := combineD(gk, s, o.entries)
	return a, err
}

// combineD is D = ∏ D_i^(λ_i^S) over the entries' indices S and
// A = T3/D, refused if the identity.
func combineD(gk *GroupKey, s *signature, entries []partialEntry) (d, a pointG1, err error) {
	c := gk.c
	set, ds := make([]int, len(entries)), make([]pointG1, len(entries))
	for k, e := range entries {
		set[k], ds[k] = e.i, e.d
	}
	d = c.MultiMulVT(ds, lagrange(c, set))
	a = c.AddG1(s.t3, c.NegG1(d))
	if c.IsIdentityG1(a) {
		return nil, nil, fmt.Errorf("%w: the partials combine to A = 1", ErrInvalidProof)
	}
	return d, a, nil
}

// CombineOpening builds the threshold opening of sig on msg (in scope,
// or untagged) under gk, the key of σ's epoch, from partial openings
// (§3): σ must verify; partials that do not check (§2), are under
// another committee, epoch or signature, or repeat an index are left
// out; of the valid ones it takes the t lowest indices. With fewer than
// t valid it fails, joining every refusal (*AuthorityError where one is
// named) to an error wrapping ErrInvalidProof.
func CombineOpening(gk *GroupKey, cm *Committee, msg, scope, sig []byte, partials []*PartialOpening) (*ThresholdOpening, error) {
	fail := func(err error) (*ThresholdOpening, error) { return nil, fmt.Errorf("combine opening: %w", err) }
	keys, err := cm.bind(gk)
	if err != nil {
		return fail(err)
	}
	sc := newSigCheck(gk, msg, scope, sig)
	s, err := sc.get()
	if err != nil {
		return fail(err)
	}
	h := partialHeader{cref: cm.Ref(), epoch: gk.epoch, sref: sc.sref}
	valid := map[int]*PartialOpening{}
	var refused []error
	for k, p := range partials {
		what := fmt.Sprintf("partial %d", k+1)
		if p == nil || p.c == nil {
			refused = append(refused, fmt.Errorf("%w: %s is zero", ErrMalformed, what))
			continue
		}
		if err := checkHeader(gk, cm, p.c, p.hdr, what); err != nil {
			refused = append(refused, err)
			continue
		}
		if p.hdr.sref != h.sref { // not this signature's: no one to blame
			refused = append(refused, fmt.Errorf("%w: %s opens another signature", ErrWrongGroup, what))
			continue
		}
		if err := checkEntry(gk, cm, keys, p.hdr, &p.e, sc, what); err != nil {
			refused = append(refused, err)
			continue
		}
		if _, dup := valid[p.e.i]; !dup {
			valid[p.e.i] = p
		}
	}
	if len(valid) < cm.t {
		return fail(errors.Join(append([]error{fmt.Errorf("%w: %d valid partial openings, the committee's threshold is %d", ErrInvalidProof, len(valid), cm.t)}, refused...)...))
	}
	idx := make([]int, 0, len(valid))
	for i := range valid {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	c := gk.c
	enc := append(h.appendTo([]byte{c.suite, kindThreshold}), byte(cm.t))
	for _, i := range idx[:cm.t] {
		enc = append(enc, valid[i].e.raw...)
	}
	o := new(ThresholdOpening)
	if err := o.UnmarshalBinary(enc); err != nil {
		return fail(err) // cannot happen: valid entries, increasing
	}
	if _, _, err := combineD(gk, s, o.entries); err != nil {
		return fail(err)
	}
	return o, nil
}
