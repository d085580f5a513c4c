package groupsig

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
)

// JoinRecord is a member's public join record (§3): its request and the
// response that answered it.
type JoinRecord struct {
	Request  *JoinRequest
	Response *JoinResponse
}

// Label is the member's label.
func (j *JoinRecord) Label() string { return j.Request.label }

// RevocationRecord moves a group from epoch e to e+1 (§6): it names the
// revoked labels R and re-issues every remaining member's certificate at
// g1_(e+1), signed by the issuer with a proof of γ chained to the previous
// record: body ‖ c ‖ s, body = suite ‖ 09 ‖ gref ‖ u64be(e+1) ‖ u32be(k) ‖
// lab(L_1) … ‖ u32be(n) ‖ n × (lab(L_i) ‖ A_i').
type RevocationRecord struct {
	c        curve
	ref      [32]byte
	epoch    uint64
	revoked  []string
	reissued []reissue
	ch, s    scalar
	enc      []byte
	bodyLen  int
}

type reissue struct {
	label string
	a     pointG1
}

// Epoch is the epoch the record moves the group to.
func (rec *RevocationRecord) Epoch() uint64 { return rec.epoch }

// GroupRef is the gref of the record's group.
func (rec *RevocationRecord) GroupRef() [32]byte { return rec.ref }

// Revoked lists the labels the record revokes, in increasing order.
func (rec *RevocationRecord) Revoked() []string { return slices.Clone(rec.revoked) }

// Reissued lists the labels of the members it re-issues, in increasing
// order.
func (rec *RevocationRecord) Reissued() []string {
	out := make([]string, len(rec.reissued))
	for i, r := range rec.reissued {
		out[i] = r.label
	}
	return out
}

// ReissuedA returns the compressed A' the record gives label, if any.
func (rec *RevocationRecord) ReissuedA(label string) ([]byte, bool) {
	if a := rec.find(label); a != nil {
		return rec.c.CompressG1(a)[0], true
	}
	return nil, false
}

func (rec *RevocationRecord) find(label string) pointG1 {
	i, ok := sort.Find(len(rec.reissued), func(i int) int { return cmpLabel(label, rec.reissued[i].label) })
	if ok {
		return rec.reissued[i].a
	}
	return nil
}

func cmpLabel(a, b string) int { return bytes.Compare([]byte(a), []byte(b)) }

// Hash is SHA-256 of the record: the next record's prev.
func (rec *RevocationRecord) Hash() [32]byte { return sha256.Sum256(rec.enc) }

// MarshalBinary returns the encoding.
func (rec *RevocationRecord) MarshalBinary() ([]byte, error) {
	if rec == nil || rec.c == nil {
		return nil, fmt.Errorf("%w: zero revocation record", ErrMalformed)
	}
	return append([]byte(nil), rec.enc...), nil
}

// UnmarshalBinary decodes a record with §6's rules: k ≥ 1, both label
// lists strictly increasing bytewise, no label in both, every A' a point
// of G1 other than the identity. VerifyRecord and CheckRevocation check
// it against the group.
func (rec *RevocationRecord) UnmarshalBinary(b []byte) error {
	r := newReader(b, "revocation record", kindRecord)
	out := RevocationRecord{c: r.c}
	copy(out.ref[:], r.next(32, "gref"))
	out.epoch = r.uint64("epoch")
	k := r.uint32("k")
	if r.err == nil && (k == 0 || uint64(k)*2 > uint64(len(r.b))) {
		r.fail("revoked count %d is zero or exceeds the remaining %d bytes", k, len(r.b))
	}
	for i := uint32(0); i < k && r.err == nil; i++ {
		l := r.label("revoked label")
		if r.err == nil && i > 0 && cmpLabel(out.revoked[i-1], l) >= 0 {
			r.fail("revoked labels are not strictly increasing at %q", l)
		}
		out.revoked = append(out.revoked, l)
	}
	n := r.uint32("n")
	if r.err == nil && uint64(n)*uint64(2+r.c.G1Size()) > uint64(len(r.b)) {
		r.fail("re-issued count %d exceeds the remaining %d bytes", n, len(r.b))
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		e := reissue{label: r.label("re-issued label")}
		e.a = r.g1("A'")
		if r.err == nil && i > 0 && cmpLabel(out.reissued[i-1].label, e.label) >= 0 {
			r.fail("re-issued labels are not strictly increasing at %q", e.label)
		}
		if r.err == nil {
			if _, both := slices.BinarySearchFunc(out.revoked, e.label, cmpLabel); both {
				r.fail("label %q is both revoked and re-issued", e.label)
			}
		}
		out.reissued = append(out.reissued, e)
	}
	out.bodyLen = len(b) - len(r.b)
	out.ch, out.s = r.scalar("c"), r.scalar("s")
	if err := r.end(); err != nil {
		return err
	}
	out.enc = append([]byte(nil), b...)
	*rec = out
	return nil
}

func recordChallenge(gk *GroupKey, prev [32]byte, body []byte, kw pointG2) scalar {
	c := gk.c
	in := append(append(append([]byte(nil), gk.g.gpk0...), prev[:]...), body...)
	return c.hashScalar(c.dst.revoke, c.AppendG2(in, kw))
}

