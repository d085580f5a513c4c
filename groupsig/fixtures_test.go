package groupsig

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"sync"
	"testing"
)

// Shared by the tamper, decoder, fuzz and known-answer tests: the objects
// of one group, decoded once per process, from the shared vectors
// (BLS12-381) or from this package's own known-answer files (both
// suites), which use the shared vectors' JSON layout.

// groupObjects is one group with one of every object, as encodings, and
// the decoded keys the checks need.
type groupObjects struct {
	name       string
	suite      Suite
	gk0, gk1   *GroupKey
	ik         *IssuerKey
	ok         *OpenerKey
	ip, op     []byte // issuer and opener proofs
	msg, scope []byte
	members    []memberObjects // epoch 0, by index
	joins      []*JoinRecord   // by index
	prev       [32]byte        // the record's prev (zeros)
	rec        []byte          // the record into epoch 1
	revoked    []string
	epoch1     []memberObjects // the re-issued members at epoch 1
}

// memberObjects is one member's objects at one epoch; req, resp, y and
// seed are set at epoch 0 only.
type memberObjects struct {
	index                          int
	label                          string
	seed                           []byte // Ed25519 identity seed
	y                              []byte
	a                              []byte // compressed A at this epoch
	req, resp                      []byte
	mk                             []byte
	sig, tsig, tag, opening, topen []byte
}

// readVectors reads a file in the shared vectors' layout.
func readVectors(path string) (*vectors, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := new(vectors)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// objectsOf decodes the keys of a vectors file and collects its objects.
func objectsOf(name string, v *vectors) (*groupObjects, error) {
	o := &groupObjects{name: name, suite: Suite(v.Suite), msg: v.Message, scope: v.Scope,
		ip: v.IssuerProof, op: v.OpenerProof, rec: v.Revocation.Record, revoked: v.Revocation.Revoked}
	o.gk0 = new(GroupKey)
	if err := o.gk0.UnmarshalBinary(v.GroupKey); err != nil {
		return nil, err
	}
	c := o.gk0.c
	o.ik = new(IssuerKey)
	if err := o.ik.UnmarshalBinary(append(append([]byte{c.suite, kindIssuerKey}, v.Gamma...), v.GroupKey...)); err != nil {
		return nil, err
	}
	o.ok = new(OpenerKey)
	if err := o.ok.UnmarshalBinary(append(append(append([]byte{c.suite, kindOpenerKey}, v.Xi1...), v.Xi2...), v.GroupKey...)); err != nil {
		return nil, err
	}
	o.gk1 = new(GroupKey)
	if err := o.gk1.UnmarshalBinary(v.Revocation.GroupKey); err != nil {
		return nil, err
	}
	if !o.gk1.SameGroup(o.gk0) || o.gk1.Epoch() != 1 {
		return nil, errors.New("revocation.group_public_key is not gpk_1 of the group")
	}
	o.gk1, _ = o.gk0.AtEpoch(1) // share the group's tables
	copy(o.prev[:], v.Revocation.Prev)
	for _, m := range v.Members {
		o.members = append(o.members, memberObjects{index: m.Index, label: m.Label, seed: m.IdentitySeed, y: m.Y, a: m.A,
			req: m.JoinRequest, resp: m.JoinResponse, mk: m.MemberKey,
			sig: m.Signature, tsig: m.Tagged, tag: m.Tag, opening: m.Opening, topen: m.TaggedOpening})
		j := &JoinRecord{Request: new(JoinRequest), Response: new(JoinResponse)}
		if err := j.Request.UnmarshalBinary(m.JoinRequest); err != nil {
			return nil, err
		}
		if err := j.Response.UnmarshalBinary(m.JoinResponse); err != nil {
			return nil, err
		}
		o.joins = append(o.joins, j)
	}
	for _, m := range v.Revocation.Members {
		o.epoch1 = append(o.epoch1, memberObjects{index: m.Index, label: m.Label, a: m.A, mk: m.MemberKey,
			sig: m.Signature, tsig: m.Tagged, tag: m.Tag, opening: m.Opening, topen: m.TaggedOpening})
	}
	return o, nil
}

// sharedObjects is the shared vectors (BLS12-381, from the independent
// implementation).
var sharedObjects = sync.OnceValues(func() (*groupObjects, error) {
	v, err := readVectors("testdata/groupsig-v2-bls12381.json")
	if err != nil {
		return nil, err
	}
	return objectsOf("vectors", v)
})

// katObjects is this package's known-answer file of a suite.
var katObjects = map[Suite]func() (*groupObjects, error){
	SuiteBLS12381: sync.OnceValues(func() (*groupObjects, error) { return katObjectsOf(SuiteBLS12381) }),
	SuiteBN254:    sync.OnceValues(func() (*groupObjects, error) { return katObjectsOf(SuiteBN254) }),
}

func katObjectsOf(s Suite) (*groupObjects, error) {
	v, err := readVectors(katPath[s])
	if err != nil {
		return nil, err
	}
	return objectsOf("kat-"+s.String(), v)
}

func mustObjects(t testing.TB, f func() (*groupObjects, error)) *groupObjects {
	t.Helper()
	o, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// allObjects is the shared vectors and both suites' known answers.
func allObjects(t testing.TB) []*groupObjects {
	return []*groupObjects{mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBLS12381]), mustObjects(t, katObjects[SuiteBN254])}
}

// streamRand is a deterministic random stream: ChaCha8 keyed with the
// SHA-256 of a seed string. Only for tests.
func streamRand(seed string) *rand.ChaCha8 { return rand.NewChaCha8(sha256.Sum256([]byte(seed))) }

