package groupsig

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// Registry is the issuer's book of a group: gpk_0, every join record it
// answered and every revocation record it made, in order. Everything in it
// is public — the issuer never sees a member's y — so it may be published
// as it is; the issuer key stays apart. It enforces §7's uniqueness rules
// (label, H and x never reused over the group's life) and knows current(e).
// It is not safe for concurrent use.
type Registry struct {
	gk      *GroupKey // current epoch
	joins   []*JoinRecord
	records []*RevocationRecord
	revoked map[string]uint64 // label → epoch of the record that revoked it
	labels  map[string]*JoinRecord
	hs, xs  map[string]bool
}

// NewRegistry starts an empty registry for the group of gk at epoch 0.
func NewRegistry(gk *GroupKey) (*Registry, error) {
	if err := usable(gk); err != nil {
		return nil, err
	}
	gk0, err := gk.AtEpoch(0)
	if err != nil {
		return nil, err
	}
	return &Registry{gk: gk0, revoked: map[string]uint64{}, labels: map[string]*JoinRecord{}, hs: map[string]bool{}, xs: map[string]bool{}}, nil
}

// GroupKey is the group key of the registry's current epoch.
func (r *Registry) GroupKey() *GroupKey { return r.gk }

// Records returns the revocation records in epoch order.
func (r *Registry) Records() []*RevocationRecord { return slices.Clone(r.records) }

// Prev is the hash the next record chains to: SHA-256 of the last record,
// zeros before the first.
func (r *Registry) Prev() [32]byte {
	if len(r.records) == 0 {
		return [32]byte{}
	}
	return r.records[len(r.records)-1].Hash()
}

// JoinRecord returns the join record of label.
func (r *Registry) JoinRecord(label string) (*JoinRecord, bool) {
	j, ok := r.labels[label]
	return j, ok
}

// Lookup names the member whose certificate at epoch e is a (compressed):
// the member whose join response at e, or whose entry in the record into
// e, gave it. The opener uses it to turn an opening into a join record.
func (r *Registry) Lookup(e uint64, a []byte) (*JoinRecord, bool) {
	for _, j := range r.joins {
		var got []byte
		switch joined := j.Response.epoch; {
		case joined == e:
			got = j.Response.A()
		case joined < e && e <= uint64(len(r.records)):
			got, _ = r.records[e-1].ReissuedA(j.Label())
		}
		if got != nil && bytes.Equal(got, a) {
			return j, true
		}
	}
	return nil, false
}

// RegistryMember is one member as the registry sees it.
type RegistryMember struct {
	Label       string
	JoinedAt    uint64 // epoch of the join response
	RevokedAt   uint64 // epoch of the record that revoked it; 0 while a member
	IdentityKey []byte // the member's Ed25519 idpk
	A           []byte // compressed A at the current epoch (the last A if revoked)
}

// Members lists every member in join order.
func (r *Registry) Members() []RegistryMember {
	out := make([]RegistryMember, len(r.joins))
	for i, j := range r.joins {
		out[i] = RegistryMember{Label: j.Label(), JoinedAt: j.Response.epoch, RevokedAt: r.revoked[j.Label()],
			IdentityKey: j.Request.IdentityKey(), A: r.currentA(j)}
	}
	return out
}

// currentA is the last A the member was given: by the last record that
// re-issued it, else by its response.
func (r *Registry) currentA(j *JoinRecord) []byte {
	for i := len(r.records) - 1; i >= 0; i-- {
		if a, ok := r.records[i].ReissuedA(j.Label()); ok {
			return a
		}
	}
	return j.Response.A()
}

// Current returns the join records of current(e) at the registry's epoch.
func (r *Registry) Current() []*JoinRecord {
	var out []*JoinRecord
	for _, j := range r.joins {
		if _, gone := r.revoked[j.Label()]; !gone {
			out = append(out, j)
		}
	}
	return out
}

