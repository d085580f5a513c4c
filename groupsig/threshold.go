package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"filippo.io/edwards25519"
)

// Threshold opening, SPEC-groupsig-v2-threshold-opening §1 and §5: the
// opener's (ξ1, ξ2) shared t-of-n among authorities 1..n by a dealer
// (Deal), the committee it posts (kind 0B), the holders' shares and
// share proofs (0C), the admin's authorisation and abort, and the
// approvals (10) of a rotation. Consents, partial and threshold openings
// (0F, 0D, 0E) are in threshold_open.go.

// Bounds of the threshold spec: 2 ≤ t ≤ n ≤ 255.
const (
	// MinThreshold is the smallest threshold t of a committee.
	MinThreshold = 2
	// MaxAuthorities is the largest committee n.
	MaxAuthorities = 255
)

// Authority is one member of an opening committee: its label L_i (§1's
// label rules) and its Ed25519 identity key idpk_i (§3.1's strict rules),
// which the chain CA certifies for L_i and which signs every share proof,
// consent, partial opening and approval the authority makes.
type Authority struct {
	Label       string
	IdentityKey ed25519.PublicKey
}

// AuthorityError names the authority whose signed object failed a check
// after its signature sig_i checked: the object is evidence against
// authority Index (§2: "a failure after sig_i names i; before, no one").
// It wraps the cause, which wraps one of the package's sentinels.
type AuthorityError struct {
	Index int
	Err   error
}

// Error names the authority and the cause.
func (e *AuthorityError) Error() string {
	return fmt.Sprintf("groupsig: authority %d signed a bad object: %v", e.Index, e.Err)
}

// Unwrap returns the cause.
func (e *AuthorityError) Unwrap() error { return e.Err }

// Committee is a dealing of the opener key (kind 0B): the group's gref,
// the threshold t, the Feldman commitments C1_k = u^a1_k and C2_k = v^a2_k
// (k = 1..t−1), the n authorities in index order, and the dealer's proof
// of knowledge of ξ1, ξ2: body ‖ c ‖ s1 ‖ s2, body = suite ‖ 0B ‖ gref ‖
// u8(t) ‖ u8(n) ‖ C1_1 … ‖ C2_1 … ‖ n × (lab(L_i) ‖ idpk_i); 132 + 96(t−1)
// + Σ(33 + len L_i) bytes for BLS12-381 (64 for 96 on BN254). Its
// reference is cref = SHA-256(committee). It is public and safe for
// concurrent use.
type Committee struct {
	c          curve
	gref       [32]byte
	t          int
	c1, c2     []pointG1 // C1_1..C1_(t−1), C2_1..C2_(t−1)
	auth       []Authority
	idpt       []*edwards25519.Point // idpk_i, parsed
	ch, s1, s2 scalar
	enc        []byte
	bodyLen    int
	st         *committeeState
}

// committeeState caches what Verify derives: the committee is checked
// once per process (its gref pins gpk_0, hence h, u, v).
type committeeState struct {
	mu   sync.Mutex
	keys *committeeKeys
}

// committeeKeys are the derived keys Y1_i = u^ξ1_i, Y2_i = v^ξ2_i of a
// committee whose dealer proof checked.
type committeeKeys struct {
	y1, y2 []pointG1 // index i−1
}

func (cm *Committee) ok() error {
	if cm == nil || cm.c == nil {
		return fmt.Errorf("%w: zero committee", ErrMalformed)
	}
	return nil
}

// Ref is cref = SHA-256(committee), the committee's reference in every
// object its authorities sign.
func (cm *Committee) Ref() [32]byte {
	if cm.ok() != nil {
		return [32]byte{}
	}
	return sha256.Sum256(cm.enc)
}

// GroupRef is the gref of the committee's group.
func (cm *Committee) GroupRef() [32]byte {
	if cm.ok() != nil {
		return [32]byte{}
	}
	return cm.gref
}

// Threshold is t: the number of consents and of partial openings an
// opening needs.
func (cm *Committee) Threshold() int {
	if cm.ok() != nil {
		return 0
	}
	return cm.t
}

// Authorities lists the committee's authorities; authority i is element
// i−1.
func (cm *Committee) Authorities() []Authority {
	if cm.ok() != nil {
		return nil
	}
	out := make([]Authority, len(cm.auth))
	for i, a := range cm.auth {
		out[i] = Authority{Label: a.Label, IdentityKey: bytes.Clone(a.IdentityKey)}
	}
	return out
}

// String names the committee by t, n and cref; it is public.
func (cm *Committee) String() string {
	if cm.ok() != nil {
		return "groupsig.Committee{}"
	}
	ref := cm.Ref()
	return fmt.Sprintf("groupsig.Committee{suite: %s, t: %d, n: %d, cref: %s…}", cm.c.Name(), cm.t, len(cm.auth), hex.EncodeToString(ref[:8]))
}

// MarshalBinary returns the committee's encoding.
func (cm *Committee) MarshalBinary() ([]byte, error) {
	if err := cm.ok(); err != nil {
		return nil, err
	}
	return bytes.Clone(cm.enc), nil
}

