package groupsig

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "write the fuzz seed corpus into testdata/fuzz")

// Fuzz targets for every decoder and for Verify. The seeds are the shared
// vectors (BLS12-381), our BN254 known answers (a group made by Setup on a
// fixed stream) and edge cases; they are committed under testdata/fuzz
// (go test -run TestWriteFuzzCorpus -write-corpus), and TestFuzzCorpus
// checks that the files are there; the crashers the fuzzers found are
// kept there as regressions (FuzzRegistry/11a91fb118d8038d,
// FuzzVerify/827086b89c14c252). Each target checks: no panic, refusals
// wrap a sentinel, what is accepted re-encodes to the same bytes
// and, where a check needs a secret the fuzzer does not have, that only
// the genuine object passes it.

// fuzzGroups are the groups of the seeds: the shared vectors and the
// BN254 known answers.
var fuzzGroups = sync.OnceValue(func() []*groupObjects {
	var out []*groupObjects
	for _, f := range []func() (*groupObjects, error){sharedObjects, katObjects[SuiteBN254]} {
		o, err := f()
		if err != nil {
			panic(err)
		}
		out = append(out, o)
	}
	return out
})

// fuzzKeys are the group keys Verify is fuzzed under, by selector.
func fuzzKeys() []*GroupKey {
	var out []*GroupKey
	for _, o := range fuzzGroups() {
		out = append(out, o.gk0, o.gk1)
	}
	return out
}

// genuine is what a fuzzer cannot forge: the objects of the seed groups.
type genuineSig struct {
	key  int // index in fuzzKeys
	sig  string
	msg  string
	tag  []byte
	tagd bool
}

var genuineSigs = sync.OnceValue(func() []genuineSig {
	var out []genuineSig
	for gi, o := range fuzzGroups() {
		for e, ms := range [][]memberObjects{o.members, o.epoch1} {
			for _, m := range ms {
				out = append(out, genuineSig{key: 2*gi + e, sig: string(m.sig), msg: string(o.msg)},
					genuineSig{key: 2*gi + e, sig: string(m.tsig), msg: string(o.msg), tag: m.tag, tagd: true})
			}
		}
	}
	return out
})

func isGenuineSig(key int, sig, msg []byte, tagged bool) (genuineSig, bool) {
	for _, g := range genuineSigs() {
		if g.key == key && g.sig == string(sig) && g.msg == string(msg) && g.tagd == tagged {
			return g, true
		}
	}
	return genuineSig{}, false
}

var allSentinels = []error{ErrMalformed, ErrWrongSuite, ErrWrongGroup, ErrInvalidSignature, ErrInvalidProof, ErrInvalidKey,
	ErrInvalidRevocation, ErrRevoked, ErrUnknownMember, ErrDuplicate, ErrRandom, ErrNotAccountable}

func wantSentinel(t *testing.T, err error, sentinels ...error) {
	t.Helper()
	if len(sentinels) == 0 {
		sentinels = allSentinels
	}
	if !isAny(err, sentinels...) {
		t.Fatalf("refusal wraps none of %v: %v", sentinels, err)
	}
}

type codec interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// fuzzDecode decodes data into v: a refusal must wrap one of sentinels;
// what is accepted must re-encode to data. It reports acceptance.
func fuzzDecode(t *testing.T, v codec, data []byte, sentinels ...error) bool {
	t.Helper()
	if err := v.UnmarshalBinary(data); err != nil {
		wantSentinel(t, err, sentinels...)
		return false
	}
	back, err := v.MarshalBinary()
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("accepted %x re-encodes as %x (%v)", data, back, err)
	}
	return true
}

func groupOfRef(ref [32]byte) *groupObjects {
	for _, o := range fuzzGroups() {
		if o.gk0.Ref() == ref {
			return o
		}
	}
	return nil
}

func FuzzGroupKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var gk GroupKey
		if !fuzzDecode(t, &gk, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		gpk0 := bytes.Clone(data)
		clear(gpk0[34:42])
		gid := gk.GID()
		if gk.Ref() != sha256.Sum256(gpk0) || gk.Epoch() != binary.BigEndian.Uint64(data[34:]) || !bytes.Equal(gid[:], data[2:34]) {
			t.Fatal("gref, epoch or gid is not the encoding's")
		}
		if again, err := gk.AtEpoch(gk.Epoch()); err != nil || !again.Equal(&gk) {
			t.Fatalf("AtEpoch(own epoch): %v", err)
		}
	})
}

