package groupsig

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	bls "github.com/cloudflare/circl/ecc/bls12381"
	g1 "github.com/veilchain/veil/groupsig/internal/bls12381g1"
)

// PublicKey is a group public key at one epoch: (g1, g2, h, u, v, w) with
// u = h^(1/ξ1), v = h^(1/ξ2), w = g2^γ. A revocation moves the group to the
// next epoch with new g1, g2 and w. It is safe for concurrent use.
type PublicKey struct {
	epoch       uint64
	g1, h, u, v *bls.G1
	g2, w       *bls.G2
	enc         []byte // the 393-byte encoding, hashed into every challenge
	tables      *lazyTables
}

// keyTables is everything Sign and Verify precompute from a public key:
// fixed-base tables for u, v, h and g1, built once per key on first use
// (≈10 ms and 840 KiB each), after which a multiplication by one of these
// points costs a tenth of a generic one.
type keyTables struct {
	u, v, h, g1 *g1.FixedBase
}

type lazyTables struct {
	once sync.Once
	t    keyTables
}

func (pk *PublicKey) precomputed() *keyTables {
	pk.tables.once.Do(func() {
		fixed := func(p *bls.G1) *g1.FixedBase { q := g1.FromCircl(p); return g1.NewFixedBase(&q) }
		pk.tables.t = keyTables{u: fixed(pk.u), v: fixed(pk.v), h: fixed(pk.h), g1: fixed(pk.g1)}
	})
	return &pk.tables.t
}

// Epoch is the key's epoch: 0 at setup, one more after each revocation.
func (pk *PublicKey) Epoch() uint64 { return pk.epoch }

// Equal reports whether two keys are the same group at the same epoch.
func (pk *PublicKey) Equal(other *PublicKey) bool {
	return other != nil && string(pk.enc) == string(other.enc)
}

// MarshalBinary returns the 393-byte encoding of SPEC-bbs04.md:
// 0x01 ‖ u64be(epoch) ‖ g1 ‖ g2 ‖ h ‖ u ‖ v ‖ w.
func (pk *PublicKey) MarshalBinary() ([]byte, error) {
	return append([]byte(nil), pk.enc...), nil
}

// UnmarshalBinary decodes the 393-byte encoding, refusing any point that is
// the identity or outside its prime-order subgroup.
func (pk *PublicKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "group public key", PublicKeySize)
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
	*pk = PublicKey{epoch: epoch, g1: g1, g2: g2, h: h, u: u, v: v, w: w, enc: append([]byte(nil), b...), tables: new(lazyTables)}
	return nil
}

// String names the key by epoch and a short fingerprint; it is public.
func (pk *PublicKey) String() string {
	return fmt.Sprintf("groupsig.PublicKey{epoch: %d, u: %s…}", pk.epoch, hex.EncodeToString(pk.enc[1+8+2*g1Size+g2Size:][:8]))
}

func newPublicKey(epoch uint64, g1 *bls.G1, g2 *bls.G2, h, u, v *bls.G1, w *bls.G2) *PublicKey {
	pk := &PublicKey{epoch: epoch, g1: g1, g2: g2, h: h, u: u, v: v, w: w, tables: new(lazyTables)}
	enc := make([]byte, 0, PublicKeySize)
	enc = append(enc, SuiteBLS12381)
	enc = binary.BigEndian.AppendUint64(enc, epoch)
	enc = appendG1(enc, g1)
	enc = appendG2(enc, g2)
	enc = appendG1(enc, h)
	enc = appendG1(enc, u)
	enc = appendG1(enc, v)
	enc = appendG2(enc, w)
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

// IssuerKey is the group manager's issuing secret γ together with the group
// public key it currently issues under.
type IssuerKey struct {
	gamma *bls.Scalar
	pk    *PublicKey
}

// PublicKey returns the group public key the issuer is at.
func (ik *IssuerKey) PublicKey() *PublicKey { return ik.pk }

// MarshalBinary returns suite ‖ γ ‖ group public key (426 bytes).
func (ik *IssuerKey) MarshalBinary() ([]byte, error) {
	b := append([]byte{SuiteBLS12381}, scalarBytes(ik.gamma)...)
	return append(b, ik.pk.enc...), nil
}

// UnmarshalBinary decodes an issuer key and checks that γ matches the
// public key (w = g2^γ).
func (ik *IssuerKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "issuer key", IssuerKeySize)
	gamma := r.scalar("gamma")
	r.nonzero(gamma, "gamma")
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	pk, err := parsePublicKey(rest)
	if err != nil {
		return fmt.Errorf("issuer key: %w", err)
	}
	var w bls.G2
	w.ScalarMult(gamma, pk.g2)
	if !w.IsEqual(pk.w) {
		return fmt.Errorf("%w: issuer key's γ does not match its group public key", ErrInvalidKey)
	}
	*ik = IssuerKey{gamma: gamma, pk: pk}
	return nil
}