// UnmarshalBinary decodes a committee with §1's rules on every field and
// the threshold spec's: 2 ≤ t ≤ n, commitments that are points of G1
// other than the identity, labels and identity keys distinct. Verify
// checks the dealer proof and the derived keys against the group.
func (cm *Committee) UnmarshalBinary(b []byte) error {
	r := newReader(b, "committee", kindCommittee)
	out := Committee{c: r.c, st: new(committeeState)}
	copy(out.gref[:], r.next(32, "gref"))
	tn := r.next(2, "t and n")
	if r.err == nil {
		t, n := int(tn[0]), int(tn[1])
		if t < MinThreshold || t > n {
			r.fail("threshold t = %d with n = %d authorities, want 2 ≤ t ≤ n", t, n)
		}
		out.t = t
		for k := 1; k < t; k++ {
			out.c1 = append(out.c1, r.g1(fmt.Sprintf("C1_%d", k)))
		}
		for k := 1; k < t; k++ {
			out.c2 = append(out.c2, r.g1(fmt.Sprintf("C2_%d", k)))
		}
		for i := 1; i <= n && r.err == nil; i++ {
			l := r.label(fmt.Sprintf("label of authority %d", i))
			idpk := r.bytes(32, fmt.Sprintf("idpk of authority %d", i))
			if r.err != nil {
				break
			}
			pt, err := parseIdentityKey(idpk)
			if err != nil {
				r.fail("authority %d: %v", i, err)
				break
			}
			for j, a := range out.auth {
				if a.Label == l {
					r.fail("authority %d has the label of authority %d", i, j+1)
				}
				if bytes.Equal(a.IdentityKey, idpk) {
					r.fail("authority %d has the identity key of authority %d", i, j+1)
				}
			}
			out.auth = append(out.auth, Authority{Label: l, IdentityKey: idpk})
			out.idpt = append(out.idpt, pt)
		}
	}
	out.bodyLen = len(b) - len(r.b)
	out.ch, out.s1, out.s2 = r.scalar("c"), r.scalar("s1"), r.scalar("s2")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = bytes.Clone(b)
	*cm = out
	return nil
}

// dealChallenge is H_DEAL(gpk_0 ‖ body ‖ K1 ‖ K2).
func dealChallenge(gk *GroupKey, body []byte, k1, k2 pointG1) scalar {
	c := gk.c
	in := append(append([]byte(nil), gk.g.gpk0...), body...)
	for _, k := range c.CompressG1(k1, k2) {
		in = append(in, k...)
	}
	return c.hashScalar(c.dst.deal, in)
}

// Verify checks the committee against its group (any epoch of it): gref,
// the dealer proof (K1 = u^s1·h^(−c), K2 = v^s2·h^(−c), c = H_DEAL(gpk_0 ‖
// body ‖ K1 ‖ K2): the poster knows ξ1, ξ2) and that no derived key Y1_i,
// Y2_i is the identity. It proves nothing about who may post it: that is
// the admin's authorisation or the approvals (§5). The result is cached.
func (cm *Committee) Verify(gk *GroupKey) error {
	_, err := cm.bind(gk)
	return err
}

// bind verifies the committee under gk (once) and returns its keys.
func (cm *Committee) bind(gk *GroupKey) (*committeeKeys, error) {
	if err := usable(gk); err != nil {
		return nil, err
	}
	if err := cm.ok(); err != nil {
		return nil, err
	}
	if err := sameSuite("committee", cm.c, gk.c); err != nil {
		return nil, err
	}
	if cm.gref != gk.g.ref {
		return nil, fmt.Errorf("%w: the committee is for another group", ErrWrongGroup)
	}
	cm.st.mu.Lock()
	defer cm.st.mu.Unlock()
	if cm.st.keys != nil {
		return cm.st.keys, nil
	}
	c, t := gk.c, gk.g.tables(gk.c)
	negC := c.Neg(cm.ch)
	k1 := c.SumVT([]fixedBase{t.u, t.h}, []scalar{cm.s1, negC}, nil, nil)
	k2 := c.SumVT([]fixedBase{t.v, t.h}, []scalar{cm.s2, negC}, nil, nil)
	if !c.Equal(dealChallenge(gk, cm.enc[:cm.bodyLen], k1, k2), cm.ch) {
		return nil, fmt.Errorf("%w: the committee's dealer proof does not prove knowledge of ξ1, ξ2 for this group", ErrInvalidProof)
	}
	keys := &committeeKeys{}
	for i := 1; i <= len(cm.auth); i++ {
		y1, y2 := derivedKey(c, gk.g.h, cm.c1, i), derivedKey(c, gk.g.h, cm.c2, i)
		if c.IsIdentityG1(y1) || c.IsIdentityG1(y2) {
			return nil, fmt.Errorf("%w: the committee gives authority %d an identity key (a zero share)", ErrInvalidKey, i)
		}
		keys.y1, keys.y2 = append(keys.y1, y1), append(keys.y2, y2)
	}
	cm.st.keys = keys
	return keys, nil
}