// VerifyRecord is the check of §6 that nodes and members make of a
// record into the epoch after gk's: decoding, gref, epoch = e+1, and the
// issuer's proof over prev (the SHA-256 of the group's previous record,
// zeros for the first). It returns gpk_(e+1). It does not check the member
// lists against the ledger (CheckRevocation does).
func VerifyRecord(gk *GroupKey, prev [32]byte, rec *RevocationRecord) (*GroupKey, error) {
	if err := usable(gk); err != nil {
		return nil, err
	}
	if rec == nil || rec.c == nil {
		return nil, fmt.Errorf("%w: zero revocation record", ErrMalformed)
	}
	if err := sameSuite("revocation record", rec.c, gk.c); err != nil {
		return nil, err
	}
	if rec.ref != gk.g.ref {
		return nil, fmt.Errorf("%w: revocation record is for another group", ErrWrongGroup)
	}
	if gk.epoch == ^uint64(0) || rec.epoch != gk.epoch+1 {
		return nil, fmt.Errorf("%w: revocation record moves to epoch %d, the group key is at epoch %d", ErrWrongGroup, rec.epoch, gk.epoch)
	}
	c := gk.c
	kw := c.AddG2(c.MulG2(c.G2Generator(), rec.s), c.MulG2(gk.g.w, c.Neg(rec.ch)))
	if !c.Equal(recordChallenge(gk, prev, rec.enc[:rec.bodyLen], kw), rec.ch) {
		return nil, fmt.Errorf("%w: the issuer's proof does not verify over this record and prev %x…", ErrInvalidRevocation, prev[:8])
	}
	return gk.AtEpoch(rec.epoch)
}

// CheckRevocation is a node's full check of a record into the epoch after
// gk's (§6, §7): VerifyRecord, then that R and the re-issued labels
// partition current, the join records of the members current at gk's
// epoch, and that every A_i' is a certificate of its member at the new
// epoch — all of them in one batched pairing check with random 128-bit
// weights from rand (error ≤ 2^-128); when the batch fails each is
// checked alone and the first bad one is named. It returns gpk_(e+1).
func CheckRevocation(gk *GroupKey, prev [32]byte, rec *RevocationRecord, current []*JoinRecord, rand io.Reader) (*GroupKey, error) {
	next, err := VerifyRecord(gk, prev, rec)
	if err != nil {
		return nil, err
	}
	byLabel := make(map[string]*JoinRecord, len(current))
	for _, j := range current {
		if j == nil || j.Request == nil || j.Response == nil || j.Request.c != gk.c || j.Response.c != gk.c {
			return nil, fmt.Errorf("%w: a current member's join record is missing or of another suite", ErrMalformed)
		}
		byLabel[j.Label()] = j
	}
	if len(rec.revoked)+len(rec.reissued) != len(byLabel) {
		return nil, fmt.Errorf("%w: record lists %d revoked and %d re-issued members, the group has %d at epoch %d", ErrInvalidRevocation, len(rec.revoked), len(rec.reissued), len(byLabel), gk.epoch)
	}
	for _, l := range rec.revoked {
		if byLabel[l] == nil {
			return nil, fmt.Errorf("%w: record revokes %q, not a member at epoch %d", ErrInvalidRevocation, l, gk.epoch)
		}
	}
	members := make([]*JoinRecord, len(rec.reissued))
	for i, r := range rec.reissued {
		if members[i] = byLabel[r.label]; members[i] == nil {
			return nil, fmt.Errorf("%w: record re-issues %q, not a member at epoch %d", ErrInvalidRevocation, r.label, gk.epoch)
		}
	}
	if len(members) == 0 {
		return next, nil
	}
	ok, err := batchCertificates(next, rec.reissued, members, rand)
	if err != nil {
		return nil, err
	}
	if !ok {
		for i, r := range rec.reissued {
			if !certificateHolds(next, r.a, members[i].Response.x, members[i].Request.hy) {
				return nil, fmt.Errorf("%w: A' of %q is not a certificate of its member at epoch %d", ErrInvalidRevocation, r.label, next.epoch)
			}
		}
		return nil, fmt.Errorf("%w: batched certificate check failed", ErrInvalidRevocation) // not reached for prime-order points
	}
	return next, nil
}

