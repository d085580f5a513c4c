package bbs04

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

// PublicKey is a group public key at one epoch: (g1, g2, h, u, v, w) with
// u = h^(1/ξ1), v = h^(1/ξ2), w = g2^γ, of one suite. A revocation moves the
// group to the next epoch with new g1, g2 and w. It is safe for concurrent
// use.
type PublicKey struct {
	c           curve
	epoch       uint64
	g1, h, u, v pointG1
	g2, w       pointG2
	enc         []byte // the encoding, hashed into every challenge
	tables      *lazyTables
}

// keyTables is everything Sign and Verify precompute from a public key:
// fixed-base forms of u, v, h and g1, built once per key on first use (for
// BLS12-381 comb tables, ≈10 ms and 840 KiB each, after which a
// multiplication by one of these points costs a tenth of a generic one).
type keyTables struct {
	u, v, h, g1 fixedBase
	g2, w       prepared // Miller-loop lines of the key's G2 points
}

type lazyTables struct {
	once sync.Once
	t    keyTables
}

func (pk *PublicKey) precomputed() *keyTables {
	pk.tables.once.Do(func() {
		c := pk.c
		pk.tables.t = keyTables{u: c.Fixed(pk.u), v: c.Fixed(pk.v), h: c.Fixed(pk.h), g1: c.Fixed(pk.g1),
			g2: c.Prepare(pk.g2), w: c.Prepare(pk.w)}
	})
	return &pk.tables.t
}

// Suite is the pairing type of the group.
func (pk *PublicKey) Suite() Suite { return Suite(pk.c.id()) }

// Epoch is the key's epoch: 0 at setup, one more after each revocation.
func (pk *PublicKey) Epoch() uint64 { return pk.epoch }

// Equal reports whether two keys are the same group at the same epoch.
func (pk *PublicKey) Equal(other *PublicKey) bool {
	return other != nil && string(pk.enc) == string(other.enc)
}

// MarshalBinary returns the encoding of SPEC-bbs04.md (393 bytes for
// BLS12-381, 265 for BN254): suite ‖ u64be(epoch) ‖ g1 ‖ g2 ‖ h ‖ u ‖ v ‖ w.
func (pk *PublicKey) MarshalBinary() ([]byte, error) {
	return append([]byte(nil), pk.enc...), nil
}

// UnmarshalBinary decodes a group public key of any suite, refusing any
// point that is the identity or outside its prime-order subgroup.
func (pk *PublicKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "group public key", func(d *dims) int { return d.publicKey })
	epoch := r.uint64("epoch")
	g1 := r.g1("g1")
	g2 := r.g2("g2")
	h := r.g1("h")
	u := r.g1("u")
	v := r.g1("v")
	w := r.g2("w")
	if r.err != nil {
		return r.err
	}
	*pk = PublicKey{c: r.c, epoch: epoch, g1: g1, g2: g2, h: h, u: u, v: v, w: w, enc: append([]byte(nil), b...), tables: new(lazyTables)}
	return nil
}

// String names the key by suite, epoch and a short fingerprint; it is
// public.
func (pk *PublicKey) String() string {
	d := pk.c.dims()
	return fmt.Sprintf("groupsig.PublicKey{suite: %s, epoch: %d, u: %s…}", d.name, pk.epoch, hex.EncodeToString(pk.enc[1+8+2*d.g1+d.g2:][:8]))
}

func newPublicKey(c curve, epoch uint64, g1 pointG1, g2 pointG2, h, u, v pointG1, w pointG2) *PublicKey {
	pk := &PublicKey{c: c, epoch: epoch, g1: g1, g2: g2, h: h, u: u, v: v, w: w, tables: new(lazyTables)}
	enc := make([]byte, 0, c.dims().publicKey)
	enc = append(enc, c.id())
	enc = binary.BigEndian.AppendUint64(enc, epoch)
	pts := c.CompressG1(g1, h, u, v)
	enc = append(enc, pts[0]...)
	enc = c.AppendG2(enc, g2)
	enc = append(enc, pts[1]...)
	enc = append(enc, pts[2]...)
	enc = append(enc, pts[3]...)
	enc = c.AppendG2(enc, w)
	pk.enc = enc
	return pk
}

