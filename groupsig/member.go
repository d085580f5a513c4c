package groupsig

import (
	"encoding/binary"
	"fmt"
)

// MemberKey is a member's signing key at one epoch (§3): the certificate
// (A, x) and the member's own secret y, with e(A, w·g2^x) = e(g1_e·h0^y, g2):
// suite ‖ 05 ‖ gref ‖ u64be(e) ‖ A ‖ x ‖ y (154 bytes for BLS12-381).
// Only y is secret in the spec's sense (A and x are in the public join
// record), but the key file as a whole is kept private: with it anyone
// signs as the member.
type MemberKey struct {
	c     curve
	ref   [32]byte
	epoch uint64
	a     pointG1
	x, y  scalar
}

func memberKeySize(c curve) int { return 2 + 32 + 8 + c.G1Size() + 2*scalarSize }

// Epoch is the epoch the key signs for.
func (mk *MemberKey) Epoch() uint64 { return mk.epoch }

// GroupRef is the gref of the member's group.
func (mk *MemberKey) GroupRef() [32]byte { return mk.ref }

// A is the compressed certificate A of this epoch: what an opening of the
// member's signatures at this epoch recovers.
func (mk *MemberKey) A() []byte { return mk.c.CompressG1(mk.a)[0] }

// MarshalBinary returns the spec's 154-byte encoding.
func (mk *MemberKey) MarshalBinary() ([]byte, error) {
	if mk == nil || mk.c == nil {
		return nil, fmt.Errorf("%w: zero member key", ErrMalformed)
	}
	return mk.encode(), nil
}

func (mk *MemberKey) encode() []byte {
	c := mk.c
	b := make([]byte, 0, memberKeySize(c))
	b = append(append(b, c.suite, kindMemberKey), mk.ref[:]...)
	b = binary.BigEndian.AppendUint64(b, mk.epoch)
	b = c.appendG1(b, mk.a)
	return c.AppendScalar(c.AppendScalar(b, mk.x), mk.y)
}

// UnmarshalBinary decodes a member key (y nonzero); Check verifies it
// against the group key.
func (mk *MemberKey) UnmarshalBinary(b []byte) error {
	r := newReader(b, "member key", kindMemberKey)
	if r.err == nil {
		r.fixedLen(len(b), memberKeySize(r.c))
	}
	out := MemberKey{c: r.c}
	copy(out.ref[:], r.next(32, "gref"))
	out.epoch = r.uint64("epoch")
	out.a = r.g1("A")
	out.x, out.y = r.scalar("x"), r.scalar("y")
	r.nonzero(out.y, "y")
	if err := r.end(); err != nil {
		return err
	}
	*mk = out
	return nil
}

// bound checks that mk belongs to gk's group and epoch.
func (mk *MemberKey) bound(gk *GroupKey) error {
	if err := usable(gk); err != nil {
		return err
	}
	if mk == nil || mk.c == nil {
		return fmt.Errorf("%w: zero member key", ErrMalformed)
	}
	if err := sameSuite("member key", mk.c, gk.c); err != nil {
		return err
	}
	if mk.ref != gk.g.ref {
		return fmt.Errorf("%w: member key is for another group", ErrWrongGroup)
	}
	if mk.epoch != gk.epoch {
		return fmt.Errorf("%w: member key is for epoch %d, the group key is at epoch %d", ErrWrongGroup, mk.epoch, gk.epoch)
	}
	return nil
}

// Check verifies the key against its group key (any epoch of the group):
// e(A, w·g2^x) = e(g1_e·h0^y, g2) at the key's epoch.
func (mk *MemberKey) Check(gk *GroupKey) error {
	if err := usable(gk); err != nil {
		return err
	}
	if mk == nil || mk.c == nil {
		return fmt.Errorf("%w: zero member key", ErrMalformed)
	}
	gke, err := gk.AtEpoch(mk.epoch)
	if err != nil {
		return err
	}
	if err := mk.bound(gke); err != nil {
		return err
	}
	c, t := gke.c, gke.g.tables(gke.c)
	if !certificateHolds(gke, mk.a, mk.x, c.FixedMulCT(t.h0, mk.y)) {
		return fmt.Errorf("%w: member key does not satisfy e(A, w·g2^x) = e(g1_e·h0^y, g2) at epoch %d", ErrInvalidKey, mk.epoch)
	}
	return nil
}