// Issue answers a join request at the current epoch (§3, §7): the request
// must verify and its label, H and hreq be new to the group. x is drawn
// from rand: uniform, γ + x ≠ 0, never issued in the group. The label's
// identity policy (which idpk may hold which label) is the caller's.
func (r *Registry) Issue(ik *IssuerKey, req *JoinRequest, rand io.Reader) (*JoinResponse, error) {
	if err := r.checkIssuer(ik); err != nil {
		return nil, fmt.Errorf("issue: %w", err)
	}
	if err := req.Verify(r.gk); err != nil {
		return nil, fmt.Errorf("issue: %w", err)
	}
	if _, dup := r.labels[req.label]; dup {
		return nil, fmt.Errorf("issue %q: %w: label", req.label, ErrDuplicate)
	}
	if r.hs[string(req.H())] {
		return nil, fmt.Errorf("issue %q: %w: H (a request reusing another member's y)", req.label, ErrDuplicate)
	}
	c := r.gk.c
	for range maxDraws {
		x, err := c.RandomScalar(rand)
		if err != nil {
			return nil, fmt.Errorf("issue %q: %w: %v", req.label, ErrRandom, err)
		}
		if r.xs[string(c.AppendScalar(nil, x))] || c.IsZero(c.Add(ik.gamma, x)) {
			continue
		}
		resp, err := ik.issue(r.gk, req, x)
		if err != nil {
			return nil, fmt.Errorf("issue %q: %w", req.label, err)
		}
		r.add(&JoinRecord{Request: req, Response: resp})
		return resp, nil
	}
	return nil, fmt.Errorf("issue %q: %w: no usable x in %d draws", req.label, ErrRandom, maxDraws)
}

func (r *Registry) checkIssuer(ik *IssuerKey) error {
	if ik == nil || ik.gk == nil {
		return fmt.Errorf("%w: zero issuer key", ErrMalformed)
	}
	if !ik.gk.SameGroup(r.gk) {
		return fmt.Errorf("%w: the issuer key is not this registry's group", ErrWrongGroup)
	}
	return nil
}

func (r *Registry) add(j *JoinRecord) {
	r.joins = append(r.joins, j)
	r.labels[j.Label()] = j
	r.hs[string(j.Request.H())] = true
	r.xs[string(j.Response.X())] = true
}

// Revoke makes the record that revokes labels (each a current member) and
// re-issues everyone else, moving the registry to the next epoch. The
// caller publishes the record; the ledger's acceptance is what makes it
// the record of that epoch (§6).
func (r *Registry) Revoke(ik *IssuerKey, labels []string, rand io.Reader) (*RevocationRecord, error) {
	if err := r.checkIssuer(ik); err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	out := map[string]bool{}
	for _, l := range labels {
		switch _, ok := r.labels[l]; {
		case !ok:
			return nil, fmt.Errorf("revoke: %w: no member labelled %q", ErrUnknownMember, l)
		case r.revoked[l] != 0:
			return nil, fmt.Errorf("revoke %q: %w at epoch %d already", l, ErrRevoked, r.revoked[l])
		case out[l]:
			return nil, fmt.Errorf("revoke: %q named twice", l)
		}
		out[l] = true
	}
	var remaining []*JoinRecord
	for _, j := range r.Current() {
		if !out[j.Label()] {
			remaining = append(remaining, j)
		}
	}
	rec, err := ik.revoke(r.gk, r.Prev(), labels, remaining, rand)
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	if err := r.apply(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// apply moves the registry past a record it already trusts.
func (r *Registry) apply(rec *RevocationRecord) error {
	next, err := r.gk.AtEpoch(rec.epoch)
	if err != nil {
		return err
	}
	for _, l := range rec.revoked {
		r.revoked[l] = rec.epoch
	}
	r.records = append(r.records, rec)
	r.gk = next
	return nil
}

// MarshalBinary encodes the registry (this project's encoding): suite ‖ 84
// ‖ gpk_0 ‖ u32be(#joins) ‖ (u16be(len) ‖ request ‖ u16be(len) ‖ response)…
// ‖ u32be(#records) ‖ (u32be(len) ‖ record)…, in ledger order.
func (r *Registry) MarshalBinary() ([]byte, error) {
	if r == nil || r.gk == nil {
		return nil, fmt.Errorf("%w: zero registry", ErrMalformed)
	}
	c := r.gk.c
	b := append([]byte{c.suite, kindRegistry}, r.gk.g.gpk0...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.joins)))
	for _, j := range r.joins {
		b = binary.BigEndian.AppendUint16(b, uint16(len(j.Request.enc)))
		b = append(b, j.Request.enc...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(j.Response.enc)))
		b = append(b, j.Response.enc...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.records)))
	for _, rec := range r.records {
		b = binary.BigEndian.AppendUint32(b, uint32(len(rec.enc)))
		b = append(b, rec.enc...)
	}
	return b, nil
}