// fuzzProof fuzzes a proof of the group key: verified under each seed
// group, only the group's own proof passes.
func fuzzProof(f *testing.F, newP func() interface {
	codec
	Verify(*GroupKey) error
}, genuine func(o *groupObjects) []byte) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p := newP()
		if !fuzzDecode(t, p, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		for _, o := range fuzzGroups() {
			err := p.Verify(o.gk0)
			if err == nil && !bytes.Equal(data, genuine(o)) {
				t.Fatalf("a proof other than %s's verifies", o.name)
			}
			if err != nil {
				wantSentinel(t, err, ErrInvalidProof, ErrWrongSuite)
			}
		}
	})
}

func FuzzIssuerProof(f *testing.F) {
	fuzzProof(f, func() interface {
		codec
		Verify(*GroupKey) error
	} {
		return new(IssuerProof)
	}, func(o *groupObjects) []byte { return o.ip })
}

func FuzzOpenerProof(f *testing.F) {
	fuzzProof(f, func() interface {
		codec
		Verify(*GroupKey) error
	} {
		return new(OpenerProof)
	}, func(o *groupObjects) []byte { return o.op })
}

func FuzzIssuerKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var ik IssuerKey
		if fuzzDecode(t, &ik, data, ErrMalformed, ErrWrongSuite, ErrInvalidKey) {
			if gk, _ := ik.GroupKey().MarshalBinary(); !bytes.Equal(gk, data[2+scalarSize:]) {
				t.Fatal("the key's group key is not the nested one")
			}
		}
	})
}

func FuzzOpenerKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var ok OpenerKey
		if fuzzDecode(t, &ok, data, ErrMalformed, ErrWrongSuite, ErrInvalidKey) {
			if gk, _ := ok.GroupKey().MarshalBinary(); !bytes.Equal(gk, data[2+2*scalarSize:]) {
				t.Fatal("the key's group key is not the nested one")
			}
		}
	})
}

func FuzzJoinRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var q JoinRequest
		if !fuzzDecode(t, &q, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		if q.Hash() != sha256.Sum256(data) || CheckLabel(q.Label()) != nil {
			t.Fatal("hreq or label")
		}
		o := groupOfRef(q.GroupRef())
		if o == nil {
			return
		}
		if err := q.Verify(o.gk0); err == nil {
			if !slices.ContainsFunc(o.members, func(m memberObjects) bool { return bytes.Equal(m.req, data) }) {
				t.Fatal("a request other than the genuine ones verifies")
			}
		} else {
			wantSentinel(t, err, ErrInvalidProof, ErrWrongSuite, ErrMalformed)
		}
	})
}

func FuzzJoinResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var p JoinResponse
		if !fuzzDecode(t, &p, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		o := groupOfRef(p.GroupRef())
		if o == nil {
			return
		}
		for i, j := range o.joins {
			if err := p.Verify(o.gk0, j.Request); err == nil {
				if !bytes.Equal(data, o.members[i].resp) {
					t.Fatal("a response other than the genuine one verifies")
				}
			} else {
				wantSentinel(t, err, ErrInvalidKey, ErrWrongGroup, ErrWrongSuite)
			}
		}
	})
}

func FuzzJoinSecret(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var js JoinSecret
		if fuzzDecode(t, &js, data, ErrMalformed, ErrWrongSuite, ErrInvalidKey) {
			if req, _ := js.Request().MarshalBinary(); !bytes.HasSuffix(data, req) {
				t.Fatal("the secret's request is not the nested one")
			}
		}
	})
}

func FuzzMemberKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var mk MemberKey
		if !fuzzDecode(t, &mk, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		o := groupOfRef(mk.GroupRef())
		if o == nil {
			return
		}
		if err := mk.Check(o.gk0); err == nil {
			genuine := func(m memberObjects) bool { return bytes.Equal(m.mk, data) }
			if !slices.ContainsFunc(o.members, genuine) && !slices.ContainsFunc(o.epoch1, genuine) {
				t.Fatal("a member key other than the genuine ones checks")
			}
		} else {
			wantSentinel(t, err, ErrInvalidKey, ErrWrongSuite, ErrMalformed)
		}
	})
}

