package bbs04

import (
	"encoding/binary"
	"fmt"
)

// RevocationRecord is the public record of revoking the member (A*, x*)
// (BBS04 §7). It moves the group from epoch e to e+1 with g1' = A*,
// g2' = g2^(1/(γ+x*)), w' = g2 · g2'^(−x*); h, u and v stay. Encoding
// (281 bytes for BLS12-381, 201 for BN254): suite ‖ u64be(e+1) ‖ A* ‖ x* ‖
// g2' ‖ w'.
type RevocationRecord struct {
	c     curve
	epoch uint64
	a     pointG1
	x     scalar
	g2, w pointG2
}

// Suite is the suite the record names.
func (rec *RevocationRecord) Suite() Suite { return Suite(rec.c.id()) }

// Epoch is the epoch the record moves the group to.
func (rec *RevocationRecord) Epoch() uint64 { return rec.epoch }

// Revoked is the identity A* of the revoked member.
func (rec *RevocationRecord) Revoked() Identity { return identityOf(rec.c, rec.a) }

// MarshalBinary returns the encoding.
func (rec *RevocationRecord) MarshalBinary() ([]byte, error) {
	c := rec.c
	b := []byte{c.id()}
	b = binary.BigEndian.AppendUint64(b, rec.epoch)
	b = appendG1(c, b, rec.a)
	b = c.AppendScalar(b, rec.x)
	b = c.AppendG2(b, rec.g2)
	return c.AppendG2(b, rec.w), nil
}

// UnmarshalBinary decodes a record of any suite. It checks encodings only;
// VerifyRevocation checks the record against the key it revokes from.
func (rec *RevocationRecord) UnmarshalBinary(b []byte) error {
	r := newReader(b, "revocation record", func(d *dims) int { return d.revocation })
	out := RevocationRecord{c: r.c, epoch: r.uint64("epoch"), a: r.g1("A"), x: r.scalar("x"), g2: r.g2("g2"), w: r.g2("w")}
	if r.err != nil {
		return r.err
	}
	*rec = out
	return nil
}

// VerifyRevocation checks rec against the key it revokes from, with
// pairings alone, and returns the group public key of the new epoch:
// same suite, epoch = old+1, e(A*, w·g2^x*) = e(g1, g2) (A* was a member),
// e(g1', g2) = e(g1, g2') with g1' = A*, and w' = g2 · g2'^(−x*).
// The cost is the same however many revocations came before.
func VerifyRevocation(old *PublicKey, rec *RevocationRecord) (*PublicKey, error) {
	c := old.c
	if err := sameSuite("revocation record", rec.c, c); err != nil {
		return nil, err
	}
	if old.epoch == ^uint64(0) || rec.epoch != old.epoch+1 {
		return nil, fmt.Errorf("%w: revocation record moves to epoch %d, the key is at epoch %d", ErrWrongGroup, rec.epoch, old.epoch)
	}
	q := c.AddG2(c.MulG2(old.g2, rec.x), old.w)
	if !c.IsOneGT(c.PairProduct([]pointG1{rec.a, old.g1}, []pointG2{q, old.g2}, []int{1, -1})) {
		return nil, fmt.Errorf("%w: (A*, x*) is not a member key of epoch %d", ErrInvalidRevocation, old.epoch)
	}
	if !c.IsOneGT(c.PairProduct([]pointG1{rec.a, old.g1}, []pointG2{old.g2, rec.g2}, []int{1, -1})) {
		return nil, fmt.Errorf("%w: e(g1', g2) ≠ e(g1, g2')", ErrInvalidRevocation)
	}
	if !c.EqualG2(c.AddG2(c.MulG2(rec.g2, c.Neg(rec.x)), old.g2), rec.w) {
		return nil, fmt.Errorf("%w: w' ≠ g2 · g2'^(−x*)", ErrInvalidRevocation)
	}
	return newPublicKey(c, rec.epoch, rec.a, rec.g2, old.h, old.u, old.v, rec.w), nil
}

// revoke computes the record that revokes (A*, x*) under the issuer key.
func revoke(ik *IssuerKey, a pointG1, x scalar) (*RevocationRecord, *IssuerKey, error) {
	old := ik.pk
	c := old.c
	if old.epoch == ^uint64(0) {
		return nil, nil, fmt.Errorf("revoke: %w: epoch counter exhausted", ErrWrongGroup)
	}
	g2 := c.MulG2(old.g2, c.Inv(c.Add(ik.gamma, x)))
	w := c.AddG2(c.MulG2(g2, c.Neg(x)), old.g2)
	rec := &RevocationRecord{c: c, epoch: old.epoch + 1, a: a, x: x, g2: g2, w: w}
	pk := newPublicKey(c, rec.epoch, rec.a, rec.g2, old.h, old.u, old.v, rec.w)
	return rec, &IssuerKey{gamma: ik.gamma, pk: pk}, nil
}

// Update moves a remaining member key to the epoch that rec starts:
// A' = (A*/A)^(1/(x − x*)). It verifies rec against the key's own epoch
// first (a record of another suite is refused with ErrWrongSuite), and
// returns an error wrapping ErrRevoked for the revoked member, who cannot
// update. Apply records one at a time, in epoch order.
func (mk *MemberKey) Update(rec *RevocationRecord) (*MemberKey, error) {
	pk, err := VerifyRevocation(mk.pk, rec)
	if err != nil {
		return nil, fmt.Errorf("update member key: %w", err)
	}
	return mk.updateUnchecked(rec, pk)
}

// updateUnchecked computes the updated key for a record already checked
// (or made by the issuer itself) and the new epoch's key pk.
func (mk *MemberKey) updateUnchecked(rec *RevocationRecord, pk *PublicKey) (*MemberKey, error) {
	c := pk.c
	d := c.Sub(mk.x, rec.x)
	// The comparison's outcome is public: the record says who was revoked.
	if c.IsZero(d) {
		return nil, fmt.Errorf("update member key: %w at epoch %d", ErrRevoked, rec.epoch)
	}
	a := c.MulCT(c.AddG1(rec.a, c.NegG1(mk.a)), c.Inv(d))
	return &MemberKey{a: a, x: mk.x, pk: pk}, nil
}