// derivedKey is h·∏_k C_k^(i^k) (public data, variable time).
func derivedKey(c curve, h pointG1, cs []pointG1, i int) pointG1 {
	ps, ks := []pointG1{h}, []scalar{smallScalar(c, 1)}
	x, pow := smallScalar(c, i), smallScalar(c, 1)
	for _, ck := range cs {
		pow = c.Mul(pow, x)
		ps, ks = append(ps, ck), append(ks, pow)
	}
	return c.MultiMulVT(ps, ks)
}

// Y returns authority i's derived keys Y1_i = h·∏_k C1_k^(i^k) = u^ξ1_i
// and Y2_i = v^ξ2_i, compressed, after checking the committee against gk
// (Verify). They are never carried: every check derives them.
func (cm *Committee) Y(gk *GroupKey, i int) (y1, y2 []byte, err error) {
	keys, err := cm.bind(gk)
	if err != nil {
		return nil, nil, err
	}
	if err := cm.index(i); err != nil {
		return nil, nil, err
	}
	ys := cm.c.CompressG1(keys.y1[i-1], keys.y2[i-1])
	return ys[0], ys[1], nil
}

// index refuses an authority index outside 1..n.
func (cm *Committee) index(i int) error {
	if i < 1 || i > len(cm.auth) {
		return fmt.Errorf("%w: authority %d, the committee has authorities 1..%d", ErrUnknownMember, i, len(cm.auth))
	}
	return nil
}

// signer checks that idsk is authority i's identity key.
func (cm *Committee) signer(i int, idsk ed25519.PrivateKey) error {
	if err := cm.index(i); err != nil {
		return err
	}
	if len(idsk) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: identity key is %d bytes, want %d", ErrMalformed, len(idsk), ed25519.PrivateKeySize)
	}
	if !bytes.Equal(idsk.Public().(ed25519.PublicKey), cm.auth[i-1].IdentityKey) {
		return fmt.Errorf("%w: the identity key is not authority %d's (%q)", ErrInvalidKey, i, cm.auth[i-1].Label)
	}
	return nil
}

// authoritySign is sig_i = Ed25519(idsk_i, P ‖ body).
func authoritySign(c curve, idsk ed25519.PrivateKey, body []byte) []byte {
	return ed25519.Sign(idsk, append([]byte(c.dst.authority), body...))
}

// checkAuthoritySig checks sig_i over P ‖ body under authority i's idpk
// by §3.1; a failure names no one.
func (cm *Committee) checkAuthoritySig(i int, body, sig []byte, what string) error {
	if !verifyEd25519(cm.idpt[i-1], cm.auth[i-1].IdentityKey, append([]byte(cm.c.dst.authority), body...), sig) {
		return fmt.Errorf("%w: %s's signature does not verify under authority %d's identity key", ErrInvalidProof, what, i)
	}
	return nil
}

// smallScalar is a small non-negative integer as a scalar.
func smallScalar(c curve, v int) scalar {
	var b [scalarSize]byte
	for k := scalarSize - 1; v > 0; k-- {
		b[k] = byte(v)
		v >>= 8
	}
	s, _ := c.DecodeScalar(b[:])
	return s
}

// lagrange returns λ_i^S = ∏_(j∈S, j≠i) j/(j−i) mod r for each i of S
// (distinct indices ≥ 1), in S's order.
func lagrange(c curve, set []int) []scalar {
	out := make([]scalar, len(set))
	for a, i := range set {
		num, den := smallScalar(c, 1), smallScalar(c, 1)
		for _, j := range set {
			if j != i {
				num = c.Mul(num, smallScalar(c, j))
				den = c.Mul(den, c.Sub(smallScalar(c, j), smallScalar(c, i)))
			}
		}
		out[a] = c.Mul(num, c.Inv(den))
	}
	return out
}

// Share is authority i's share (ξ1_i, ξ2_i) = (f1(i), f2(i)) of the
// opener key under one committee. It is secret: t shares of any dealing
// rebuild ξ1, ξ2. Its holder checks it (Check) before posting its share
// proof and MUST erase it when the committee is retired or aborted.
// Encoding (this project's): suite ‖ 85 ‖ cref ‖ u8(i) ‖ ξ1_i ‖ ξ2_i, 99
// bytes.
type Share struct {
	c        curve
	cref     [32]byte
	i        int
	xi1, xi2 scalar
}

func shareSize() int { return 2 + 32 + 1 + 2*scalarSize }

// Index is the share's authority index i.
func (sh *Share) Index() int { return sh.i }

// CommitteeRef is the cref of the committee the share belongs to.
func (sh *Share) CommitteeRef() [32]byte { return sh.cref }

// String names the share's authority and committee, never its values.
func (sh *Share) String() string {
	if sh == nil || sh.c == nil {
		return "groupsig.Share{}"
	}
	return fmt.Sprintf("groupsig.Share{authority: %d, cref: %s…}", sh.i, hex.EncodeToString(sh.cref[:8]))
}

func (sh *Share) ok() error {
	if sh == nil || sh.c == nil {
		return fmt.Errorf("%w: zero share", ErrMalformed)
	}
	return nil
}

