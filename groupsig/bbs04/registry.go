package bbs04

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxLabelLen bounds a member label, in bytes of UTF-8.
const MaxLabelLen = 64

// Member is the public view of one registry entry.
type Member struct {
	Label    string
	Identity Identity // A at the registry's current epoch (the last A for a revoked member)
	Revoked  bool
}

type registryEntry struct {
	label     string
	x         scalar
	as        []pointG1 // A at each epoch from joinedAt on; the last is current
	joinedAt  uint64
	revokedAt uint64 // epoch whose record revoked the member; 0 while a member
}

// Registry is the issuer's record of every member it issued: label → (A, x)
// for every epoch, and the revocation records it published. It holds every
// member's x, so it is as secret as the issuer key. It is not safe for
// concurrent use.
type Registry struct {
	pk      *PublicKey
	entries []*registryEntry
	byLabel map[string]*registryEntry
	records []*RevocationRecord
}

// NewRegistry starts an empty registry for a group at pk's epoch.
func NewRegistry(pk *PublicKey) *Registry {
	return &Registry{pk: pk, byLabel: map[string]*registryEntry{}}
}

// PublicKey returns the group public key of the registry's current epoch.
func (r *Registry) PublicKey() *PublicKey { return r.pk }

// Records returns the revocation records in epoch order.
func (r *Registry) Records() []*RevocationRecord {
	return append([]*RevocationRecord(nil), r.records...)
}

// Members lists every member in issue order.
func (r *Registry) Members() []Member {
	out := make([]Member, len(r.entries))
	for i, e := range r.entries {
		out[i] = Member{Label: e.label, Identity: identityOf(r.pk.c, e.as[len(e.as)-1]), Revoked: e.revokedAt != 0}
	}
	return out
}

// Lookup names the member whose A, at any epoch, is id. Open uses it to
// turn an opened identity into a label.
func (r *Registry) Lookup(id Identity) (label string, ok bool) {
	for _, e := range r.entries {
		for _, a := range e.as {
			if identityOf(r.pk.c, a) == id {
				return e.label, true
			}
		}
	}
	return "", false
}

// MemberKey returns the current key of a member that is not revoked.
func (r *Registry) MemberKey(label string) (*MemberKey, error) {
	e, ok := r.byLabel[label]
	if !ok {
		return nil, fmt.Errorf("%w: no member labelled %q", ErrUnknownMember, label)
	}
	if e.revokedAt != 0 {
		return nil, fmt.Errorf("member %q: %w at epoch %d", label, ErrRevoked, e.revokedAt)
	}
	return &MemberKey{a: e.as[len(e.as)-1], x: e.x, pk: r.pk}, nil
}

func checkLabel(label string) error {
	if label == "" || len(label) > MaxLabelLen || !utf8.ValidString(label) {
		return fmt.Errorf("%w: label must be 1 to %d bytes of UTF-8", ErrMalformed, MaxLabelLen)
	}
	return nil
}

// Issue issues a member key under label and records it. Labels are unique
// and never reused, not even after a revocation.
func (r *Registry) Issue(ik *IssuerKey, label string, rand io.Reader) (*MemberKey, error) {
	if err := checkLabel(label); err != nil {
		return nil, err
	}
	if _, dup := r.byLabel[label]; dup {
		return nil, fmt.Errorf("issue %q: label already in the registry", label)
	}
	if err := sameSuite("issuer key", ik.pk.c, r.pk.c); err != nil {
		return nil, fmt.Errorf("issue %q: %w", label, err)
	}
	if !ik.pk.Equal(r.pk) {
		return nil, fmt.Errorf("issue %q: %w: issuer key is at epoch %d, registry at %d", label, ErrWrongGroup, ik.pk.epoch, r.pk.epoch)
	}
	for {
		mk, err := Issue(ik, rand)
		if err != nil {
			return nil, err
		}
		// An x issued before would make a later revocation divide by zero.
		if r.hasX(mk.x) {
			continue
		}
		e := &registryEntry{label: label, x: mk.x, as: []pointG1{mk.a}, joinedAt: r.pk.epoch}
		r.entries = append(r.entries, e)
		r.byLabel[label] = e
		return mk, nil
	}
}

func (r *Registry) hasX(x scalar) bool {
	for _, e := range r.entries {
		if r.pk.c.Equal(e.x, x) {
			return true
		}
	}
	return false
}

// Revoke revokes the member under label: it returns the public revocation
// record and the issuer key of the new epoch, and moves every remaining
// member to its new A (see Members). The caller publishes the record and
// stores the new issuer key and the registry.
func (r *Registry) Revoke(ik *IssuerKey, label string) (*RevocationRecord, *IssuerKey, error) {
	e, ok := r.byLabel[label]
	if !ok {
		return nil, nil, fmt.Errorf("revoke: %w: no member labelled %q", ErrUnknownMember, label)
	}
	if e.revokedAt != 0 {
		return nil, nil, fmt.Errorf("revoke %q: already revoked at epoch %d", label, e.revokedAt)
	}
	if err := sameSuite("issuer key", ik.pk.c, r.pk.c); err != nil {
		return nil, nil, fmt.Errorf("revoke %q: %w", label, err)
	}
	if !ik.pk.Equal(r.pk) {
		return nil, nil, fmt.Errorf("revoke %q: %w: issuer key is at epoch %d, registry at %d", label, ErrWrongGroup, ik.pk.epoch, r.pk.epoch)
	}
	old := &MemberKey{a: e.as[len(e.as)-1], x: e.x, pk: r.pk}
	rec, nik, err := revoke(ik, old.a, old.x)
	if err != nil {
		return nil, nil, err
	}
	updated := make([]pointG1, len(r.entries))
	for i, other := range r.entries {
		if other == e || other.revokedAt != 0 {
			continue
		}
		mk, err := (&MemberKey{a: other.as[len(other.as)-1], x: other.x, pk: r.pk}).updateUnchecked(rec, nik.pk)
		if err != nil {
			return nil, nil, fmt.Errorf("revoke %q: update %q: %w", label, other.label, err)
		}
		updated[i] = mk.a
	}
	for i, a := range updated {
		if a != nil {
			r.entries[i].as = append(r.entries[i].as, a)
		}
	}
	e.revokedAt = rec.epoch
	r.records = append(r.records, rec)
	r.pk = nik.pk
	return rec, nik, nil
}