// OpenerKey is the opener's (regulator's) secret (ξ1, ξ2) with the group
// public key it opens for. Revocations change neither.
type OpenerKey struct {
	xi1, xi2 *bls.Scalar
	pk       *PublicKey
}

// MarshalBinary returns suite ‖ ξ1 ‖ ξ2 ‖ group public key (458 bytes).
func (ok *OpenerKey) MarshalBinary() ([]byte, error) {
	b := append([]byte{SuiteBLS12381}, scalarBytes(ok.xi1)...)
	b = append(b, scalarBytes(ok.xi2)...)
	return append(b, ok.pk.enc...), nil
}

// UnmarshalBinary decodes an opener key and checks u^ξ1 = h and v^ξ2 = h.
func (ok *OpenerKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "opener key", OpenerKeySize)
	xi1 := r.scalar("xi1")
	r.nonzero(xi1, "xi1")
	xi2 := r.scalar("xi2")
	r.nonzero(xi2, "xi2")
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	pk, err := parsePublicKey(rest)
	if err != nil {
		return fmt.Errorf("opener key: %w", err)
	}
	k := &OpenerKey{xi1: xi1, xi2: xi2, pk: pk}
	if !k.matches(pk) {
		return fmt.Errorf("%w: opener key's ξ1, ξ2 do not match its group public key", ErrInvalidKey)
	}
	*ok = *k
	return nil
}

// matches reports whether (ξ1, ξ2) open signatures of pk's group: u^ξ1 = h
// and v^ξ2 = h. Revocations keep h, u and v, so one opener key serves every
// epoch of its group.
func (ok *OpenerKey) matches(pk *PublicKey) bool {
	var a, b bls.G1
	a.ScalarMult(ok.xi1, pk.u)
	b.ScalarMult(ok.xi2, pk.v)
	return a.IsEqual(pk.h) && b.IsEqual(pk.h)
}

// MemberKey is a member's signing key (A, x) with A = g1^(1/(γ+x)), and the
// group public key of the epoch it signs for.
type MemberKey struct {
	a  *bls.G1
	x  *bls.Scalar
	pk *PublicKey
}

// PublicKey returns the group public key the member signs under.
func (mk *MemberKey) PublicKey() *PublicKey { return mk.pk }

// Identity returns the public part A of the key: what the registry maps to
// a label and what Open recovers.
func (mk *MemberKey) Identity() Identity { return identityOf(mk.a) }

// MarshalBinary returns suite ‖ A ‖ x ‖ group public key (474 bytes).
func (mk *MemberKey) MarshalBinary() ([]byte, error) {
	b := append([]byte{SuiteBLS12381}, mk.a.BytesCompressed()...)
	b = append(b, scalarBytes(mk.x)...)
	return append(b, mk.pk.enc...), nil
}

// UnmarshalBinary decodes a member key and checks its pairing equation.
func (mk *MemberKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "member key", MemberKeySize)
	a := r.g1("A")
	x := r.scalar("x")
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	pk, err := parsePublicKey(rest)
	if err != nil {
		return fmt.Errorf("member key: %w", err)
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
	var q bls.G2
	q.ScalarMult(mk.x, mk.pk.g2)
	q.Add(&q, mk.pk.w)
	if !pairingProductIsOne([]*bls.G1{mk.a, mk.pk.g1}, []*bls.G2{&q, mk.pk.g2}, []int{1, -1}) {
		return fmt.Errorf("%w: member key (A, x) does not satisfy e(A, w·g2^x) = e(g1, g2) at epoch %d", ErrInvalidKey, mk.pk.epoch)
	}
	return nil
}

// Identity is the public part A of a member key, compressed: the value an
// opening recovers and the registry maps to a label.
type Identity [IdentitySize]byte

// String returns the identity in hex.
func (id Identity) String() string { return hex.EncodeToString(id[:]) }