// FuzzSignature decodes signatures through Verify, under the seed group
// of their suite and kind (tagged ones in the seeds' scope).
func FuzzSignature(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for gi, o := range fuzzGroups() {
			var scope []byte
			if len(data) > 1 && data[1] == kindTagged {
				scope = o.scope
			}
			for e, gk := range []*GroupKey{o.gk0, o.gk1} {
				tag, err := Verify(gk, o.msg, scope, data)
				if err != nil {
					wantSentinel(t, err, ErrMalformed, ErrWrongSuite, ErrInvalidSignature)
					continue
				}
				g, ok := isGenuineSig(2*gi+e, data, o.msg, scope != nil)
				if !ok || !bytes.Equal(tag, g.tag) {
					t.Fatalf("a signature other than the genuine ones verifies (tag %x)", tag)
				}
			}
		}
	})
}

// FuzzVerify: untagged, under the key the selector picks; only genuine
// (key, signature, message) triples verify, and they verify again the
// same way.
func FuzzVerify(f *testing.F) {
	f.Fuzz(func(t *testing.T, sig, msg []byte, sel uint8) {
		keys := fuzzKeys()
		k := int(sel) % len(keys)
		tag, err := Verify(keys[k], msg, nil, sig)
		tag2, err2 := Verify(keys[k], msg, nil, sig)
		if (err == nil) != (err2 == nil) || !bytes.Equal(tag, tag2) {
			t.Fatalf("Verify is not consistent: %v, then %v", err, err2)
		}
		if err != nil {
			wantSentinel(t, err, ErrMalformed, ErrWrongSuite, ErrInvalidSignature)
			return
		}
		if _, ok := isGenuineSig(k, sig, msg, false); !ok || tag != nil {
			t.Fatalf("Verify accepts a signature that is not genuine (tag %x)", tag)
		}
	})
}

// FuzzVerifyScope: tagged, in the given scope, under the key the selector
// picks; only genuine signatures verify, with their τ.
func FuzzVerifyScope(f *testing.F) {
	f.Fuzz(func(t *testing.T, sig, msg, scope []byte, sel uint8) {
		keys := fuzzKeys()
		k := int(sel) % len(keys)
		tag, err := Verify(keys[k], msg, scope, sig)
		tag2, err2 := Verify(keys[k], msg, scope, sig)
		if (err == nil) != (err2 == nil) || !bytes.Equal(tag, tag2) {
			t.Fatalf("Verify is not consistent: %v, then %v", err, err2)
		}
		if err != nil {
			wantSentinel(t, err, ErrMalformed, ErrWrongSuite, ErrInvalidSignature)
			return
		}
		g, ok := isGenuineSig(k, sig, msg, true)
		o := fuzzGroups()[k/2]
		if !ok || !bytes.Equal(scope, o.scope) || !bytes.Equal(tag, g.tag) {
			t.Fatalf("Verify accepts a tagged signature that is not genuine (tag %x)", tag)
		}
	})
}

// fuzzOpenings are the genuine signatures openings are checked against,
// by selector: each seed group's member-0, untagged and tagged, epoch 0.
func fuzzOpenings() []struct {
	o                   *groupObjects
	scope, sig, opening []byte
} {
	var out []struct {
		o                   *groupObjects
		scope, sig, opening []byte
	}
	for _, o := range fuzzGroups() {
		m := o.members[0]
		out = append(out, struct {
			o                   *groupObjects
			scope, sig, opening []byte
		}{o, nil, m.sig, m.opening}, struct {
			o                   *groupObjects
			scope, sig, opening []byte
		}{o, o.scope, m.tsig, m.topen})
	}
	return out
}

func FuzzOpening(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		var op Opening
		if !fuzzDecode(t, &op, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		ops := fuzzOpenings()
		x := ops[int(sel)%len(ops)]
		if err := VerifyOpening(x.o.gk0, x.o.msg, x.scope, x.sig, &op); err == nil {
			if !bytes.Equal(data, x.opening) {
				t.Fatal("an opening other than the genuine one checks")
			}
		} else {
			wantSentinel(t, err, ErrInvalidProof, ErrWrongSuite)
		}
	})
}

