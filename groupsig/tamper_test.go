package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"flag"
	"fmt"
	"strings"
	"testing"
)

var tamperExhaustive = flag.Bool("tamper-exhaustive", false, "tamper every byte of every object with all eight single-bit flips and 0xff (slow)")

// A tamper target is one valid object and the check that a consumer runs
// on it (decode, then verify). Every change of one bit or byte must be
// refused by that check with one of the sentinels its field allows.
type tamperTarget struct {
	name   string
	enc    []byte
	layout []field
	check  func(b []byte) error
	allow  func(f field) []error // sentinels a change in f may give
}

// mutations lists the changes of one object: by default every byte with
// one bit (the bit moves with the position), the first byte of every
// field with each single bit and with 0xff, and scalars and Ed25519
// signatures (whose every bit leads to the same check) at four bits of
// their top byte and three more positions; with -tamper-exhaustive all eight bits and 0xff at every
// byte.
func mutations(l []field) []struct {
	f    field
	pos  int
	mask byte
} {
	var out []struct {
		f    field
		pos  int
		mask byte
	}
	add := func(f field, pos int, mask byte) {
		out = append(out, struct {
			f    field
			pos  int
			mask byte
		}{f, pos, mask})
	}
	all := []byte{1, 2, 4, 8, 16, 32, 64, 128, 0xff}
	for _, f := range l {
		for i := range f.n {
			pos := f.off + i
			switch {
			case *tamperExhaustive || i == 0 && f.kind != fScalar && f.kind != fIdsig:
				for _, m := range all {
					add(f, pos, m)
				}
			case i == 0: // a scalar's top byte: ≥ r, or not
				for _, m := range []byte{0x80, 0x40, 0x01, 0xff} {
					add(f, pos, m)
				}
			case f.kind == fScalar || f.kind == fIdsig:
				if i == 1 || i == f.n/2 || i == f.n-1 {
					add(f, pos, 1<<(pos%8))
				}
			default:
				add(f, pos, 1<<(pos%8))
			}
		}
	}
	return out
}

func runTamper(t *testing.T, tg tamperTarget) {
	t.Helper()
	if err, p := callSafely(func() error { return tg.check(tg.enc) }); err != nil || p {
		t.Fatalf("%s: the untampered object is refused: %v", tg.name, err)
	}
	bad := 0
	for _, m := range mutations(tg.layout) {
		b := flip(tg.enc, m.pos, m.mask)
		err, panicked := callSafely(func() error { return tg.check(b) })
		allowed := tg.allow(m.f)
		switch {
		case panicked:
			t.Errorf("%s: byte %d (%s) ^ %02x: %v", tg.name, m.pos, m.f.name, m.mask, err)
		case err == nil:
			t.Errorf("%s: byte %d (%s) ^ %02x: tampered object ACCEPTED", tg.name, m.pos, m.f.name, m.mask)
		case !isAny(err, allowed...):
			t.Errorf("%s: byte %d (%s) ^ %02x: refused with %v, want one of %v", tg.name, m.pos, m.f.name, m.mask, err, allowed)
		default:
			continue
		}
		if bad++; bad > 20 {
			t.Fatalf("%s: too many failures", tg.name)
		}
	}
}

// allowBy maps field kinds (and names, which win) to sentinels; the suite
// and kind bytes are common to all.
func allowBy(byKind map[fieldKind][]error, byName map[string][]error) func(f field) []error {
	return func(f field) []error {
		if e, ok := byName[f.name]; ok {
			return e
		}
		for name, e := range byName {
			if strings.HasSuffix(name, "*") && strings.HasPrefix(f.name, strings.TrimSuffix(name, "*")) {
				return e
			}
		}
		switch f.kind {
		case fSuite:
			return []error{ErrWrongSuite, ErrMalformed}
		case fKind, fLabLen, fCount:
			return []error{ErrMalformed}
		}
		if e, ok := byKind[f.kind]; ok {
			return e
		}
		panic("no sentinels for field " + f.name)
	}
}