// UnmarshalBinary decodes a registry and replays it: every request
// verifies, every response answers its request at an epoch the group had
// reached, labels, H and x are unique, records chain from zeros with valid
// proofs and list exactly the members current before them. Certificates'
// pairings are not redone (the issuer made them).
func (r *Registry) UnmarshalBinary(b []byte) error {
	rd := newReader(b, "registry", kindRegistry)
	var gkEnc []byte
	if rd.err == nil {
		gkEnc = rd.next(groupKeySize(rd.c), "group key")
	}
	if rd.err != nil {
		return rd.err
	}
	gk := new(GroupKey)
	if err := gk.UnmarshalBinary(gkEnc); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if gk.epoch != 0 || gk.c != rd.c {
		return fmt.Errorf("%w: registry must hold gpk_0 of its own suite", ErrMalformed)
	}
	out, err := NewRegistry(gk)
	if err != nil {
		return err
	}
	nj := rd.uint32("join count")
	joins := make([]*JoinRecord, 0, min(int(nj), len(rd.b)/4))
	for i := uint32(0); i < nj && rd.err == nil; i++ {
		j := &JoinRecord{Request: new(JoinRequest), Response: new(JoinResponse)}
		reqBytes := rd.next(int(rd.uint16("request length")), "join request")
		respBytes := rd.next(int(rd.uint16("response length")), "join response")
		if rd.err != nil {
			break
		}
		if err := j.Request.UnmarshalBinary(reqBytes); err != nil {
			return fmt.Errorf("registry join %d: %w", i, err)
		}
		if err := j.Response.UnmarshalBinary(respBytes); err != nil {
			return fmt.Errorf("registry join %d: %w", i, err)
		}
		if j.Request.c != gk.c || j.Response.c != gk.c {
			return fmt.Errorf("%w: registry join %d is of another suite", ErrWrongSuite, i)
		}
		joins = append(joins, j)
	}
	nr := rd.uint32("record count")
	var records []*RevocationRecord
	for i := uint32(0); i < nr && rd.err == nil; i++ {
		rec := new(RevocationRecord)
		recBytes := rd.next(int(rd.uint32("record length")), "record")
		if rd.err != nil {
			break
		}
		if err := rec.UnmarshalBinary(recBytes); err != nil {
			return fmt.Errorf("registry record %d: %w", i, err)
		}
		records = append(records, rec)
	}
	if err := rd.end(); err != nil {
		return err
	}
	if err := out.replay(joins, records); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	*r = *out
	return nil
}

// replay rebuilds a registry from its joins and records in epoch order.
func (r *Registry) replay(joins []*JoinRecord, records []*RevocationRecord) error {
	for _, j := range joins {
		for len(r.records) < len(records) && records[len(r.records)].epoch <= j.Response.epoch {
			if err := r.replayRecord(records[len(r.records)]); err != nil {
				return err
			}
		}
		if j.Response.epoch != r.gk.epoch {
			return fmt.Errorf("%w: join of %q at epoch %d is out of order (registry at %d)", ErrMalformed, j.Label(), j.Response.epoch, r.gk.epoch)
		}
		if err := j.Request.Verify(r.gk); err != nil {
			return fmt.Errorf("join of %q: %w", j.Label(), err)
		}
		if j.Response.ref != r.gk.g.ref || j.Response.label != j.Label() || j.Response.hreq != j.Request.Hash() {
			return fmt.Errorf("%w: response of %q does not answer its request", ErrMalformed, j.Label())
		}
		if _, dup := r.labels[j.Label()]; dup || r.hs[string(j.Request.H())] || r.xs[string(j.Response.X())] {
			return fmt.Errorf("%w: join of %q reuses a label, H or x", ErrDuplicate, j.Label())
		}
		r.add(j)
	}
	for len(r.records) < len(records) {
		if err := r.replayRecord(records[len(r.records)]); err != nil {
			return err
		}
	}
	return nil
}

func (r *Registry) replayRecord(rec *RevocationRecord) error {
	if _, err := VerifyRecord(r.gk, r.Prev(), rec); err != nil {
		return fmt.Errorf("record into epoch %d: %w", rec.epoch, err)
	}
	cur := r.Current()
	if len(rec.revoked)+len(rec.reissued) != len(cur) {
		return fmt.Errorf("%w: record into epoch %d does not list exactly the current members", ErrInvalidRevocation, rec.epoch)
	}
	for _, j := range cur {
		_, rev := slices.BinarySearchFunc(rec.revoked, j.Label(), cmpLabel)
		if !rev && rec.find(j.Label()) == nil {
			return fmt.Errorf("%w: record into epoch %d omits %q", ErrInvalidRevocation, rec.epoch, j.Label())
		}
	}
	return r.apply(rec)
}