func parsePublicKey(b []byte) (*PublicKey, error) {
	pk := new(PublicKey)
	if err := pk.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return pk, nil
}

// parseNestedPublicKey decodes the public key inside a key of suite c.
func parseNestedPublicKey(c curve, what string, b []byte) (*PublicKey, error) {
	if len(b) > 0 && b[0] != c.id() {
		return nil, fmt.Errorf("%w: %s of suite %s holds a group public key of suite 0x%02x", ErrWrongSuite, what, c.dims().name, b[0])
	}
	pk, err := parsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return pk, nil
}

// IssuerKey is the group manager's issuing secret γ together with the group
// public key it currently issues under.
type IssuerKey struct {
	gamma scalar
	pk    *PublicKey
}

// PublicKey returns the group public key the issuer is at.
func (ik *IssuerKey) PublicKey() *PublicKey { return ik.pk }

// MarshalBinary returns suite ‖ γ ‖ group public key (426 bytes for
// BLS12-381, 298 for BN254).
func (ik *IssuerKey) MarshalBinary() ([]byte, error) {
	c := ik.pk.c
	b := c.AppendScalar([]byte{c.id()}, ik.gamma)
	return append(b, ik.pk.enc...), nil
}

// UnmarshalBinary decodes an issuer key and checks that γ matches the
// public key (w = g2^γ).
func (ik *IssuerKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "issuer key", func(d *dims) int { return d.issuerKey })
	gamma := r.scalar("gamma")
	r.nonzero(gamma, "gamma")
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	pk, err := parseNestedPublicKey(r.c, "issuer key", rest)
	if err != nil {
		return err
	}
	if !r.c.EqualG2(r.c.MulG2(pk.g2, gamma), pk.w) {
		return fmt.Errorf("%w: issuer key's γ does not match its group public key", ErrInvalidKey)
	}
	*ik = IssuerKey{gamma: gamma, pk: pk}
	return nil
}

// OpenerKey is the opener's (regulator's) secret (ξ1, ξ2) with the group
// public key it opens for. Revocations change neither.
type OpenerKey struct {
	xi1, xi2 scalar
	pk       *PublicKey
}

// MarshalBinary returns suite ‖ ξ1 ‖ ξ2 ‖ group public key (458 bytes for
// BLS12-381, 330 for BN254).
func (ok *OpenerKey) MarshalBinary() ([]byte, error) {
	c := ok.pk.c
	b := c.AppendScalar([]byte{c.id()}, ok.xi1)
	b = c.AppendScalar(b, ok.xi2)
	return append(b, ok.pk.enc...), nil
}

// UnmarshalBinary decodes an opener key and checks u^ξ1 = h and v^ξ2 = h.
func (ok *OpenerKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opener key", func(d *dims) int { return d.openerKey })
	xi1 := r.scalar("xi1")
	r.nonzero(xi1, "xi1")
	xi2 := r.scalar("xi2")
	r.nonzero(xi2, "xi2")
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	pk, err := parseNestedPublicKey(r.c, "opener key", rest)
	if err != nil {
		return err
	}
	k := &OpenerKey{xi1: xi1, xi2: xi2, pk: pk}
	if !k.matches(pk) {
		return fmt.Errorf("%w: opener key's ξ1, ξ2 do not match its group public key", ErrInvalidKey)
	}
	*ok = *k
	return nil
}

// matches reports whether (ξ1, ξ2) open signatures of pk's group: same
// suite, u^ξ1 = h and v^ξ2 = h. Revocations keep h, u and v, so one opener
// key serves every epoch of its group.
func (ok *OpenerKey) matches(pk *PublicKey) bool {
	c := pk.c
	if ok.pk.c.id() != c.id() {
		return false
	}
	return c.EqualG1(c.MulCT(pk.u, ok.xi1), pk.h) && c.EqualG1(c.MulCT(pk.v, ok.xi2), pk.h)
}