var (
	errsSig   = []error{ErrMalformed, ErrInvalidSignature}
	errsProof = []error{ErrMalformed, ErrInvalidProof}
	errsKey   = []error{ErrMalformed, ErrInvalidKey}
	errsRec   = []error{ErrMalformed, ErrInvalidRevocation}
)

// groupKeyTarget: a changed gpk_e is another key; outside the epoch field
// it is another group, whose issuer proof fails (gpk_0 is hashed); in the
// epoch field it is another epoch of the same group, under which the
// signature sig of gk's epoch fails.
func groupKeyTarget(o *groupObjects, gk *GroupKey, sig []byte) tamperTarget {
	enc, _ := gk.MarshalBinary()
	var ip IssuerProof
	if err := ip.UnmarshalBinary(o.ip); err != nil {
		panic(err)
	}
	return tamperTarget{
		name: fmt.Sprintf("%s: gpk_%d", o.name, gk.Epoch()), enc: enc, layout: layoutOf(enc),
		check: func(b []byte) error {
			var tk GroupKey
			if err := tk.UnmarshalBinary(b); err != nil {
				return err
			}
			if tk.Epoch() != gk.Epoch() {
				same, err := o.gk0.AtEpoch(tk.Epoch()) // shares the group's tables
				if err != nil {
					return err
				}
				if !same.Equal(&tk) {
					return fmt.Errorf("epoch %d of the group is not the tampered key", tk.Epoch())
				}
				_, err = Verify(same, o.msg, nil, sig)
				return err
			}
			return ip.Verify(&tk)
		},
		allow: allowBy(map[fieldKind][]error{fBytes: {ErrInvalidProof}, fEpoch: {ErrInvalidSignature}, fG1: errsProof, fG2: errsProof}, nil),
	}
}