// secret is ξ1_i ‖ ξ2_i, the nonces' secret; the caller clears it.
func (sh *Share) secret() []byte { return sh.c.AppendScalar(sh.c.AppendScalar(nil, sh.xi1), sh.xi2) }

// MarshalBinary returns the holder's file encoding (secret).
func (sh *Share) MarshalBinary() ([]byte, error) {
	if err := sh.ok(); err != nil {
		return nil, err
	}
	b := append([]byte{sh.c.suite, kindShare}, sh.cref[:]...)
	return sh.c.AppendScalar(sh.c.AppendScalar(append(b, byte(sh.i)), sh.xi1), sh.xi2), nil
}

// UnmarshalBinary decodes a share: index ≥ 1, values nonzero and below
// r. Check verifies it against its committee.
func (sh *Share) UnmarshalBinary(b []byte) error {
	r := newReader(b, "share", kindShare)
	if r.err == nil {
		r.fixedLen(len(b), shareSize())
	}
	out := Share{c: r.c}
	copy(out.cref[:], r.next(32, "cref"))
	if ib := r.next(1, "index"); ib != nil {
		if out.i = int(ib[0]); out.i == 0 {
			r.fail("authority index 0")
		}
	}
	out.xi1, out.xi2 = r.scalar("xi1_i"), r.scalar("xi2_i")
	r.nonzero(out.xi1, "xi1_i")
	r.nonzero(out.xi2, "xi2_i")
	if err := r.end(); err != nil {
		return err
	}
	*sh = out
	return nil
}

// Check is the holder's Feldman check (§1): the share is for this
// committee, the committee checks against gk (Verify), and u^ξ1_i = Y1_i,
// v^ξ2_i = Y2_i. A holder whose share fails complains instead of posting
// a share proof.
func (sh *Share) Check(gk *GroupKey, cm *Committee) error {
	_, err := sh.check(gk, cm)
	return err
}

func (sh *Share) check(gk *GroupKey, cm *Committee) (*committeeKeys, error) {
	if err := sh.ok(); err != nil {
		return nil, err
	}
	keys, err := cm.bind(gk)
	if err != nil {
		return nil, err
	}
	if err := sameSuite("share", sh.c, cm.c); err != nil {
		return nil, err
	}
	if sh.cref != cm.Ref() {
		return nil, fmt.Errorf("%w: the share is for another committee", ErrWrongGroup)
	}
	if err := cm.index(sh.i); err != nil {
		return nil, err
	}
	c, t := gk.c, gk.g.tables(gk.c)
	if !c.EqualG1(c.FixedMulCT(t.u, sh.xi1), keys.y1[sh.i-1]) || !c.EqualG1(c.FixedMulCT(t.v, sh.xi2), keys.y2[sh.i-1]) {
		return nil, fmt.Errorf("%w: share %d does not match the committee's commitments (Feldman)", ErrInvalidKey, sh.i)
	}
	return keys, nil
}

// nonceSource is where a prover takes its nonces: §4.1's hedged nonces
// (*nonces), or, in tests, given values.
type nonceSource interface {
	next() scalar
	nextNonzero() (scalar, error)
}

// checkAuthorities checks a committee's list: 2 ≤ t ≤ n ≤ 255, labels
// by §1, identity keys by §3.1, both distinct.
func checkAuthorities(t int, auths []Authority) error {
	n := len(auths)
	if n > MaxAuthorities {
		return fmt.Errorf("%w: %d authorities, at most %d", ErrMalformed, n, MaxAuthorities)
	}
	if t < MinThreshold || t > n {
		return fmt.Errorf("%w: threshold t = %d with n = %d authorities, want 2 ≤ t ≤ n", ErrMalformed, t, n)
	}
	for i, a := range auths {
		if err := CheckLabel(a.Label); err != nil {
			return fmt.Errorf("authority %d: %w", i+1, err)
		}
		if _, err := parseIdentityKey(a.IdentityKey); err != nil {
			return fmt.Errorf("%w: authority %d: %v", ErrMalformed, i+1, err)
		}
		for j, b := range auths[:i] {
			if a.Label == b.Label {
				return fmt.Errorf("%w: authorities %d and %d have the label %q", ErrDuplicate, j+1, i+1, a.Label)
			}
			if bytes.Equal(a.IdentityKey, b.IdentityKey) {
				return fmt.Errorf("%w: authorities %d and %d have the same identity key", ErrDuplicate, j+1, i+1)
			}
		}
	}
	return nil
}