// MarshalBinary encodes the registry: suite ‖ group public key ‖
// u32be(#records) ‖ records ‖ u32be(#members) ‖ members, each member
// u8(len label) ‖ label ‖ x ‖ u64be(joined epoch) ‖ u64be(revoked epoch, 0
// if not) ‖ u32be(#A) ‖ A for each epoch from joining to now (or to the
// revocation).
func (r *Registry) MarshalBinary() ([]byte, error) {
	c := r.pk.c
	b := []byte{c.id()}
	b = append(b, r.pk.enc...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.records)))
	for _, rec := range r.records {
		enc, _ := rec.MarshalBinary()
		b = append(b, enc...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.entries)))
	for _, e := range r.entries {
		b = append(b, byte(len(e.label)))
		b = append(b, e.label...)
		b = c.AppendScalar(b, e.x)
		b = binary.BigEndian.AppendUint64(b, e.joinedAt)
		b = binary.BigEndian.AppendUint64(b, e.revokedAt)
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.as)))
		for _, enc := range c.CompressG1(e.as...) {
			b = append(b, enc...)
		}
	}
	return b, nil
}

// UnmarshalBinary decodes a registry, checking every encoding and that the
// history is consistent (consecutive record epochs ending at the key's
// epoch, one A per epoch of membership, unique labels). It does not redo
// the pairing checks of each record.
func (r *Registry) UnmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: registry is empty", ErrMalformed)
	}
	c := curveOf(b[0])
	if c == nil {
		return fmt.Errorf("%w: registry names suite 0x%02x", ErrWrongSuite, b[0])
	}
	dm := c.dims()
	if len(b) < 1+dm.publicKey+4 {
		return fmt.Errorf("%w: registry is %d bytes, too short", ErrMalformed, len(b))
	}
	pk, err := parseNestedPublicKey(c, "registry", b[1:1+dm.publicKey])
	if err != nil {
		return err
	}
	d := &lenReader{b: b[1+dm.publicKey:]}
	out := NewRegistry(pk)
	nrec := d.count(dm.revocation)
	for i := 0; i < nrec && d.err == nil; i++ {
		rec := new(RevocationRecord)
		if b := d.take(dm.revocation); len(b) > 0 && b[0] != c.id() {
			return fmt.Errorf("%w: registry record %d is of suite 0x%02x", ErrWrongSuite, i, b[0])
		} else if err := rec.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("registry record %d: %w", i, err)
		}
		if rec.epoch != pk.epoch-uint64(nrec-1-i) {
			return fmt.Errorf("%w: registry record %d is for epoch %d, key is at %d", ErrMalformed, i, rec.epoch, pk.epoch)
		}
		out.records = append(out.records, rec)
	}
	nent := d.count(1 + 1 + scalarSize + 8 + 8 + 4)
	for i := 0; i < nent && d.err == nil; i++ {
		e := &registryEntry{label: string(d.take(int(d.byte())))}
		if err := checkLabel(e.label); d.err == nil && err != nil {
			return fmt.Errorf("registry member %d: %w", i, err)
		}
		if _, dup := out.byLabel[e.label]; dup {
			return fmt.Errorf("%w: registry lists %q twice", ErrMalformed, e.label)
		}
		xb := d.take(scalarSize)
		e.joinedAt, e.revokedAt = d.uint64(), d.uint64()
		na := d.count(dm.g1)
		if d.err != nil {
			break
		}
		var ok bool
		if e.x, ok = c.DecodeScalar(xb); !ok {
			return fmt.Errorf("%w: registry member %q: x is not below the group order", ErrMalformed, e.label)
		}
		last := pk.epoch
		if e.revokedAt != 0 {
			last = e.revokedAt - 1
		}
		if e.joinedAt > last || e.revokedAt > pk.epoch || uint64(na) != last-e.joinedAt+1 {
			return fmt.Errorf("%w: registry member %q has %d keys for epochs %d..%d", ErrMalformed, e.label, na, e.joinedAt, last)
		}
		for j := 0; j < na; j++ {
			a, err := c.DecodeG1(d.take(dm.g1))
			if err != nil || c.IsIdentityG1(a) {
				return fmt.Errorf("%w: registry member %q: A %d is not a point of G1", ErrMalformed, e.label, j)
			}
			e.as = append(e.as, a)
		}
		out.entries = append(out.entries, e)
		out.byLabel[e.label] = e
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("registry: %w", d.err)
	}
	*r = *out
	return nil
}

// lenReader reads a variable-length encoding, refusing counts that the
// remaining bytes cannot hold before anything is allocated for them.
type lenReader struct {
	b   []byte
	err error
}

func (d *lenReader) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *lenReader) byte() byte {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *lenReader) uint64() uint64 {
	if b := d.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// count reads a u32 count of items at least minSize bytes each.
func (d *lenReader) count(minSize int) int {
	b := d.take(4)
	if b == nil {
		return 0
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n)*uint64(minSize) > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: count %d exceeds the remaining %d bytes", ErrMalformed, n, len(d.b))
		return 0
	}
	return int(n)
}