// tamperTargets lists o's objects; with !everyMember only member-0's
// (at both epochs) of the per-member ones.
func tamperTargets(o *groupObjects, everyMember bool) []tamperTarget {
	members, epoch1 := o.members, o.epoch1
	if !everyMember && !*tamperExhaustive {
		members, epoch1 = members[:1], epoch1[:1]
	}
	gk0, gk1 := o.gk0, o.gk1
	var ts []tamperTarget
	ts = append(ts, groupKeyTarget(o, gk0, o.members[0].sig), groupKeyTarget(o, gk1, o.epoch1[0].sig))
	ts = append(ts, tamperTarget{
		name: o.name + ": issuer proof", enc: o.ip, layout: layoutOf(o.ip),
		check: func(b []byte) error {
			var p IssuerProof
			if err := p.UnmarshalBinary(b); err != nil {
				return err
			}
			return p.Verify(gk0)
		},
		allow: allowBy(map[fieldKind][]error{fScalar: errsProof}, nil),
	}, tamperTarget{
		name: o.name + ": opener proof", enc: o.op, layout: layoutOf(o.op),
		check: func(b []byte) error {
			var p OpenerProof
			if err := p.UnmarshalBinary(b); err != nil {
				return err
			}
			return p.Verify(gk0)
		},
		allow: allowBy(map[fieldKind][]error{fScalar: errsProof}, nil),
	})
	for i, m := range members {
		req := o.joins[i].Request
		ts = append(ts, tamperTarget{
			name: o.name + ": join request of " + m.label, enc: m.req, layout: layoutOf(m.req),
			check: func(b []byte) error {
				var q JoinRequest
				if err := q.UnmarshalBinary(b); err != nil {
					return err
				}
				return q.Verify(gk0)
			},
			allow: allowBy(map[fieldKind][]error{fBytes: {ErrWrongGroup}, fLabel: errsProof, fIdpk: errsProof, fG1: errsProof,
				fScalar: errsProof, fIdsig: {ErrInvalidProof}}, nil),
		}, tamperTarget{
			name: o.name + ": join response of " + m.label, enc: m.resp, layout: layoutOf(m.resp),
			check: func(b []byte) error {
				var p JoinResponse
				if err := p.UnmarshalBinary(b); err != nil {
					return err
				}
				return p.Verify(gk0, req)
			},
			allow: allowBy(map[fieldKind][]error{fBytes: {ErrWrongGroup}, fEpoch: {ErrInvalidKey}, fLabel: {ErrMalformed, ErrWrongGroup},
				fScalar: errsKey, fG1: errsKey}, nil),
		})
	}
	for _, e := range []struct {
		gk *GroupKey
		ms []memberObjects
	}{{gk0, members}, {gk1, epoch1}} {
		gk := e.gk
		for _, m := range e.ms {
			who := fmt.Sprintf("%s: %s@%d ", o.name, m.label, gk.Epoch())
			tsig := m.tsig
			tauF := fieldNamed(layoutOf(tsig), "tau")
			ts = append(ts, tamperTarget{
				name: who + "member key", enc: m.mk, layout: layoutOf(m.mk),
				check: func(b []byte) error {
					var mk MemberKey
					if err := mk.UnmarshalBinary(b); err != nil {
						return err
					}
					return mk.Check(gk)
				},
				allow: allowBy(map[fieldKind][]error{fBytes: {ErrWrongGroup}, fEpoch: {ErrInvalidKey}, fG1: errsKey, fScalar: errsKey}, nil),
			}, tamperTarget{
				name: who + "signature", enc: m.sig, layout: layoutOf(m.sig),
				check: func(b []byte) error { _, err := Verify(gk, o.msg, nil, b); return err },
				allow: allowBy(map[fieldKind][]error{fG1: errsSig, fScalar: errsSig}, nil),
			}, tamperTarget{
				name: who + "tagged signature", enc: m.tsig, layout: layoutOf(m.tsig),
				check: func(b []byte) error { _, err := Verify(gk, o.msg, o.scope, b); return err },
				allow: allowBy(map[fieldKind][]error{fG1: errsSig, fScalar: errsSig}, nil),
			}, tamperTarget{
				// The tag alone, put back into its signature.
				name: who + "tag", enc: m.tag, layout: []field{{"tau", fG1, 0, len(m.tag)}},
				check: func(b []byte) error {
					tag, err := Verify(gk, o.msg, o.scope, splice(tsig, tauF, b))
					if err == nil && !bytes.Equal(tag, b) {
						return fmt.Errorf("Verify returned tag %x for τ %x", tag, b)
					}
					return err
				},
				allow: func(field) []error { return errsSig },
			})
			for _, op := range []struct {
				what     string
				scope    []byte
				sig, enc []byte
			}{{"opening", nil, m.sig, m.opening}, {"tagged opening", o.scope, m.tsig, m.topen}} {
				ts = append(ts, tamperTarget{
					name: who + op.what, enc: op.enc, layout: layoutOf(op.enc),
					check: func(b []byte) error {
						var x Opening
						if err := x.UnmarshalBinary(b); err != nil {
							return err
						}
						return VerifyOpening(gk, o.msg, op.scope, op.sig, &x)
					},
					allow: allowBy(map[fieldKind][]error{fG1: errsProof, fScalar: errsProof}, nil),
				})
			}
		}
	}
	ts = append(ts, tamperTarget{
		name: o.name + ": revocation record", enc: o.rec, layout: layoutOf(o.rec),
		check: func(b []byte) error {
			var rec RevocationRecord
			if err := rec.UnmarshalBinary(b); err != nil {
				return err
			}
			_, err := VerifyRecord(gk0, o.prev, &rec)
			return err
		},
		allow: allowBy(map[fieldKind][]error{fBytes: {ErrWrongGroup}, fEpoch: {ErrWrongGroup}, fLabel: errsRec, fG1: errsRec, fScalar: errsRec}, nil),
	})
	return ts
}

// TestTamper changes one bit or byte at a time in every object of the
// shared vectors (and of member-0 in our BN254 known answers): each change is refused
// by the check a consumer runs, with the sentinel of the changed field,
// and nothing panics.
func TestTamper(t *testing.T) {
	for _, o := range []*groupObjects{mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])} {
		t.Run(o.name, func(t *testing.T) {
			for _, tg := range tamperTargets(o, o.suite == SuiteBLS12381) {
				runTamper(t, tg)
			}
		})
	}
}

