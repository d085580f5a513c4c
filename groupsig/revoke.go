package groupsig

import (
	"encoding/binary"
	"fmt"

	bls "github.com/cloudflare/circl/ecc/bls12381"
)

// RevocationRecord is the public record of revoking the member (A*, x*)
// (BBS04 §7). It moves the group from epoch e to e+1 with g1' = A*,
// g2' = g2^(1/(γ+x*)), w' = g2 · g2'^(−x*); h, u and v stay. Encoding (281
// bytes): suite ‖ u64be(e+1) ‖ A* ‖ x* ‖ g2' ‖ w'.
type RevocationRecord struct {
	epoch uint64
	a     *bls.G1
	x     *bls.Scalar
	g2, w *bls.G2
}

// Epoch is the epoch the record moves the group to.
func (rec *RevocationRecord) Epoch() uint64 { return rec.epoch }

// Revoked is the identity A* of the revoked member.
func (rec *RevocationRecord) Revoked() Identity { return identityOf(rec.a) }

// MarshalBinary returns the 281-byte encoding.
func (rec *RevocationRecord) MarshalBinary() ([]byte, error) {
	b := []byte{SuiteBLS12381}
	b = binary.BigEndian.AppendUint64(b, rec.epoch)
	b = appendG1(b, rec.a)
	b = appendScalar(b, rec.x)
	b = appendG2(b, rec.g2)
	return appendG2(b, rec.w), nil
}

// UnmarshalBinary decodes the 281-byte encoding. It checks encodings only;
// VerifyRevocation checks the record against the key it revokes from.
func (rec *RevocationRecord) UnmarshalBinary(b []byte) error {
	r := newReader(b, "revocation record", RevocationRecordSize)
	out := RevocationRecord{epoch: r.uint64("epoch"), a: r.g1("A"), x: r.scalar("x"), g2: r.g2("g2"), w: r.g2("w")}
	if r.err != nil {
		return r.err
	}
	*rec = out
	return nil
}

// VerifyRevocation checks rec against the key it revokes from, with
// pairings alone, and returns the group public key of the new epoch:
// epoch = old+1, e(A*, w·g2^x*) = e(g1, g2) (A* was a member),
// e(g1', g2) = e(g1, g2') with g1' = A*, and w' = g2 · g2'^(−x*).
// The cost is the same however many revocations came before.
func VerifyRevocation(old *PublicKey, rec *RevocationRecord) (*PublicKey, error) {
	if old.epoch == ^uint64(0) || rec.epoch != old.epoch+1 {
		return nil, fmt.Errorf("%w: revocation record moves to epoch %d, the key is at epoch %d", ErrWrongGroup, rec.epoch, old.epoch)
	}
	var q bls.G2
	q.ScalarMult(rec.x, old.g2)
	q.Add(&q, old.w)
	if !pairingProductIsOne([]*bls.G1{rec.a, old.g1}, []*bls.G2{&q, old.g2}, []int{1, -1}) {
		return nil, fmt.Errorf("%w: (A*, x*) is not a member key of epoch %d", ErrInvalidRevocation, old.epoch)
	}
	if !pairingProductIsOne([]*bls.G1{rec.a, old.g1}, []*bls.G2{old.g2, rec.g2}, []int{1, -1}) {
		return nil, fmt.Errorf("%w: e(g1', g2) ≠ e(g1, g2')", ErrInvalidRevocation)
	}
	var negX bls.Scalar
	negX.Set(rec.x)
	negX.Neg()
	q.ScalarMult(&negX, rec.g2)
	q.Add(&q, old.g2)
	if !q.IsEqual(rec.w) {
		return nil, fmt.Errorf("%w: w' ≠ g2 · g2'^(−x*)", ErrInvalidRevocation)
	}
	return newPublicKey(rec.epoch, rec.a, rec.g2, old.h, old.u, old.v, rec.w), nil
}

// revoke computes the record that revokes (A*, x*) under the issuer key.
func revoke(ik *IssuerKey, a *bls.G1, x *bls.Scalar) (*RevocationRecord, *IssuerKey, error) {
	old := ik.pk
	if old.epoch == ^uint64(0) {
		return nil, nil, fmt.Errorf("revoke: %w: epoch counter exhausted", ErrWrongGroup)
	}
	var inv, negX bls.Scalar
	inv.Add(ik.gamma, x)
	inv.Inv(&inv)
	rec := &RevocationRecord{epoch: old.epoch + 1, a: a, x: x, g2: new(bls.G2), w: new(bls.G2)}
	rec.g2.ScalarMult(&inv, old.g2)
	negX.Set(x)
	negX.Neg()
	rec.w.ScalarMult(&negX, rec.g2)
	rec.w.Add(rec.w, old.g2)
	pk := newPublicKey(rec.epoch, rec.a, rec.g2, old.h, old.u, old.v, rec.w)
	return rec, &IssuerKey{gamma: ik.gamma, pk: pk}, nil
}

// Update moves a remaining member key to the epoch that rec starts:
// A' = (A*/A)^(1/(x − x*)). It verifies rec against the key's own epoch
// first, and returns an error wrapping ErrRevoked for the revoked member,
// who cannot update. Apply records one at a time, in epoch order.
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
	var d bls.Scalar
	d.Sub(mk.x, rec.x)
	// The comparison's outcome is public: the record says who was revoked.
	if d.IsZero() == 1 {
		return nil, fmt.Errorf("update member key: %w at epoch %d", ErrRevoked, rec.epoch)
	}
	d.Inv(&d) // fixed exponent r−2: constant time in x
	a := new(bls.G1)
	*a = *mk.a
	a.Neg()
	a.Add(a, rec.a)
	a.ScalarMult(&d, a)
	return &MemberKey{a: a, x: mk.x, pk: pk}, nil
}