// MarshalBinary returns the 48 bytes of A.
func (id Identity) MarshalBinary() ([]byte, error) { return append([]byte(nil), id[:]...), nil }

// UnmarshalBinary accepts exactly a compressed G1 point that is not the
// identity.
func (id *Identity) UnmarshalBinary(b []byte) error {
	if len(b) != IdentitySize {
		return fmt.Errorf("%w: identity is %d bytes, want %d", ErrMalformed, len(b), IdentitySize)
	}
	var p bls.G1
	if err := p.SetBytes(b); err != nil || p.IsIdentity() {
		return fmt.Errorf("%w: identity is not a point of G1 other than the identity", ErrMalformed)
	}
	copy(id[:], b)
	return nil
}

func identityOf(a *bls.G1) Identity {
	var id Identity
	copy(id[:], a.BytesCompressed())
	return id
}

// Setup creates a new group at epoch 0: its public key, the issuer's key γ
// and the opener's key (ξ1, ξ2). rand must be a cryptographic source.
func Setup(rand io.Reader) (*PublicKey, *IssuerKey, *OpenerKey, error) {
	var s [4]*bls.Scalar
	for i := range s {
		var err error
		if s[i], err = randomNonzeroScalar(rand); err != nil {
			return nil, nil, nil, fmt.Errorf("setup: %w", err)
		}
	}
	t, gamma, xi1, xi2 := s[0], s[1], s[2], s[3]
	g1, g2 := bls.G1Generator(), bls.G2Generator()
	h, u, v, w := new(bls.G1), new(bls.G1), new(bls.G1), new(bls.G2)
	h.ScalarMult(t, g1)
	var inv bls.Scalar
	inv.Inv(xi1)
	u.ScalarMult(&inv, h)
	inv.Inv(xi2)
	v.ScalarMult(&inv, h)
	w.ScalarMult(gamma, g2)
	pk := newPublicKey(0, g1, g2, h, u, v, w)
	return pk, &IssuerKey{gamma: gamma, pk: pk}, &OpenerKey{xi1: xi1, xi2: xi2, pk: pk}, nil
}

// Issue creates a member key (A, x) under the issuer's current public key.
// To keep track of members, and to revoke them later, issue through a
// Registry.
func Issue(ik *IssuerKey, rand io.Reader) (*MemberKey, error) {
	for {
		x, err := randomScalar(rand)
		if err != nil {
			return nil, fmt.Errorf("issue member key: %w", err)
		}
		var sum bls.Scalar
		sum.Add(ik.gamma, x)
		// γ + x = 0 has no inverse; drawing it has probability 2^-255, and
		// retrying reveals nothing about a key that is then never used.
		if sum.IsZero() == 1 {
			continue
		}
		sum.Inv(&sum)
		a := new(bls.G1)
		a.ScalarMult(&sum, ik.pk.g1)
		return &MemberKey{a: a, x: x, pk: ik.pk}, nil
	}
}

func randomScalar(rand io.Reader) (*bls.Scalar, error) {
	s := new(bls.Scalar)
	if err := s.Random(rand); err != nil {
		return nil, fmt.Errorf("draw random scalar: %w", err)
	}
	return s, nil
}

func randomNonzeroScalar(rand io.Reader) (*bls.Scalar, error) {
	for {
		s, err := randomScalar(rand)
		if err != nil || s.IsZero() == 0 {
			return s, err
		}
	}
}

func scalarBytes(s *bls.Scalar) []byte {
	b, _ := s.MarshalBinary() // never fails
	return b
}

// pairingProductIsOne reports whether Π e(P_i, Q_i)^sign_i = 1. Identity
// points contribute 1 and are left out, since the Miller loop is not
// defined for them.
func pairingProductIsOne(ps []*bls.G1, qs []*bls.G2, signs []int) bool {
	return pairingProduct(ps, qs, signs).IsIdentity()
}

func pairingProduct(ps []*bls.G1, qs []*bls.G2, signs []int) *bls.Gt {
	p2, q2, s2 := ps[:0:0], qs[:0:0], signs[:0:0]
	for i := range ps {
		if ps[i].IsIdentity() || qs[i].IsIdentity() {
			continue
		}
		p2, q2, s2 = append(p2, ps[i]), append(q2, qs[i]), append(s2, signs[i])
	}
	if len(p2) == 0 {
		one := new(bls.Gt)
		one.SetIdentity()
		return one
	}
	return bls.ProdPairFrac(p2, q2, s2)
}