func FuzzRevocationRecord(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec RevocationRecord
		if !fuzzDecode(t, &rec, data, ErrMalformed, ErrWrongSuite) {
			return
		}
		rev, re := rec.Revoked(), rec.Reissued()
		if len(rev) == 0 || !strictlyIncreasing(rev) || !strictlyIncreasing(re) {
			t.Fatalf("accepted lists %q, %q", rev, re)
		}
		for _, l := range re {
			if slices.Contains(rev, l) {
				t.Fatalf("%q both revoked and re-issued", l)
			}
		}
		if rec.Hash() != sha256.Sum256(data) {
			t.Fatal("hash")
		}
		o := groupOfRef(rec.GroupRef())
		if o == nil {
			return
		}
		if _, err := VerifyRecord(o.gk0, o.prev, &rec); err == nil {
			if !bytes.Equal(data, o.rec) {
				t.Fatal("a record other than the genuine one verifies")
			}
		} else {
			wantSentinel(t, err, ErrInvalidRevocation, ErrWrongGroup, ErrWrongSuite)
		}
	})
}

func strictlyIncreasing(ls []string) bool {
	for i := 1; i < len(ls); i++ {
		if ls[i-1] >= ls[i] {
			return false
		}
	}
	return true
}

func FuzzRegistry(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var reg Registry
		if !fuzzDecode(t, &reg, data) {
			return
		}
		members := reg.Members()
		for _, j := range reg.Current() {
			if !slices.ContainsFunc(members, func(m RegistryMember) bool { return m.Label == j.Label() && m.RevokedAt == 0 }) {
				t.Fatalf("current member %q is not a member", j.Label())
			}
		}
		if uint64(len(reg.Records())) != reg.GroupKey().Epoch() {
			t.Fatal("epoch is not the number of records")
		}
	})
}

// FuzzEvidence feeds JSON to Evidence.Check: no panic, refusals wrap a
// sentinel, and only a genuine signature can be accountable.
func FuzzEvidence(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev Evidence
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		acc, err := ev.Check(nil)
		if err != nil {
			wantSentinel(t, err)
			return
		}
		keys := fuzzKeys()
		found := false
		for k, gk := range keys {
			gk0, _ := gk.AtEpoch(0)
			if enc, _ := gk0.MarshalBinary(); bytes.Equal(enc, ev.GroupKey) && gk.Epoch() == ev.Epoch {
				_, found = isGenuineSig(k, ev.Signature, ev.Message, ev.Scope != nil)
			}
		}
		if !found || acc.Label != ev.Label || acc.Epoch != ev.Epoch {
			t.Fatalf("evidence accountable for a signature that is not genuine: %+v", acc)
		}
	})
}

// dearmorTypes are the types Dearmor is fuzzed into, by selector.
var dearmorTypes = []func() codec{
	func() codec { return new(GroupKey) }, func() codec { return new(IssuerProof) }, func() codec { return new(OpenerProof) },
	func() codec { return new(IssuerKey) }, func() codec { return new(OpenerKey) }, func() codec { return new(JoinRequest) },
	func() codec { return new(JoinResponse) }, func() codec { return new(JoinSecret) }, func() codec { return new(MemberKey) },
	func() codec { return new(RevocationRecord) }, func() codec { return new(Opening) }, func() codec { return new(Registry) },
}

// FuzzDearmor feeds arbitrary text (PEM, hex or raw) to the file reader,
// into the type the selector picks: what it accepts armors and reads
// back to the same encoding.
func FuzzDearmor(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		newV := dearmorTypes[int(sel)%len(dearmorTypes)]
		v := newV()
		if _, err := Dearmor(data, v); err != nil {
			wantSentinel(t, err, ErrMalformed, ErrWrongSuite, ErrInvalidKey, ErrInvalidProof, ErrInvalidRevocation, ErrDuplicate, ErrWrongGroup)
			return
		}
		enc, err := v.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		block, err := Block(v, nil)
		if err != nil {
			t.Fatal(err)
		}
		back := newV()
		if _, err := Dearmor(pem.EncodeToMemory(block), back); err != nil {
			t.Fatalf("own armor does not read back: %v", err)
		}
		if enc2, _ := back.MarshalBinary(); !bytes.Equal(enc, enc2) {
			t.Fatal("armor round trip changed the encoding")
		}
	})
}