// Deal shares the opener key t-of-n among authorities (§1): it draws
// f1, f2 of degree t−1 with f1(0) = ξ1, f2(0) = ξ2, and returns the
// committee to post (with its dealer proof) and the n shares, share i for
// authority i, each to be sent over a private authenticated channel. The
// coefficients and nonces are hedged (§4.1 extended, kind 0B: a1_1 …
// a1_(t−1), then a2_1 … a2_(t−1), nonzero, then k1, k2) and not kept
// past Deal (the nonces' secret input is cleared); the dealer erases the
// shares once sent and ξ as the custody rules say. The committee must still be authorised (§5). For
// BLS12-381 every operation on ξ, the coefficients, the shares and the
// nonces is constant time.
func Deal(ok *OpenerKey, t int, authorities []Authority, rand io.Reader) (*Committee, []*Share, error) {
	if ok == nil || ok.gk == nil {
		return nil, nil, fmt.Errorf("deal: %w: zero opener key", ErrMalformed)
	}
	if err := checkAuthorities(t, authorities); err != nil {
		return nil, nil, fmt.Errorf("deal: %w", err)
	}
	gk := ok.gk
	c := gk.c
	msg := append(append([]byte(nil), gk.g.gpk0...), byte(t), byte(len(authorities)))
	for _, a := range authorities {
		msg = append(appendLab(msg, a.Label), a.IdentityKey...)
	}
	secret := c.AppendScalar(c.AppendScalar(nil, ok.xi1), ok.xi2)
	n, err := newNonces(c, kindCommittee, secret, msg, rand)
	clear(secret)
	if err != nil {
		return nil, nil, fmt.Errorf("deal: %w", err)
	}
	defer n.wipe()
	cm, shares, err := deal(ok, t, authorities, n)
	if err != nil {
		return nil, nil, fmt.Errorf("deal: %w", err)
	}
	return cm, shares, nil
}