// MemberKey is a member's signing key (A, x) with A = g1^(1/(γ+x)), and the
// group public key of the epoch it signs for.
type MemberKey struct {
	a  pointG1
	x  scalar
	pk *PublicKey
}

// PublicKey returns the group public key the member signs under.
func (mk *MemberKey) PublicKey() *PublicKey { return mk.pk }

// Identity returns the public part A of the key: what the registry maps to
// a label and what Open recovers.
func (mk *MemberKey) Identity() Identity { return identityOf(mk.pk.c, mk.a) }

// MarshalBinary returns suite ‖ A ‖ x ‖ group public key (474 bytes for
// BLS12-381, 330 for BN254).
func (mk *MemberKey) MarshalBinary() ([]byte, error) {
	c := mk.pk.c
	b := appendG1(c, []byte{c.id()}, mk.a)
	b = c.AppendScalar(b, mk.x)
	return append(b, mk.pk.enc...), nil
}

// UnmarshalBinary decodes a member key and checks its pairing equation.
func (mk *MemberKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "member key", func(d *dims) int { return d.member })
	a := r.g1("A")
	x := r.scalar("x")
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	pk, err := parseNestedPublicKey(r.c, "member key", rest)
	if err != nil {
		return err
	}
	k := &MemberKey{a: a, x: x, pk: pk}
	if err := k.Validate(); err != nil {
		return err
	}
	*mk = *k
	return nil
}

// Validate checks e(A, w·g2^x) = e(g1, g2): that (A, x) was issued under
// the key's group public key and epoch.
func (mk *MemberKey) Validate() error {
	c := mk.pk.c
	q := c.AddG2(c.MulG2(mk.pk.g2, mk.x), mk.pk.w)
	if !c.IsOneGT(c.PairProduct([]pointG1{mk.a, mk.pk.g1}, []pointG2{q, mk.pk.g2}, []int{1, -1})) {
		return fmt.Errorf("%w: member key (A, x) does not satisfy e(A, w·g2^x) = e(g1, g2) at epoch %d", ErrInvalidKey, mk.pk.epoch)
	}
	return nil
}

// Identity is the public part A of a member key, in IdentitySize (48)
// bytes whatever the suite, so that a ledger can hold identities of groups
// of both kinds in one fixed-size field: for BLS12-381 the compressed A
// itself (its first byte always has the top bit set); for BN254
// 0x02 ‖ 15 zero bytes ‖ the 32-byte compressed A. It is the value an
// opening recovers and the registry maps to a label.
type Identity [IdentitySize]byte

// bnIdentityPad is where the compressed A starts in a BN254 identity.
const bnIdentityPad = IdentitySize - 32

// String returns the identity in hex.
func (id Identity) String() string { return hex.EncodeToString(id[:]) }

// Suite is the suite the identity's form names (0 for neither).
func (id Identity) Suite() Suite {
	switch {
	case id[0]&0x80 != 0:
		return SuiteBLS12381
	case id[0] == SuiteBN254 && bytes.Count(id[1:bnIdentityPad], []byte{0}) == bnIdentityPad-1:
		return SuiteBN254
	}
	return 0
}

// short is a fingerprint of the identity for messages: the first 8 bytes of
// the compressed A.
func (id Identity) short() string {
	if id.Suite() == SuiteBN254 {
		return hex.EncodeToString(id[bnIdentityPad : bnIdentityPad+8])
	}
	return hex.EncodeToString(id[:8])
}

// MarshalBinary returns the 48 bytes of the identity.
func (id Identity) MarshalBinary() ([]byte, error) { return append([]byte(nil), id[:]...), nil }

// UnmarshalBinary accepts exactly the 48-byte identity of a G1 point of
// either suite that is not the identity.
func (id *Identity) UnmarshalBinary(b []byte) error {
	if len(b) != IdentitySize {
		return fmt.Errorf("%w: identity is %d bytes, want %d", ErrMalformed, len(b), IdentitySize)
	}
	var tmp Identity
	copy(tmp[:], b)
	c := curveOf(byte(tmp.Suite()))
	if c == nil {
		return fmt.Errorf("%w: identity is not a point of G1 other than the identity", ErrMalformed)
	}
	if _, err := identityPoint(c, tmp); err != nil {
		return err
	}
	*id = tmp
	return nil
}