// fuzzSeeds are the committed seeds of each target.
func fuzzSeeds(t testing.TB) map[string][][]any {
	out := map[string][][]any{}
	one := func(target string, bs ...[]byte) {
		for _, b := range bs {
			out[target] = append(out[target], []any{b})
		}
	}
	// variants of a valid encoding: itself, cut in half, its middle byte
	// flipped, suite-only and header-only prefixes, a version-1 suite.
	variants := func(b []byte) [][]byte {
		v1 := bytes.Clone(b)
		v1[0] = 0x01
		return [][]byte{b, b[:len(b)/2], flip(b, len(b)/2, 0xff), b[:1], b[:2], v1}
	}
	groups := fuzzGroups()
	for _, o := range groups {
		enc := encodings(t, o)
		for target, kind := range map[string]byte{
			"FuzzGroupKey": kindGroupKey, "FuzzIssuerProof": kindIssuerProof, "FuzzOpenerProof": kindOpenerProof,
			"FuzzIssuerKey": kindIssuerKey, "FuzzOpenerKey": kindOpenerKey, "FuzzJoinRequest": kindJoinRequest,
			"FuzzJoinResponse": kindJoinResponse, "FuzzJoinSecret": kindJoinSecret, "FuzzMemberKey": kindMemberKey,
			"FuzzRevocationRecord": kindRecord,
		} {
			one(target, variants(enc[kind])...)
		}
		gk1, _ := o.gk1.MarshalBinary()
		one("FuzzGroupKey", gk1)
		one("FuzzMemberKey", o.epoch1[0].mk)
		one("FuzzSignature", variants(o.members[0].sig)...)
		one("FuzzSignature", variants(o.members[0].tsig)...)
		one("FuzzSignature", o.epoch1[0].sig, o.epoch1[0].tsig)
	}
	blsO, bnO := groups[0], groups[1]
	one("FuzzGroupKey", nil)
	one("FuzzRevocationRecord", recordBody(SuiteBLS12381, blsO.gk0.Ref(), 1, []string{"a", "ab"}, nil))
	one("FuzzJoinSecret", crossSuiteJoinSecret(t, blsO, bnO))

	// Openings: (opening, selector of the signature it is checked on).
	for i, x := range fuzzOpenings() {
		for _, b := range variants(x.opening) {
			out["FuzzOpening"] = append(out["FuzzOpening"], []any{b, uint8(i)})
		}
	}
	// Verify: genuine triples, another message, another key, a truncation.
	for gi, o := range groups {
		for e, ms := range [][]memberObjects{o.members[:1], o.epoch1[:1]} {
			k := uint8(2*gi + e)
			m := ms[0]
			out["FuzzVerify"] = append(out["FuzzVerify"], []any{m.sig, o.msg, k}, []any{m.sig, []byte("other"), k},
				[]any{m.sig, o.msg, k + 1}, []any{m.sig[:len(m.sig)-1], o.msg, k}, []any{m.tsig, o.msg, k})
			out["FuzzVerifyScope"] = append(out["FuzzVerifyScope"], []any{m.tsig, o.msg, o.scope, k},
				[]any{m.tsig, o.msg, []byte("other scope"), k}, []any{m.tsig, o.msg, []byte{}, k},
				[]any{m.tsig, o.msg, bytes.Repeat([]byte{'s'}, 256), k}, []any{m.sig, o.msg, o.scope, k})
		}
	}
	// Registries: the vectors' and the known answers' (joins and the
	// record), truncated, and the known-bug ones.
	for _, o := range groups {
		reg := registryOf(o)
		one("FuzzRegistry", reg, reg[:len(reg)-10], reg[:groupKeySize(o.gk0.c)+2+4+1])
	}
	one("FuzzRegistry", foreignResponseRegistry(t, blsO, bnO))
	// Evidence of member-0 at epochs 0 and 1, both suites.
	for _, o := range groups {
		for _, x := range []struct {
			gk      *GroupKey
			m       memberObjects
			records int
		}{{o.gk0, o.members[0], 0}, {o.gk1, o.epoch1[0], 1}} {
			var op Opening
			if err := op.UnmarshalBinary(x.m.topen); err != nil {
				t.Fatal(err)
			}
			var rec RevocationRecord
			if err := rec.UnmarshalBinary(o.rec); err != nil {
				t.Fatal(err)
			}
			join := o.joins[slicesIndex(o.members, x.m.label)]
			ev, err := NewEvidence(x.gk, o.msg, o.scope, x.m.tsig, &op, join, []*RevocationRecord{&rec}[:x.records])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(ev)
			one("FuzzEvidence", b)
		}
	}
	one("FuzzEvidence", []byte(`{"group_key":"11","epoch":18446744073709551615}`))
	// Dearmor: PEM, hex and raw of a member key, a registry, a request.
	for _, o := range groups {
		enc := encodings(t, o)
		for sel, b := range map[uint8][]byte{8: enc[kindMemberKey], 11: registryOf(o), 5: enc[kindJoinRequest], 0: enc[kindGroupKey]} {
			p := pem.EncodeToMemory(&pem.Block{Type: armorName(sel), Headers: map[string]string{"Label": "member-0"}, Bytes: b})
			out["FuzzDearmor"] = append(out["FuzzDearmor"], []any{p, sel}, []any{[]byte(hex.EncodeToString(b)), sel}, []any{b, sel})
		}
	}
	thresholdFuzzSeeds(t, out, variants)
	return out
}