// TestTamperContext: valid objects checked in the wrong context are
// refused.
func TestTamperContext(t *testing.T) {
	for _, o := range []*groupObjects{mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])} {
		t.Run(o.name, func(t *testing.T) { testTamperContext(t, o) })
	}
}

func wantErr(t *testing.T, what string, err error, sentinels ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: ACCEPTED", what)
	} else if !isAny(err, sentinels...) {
		t.Errorf("%s: %v, want one of %v", what, err, sentinels)
	}
}

func testTamperContext(t *testing.T, o *groupObjects) {
	gk0, gk1 := o.gk0, o.gk1
	m0, m1 := o.members[0], o.members[1]
	other := mustObjects(t, katObjects[SuiteBLS12381]) // another group of BLS12-381
	if o.suite == SuiteBN254 {
		other = mustObjects(t, sharedObjects) // another suite
	}

	// Wrong message, wrong scope, scope and kind mismatched.
	for _, msg := range [][]byte{nil, []byte("veiL"), append(bytes.Clone(o.msg), 0), o.msg[:len(o.msg)-1], bytes.Repeat(o.msg, 2)} {
		_, err := Verify(gk0, msg, nil, m0.sig)
		wantErr(t, fmt.Sprintf("signature on %q", msg), err, ErrInvalidSignature)
		_, err = Verify(gk0, msg, o.scope, m0.tsig)
		wantErr(t, fmt.Sprintf("tagged signature on %q", msg), err, ErrInvalidSignature)
	}
	for _, sc := range [][]byte{append(bytes.Clone(o.scope), 'x'), o.scope[:len(o.scope)-1], []byte("veil/vote/topic-2"), {0}, bytes.Repeat([]byte{'s'}, 255)} {
		_, err := Verify(gk0, o.msg, sc, m0.tsig)
		wantErr(t, fmt.Sprintf("tagged signature in scope %.20q", sc), err, ErrInvalidSignature)
	}
	for _, sc := range [][]byte{{}, bytes.Repeat([]byte{'s'}, 256)} {
		_, err := Verify(gk0, o.msg, sc, m0.tsig)
		wantErr(t, fmt.Sprintf("tagged signature in a scope of %d bytes", len(sc)), err, ErrMalformed)
	}
	_, err := Verify(gk0, o.msg, nil, m0.tsig)
	wantErr(t, "tagged signature without a scope", err, ErrInvalidSignature)
	_, err = Verify(gk0, o.msg, o.scope, m0.sig)
	wantErr(t, "untagged signature with a scope", err, ErrInvalidSignature)

	// Tags: another member's τ, B_S or τ of epoch 1 in an epoch-0 signature.
	tauF := fieldNamed(layoutOf(m0.tsig), "tau")
	bs, _ := gk0.tagBase(o.scope)
	for what, tau := range map[string][]byte{"member-1's tag": m1.tag, "B_S": gk0.c.CompressG1(bs)[0], "the generator": gk0.c.CompressG1(gk0.c.G1Generator())[0]} {
		_, err := Verify(gk0, o.msg, o.scope, splice(m0.tsig, tauF, tau))
		wantErr(t, "tagged signature with "+what, err, ErrInvalidSignature)
	}

	// Epochs and groups: a signature verifies under its own key only.
	_, err = Verify(gk1, o.msg, nil, m0.sig)
	wantErr(t, "epoch-0 signature under gpk_1", err, ErrInvalidSignature)
	_, err = Verify(gk0, o.msg, o.scope, o.epoch1[0].tsig)
	wantErr(t, "epoch-1 tagged signature under gpk_0", err, ErrInvalidSignature)
	_, err = Verify(other.gk0, o.msg, nil, m0.sig)
	wantErr(t, "signature under another group", err, ErrInvalidSignature, ErrWrongSuite)

	// Openings against another signature, context or epoch.
	open := func(b []byte) *Opening {
		var x Opening
		if err := x.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		return &x
	}
	wantErr(t, "opening of member-0 on member-1's signature", VerifyOpening(gk0, o.msg, nil, m1.sig, open(m0.opening)), ErrInvalidProof)
	wantErr(t, "untagged opening on the same member's tagged signature", VerifyOpening(gk0, o.msg, o.scope, m0.tsig, open(m0.opening)), ErrInvalidProof)
	wantErr(t, "tagged opening on the same member's untagged signature", VerifyOpening(gk0, o.msg, nil, m0.sig, open(m0.topen)), ErrInvalidProof)
	wantErr(t, "opening with another message", VerifyOpening(gk0, []byte("other"), nil, m0.sig, open(m0.opening)), ErrInvalidSignature)
	wantErr(t, "opening under gpk_1", VerifyOpening(gk1, o.msg, nil, m0.sig, open(m0.opening)), ErrInvalidSignature)
	wantErr(t, "epoch-1 opening on the epoch-0 signature", VerifyOpening(gk0, o.msg, nil, m0.sig, open(o.epoch1[0].opening)), ErrInvalidProof)
	wantErr(t, "opening of another group", VerifyOpening(gk0, o.msg, nil, m0.sig, open(other.members[0].opening)), ErrInvalidProof, ErrWrongSuite)

	// Join records: a response against another member's request or group.
	for i := range o.members {
		j := (i + 1) % len(o.members)
		wantErr(t, fmt.Sprintf("response %d against request %d", i, j), o.joins[i].Response.Verify(gk0, o.joins[j].Request), ErrWrongGroup)
	}
	wantErr(t, "response against its request under another group's key", o.joins[0].Response.Verify(other.gk0, o.joins[0].Request), ErrWrongGroup, ErrWrongSuite)
	wantErr(t, "request under another group's key", o.joins[0].Request.Verify(other.gk0), ErrWrongGroup, ErrWrongSuite)
	// A join secret finished with another member's response.
	y0, _ := gk0.c.DecodeScalar(m0.y)
	js := &JoinSecret{y: y0, gk: gk0, req: o.joins[0].Request}
	_, err = js.Finish(o.joins[1].Response)
	wantErr(t, "join secret finished with another member's response", err, ErrWrongGroup)
	// Member keys checked under another group.
	var mk0 MemberKey
	if err := mk0.UnmarshalBinary(m0.mk); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "member key under another group's key", mk0.Check(other.gk0), ErrWrongGroup, ErrWrongSuite)

	// Records: wrong prev, wrong epoch, wrong group; updating under a
	// wrong label.
	var rec RevocationRecord
	if err := rec.UnmarshalBinary(o.rec); err != nil {
		t.Fatal(err)
	}
	for what, prev := range map[string][32]byte{"its own hash": rec.Hash(), "one bit set": {31: 1}, "gref": gk0.Ref()} {
		_, err := VerifyRecord(gk0, prev, &rec)
		wantErr(t, "record with prev = "+what, err, ErrInvalidRevocation)
		_, err = CheckRevocation(gk0, prev, &rec, o.joins, streamRand("batch"))
		wantErr(t, "CheckRevocation with prev = "+what, err, ErrInvalidRevocation)
		_, err = mk0.Update(gk0, m0.label, prev, &rec)
		wantErr(t, "Update with prev = "+what, err, ErrInvalidRevocation)
	}
	_, err = VerifyRecord(gk1, o.prev, &rec)
	wantErr(t, "record into epoch 1 checked at epoch 1", err, ErrWrongGroup)
	// §6: e < 2^64 − 1; a validly signed record into "epoch 0" after the
	// last epoch (the counter wrapping) is refused.
	gkMax, _ := gk0.AtEpoch(^uint64(0))
	wrap := issuerSignsAt(t, o, gkMax, o.prev, recordBody(byte(o.suite), gk0.Ref(), 0, o.revoked, nil))
	_, err = VerifyRecord(gkMax, o.prev, wrap)
	wantErr(t, "record into epoch 0 after epoch 2^64 − 1", err, ErrWrongGroup)
	_, err = VerifyRecord(other.gk0, o.prev, &rec)
	wantErr(t, "record checked under another group", err, ErrWrongGroup, ErrWrongSuite)
	_, err = mk0.Update(gk0, m1.label, o.prev, &rec)
	wantErr(t, "member-0's key updated as member-1", err, ErrInvalidRevocation)
	for _, l := range []string{o.revoked[0], "member-9"} {
		_, err = mk0.Update(gk0, l, o.prev, &rec)
		wantErr(t, "member-0's key updated as "+l, err, ErrRevoked)
	}

	// CheckRevocation against current(e) with a member missing, an extra
	// member, a member swapped for another.
	extra := newJoinRecord(t, o, "member-3")
	cases := map[string][]*JoinRecord{
		"a re-issued member missing": {o.joins[0], o.joins[2]},
		"the revoked member missing": {o.joins[0], o.joins[1]},
		"an extra member":            {o.joins[0], o.joins[1], o.joins[2], extra},
		"the revoked member swapped": {o.joins[0], o.joins[1], extra},
		"a re-issued member swapped": {o.joins[0], extra, o.joins[2]},
		"no members":                 nil,
	}
	for what, cur := range cases {
		_, err := CheckRevocation(gk0, o.prev, &rec, cur, streamRand("batch"))
		wantErr(t, "CheckRevocation with "+what, err, ErrInvalidRevocation)
	}
	if _, err := CheckRevocation(gk0, o.prev, &rec, []*JoinRecord{o.joins[2], o.joins[1], o.joins[0]}, streamRand("batch")); err != nil {
		t.Errorf("CheckRevocation with current in another order: %v", err)
	}
}