// deal is Deal with its nonces given.
func deal(ok *OpenerKey, t int, authorities []Authority, n nonceSource) (*Committee, []*Share, error) {
	c := ok.gk.c
	coef := func() ([]scalar, error) {
		out := make([]scalar, t-1)
		for k := range out {
			var err error
			if out[k], err = n.nextNonzero(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	a1, err := coef()
	if err != nil {
		return nil, nil, err
	}
	a2, err := coef()
	if err != nil {
		return nil, nil, err
	}
	k1, k2 := n.next(), n.next()
	cm := new(Committee)
	if err := cm.UnmarshalBinary(encodeCommittee(ok, t, authorities, a1, a2, k1, k2)); err != nil {
		return nil, nil, err // cannot happen: we just encoded it
	}
	cref := cm.Ref()
	shares := make([]*Share, len(authorities))
	for i := range shares {
		x := smallScalar(c, i+1)
		sh := &Share{c: c, cref: cref, i: i + 1, xi1: horner(c, ok.xi1, a1, x), xi2: horner(c, ok.xi2, a2, x)}
		if c.IsZero(sh.xi1) || c.IsZero(sh.xi2) {
			return nil, nil, fmt.Errorf("%w: the polynomials vanish at authority %d", ErrRandom, i+1)
		}
		shares[i] = sh
	}
	return cm, shares, nil
}

// encodeCommittee is the committee of the coefficients a1, a2 with the
// dealer proof of nonces k1, k2.
func encodeCommittee(ok *OpenerKey, t int, authorities []Authority, a1, a2 []scalar, k1, k2 scalar) []byte {
	gk := ok.gk
	c, tab := gk.c, gk.g.tables(gk.c)
	body := append([]byte{c.suite, kindCommittee}, gk.g.ref[:]...)
	body = append(body, byte(t), byte(len(authorities)))
	for _, a := range a1 {
		body = c.appendG1(body, c.FixedMulCT(tab.u, a))
	}
	for _, a := range a2 {
		body = c.appendG1(body, c.FixedMulCT(tab.v, a))
	}
	for _, a := range authorities {
		body = append(appendLab(body, a.Label), a.IdentityKey...)
	}
	ch := dealChallenge(gk, body, c.FixedMulCT(tab.u, k1), c.FixedMulCT(tab.v, k2))
	return c.AppendScalar(c.AppendScalar(c.AppendScalar(body, ch), c.Add(k1, c.Mul(ch, ok.xi1))), c.Add(k2, c.Mul(ch, ok.xi2)))
}

// horner is f(x) = a0 + Σ_k a_k·x^k (constant-time scalar arithmetic).
func horner(c curve, a0 scalar, a []scalar, x scalar) scalar {
	acc := smallScalar(c, 0)
	for k := len(a) - 1; k >= 0; k-- {
		acc = c.Mul(c.Add(acc, a[k]), x)
	}
	return c.Add(acc, a0)
}

// RecoverOpenerKey rebuilds ξ1, ξ2 from t shares of a committee of gk's
// group (§5: for a rotation dealer, or a dealer's retry), using the first
// t given: each is checked (Check), indices must be distinct, and the
// result must satisfy
// u^ξ1 = h = v^ξ2. The caller erases the key as the custody rules say.
// For BLS12-381 the interpolation is constant time.
func RecoverOpenerKey(gk *GroupKey, cm *Committee, shares []*Share) (*OpenerKey, error) {
	fail := func(err error) (*OpenerKey, error) { return nil, fmt.Errorf("recover opener key: %w", err) }
	if _, err := cm.bind(gk); err != nil {
		return fail(err)
	}
	if len(shares) < cm.t {
		return fail(fmt.Errorf("%w: %d shares, the committee's threshold is %d", ErrInvalidKey, len(shares), cm.t))
	}
	shares = shares[:cm.t]
	set := make([]int, len(shares))
	for k, sh := range shares {
		if err := sh.Check(gk, cm); err != nil {
			return fail(err)
		}
		for _, j := range set[:k] {
			if j == sh.i {
				return fail(fmt.Errorf("%w: two shares of authority %d", ErrDuplicate, j))
			}
		}
		set[k] = sh.i
	}
	c := gk.c
	xi1, xi2 := smallScalar(c, 0), smallScalar(c, 0)
	for k, l := range lagrange(c, set) {
		xi1 = c.Add(xi1, c.Mul(l, shares[k].xi1))
		xi2 = c.Add(xi2, c.Mul(l, shares[k].xi2))
	}
	gk0, err := gk.AtEpoch(0)
	if err != nil {
		return fail(err)
	}
	t := gk.g.tables(c)
	if !c.EqualG1(c.FixedMulCT(t.u, xi1), gk.g.h) || !c.EqualG1(c.FixedMulCT(t.v, xi2), gk.g.h) {
		return fail(fmt.Errorf("%w: the shares do not rebuild the group's opener key", ErrInvalidKey))
	}
	return &OpenerKey{xi1: xi1, xi2: xi2, gk: gk0}, nil
}

// ShareProof is authority i's proof that it holds its share (§1, kind
// 0C): suite ‖ 0C ‖ cref ‖ u8(i) ‖ c ‖ s1 ‖ s2 ‖ sig_i, 195 bytes, with
// K1 = u^k1, K2 = v^k2, c = H_SHARE(gpk_0 ‖ cref ‖ u8(i) ‖ K1 ‖ K2),
// sj = kj + c·ξj_i, and sig_i the authority's Ed25519 signature. With
// the n-th the committee becomes active (§5).
type ShareProof struct {
	c          curve
	cref       [32]byte
	i          int
	ch, s1, s2 scalar
	sig        []byte
	enc        []byte
}

func shareProofSize() int { return 2 + 32 + 1 + 3*scalarSize + ed25519.SignatureSize }

// Index is the authority index i.
func (p *ShareProof) Index() int { return p.i }

// CommitteeRef is the cref the proof is for.
func (p *ShareProof) CommitteeRef() [32]byte { return p.cref }

// MarshalBinary returns the 195-byte encoding.
func (p *ShareProof) MarshalBinary() ([]byte, error) {
	if p == nil || p.c == nil {
		return nil, fmt.Errorf("%w: zero share proof", ErrMalformed)
	}
	return bytes.Clone(p.enc), nil
}

// UnmarshalBinary decodes a share proof (index ≥ 1, scalars below r);
// Verify checks it against its committee.
func (p *ShareProof) UnmarshalBinary(b []byte) error {
	r := newReader(b, "share proof", kindShareProof)
	if r.err == nil {
		r.fixedLen(len(b), shareProofSize())
	}
	out := ShareProof{c: r.c}
	copy(out.cref[:], r.next(32, "cref"))
	out.i = r.index()
	out.ch, out.s1, out.s2 = r.scalar("c"), r.scalar("s1"), r.scalar("s2")
	out.sig = r.bytes(ed25519.SignatureSize, "sig_i")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = bytes.Clone(b)
	*p = out
	return nil
}

// index reads u8(i), an authority index ≥ 1.
func (r *reader) index() int {
	b := r.next(1, "authority index")
	if b == nil {
		return 0
	}
	if b[0] == 0 {
		r.fail("authority index 0")
	}
	return int(b[0])
}

// shareChallenge is H_SHARE(gpk_0 ‖ cref ‖ u8(i) ‖ K1 ‖ K2).
func shareChallenge(gk *GroupKey, cref [32]byte, i int, k1, k2 pointG1) scalar {
	c := gk.c
	in := append(append(append([]byte(nil), gk.g.gpk0...), cref[:]...), byte(i))
	for _, k := range c.CompressG1(k1, k2) {
		in = append(in, k...)
	}
	return c.hashScalar(c.dst.share, in)
}

// NewShareProof is authority i's share proof for its share of the
// committee, signed with its identity key idsk (which must be the
// committee's idpk_i). It checks the share first (Check); the authority
// must also have checked t, n and the whole authority list against what
// it agreed to. Nonces are hedged (§4.1 extended, kind 0C); for BLS12-381
// operations on the share and the nonces are constant time.
func NewShareProof(gk *GroupKey, cm *Committee, sh *Share, idsk ed25519.PrivateKey, rand io.Reader) (*ShareProof, error) {
	if err := sh.Check(gk, cm); err != nil {
		return nil, fmt.Errorf("share proof: %w", err)
	}
	if err := cm.signer(sh.i, idsk); err != nil {
		return nil, fmt.Errorf("share proof: %w", err)
	}
	c := gk.c
	cref := cm.Ref()
	secret := sh.secret()
	n, err := newNonces(c, kindShareProof, secret, append(append(append([]byte(nil), gk.g.gpk0...), cref[:]...), byte(sh.i)), rand)
	clear(secret)
	if err != nil {
		return nil, fmt.Errorf("share proof: %w", err)
	}
	defer n.wipe()
	return newShareProof(gk, cm, sh, idsk, n)
}

func newShareProof(gk *GroupKey, cm *Committee, sh *Share, idsk ed25519.PrivateKey, n nonceSource) (*ShareProof, error) {
	c, t := gk.c, gk.g.tables(gk.c)
	cref := cm.Ref()
	k1, k2 := n.next(), n.next()
	ch := shareChallenge(gk, cref, sh.i, c.FixedMulCT(t.u, k1), c.FixedMulCT(t.v, k2))
	body := append(append([]byte{c.suite, kindShareProof}, cref[:]...), byte(sh.i))
	body = c.AppendScalar(body, ch)
	body = c.AppendScalar(c.AppendScalar(body, c.Add(k1, c.Mul(ch, sh.xi1))), c.Add(k2, c.Mul(ch, sh.xi2)))
	p := new(ShareProof)
	if err := p.UnmarshalBinary(append(body, authoritySign(c, idsk, body)...)); err != nil {
		return nil, fmt.Errorf("share proof: %w", err)
	}
	return p, nil
}

// Verify checks the share proof against its committee of gk's group:
// cref, 1 ≤ i ≤ n, sig_i under idpk_i (§3.1), then K1 = u^s1·Y1_i^(−c),
// K2 = v^s2·Y2_i^(−c), c = H_SHARE(…). A failure after sig_i is an
// *AuthorityError naming i.
func (p *ShareProof) Verify(gk *GroupKey, cm *Committee) error {
	if p == nil || p.c == nil {
		return fmt.Errorf("%w: zero share proof", ErrMalformed)
	}
	keys, err := cm.bind(gk)
	if err != nil {
		return err
	}
	if err := sameSuite("share proof", p.c, gk.c); err != nil {
		return err
	}
	if p.cref != cm.Ref() {
		return fmt.Errorf("%w: the share proof is for another committee", ErrWrongGroup)
	}
	if err := cm.index(p.i); err != nil {
		return err
	}
	if err := cm.checkAuthoritySig(p.i, p.enc[:len(p.enc)-ed25519.SignatureSize], p.sig, "the share proof"); err != nil {
		return err
	}
	c, t := gk.c, gk.g.tables(gk.c)
	negC := c.Neg(p.ch)
	k1 := c.SumVT([]fixedBase{t.u}, []scalar{p.s1}, []varBase{c.VarBase(keys.y1[p.i-1])}, []scalar{negC})
	k2 := c.SumVT([]fixedBase{t.v}, []scalar{p.s2}, []varBase{c.VarBase(keys.y2[p.i-1])}, []scalar{negC})
	if !c.Equal(shareChallenge(gk, p.cref, p.i, k1, k2), p.ch) {
		return &AuthorityError{Index: p.i, Err: fmt.Errorf("%w: the share proof does not prove knowledge of share %d", ErrInvalidProof, p.i)}
	}
	return nil
}

// Approval is authority i of the active committee approving a rotation
// to a new one (§5, kind 10): suite ‖ 10 ‖ cref_old ‖ cref_new ‖
// u64be(d) ‖ u8(i) ‖ sig_i, 139 bytes; a ledger refuses it in a block
// above height d and needs q = max(t, n − t + 1) distinct ones.
type Approval struct {
	c              curve
	oldRef, newRef [32]byte
	deadline       uint64
	i              int
	sig            []byte
	enc            []byte
}

func approvalSize() int { return 2 + 32 + 32 + 8 + 1 + ed25519.SignatureSize }

// OldRef is cref_old, the approving committee's reference.
func (a *Approval) OldRef() [32]byte { return a.oldRef }

// NewRef is cref_new, the committee approved.
func (a *Approval) NewRef() [32]byte { return a.newRef }

// Deadline is d, the last block height at which the approval counts.
func (a *Approval) Deadline() uint64 { return a.deadline }

// Index is the approving authority's index i in the old committee.
func (a *Approval) Index() int { return a.i }

// MarshalBinary returns the 139-byte encoding.
func (a *Approval) MarshalBinary() ([]byte, error) {
	if a == nil || a.c == nil {
		return nil, fmt.Errorf("%w: zero approval", ErrMalformed)
	}
	return bytes.Clone(a.enc), nil
}

// UnmarshalBinary decodes an approval (index ≥ 1); Verify checks it.
func (a *Approval) UnmarshalBinary(b []byte) error {
	r := newReader(b, "approval", kindApproval)
	if r.err == nil {
		r.fixedLen(len(b), approvalSize())
	}
	out := Approval{c: r.c}
	copy(out.oldRef[:], r.next(32, "cref_old"))
	copy(out.newRef[:], r.next(32, "cref_new"))
	out.deadline = r.uint64("deadline")
	out.i = r.index()
	out.sig = r.bytes(ed25519.SignatureSize, "sig_i")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = bytes.Clone(b)
	*a = out
	return nil
}

// NewApproval is authority i of the active committee old approving the
// rotation to next until block height deadline, signed with its identity
// key idsk (old's idpk_i). next is checked against gk (gref, dealer
// proof) and cref_new computed from it here, as §5 asks of an approver;
// checking t, n, d and the authority list against what was agreed is the
// caller's.
func NewApproval(gk *GroupKey, old, next *Committee, deadline uint64, i int, idsk ed25519.PrivateKey) (*Approval, error) {
	if err := old.Verify(gk); err != nil {
		return nil, fmt.Errorf("approval: the old committee: %w", err)
	}
	if err := next.Verify(gk); err != nil {
		return nil, fmt.Errorf("approval: the new committee: %w", err)
	}
	if err := old.signer(i, idsk); err != nil {
		return nil, fmt.Errorf("approval: %w", err)
	}
	c := old.c
	oldRef, newRef := old.Ref(), next.Ref()
	body := append(append([]byte{c.suite, kindApproval}, oldRef[:]...), newRef[:]...)
	body = append(binary.BigEndian.AppendUint64(body, deadline), byte(i))
	a := new(Approval)
	if err := a.UnmarshalBinary(append(body, authoritySign(c, idsk, body)...)); err != nil {
		return nil, fmt.Errorf("approval: %w", err)
	}
	return a, nil
}

// Verify checks the approval against the committee old it names: cref_old,
// 1 ≤ i ≤ n, sig_i under old's idpk_i (§3.1). The deadline, q and
// distinctness are the ledger's.
func (a *Approval) Verify(old *Committee) error {
	if a == nil || a.c == nil {
		return fmt.Errorf("%w: zero approval", ErrMalformed)
	}
	if err := old.ok(); err != nil {
		return err
	}
	if err := sameSuite("approval", a.c, old.c); err != nil {
		return err
	}
	if a.oldRef != old.Ref() {
		return fmt.Errorf("%w: the approval is by another committee", ErrWrongGroup)
	}
	if err := old.index(a.i); err != nil {
		return err
	}
	return old.checkAuthoritySig(a.i, a.enc[:len(a.enc)-ed25519.SignatureSize], a.sig, "the approval")
}

// adminMessage is P_X ‖ gref ‖ cref.
func adminMessage(cm *Committee, prefix string) []byte {
	cref := cm.Ref()
	return append(append([]byte(prefix), cm.gref[:]...), cref[:]...)
}

// AuthorizeCommittee is the consortium admin's adsig_ADMIN(cref) =
// Ed25519(adsk, P_ADMIN ‖ gref ‖ cref) (§5), authorising the group's
// first committee; the committee is checked against gk first. It does not
// authorise a rotation: that needs approvals.
func AuthorizeCommittee(admin ed25519.PrivateKey, gk *GroupKey, cm *Committee) ([]byte, error) {
	if err := cm.Verify(gk); err != nil {
		return nil, fmt.Errorf("authorize committee: %w", err)
	}
	return adminSign(admin, cm, cm.c.dst.admin)
}

// AbortCommittee is the admin's adsig_ABORT(cref) = Ed25519(adsk,
// P_ABORT ‖ gref ‖ cref), which aborts a pending committee while no
// committee is active (§5).
func AbortCommittee(admin ed25519.PrivateKey, cm *Committee) ([]byte, error) {
	if err := cm.ok(); err != nil {
		return nil, fmt.Errorf("abort committee: %w", err)
	}
	return adminSign(admin, cm, cm.c.dst.adminAbort)
}

func adminSign(admin ed25519.PrivateKey, cm *Committee, prefix string) ([]byte, error) {
	if len(admin) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: admin key is %d bytes, want %d", ErrMalformed, len(admin), ed25519.PrivateKeySize)
	}
	if _, err := parseIdentityKey(admin.Public().(ed25519.PublicKey)); err != nil {
		return nil, fmt.Errorf("%w: admin key: %v", ErrMalformed, err)
	}
	return ed25519.Sign(admin, adminMessage(cm, prefix)), nil
}

// VerifyCommitteeAuthorization checks adsig_ADMIN(cref) under the admin
// key adpk named by the ledger, by §3.1's strict rules.
func VerifyCommitteeAuthorization(adpk ed25519.PublicKey, cm *Committee, adsig []byte) error {
	return verifyAdmin(adpk, cm, adsig, false)
}

// VerifyCommitteeAbort checks adsig_ABORT(cref) likewise.
func VerifyCommitteeAbort(adpk ed25519.PublicKey, cm *Committee, adsig []byte) error {
	return verifyAdmin(adpk, cm, adsig, true)
}

func verifyAdmin(adpk ed25519.PublicKey, cm *Committee, adsig []byte, abort bool) error {
	if err := cm.ok(); err != nil {
		return err
	}
	pt, err := parseIdentityKey(adpk)
	if err != nil {
		return fmt.Errorf("%w: admin key: %v", ErrMalformed, err)
	}
	prefix, what := cm.c.dst.admin, "authorisation"
	if abort {
		prefix, what = cm.c.dst.adminAbort, "abort"
	}
	if !verifyEd25519(pt, adpk, adminMessage(cm, prefix), adsig) {
		return fmt.Errorf("%w: the admin's %s of the committee does not verify", ErrInvalidProof, what)
	}
	return nil
}