func armorName(sel uint8) string {
	typ, _, _ := armorType(dearmorTypes[int(sel)%len(dearmorTypes)]())
	return typ
}

// registryOf encodes the registry of a seed group: its joins at epoch 0
// and its record into epoch 1 (this project's encoding, kind 84).
func registryOf(o *groupObjects) []byte {
	gk, _ := o.gk0.MarshalBinary()
	b := binary.BigEndian.AppendUint32(append([]byte{byte(o.suite), kindRegistry}, gk...), uint32(len(o.members)))
	for _, m := range o.members {
		b = append(binary.BigEndian.AppendUint16(b, uint16(len(m.req))), m.req...)
		b = append(binary.BigEndian.AppendUint16(b, uint16(len(m.resp))), m.resp...)
	}
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(len(o.rec)))
	return append(b, o.rec...)
}

// corpusFile is a seed in Go's corpus format and its file name.
func corpusFile(args []any) (string, []byte) {
	var body bytes.Buffer
	body.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&body, "[]byte(%q)\n", v)
		case uint8:
			fmt.Fprintf(&body, "byte(%q)\n", v)
		default:
			panic(fmt.Sprintf("corpus value %T", a))
		}
	}
	sum := sha256.Sum256(body.Bytes())
	return hex.EncodeToString(sum[:8]), body.Bytes()
}

// TestWriteFuzzCorpus writes the seeds as committed corpus files
// (go test -run TestWriteFuzzCorpus -write-corpus).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus to regenerate testdata/fuzz")
	}
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range seeds {
			name, body := corpusFile(s)
			if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFuzzCorpus checks that every seed is committed and every target has
// a corpus.
func TestFuzzCorpus(t *testing.T) {
	seeds := fuzzSeeds(t)
	for _, target := range append([]string{"FuzzGroupKey", "FuzzIssuerProof", "FuzzOpenerProof", "FuzzIssuerKey", "FuzzOpenerKey",
		"FuzzJoinRequest", "FuzzJoinResponse", "FuzzJoinSecret", "FuzzMemberKey", "FuzzSignature", "FuzzVerify",
		"FuzzVerifyScope", "FuzzOpening", "FuzzRevocationRecord", "FuzzRegistry", "FuzzEvidence", "FuzzDearmor"}, thresholdFuzzTargets...) {
		if len(seeds[target]) == 0 {
			t.Errorf("%s has no seeds", target)
		}
		for _, s := range seeds[target] {
			name, body := corpusFile(s)
			got, err := os.ReadFile(filepath.Join("testdata", "fuzz", target, name))
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%s: seed %s is not committed (go test -run TestWriteFuzzCorpus -write-corpus): %v", target, name, err)
			}
		}
	}
}