// batchCertificates checks e(∏A_i'^ρ_i, w) · e(∏(A_i'^x_i·(g1·H_i)^(−1))^ρ_i, g2) = 1.
func batchCertificates(gk *GroupKey, rs []reissue, ms []*JoinRecord, rand io.Reader) (bool, error) {
	c, t := gk.c, gk.g.tables(gk.c)
	n := len(rs)
	as := make([]pointG1, n)
	rho := make([]scalar, n)
	pts := make([]pointG1, 0, 2*n+1)
	ks := make([]scalar, 0, 2*n+1)
	var sum scalar
	var buf [scalarSize]byte
	for i := range rs {
		for tries := 0; ; tries++ {
			if tries == maxDraws {
				return false, fmt.Errorf("%w: %d zero weights in a row", ErrRandom, maxDraws)
			}
			if _, err := io.ReadFull(rand, buf[scalarSize-16:]); err != nil {
				return false, fmt.Errorf("%w: draw batch weights: %v", ErrRandom, err)
			}
			rho[i], _ = c.DecodeScalar(buf[:]) // < 2^128 < r
			if !c.IsZero(rho[i]) {
				break
			}
		}
		as[i] = rs[i].a
		if sum == nil {
			sum = rho[i]
		} else {
			sum = c.Add(sum, rho[i])
		}
		pts = append(pts, rs[i].a, ms[i].Request.hy)
		ks = append(ks, c.Mul(rho[i], ms[i].Response.x), c.Neg(rho[i]))
	}
	pts, ks = append(pts, gk.g1), append(ks, c.Neg(sum))
	pw := c.MultiMulVT(as, rho)
	pg := c.MultiMulVT(pts, ks)
	return c.IsOneGT(c.PairPreparedVT([]pointG1{pw, pg}, []prepared{t.w, t.g2})), nil
}

// Update moves the member key with label to the epoch of rec, the record
// the ledger accepted into the epoch after the key's, with prev its
// predecessor's hash (§6): it checks the record, then the re-issued A'
// against (x, y). A member revoked by the record, or absent from it, gets
// an error wrapping ErrRevoked.
func (mk *MemberKey) Update(gk *GroupKey, label string, prev [32]byte, rec *RevocationRecord) (*MemberKey, error) {
	if mk == nil || mk.c == nil {
		return nil, fmt.Errorf("update member key: %w: zero member key", ErrMalformed)
	}
	gke, err := gk.AtEpoch(mk.epoch)
	if err != nil {
		return nil, fmt.Errorf("update member key: %w", err)
	}
	if err := mk.bound(gke); err != nil {
		return nil, fmt.Errorf("update member key: %w", err)
	}
	next, err := VerifyRecord(gke, prev, rec)
	if err != nil {
		return nil, fmt.Errorf("update member key: %w", err)
	}
	a := rec.find(label)
	if a == nil {
		return nil, fmt.Errorf("update member key: %q %w at epoch %d", label, ErrRevoked, rec.epoch)
	}
	c, t := gke.c, gke.g.tables(gke.c)
	if !certificateHolds(next, a, mk.x, c.FixedMulCT(t.h0, mk.y)) {
		return nil, fmt.Errorf("update member key: %w: the record's A' for %q is not this key's certificate", ErrInvalidRevocation, label)
	}
	return &MemberKey{c: c, ref: mk.ref, epoch: rec.epoch, a: a, x: mk.x, y: mk.y}, nil
}

// revoke makes the record into gk's epoch + 1 that revokes the labels in
// revoked and re-issues every member of remaining (each current at gk's
// epoch): A_i' = (g1_(e+1)·H_i)^(1/(γ+x_i)), with a hedged proof (§4.1,
// kind 09) over prev.
func (ik *IssuerKey) revoke(gk *GroupKey, prev [32]byte, revoked []string, remaining []*JoinRecord, rand io.Reader) (*RevocationRecord, error) {
	if len(revoked) == 0 {
		return nil, fmt.Errorf("%w: a record revokes at least one label", ErrMalformed)
	}
	if gk.epoch == ^uint64(0) {
		return nil, fmt.Errorf("%w: epoch counter exhausted", ErrWrongGroup)
	}
	next, err := gk.AtEpoch(gk.epoch + 1)
	if err != nil {
		return nil, err
	}
	c := gk.c
	rev := slices.SortedFunc(slices.Values(revoked), cmpLabel)
	rem := slices.SortedFunc(slices.Values(remaining), func(a, b *JoinRecord) int { return cmpLabel(a.Label(), b.Label()) })
	body := append([]byte{c.suite, kindRecord}, gk.g.ref[:]...)
	body = binary.BigEndian.AppendUint64(body, next.epoch)
	body = binary.BigEndian.AppendUint32(body, uint32(len(rev)))
	for _, l := range rev {
		body = appendLab(body, l)
	}
	body = binary.BigEndian.AppendUint32(body, uint32(len(rem)))
	for _, j := range rem {
		sum := c.Add(ik.gamma, j.Response.x)
		a := c.MulCT(c.AddG1(next.g1, j.Request.hy), c.Inv(sum))
		body = c.appendG1(appendLab(body, j.Label()), a)
	}
	secret := c.AppendScalar(nil, ik.gamma)
	n, err := newNonces(c, kindRecord, secret, append(append(append([]byte(nil), gk.g.gpk0...), prev[:]...), body...), rand)
	clear(secret)
	if err != nil {
		return nil, err
	}
	defer n.wipe()
	k := n.next()
	ch := recordChallenge(gk, prev, body, c.MulG2(c.G2Generator(), k))
	enc := c.AppendScalar(c.AppendScalar(body, ch), c.Add(k, c.Mul(ch, ik.gamma)))
	rec := new(RevocationRecord)
	if err := rec.UnmarshalBinary(enc); err != nil {
		return nil, err // duplicate or malformed labels in the input
	}
	return rec, nil
}