// fixedReader serves exactly the bytes given, then fails: to hand an
// operation its ρ and nothing else.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	if len(r.b) < len(p) {
		return 0, errors.New("fixedReader: exhausted")
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// Field layouts of §1–§6 encodings, for tests that change one field.

type fieldKind int

const (
	fSuite  fieldKind = iota
	fKind             // the kind byte
	fBytes            // gid, gref, hreq: opaque bytes
	fEpoch            // u64be
	fCount            // u32be
	fLabLen           // the length byte of lab(L)
	fLabel            // the bytes of L
	fIdpk             // Ed25519 identity key
	fIdsig            // Ed25519 signature
	fG1
	fG2
	fScalar
	fNested // a whole nested encoding (group key, request)
)

type field struct {
	name string
	kind fieldKind
	off  int
	n    int
}

// layoutOf splits a valid encoding into its fields. Nested encodings
// (the group key in an issuer key, …) are one fNested field each.
func layoutOf(b []byte) []field {
	c := curveOf(b[0])
	if c == nil || len(b) < 2 {
		panic(fmt.Sprintf("layoutOf: %x…", b[:min(len(b), 4)]))
	}
	var out []field
	off := 0
	add := func(name string, k fieldKind, n int) {
		out = append(out, field{name, k, off, n})
		off += n
	}
	lab := func(name string) {
		n := int(b[off])
		add(name+" length", fLabLen, 1)
		add(name, fLabel, n)
	}
	g1, sc := c.G1Size(), scalarSize
	add("suite", fSuite, 1)
	add("kind", fKind, 1)
	switch b[1] {
	case kindGroupKey:
		add("gid", fBytes, 32)
		add("epoch", fEpoch, 8)
		add("u", fG1, g1)
		add("v", fG1, g1)
		add("w", fG2, c.G2Size())
	case kindIssuerProof:
		add("c", fScalar, sc)
		add("s", fScalar, sc)
	case kindOpenerProof:
		add("c", fScalar, sc)
		add("s1", fScalar, sc)
		add("s2", fScalar, sc)
	case kindJoinRequest:
		add("gref", fBytes, 32)
		lab("label")
		add("idpk", fIdpk, 32)
		add("H", fG1, g1)
		add("c", fScalar, sc)
		add("s", fScalar, sc)
		add("idsig", fIdsig, 64)
	case kindJoinResponse:
		add("gref", fBytes, 32)
		add("epoch", fEpoch, 8)
		lab("label")
		add("hreq", fBytes, 32)
		add("x", fScalar, sc)
		add("A", fG1, g1)
	case kindMemberKey:
		add("gref", fBytes, 32)
		add("epoch", fEpoch, 8)
		add("A", fG1, g1)
		add("x", fScalar, sc)
		add("y", fScalar, sc)
	case kindSignature, kindTagged:
		add("T1", fG1, g1)
		add("T2", fG1, g1)
		add("T3", fG1, g1)
		if b[1] == kindTagged {
			add("tau", fG1, g1)
		}
		for _, s := range []string{"c", "s_alpha", "s_beta", "s_x", "s_delta1", "s_delta2", "s_y"} {
			add(s, fScalar, sc)
		}
	case kindOpening:
		add("A", fG1, g1)
		add("c", fScalar, sc)
		add("s1", fScalar, sc)
		add("s2", fScalar, sc)
	case kindRecord:
		add("gref", fBytes, 32)
		add("epoch", fEpoch, 8)
		k := int(binary.BigEndian.Uint32(b[off:]))
		add("k", fCount, 4)
		for i := range k {
			lab(fmt.Sprintf("revoked[%d]", i))
		}
		n := int(binary.BigEndian.Uint32(b[off:]))
		add("n", fCount, 4)
		for i := range n {
			lab(fmt.Sprintf("reissued[%d]", i))
			add(fmt.Sprintf("reissued[%d].A'", i), fG1, g1)
		}
		add("c", fScalar, sc)
		add("s", fScalar, sc)
	case kindIssuerKey:
		add("gamma", fScalar, sc)
		add("gpk_0", fNested, groupKeySize(c))
	case kindOpenerKey:
		add("xi1", fScalar, sc)
		add("xi2", fScalar, sc)
		add("gpk_0", fNested, groupKeySize(c))
	case kindJoinSecret:
		add("y", fScalar, sc)
		add("gpk_0", fNested, groupKeySize(c))
		add("request", fNested, len(b)-off)
	default:
		panic(fmt.Sprintf("layoutOf: kind 0x%02x", b[1]))
	}
	if off != len(b) {
		panic(fmt.Sprintf("layoutOf: kind 0x%02x: layout covers %d of %d bytes", b[1], off, len(b)))
	}
	return out
}

// fieldNamed returns the field of a layout by name.
func fieldNamed(l []field, name string) field {
	for _, f := range l {
		if f.name == name {
			return f
		}
	}
	panic("no field " + name)
}

// splice returns b with the field f replaced by v (of any length).
func splice(b []byte, f field, v []byte) []byte {
	out := append([]byte(nil), b[:f.off]...)
	return append(append(out, v...), b[f.off+f.n:]...)
}

// isAny reports whether err wraps one of the sentinels.
func isAny(err error, sentinels ...error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// callSafely runs f and turns a panic into an error that names it.
func callSafely(f func() error) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			err, panicked = fmt.Errorf("panic: %v\n%s", r, debug.Stack()), true
		}
	}()
	return f(), false
}

// flip returns b with b[i] ^= mask.
func flip(b []byte, i int, mask byte) []byte {
	out := bytes.Clone(b)
	out[i] ^= mask
	return out
}