// newJoinRecord joins a new member to o's group through a fresh registry
// (it does not know o's members): a valid join record of the group.
func newJoinRecord(t *testing.T, o *groupObjects, label string) *JoinRecord {
	t.Helper()
	reg, err := NewRegistry(o.gk0)
	if err != nil {
		t.Fatal(err)
	}
	var ip IssuerProof
	var op OpenerProof
	if ip.UnmarshalBinary(o.ip) != nil || op.UnmarshalBinary(o.op) != nil {
		t.Fatal("proofs")
	}
	rnd := streamRand("join " + label)
	_, id, _ := ed25519.GenerateKey(rnd)
	req, _, err := NewJoinRequest(o.gk0, &ip, &op, label, id, rnd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := reg.Issue(o.ik, req, rnd)
	if err != nil {
		t.Fatal(err)
	}
	return &JoinRecord{Request: req, Response: resp}
}

// labA is one re-issued member of a record body.
type labA struct {
	label string
	a     []byte
}

// recordBody encodes a record's body (§6) exactly as given, valid or not.
func recordBody(suite byte, ref [32]byte, epoch uint64, revoked []string, reissued []labA) []byte {
	b := append([]byte{suite, kindRecord}, ref[:]...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = binary.BigEndian.AppendUint32(b, uint32(len(revoked)))
	for _, l := range revoked {
		b = append(append(b, byte(len(l))), l...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(reissued)))
	for _, r := range reissued {
		b = append(append(append(b, byte(len(r.label))), r.label...), r.a...)
	}
	return b
}

// issuerSigns signs a record body with the group's γ over prev: a record
// with a valid proof whatever its lists say, as a faulty issuer could
// publish one.
func issuerSigns(t *testing.T, o *groupObjects, prev [32]byte, body []byte) *RevocationRecord {
	return issuerSignsAt(t, o, o.gk0, prev, body)
}

// issuerSignsAt is issuerSigns with the proof checked under gk (whose
// next epoch the body names).
func issuerSignsAt(t *testing.T, o *groupObjects, gk *GroupKey, prev [32]byte, body []byte) *RevocationRecord {
	t.Helper()
	c, ik := o.gk0.c, o.ik
	k, err := randomNonzero(c, streamRand(fmt.Sprintf("record %x", body)))
	if err != nil {
		t.Fatal(err)
	}
	ch := recordChallenge(o.gk0, prev, body, c.MulG2(c.G2Generator(), k))
	enc := c.AppendScalar(c.AppendScalar(bytes.Clone(body), ch), c.Add(k, c.Mul(ch, ik.gamma)))
	rec := new(RevocationRecord)
	if err := rec.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	kw := c.AddG2(c.MulG2(c.G2Generator(), rec.s), c.MulG2(gk.g.w, c.Neg(rec.ch)))
	if !c.Equal(recordChallenge(gk, prev, body, kw), rec.ch) {
		t.Fatal("the issuer's own record does not verify")
	}
	return rec
}

// TestRevocationBadCertificate: a record with a valid proof whose A' for
// one member is not that member's certificate passes VerifyRecord (the
// member's check) but not CheckRevocation (the node's), whose batched
// check fails and names the first bad member; that member's Update
// refuses it, the others' succeed.
func TestRevocationBadCertificate(t *testing.T) {
	for _, o := range []*groupObjects{mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])} {
		t.Run(o.name, func(t *testing.T) {
			c := o.gk0.c
			var rec RevocationRecord
			if err := rec.UnmarshalBinary(o.rec); err != nil {
				t.Fatal(err)
			}
			l0, l1 := o.epoch1[0].label, o.epoch1[1].label
			a0, _ := rec.ReissuedA(l0)
			a1, _ := rec.ReissuedA(l1)
			g := c.CompressG1(c.G1Generator())[0]
			old1 := o.members[slicesIndex(o.members, l1)].a // member-1's epoch-0 certificate
			cases := []struct {
				what   string
				as     [2][]byte
				naming string
			}{
				{"member-1's A' is its epoch-0 A", [2][]byte{a0, old1}, l1},
				{"member-1's A' is the generator", [2][]byte{a0, g}, l1},
				{"member-0's A' is member-1's", [2][]byte{a1, a1}, l0},
				{"A' swapped", [2][]byte{a1, a0}, l0},
				{"both wrong", [2][]byte{g, old1}, l0},
			}
			for _, tc := range cases {
				body := recordBody(c.suite, o.gk0.Ref(), 1, o.revoked, []labA{{l0, tc.as[0]}, {l1, tc.as[1]}})
				bad := issuerSigns(t, o, o.prev, body)
				_, err := CheckRevocation(o.gk0, o.prev, bad, o.joins, streamRand("batch "+tc.what))
				wantErr(t, tc.what, err, ErrInvalidRevocation)
				if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.naming)) {
					t.Errorf("%s: %v does not name %q", tc.what, err, tc.naming)
				}
				for i, m := range o.epoch1 {
					var mk MemberKey
					if err := mk.UnmarshalBinary(o.members[slicesIndex(o.members, m.label)].mk); err != nil {
						t.Fatal(err)
					}
					_, err := mk.Update(o.gk0, m.label, o.prev, bad)
					good := [2][]byte{a0, a1}
					if bytes.Equal(tc.as[i], good[i]) {
						if err != nil {
							t.Errorf("%s: %s's update with its own A': %v", tc.what, m.label, err)
						}
					} else {
						wantErr(t, tc.what+": update of "+m.label, err, ErrInvalidRevocation)
					}
				}
			}
			// The same body with correct A' signed anew is accepted: the
			// failures above are the certificates'.
			body := recordBody(c.suite, o.gk0.Ref(), 1, o.revoked, []labA{{l0, a0}, {l1, a1}})
			if _, err := CheckRevocation(o.gk0, o.prev, issuerSigns(t, o, o.prev, body), o.joins, streamRand("batch")); err != nil {
				t.Fatalf("re-signed good record: %v", err)
			}
			// A record that lists the members wrongly, with a valid proof.
			for what, lists := range map[string]struct {
				rev []string
				re  []labA
			}{
				"revokes a non-member":   {[]string{"member-9"}, []labA{{l0, a0}, {l1, a1}}},
				"omits the revoked one":  {[]string{l0}, []labA{{l1, a1}}},
				"re-issues a non-member": {o.revoked, []labA{{l0, a0}, {l1, a1}, {"member-9", a1}}},
			} {
				bad := issuerSigns(t, o, o.prev, recordBody(c.suite, o.gk0.Ref(), 1, lists.rev, lists.re))
				_, err := CheckRevocation(o.gk0, o.prev, bad, o.joins, streamRand("batch"))
				wantErr(t, "record that "+what, err, ErrInvalidRevocation)
			}
		})
	}
}