func identityOf(c curve, a pointG1) Identity {
	var id Identity
	enc := c.CompressG1(a)[0]
	if c.id() == SuiteBN254 {
		id[0] = SuiteBN254
		copy(id[bnIdentityPad:], enc)
	} else {
		copy(id[:], enc)
	}
	return id
}

// identityPoint decodes id as a G1 point of suite c: ErrWrongSuite for an
// identity of the other suite, ErrMalformed for one that is no point.
func identityPoint(c curve, id Identity) (pointG1, error) {
	if s := id.Suite(); s != 0 && byte(s) != c.id() {
		return nil, fmt.Errorf("%w: identity is of suite %s, the group is suite %s", ErrWrongSuite, s, c.dims().name)
	}
	enc := id[:]
	if c.id() == SuiteBN254 {
		enc = id[bnIdentityPad:]
	}
	if id.Suite() == 0 {
		return nil, fmt.Errorf("%w: identity is not a point of G1 other than the identity", ErrMalformed)
	}
	p, err := c.DecodeG1(enc)
	if err != nil || c.IsIdentityG1(p) {
		return nil, fmt.Errorf("%w: identity is not a point of G1 other than the identity", ErrMalformed)
	}
	return p, nil
}

// Setup creates a new BLS12-381 group (suite 0x01) at epoch 0: its public
// key, the issuer's key γ and the opener's key (ξ1, ξ2). rand must be a
// cryptographic source. SetupSuite chooses the pairing type.
func Setup(rand io.Reader) (*PublicKey, *IssuerKey, *OpenerKey, error) {
	return SetupSuite(SuiteBLS12381, rand)
}

// SetupSuite creates a new group of the given suite at epoch 0.
func SetupSuite(suite Suite, rand io.Reader) (*PublicKey, *IssuerKey, *OpenerKey, error) {
	c, err := mustCurve(suite)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("setup: %w", err)
	}
	var s [4]scalar
	for i := range s {
		if s[i], err = randomNonzeroScalar(c, rand); err != nil {
			return nil, nil, nil, fmt.Errorf("setup: %w", err)
		}
	}
	t, gamma, xi1, xi2 := s[0], s[1], s[2], s[3]
	g1, g2 := c.G1Generator(), c.G2Generator()
	h := c.MulCT(g1, t)
	u := c.MulCT(h, c.Inv(xi1))
	v := c.MulCT(h, c.Inv(xi2))
	w := c.MulG2(g2, gamma)
	pk := newPublicKey(c, 0, g1, g2, h, u, v, w)
	return pk, &IssuerKey{gamma: gamma, pk: pk}, &OpenerKey{xi1: xi1, xi2: xi2, pk: pk}, nil
}

// Issue creates a member key (A, x) under the issuer's current public key.
// To keep track of members, and to revoke them later, issue through a
// Registry.
func Issue(ik *IssuerKey, rand io.Reader) (*MemberKey, error) {
	c := ik.pk.c
	for {
		x, err := c.RandomScalar(rand)
		if err != nil {
			return nil, fmt.Errorf("issue member key: %w", err)
		}
		sum := c.Add(ik.gamma, x)
		// γ + x = 0 has no inverse; drawing it has probability 2^-254, and
		// retrying reveals nothing about a key that is then never used.
		if c.IsZero(sum) {
			continue
		}
		a := c.MulCT(ik.pk.g1, c.Inv(sum))
		return &MemberKey{a: a, x: x, pk: ik.pk}, nil
	}
}

func randomNonzeroScalar(c curve, rand io.Reader) (scalar, error) {
	for {
		s, err := c.RandomScalar(rand)
		if err != nil || !c.IsZero(s) {
			return s, err
		}
	}
}
