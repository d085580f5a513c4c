package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"testing"
)

var updateKAT = flag.Bool("update-kat", false, "rewrite testdata/kat-v2-*.json from their fixed random streams")

// katPath is this package's known-answer file of each suite. §9 asks for
// one for BN254 (gnark's hash to G1 is not an RFC 9380 suite); the one for
// BLS12-381 pins what the shared vectors cannot: our own nonce
// derivation and order of draws (their ρ stream is gen.go's).
var katPath = map[Suite]string{
	SuiteBLS12381: "testdata/kat-v2-bls12381.json",
	SuiteBN254:    "testdata/kat-v2-bn254.json",
}

// katSeed keys each suite's ChaCha8 stream: ChaCha8(SHA-256(katSeed ‖ " "
// ‖ suite name)). Every random draw of the run comes from it, so the whole
// file is reproducible.
const katSeed = "veil groupsig v2 known answers"

var katLabels = []string{"member-0", "member-1", "member-2"}

// The known-answer file uses the shared vectors' layout (so that the same
// reader checks both) plus the keys' own encodings and HG_X on fixed
// inputs.
type kHex []byte

func (h kHex) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

type katJSON struct {
	Suite       int         `json:"suite"`
	RNG         string      `json:"rng"`
	GID         kHex        `json:"gid"`
	GRef        kHex        `json:"gref"`
	Bases       katBases    `json:"bases"`
	GroupKey    kHex        `json:"group_public_key"`
	IssuerProof kHex        `json:"issuer_proof"`
	OpenerProof kHex        `json:"opener_proof"`
	Gamma       kHex        `json:"gamma"`
	Xi1         kHex        `json:"xi1"`
	Xi2         kHex        `json:"xi2"`
	IssuerKey   kHex        `json:"issuer_key"`
	OpenerKey   kHex        `json:"opener_key"`
	Message     kHex        `json:"message"`
	Scope       kHex        `json:"scope"`
	Members     []katMember `json:"members"`
	Revocation  katRevoke   `json:"revocation"`
	HashToG1    []katHash   `json:"hash_to_g1"`
}

type katBases struct {
	H0      kHex `json:"h0"`
	H       kHex `json:"h"`
	G10     kHex `json:"g1_0"`
	G11     kHex `json:"g1_1"`
	TagBase kHex `json:"tag_base"`
}

type katMember struct {
	Index          int    `json:"index"`
	Label          string `json:"label"`
	IdentitySeed   kHex   `json:"identity_seed"`
	IdentityPublic kHex   `json:"identity_public_key"`
	Y              kHex   `json:"y"`
	X              kHex   `json:"x"`
	A              kHex   `json:"a"`
	JoinRequest    kHex   `json:"join_request"`
	JoinResponse   kHex   `json:"join_response"`
	MemberKey      kHex   `json:"member_key"`
	katSigs
}

type katSigs struct {
	Signature     kHex `json:"signature"`
	Opening       kHex `json:"opening"`
	Tagged        kHex `json:"tagged_signature"`
	Tag           kHex `json:"tag"`
	TaggedOpening kHex `json:"tagged_opening"`
}

type katReissued struct {
	Index     int    `json:"index"`
	Label     string `json:"label"`
	A         kHex   `json:"a"`
	MemberKey kHex   `json:"member_key"`
	katSigs
}

type katRevoke struct {
	Revoked  []string      `json:"revoked"`
	Prev     kHex          `json:"prev"`
	Record   kHex          `json:"record"`
	Hash     kHex          `json:"record_hash"`
	GroupKey kHex          `json:"group_public_key"`
	Members  []katReissued `json:"members"`
}

// katHash is HG_X(msg) with one of the suite's HG DSTs.
type katHash struct {
	DST   string `json:"dst"`
	Msg   kHex   `json:"msg"`
	Point kHex   `json:"point"`
}

func katRNG(s Suite) string {
	return fmt.Sprintf("ChaCha8(SHA-256(%q))", katSeed+" "+s.String())
}

// makeKAT runs a whole group on the suite's fixed stream: Setup, three
// joins through the registry, an untagged and a tagged signature per
// member with their openings, the revocation of member-2, and the two
// remaining members' epoch-1 keys, signatures and openings.
func makeKAT(s Suite) (*katJSON, error) {
	rnd := streamRand(katSeed + " " + s.String())
	gk, ik, ok, ip, op, err := Setup(s, rnd)
	if err != nil {
		return nil, err
	}
	c := gk.c
	reg, err := NewRegistry(gk)
	if err != nil {
		return nil, err
	}
	msg, scope := []byte("veil"), []byte("veil/vote/topic-1")
	enc := func(v interface{ MarshalBinary() ([]byte, error) }) kHex {
		b, err := v.MarshalBinary()
		if err != nil {
			panic(err)
		}
		return b
	}
	gid, ref := gk.GID(), gk.Ref()
	gk1, err := gk.AtEpoch(1)
	if err != nil {
		return nil, err
	}
	bs, err := gk.tagBase(scope)
	if err != nil {
		return nil, err
	}
	ikEnc, okEnc := enc(ik), enc(ok)
	k := &katJSON{
		Suite: int(s), RNG: katRNG(s), GID: gid[:], GRef: ref[:],
		Bases: katBases{H0: c.CompressG1(gk.g.h0)[0], H: c.CompressG1(gk.g.h)[0], G10: c.CompressG1(gk.g1)[0],
			G11: c.CompressG1(gk1.g1)[0], TagBase: c.CompressG1(bs)[0]},
		GroupKey: enc(gk), IssuerProof: enc(ip), OpenerProof: enc(op),
		Gamma: ikEnc[2 : 2+scalarSize], Xi1: okEnc[2 : 2+scalarSize], Xi2: okEnc[2+scalarSize : 2+2*scalarSize],
		IssuerKey: ikEnc, OpenerKey: okEnc, Message: msg, Scope: scope,
	}
	sigs := func(gke *GroupKey, mk *MemberKey) (katSigs, error) {
		var out katSigs
		var err error
		if out.Signature, err = Sign(gke, mk, msg, nil, rnd); err != nil {
			return out, err
		}
		if out.Tagged, err = Sign(gke, mk, msg, scope, rnd); err != nil {
			return out, err
		}
		if out.Tag, err = Verify(gke, msg, scope, out.Tagged); err != nil {
			return out, err
		}
		o, err := Open(ok, gke, msg, nil, out.Signature, rnd)
		if err != nil {
			return out, err
		}
		to, err := Open(ok, gke, msg, scope, out.Tagged, rnd)
		if err != nil {
			return out, err
		}
		out.Opening, out.TaggedOpening = enc(o), enc(to)
		return out, nil
	}
	mks := map[string]*MemberKey{}
	for i, label := range katLabels {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(rnd, seed); err != nil {
			return nil, err
		}
		id := ed25519.NewKeyFromSeed(seed)
		req, js, err := NewJoinRequest(gk, ip, op, label, id, rnd)
		if err != nil {
			return nil, err
		}
		resp, err := reg.Issue(ik, req, rnd)
		if err != nil {
			return nil, err
		}
		mk, err := js.Finish(resp)
		if err != nil {
			return nil, err
		}
		mks[label] = mk
		sg, err := sigs(gk, mk)
		if err != nil {
			return nil, err
		}
		k.Members = append(k.Members, katMember{Index: i, Label: label, IdentitySeed: seed, IdentityPublic: []byte(id.Public().(ed25519.PublicKey)),
			Y: c.AppendScalar(nil, mk.y), X: resp.X(), A: resp.A(), JoinRequest: enc(req), JoinResponse: enc(resp), MemberKey: enc(mk), katSigs: sg})
	}
	prev := reg.Prev()
	rec, err := reg.Revoke(ik, []string{"member-2"}, rnd)
	if err != nil {
		return nil, err
	}
	h := rec.Hash()
	k.Revocation = katRevoke{Revoked: rec.Revoked(), Prev: prev[:], Record: enc(rec), Hash: h[:], GroupKey: enc(reg.GroupKey())}
	for i, label := range rec.Reissued() {
		mk1, err := mks[label].Update(gk, label, prev, rec)
		if err != nil {
			return nil, err
		}
		sg, err := sigs(reg.GroupKey(), mk1)
		if err != nil {
			return nil, err
		}
		k.Revocation.Members = append(k.Revocation.Members, katReissued{Index: i, Label: label, A: mk1.A(), MemberKey: enc(mk1), katSigs: sg})
	}
	// HG_X of every HG DST on fixed inputs: for BN254 this pins gnark's
	// hash to G1 (SVDW, §9) with our DSTs.
	for _, d := range [][]byte{c.dst.hgH, c.dst.hgH0, c.dst.hgG1, c.dst.hgTag} {
		for _, m := range [][]byte{{}, []byte("abc"), gid[:], bytes.Repeat([]byte{0xff}, 200)} {
			p, err := c.hashG1(d, m)
			if err != nil {
				return nil, err
			}
			k.HashToG1 = append(k.HashToG1, katHash{DST: string(d), Msg: m, Point: c.CompressG1(p)[0]})
		}
	}
	return k, nil
}

func katBytes(k *katJSON) []byte {
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// TestKnownAnswersV2 regenerates each suite's run from its fixed stream
// and compares it with the committed file byte for byte: the wire
// format, the hedged nonces (§4.1), the order of random draws and hash to
// G1 cannot drift silently. Regenerate only for an intended change
// (go test -run TestKnownAnswersV2 -update-kat).
func TestKnownAnswersV2(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		k, err := makeKAT(s)
		if err != nil {
			t.Fatal(err)
		}
		got := katBytes(k)
		if *updateKAT {
			if err := os.WriteFile(katPath[s], got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(katPath[s])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("%s differs from the regenerated run at line %d:\n got  %s\n want %s", katPath[s], i+1, gl[i], wl[i])
				}
			}
			t.Fatalf("%s differs from the regenerated run: %d lines, want %d", katPath[s], len(gl), len(wl))
		}
	})
}

// TestKnownAnswersV2Check checks the committed files on their own,
// without regenerating them, as another implementation would: the
// shared vectors' checks applied to our files (and to the shared vectors).
func TestKnownAnswersV2Check(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) { checkObjects(t, o) })
	}
}

func checkObjects(t *testing.T, o *groupObjects) {
	gk, gk1 := o.gk0, o.gk1
	c := gk.c
	var ip IssuerProof
	var op OpenerProof
	if err := ip.UnmarshalBinary(o.ip); err != nil {
		t.Fatal(err)
	}
	if err := op.UnmarshalBinary(o.op); err != nil {
		t.Fatal(err)
	}
	if err := ip.Verify(gk); err != nil {
		t.Fatal(err)
	}
	if err := op.Verify(gk); err != nil {
		t.Fatal(err)
	}
	checkSigs := func(t *testing.T, gke *GroupKey, m memberObjects) {
		if tag, err := Verify(gke, o.msg, nil, m.sig); err != nil || tag != nil {
			t.Fatalf("untagged signature: %x %v", tag, err)
		}
		tag, err := Verify(gke, o.msg, o.scope, m.tsig)
		if err != nil || !bytes.Equal(tag, m.tag) {
			t.Fatalf("tagged signature: tag %x, want %x (%v)", tag, m.tag, err)
		}
		for _, x := range []struct{ scope, sig, opening []byte }{{nil, m.sig, m.opening}, {o.scope, m.tsig, m.topen}} {
			var op Opening
			if err := op.UnmarshalBinary(x.opening); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(op.A(), m.a) {
				t.Fatalf("opening names %x, want %x", op.A(), m.a)
			}
			if err := VerifyOpening(gke, o.msg, x.scope, x.sig, &op); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, m := range o.members {
		t.Run(m.label, func(t *testing.T) {
			req, resp := o.joins[i].Request, o.joins[i].Response
			if err := req.Verify(gk); err != nil {
				t.Fatal(err)
			}
			if err := resp.Verify(gk, req); err != nil {
				t.Fatal(err)
			}
			id := ed25519.NewKeyFromSeed(m.seed)
			if !bytes.Equal(req.IdentityKey(), id.Public().(ed25519.PublicKey)) {
				t.Fatal("idpk is not the seed's")
			}
			y, okY := c.DecodeScalar(m.y)
			if !okY || !bytes.Equal(req.H(), c.CompressG1(c.MulCT(gk.g.h0, y))[0]) {
				t.Fatal("H ≠ h0^y")
			}
			var mk MemberKey
			if err := mk.UnmarshalBinary(m.mk); err != nil {
				t.Fatal(err)
			}
			if err := mk.Check(gk); err != nil {
				t.Fatal(err)
			}
			checkSigs(t, gk, m)
		})
	}
	var rec RevocationRecord
	if err := rec.UnmarshalBinary(o.rec); err != nil {
		t.Fatal(err)
	}
	next, err := CheckRevocation(gk, o.prev, &rec, o.joins, streamRand("check"))
	if err != nil {
		t.Fatal(err)
	}
	if !next.Equal(gk1) {
		t.Fatal("CheckRevocation's gpk_1 is not the file's")
	}
	for _, m := range o.epoch1 {
		t.Run(m.label+"@1", func(t *testing.T) {
			var mk0, mk1 MemberKey
			idx := slicesIndex(o.members, m.label)
			if err := mk0.UnmarshalBinary(o.members[idx].mk); err != nil {
				t.Fatal(err)
			}
			if err := mk1.UnmarshalBinary(m.mk); err != nil {
				t.Fatal(err)
			}
			up, err := mk0.Update(gk, m.label, o.prev, &rec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(up.encode(), m.mk) {
				t.Fatal("updated key differs from the file's")
			}
			checkSigs(t, gk1, m)
			// τ does not change across epochs (§4).
			if !bytes.Equal(m.tag, o.members[idx].tag) {
				t.Fatal("tag changed across epochs")
			}
			if _, err := Verify(gk, o.msg, nil, m.sig); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("epoch-1 signature under gpk_0: %v", err)
			}
		})
	}
}

func slicesIndex(ms []memberObjects, label string) int {
	for i, m := range ms {
		if m.label == label {
			return i
		}
	}
	panic("no member " + label)
}

// hashRef is a reference vector of a hash to G1 from the suite library's
// upstream: RFC 9380 J.9.1 for BLS12381G1_XMD:SHA-256_SSWU_RO_ (circl's
// testdata), gnark-crypto v0.22.0's hash_vectors_test.go for
// BN254G1_XMD:SHA-256_SVDW_RO_ (§9: "pin gnark's vectors").
type hashRef struct{ msg, x, y string }

var hashRefs = map[Suite]struct {
	dst  string
	vecs []hashRef
}{
	SuiteBLS12381: {"QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_", []hashRef{
		{"", "052926add2207b76ca4fa57a8734416c8dc95e24501772c814278700eed6d1e4e8cf62d9c09db0fac349612b759e79a1", "08ba738453bfed09cb546dbb0783dbb3a5f1f566ed67bb6be0e8c67e2e81a4cc68ee29813bb7994998f3eae0c9c6a265"},
		{"abc", "03567bc5ef9c690c2ab2ecdf6a96ef1c139cc0b2f284dca0a9a7943388a49a3aee664ba5379a7655d3c68900be2f6903", "0b9c15f3fe6e5cf4211f346271d7b01c8f3b28be689c8429c85b67af215533311f0b8dfaaa154fa6b88176c229f2885d"},
		{"abcdef0123456789", "11e0b079dea29a68f0383ee94fed1b940995272407e3bb916bbf268c263ddd57a6a27200a784cbc248e84f357ce82d98", "03a87ae2caf14e8ee52e51fa2ed8eefe80f02457004ba4d486d6aa1f517c0889501dc7413753f9599b099ebcbbd2d709"},
		{"q128_" + strings.Repeat("q", 128), "15f68eaa693b95ccb85215dc65fa81038d69629f70aeee0d0f677cf22285e7bf58d7cb86eefe8f2e9bc3f8cb84fac488", "1807a1d50c29f430b8cafc4f8638dfeeadf51211e1602a5f184443076715f91bb90a48ba1e370edce6ae1062f5e6dd38"},
		{"a512_" + strings.Repeat("a", 512), "082aabae8b7dedb0e78aeb619ad3bfd9277a2f77ba7fad20ef6aabdc6c31d19ba5a6d12283553294c1825c4b3ca2dcfe", "05b84ae5a942248eea39e1d91030458c40153f3b654ab7872d779ad1e942856a20c438e8d99bc8abfbf74729ce1f7ac8"},
	}},
	SuiteBN254: {"QUUX-V01-CS02-with-BN254G1_XMD:SHA-256_SVDW_RO_", []hashRef{
		{"", "0a976ab906170db1f9638d376514dbf8c42aef256a54bbd48521f20749e59e86", "02925ead66b9e68bfc309b014398640ab55f6619ab59bc1fab2210ad4c4d53d5"},
		{"abc", "23f717bee89b1003957139f193e6be7da1df5f1374b26a4643b0378b5baf53d1", "04142f826b71ee574452dbc47e05bc3e1a647478403a7ba38b7b93948f4e151d"},
		{"abcdef0123456789", "187dbf1c3c89aceceef254d6548d7163fdfa43084145f92c4c91c85c21442d4a", "0abd99d5b0000910b56058f9cc3b0ab0a22d47cf27615f588924fac1e5c63b4d"},
		{"q128_" + strings.Repeat("q", 128), "00fe2b0743575324fc452d590d217390ad48e5a16cf051bee5c40a2eba233f5c", "0794211e0cc72d3cbbdf8e4e5cd6e7d7e78d101ff94862caae8acbe63e9fdc78"},
		{"a512_" + strings.Repeat("a", 512), "01b05dc540bd79fd0fea4fbb07de08e94fc2e7bd171fe025c479dc212a2173ce", "1bf028afc00c0f843d113758968f580640541728cfc6d32ced9779aa613cd9b0"},
	}},
}

// fieldPrime is each suite's base field modulus p.
var fieldPrime = map[Suite]*big.Int{
	SuiteBLS12381: mustBig("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"),
	SuiteBN254:    mustBig("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47"),
}

// groupOrder is each suite's r.
var groupOrder = map[Suite]*big.Int{
	SuiteBLS12381: mustBig("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"),
	SuiteBN254:    mustBig("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"),
}

func mustBig(h string) *big.Int {
	v, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic(h)
	}
	return v
}

// compressRef is the compressed encoding of the affine point (x, y) by
// the suite's rules, written from the spec, not the library: ZCash for
// BLS12-381 (0x80, 0x20 when y > (p−1)/2), gnark for BN254 (0x80 for the
// smaller y, 0xC0 for the larger).
func compressRef(s Suite, x, y *big.Int) []byte {
	p := fieldPrime[s]
	size := map[Suite]int{SuiteBLS12381: 48, SuiteBN254: 32}[s]
	out := x.FillBytes(make([]byte, size))
	half := new(big.Int).Rsh(p, 1)
	larger := y.Cmp(half) > 0
	switch s {
	case SuiteBLS12381:
		out[0] |= 0x80
		if larger {
			out[0] |= 0x20
		}
	case SuiteBN254:
		out[0] |= 0x80
		if larger {
			out[0] |= 0x40
		}
	}
	return out
}

// TestHashToG1Reference checks the suites' hash to G1, through the same
// path the scheme uses, against the upstream reference vectors.
func TestHashToG1Reference(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		c := curveOf(byte(s))
		ref := hashRefs[s]
		for _, v := range ref.vecs {
			p, err := c.hashG1([]byte(ref.dst), []byte(v.msg))
			if err != nil {
				t.Fatal(err)
			}
			want := compressRef(s, mustBig(v.x), mustBig(v.y))
			if got := c.CompressG1(p)[0]; !bytes.Equal(got, want) {
				t.Errorf("HG(%.10q): got %x, want %x", v.msg, got, want)
			}
		}
	})
}

// hxRef is H_X of §1 written from RFC 9380 with crypto/sha256 and
// math/big, independent of the library: expand_message_xmd(SHA-256, msg,
// DST, 48) read big-endian mod r.
func hxRef(s Suite, dst string, msg []byte) *big.Int {
	dstPrime := append([]byte(dst), byte(len(dst)))
	h := sha256.New()
	h.Write(make([]byte, 64))
	h.Write(msg)
	h.Write([]byte{0, 48, 0})
	h.Write(dstPrime)
	b0 := h.Sum(nil)
	h.Reset()
	h.Write(b0)
	h.Write([]byte{1})
	h.Write(dstPrime)
	b1 := h.Sum(nil)
	x := make([]byte, 32)
	for i := range x {
		x[i] = b0[i] ^ b1[i]
	}
	h.Reset()
	h.Write(x)
	h.Write([]byte{2})
	h.Write(dstPrime)
	b2 := h.Sum(nil)
	u := new(big.Int).SetBytes(append(b1, b2[:16]...))
	return u.Mod(u, groupOrder[s])
}

// nonceRef is §4.1's n_i = H_NONCE(u8(kind) ‖ secret ‖ msg ‖ ρ ‖ u32be(i)),
// with §4.1's skipping of zeros when nonzero is set for the value.
type nonceRef struct {
	s                Suite
	kind             byte
	secret, msg, rho []byte
	i                uint32
}

func (n *nonceRef) next() *big.Int {
	in := append(append(append([]byte{n.kind}, n.secret...), n.msg...), n.rho...)
	in = binary.BigEndian.AppendUint32(in, n.i)
	n.i++
	return hxRef(n.s, "VEIL-GS2-"+map[Suite]string{SuiteBLS12381: "BLS12381", SuiteBN254: "BN254"}[n.s]+"-SHA256-NONCE", in)
}

func (n *nonceRef) nextNonzero() *big.Int {
	for {
		if v := n.next(); v.Sign() != 0 {
			return v
		}
	}
}

// recordingReader passes a stream through and remembers every read.
type recordingReader struct {
	r     io.Reader
	reads [][]byte
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.reads = append(r.reads, bytes.Clone(p[:n]))
	return n, err
}

// rhoCandidates is every 32-byte read, to find an operation's ρ without
// relying on the order of the library's other draws.
func (r *recordingReader) rhoCandidates() [][]byte {
	var out [][]byte
	for _, b := range r.reads {
		if len(b) == 32 {
			out = append(out, b)
		}
	}
	return out
}

// respOK reports whether s = k + c·z mod r for the encodings s, c and the
// values k, z.
func respOK(s Suite, sEnc, cEnc []byte, k, z *big.Int) bool {
	r := groupOrder[s]
	want := new(big.Int).Mul(new(big.Int).SetBytes(cEnc), z)
	want.Add(want, k).Mod(want, r)
	return want.Cmp(new(big.Int).SetBytes(sEnc)) == 0
}

func bigOfScalar(c curve, x scalar) *big.Int { return new(big.Int).SetBytes(c.AppendScalar(nil, x)) }

// TestNonceDerivation checks §4.1 from the outputs alone: with the ρ
// each operation drew, the spec's n_i (H_NONCE written here from RFC
// 9380) are the nonces behind every response value of the issuer and
// opener proofs, a join request, an untagged and a tagged signature, an
// opening and a revocation record.
func TestNonceDerivation(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		rec := &recordingReader{r: streamRand("nonce derivation " + s.String())}
		gk, ik, ok, ip, op, err := Setup(s, rec)
		if err != nil {
			t.Fatal(err)
		}
		c := gk.c
		gpk0, _ := gk.MarshalBinary()
		ikEnc, _ := ik.MarshalBinary()
		okEnc, _ := ok.MarshalBinary()
		gamma := new(big.Int).SetBytes(ikEnc[2:34])
		xi1, xi2 := new(big.Int).SetBytes(okEnc[2:34]), new(big.Int).SetBytes(okEnc[34:66])
		xiSecret := okEnc[2:66]
		// find returns whether one of the candidate ρ satisfies check.
		find := func(what string, cands [][]byte, check func(rho []byte) bool) {
			t.Helper()
			for _, rho := range cands {
				if check(rho) {
					return
				}
			}
			t.Errorf("%s: no ρ drawn gives §4.1's nonces", what)
		}
		ipEnc, _ := ip.MarshalBinary()
		find("issuer proof (02)", rec.rhoCandidates(), func(rho []byte) bool {
			n := &nonceRef{s: s, kind: kindIssuerProof, secret: ikEnc[2:34], msg: gpk0, rho: rho}
			return respOK(s, ipEnc[34:66], ipEnc[2:34], n.next(), gamma)
		})
		opEnc, _ := op.MarshalBinary()
		find("opener proof (0A)", rec.rhoCandidates(), func(rho []byte) bool {
			n := &nonceRef{s: s, kind: kindOpenerProof, secret: xiSecret, msg: gpk0, rho: rho}
			k1, k2 := n.next(), n.next()
			return respOK(s, opEnc[34:66], opEnc[2:34], k1, xi1) && respOK(s, opEnc[66:98], opEnc[2:34], k2, xi2)
		})

		// Join: y = n_0 (nonzero), k = n_1, from the identity seed.
		reg, _ := NewRegistry(gk)
		var mks []*MemberKey
		for i, label := range []string{"alice", "bob"} {
			seed := sha256.Sum256([]byte(label))
			id := ed25519.NewKeyFromSeed(seed[:])
			rho := bytes.Repeat([]byte{byte(i + 1)}, 32)
			req, js, err := NewJoinRequest(gk, ip, op, label, id, &fixedReader{bytes.Clone(rho)})
			if err != nil {
				t.Fatal(err)
			}
			reqEnc, _ := req.MarshalBinary()
			l := layoutOf(reqEnc)
			n := &nonceRef{s: s, kind: kindJoinRequest, secret: seed[:], rho: rho,
				msg: append(appendLab(bytes.Clone(gpk0), label), id.Public().(ed25519.PublicKey)...)}
			y, k := n.nextNonzero(), n.next()
			yS, _ := c.DecodeScalar(y.FillBytes(make([]byte, 32)))
			if !bytes.Equal(req.H(), c.CompressG1(c.MulCT(gk.g.h0, yS))[0]) {
				t.Errorf("join %s: H ≠ h0^n_0", label)
			}
			cf, sf := fieldNamed(l, "c"), fieldNamed(l, "s")
			if !respOK(s, reqEnc[sf.off:sf.off+32], reqEnc[cf.off:cf.off+32], k, y) {
				t.Errorf("join %s: s ≠ n_1 + c·y", label)
			}
			resp, err := reg.Issue(ik, req, rec)
			if err != nil {
				t.Fatal(err)
			}
			mk, err := js.Finish(resp)
			if err != nil {
				t.Fatal(err)
			}
			mks = append(mks, mk)
		}

		// Sign, untagged and tagged: α, β, rα, rβ, rx, rδ1, rδ2, ry.
		msg, scope := []byte("nonce test"), []byte("scope")
		mk := mks[0]
		x, y := bigOfScalar(c, mk.x), bigOfScalar(c, mk.y)
		r := groupOrder[s]
		for _, sc := range [][]byte{nil, scope} {
			rho := bytes.Repeat([]byte{0x5a}, 32)
			sig, err := Sign(gk, mk, msg, sc, &fixedReader{bytes.Clone(rho)})
			if err != nil {
				t.Fatal(err)
			}
			kind := sigKind(sc)
			n := &nonceRef{s: s, kind: kind, secret: mk.encode(), rho: rho,
				msg: append(append(bytes.Clone(gk.enc), kind), signCtx(msg, sc)...)}
			alpha := n.nextNonzero()
			var beta *big.Int
			for {
				beta = n.next()
				if beta.Sign() != 0 && new(big.Int).Add(alpha, beta).Mod(new(big.Int).Add(alpha, beta), r).Sign() != 0 {
					break
				}
			}
			ra, rb, rx, rd1, rd2, ry := n.next(), n.next(), n.next(), n.next(), n.next(), n.next()
			mul := func(a, b *big.Int) *big.Int { return new(big.Int).Mod(new(big.Int).Mul(a, b), r) }
			l := layoutOf(sig)
			get := func(name string) []byte { f := fieldNamed(l, name); return sig[f.off : f.off+f.n] }
			ch := get("c")
			for _, z := range []struct {
				name string
				k, v *big.Int
			}{{"s_alpha", ra, alpha}, {"s_beta", rb, beta}, {"s_x", rx, x}, {"s_delta1", rd1, mul(x, alpha)},
				{"s_delta2", rd2, mul(x, beta)}, {"s_y", ry, y}} {
				if !respOK(s, get(z.name), ch, z.k, z.v) {
					t.Errorf("sign (%02x): %s is not r + c·z with §4.1's r", kind, z.name)
				}
			}
			aS, _ := c.DecodeScalar(alpha.FillBytes(make([]byte, 32)))
			if !bytes.Equal(get("T1"), c.CompressG1(c.MulCT(gk.g.u, aS))[0]) {
				t.Errorf("sign (%02x): T1 ≠ u^α", kind)
			}

			// Open: k1, k2 from ξ1 ‖ ξ2 and gpk_e ‖ σ ‖ ctx.
			orho := bytes.Repeat([]byte{0xa5}, 32)
			o, err := Open(ok, gk, msg, sc, sig, &fixedReader{bytes.Clone(orho)})
			if err != nil {
				t.Fatal(err)
			}
			oEnc, _ := o.MarshalBinary()
			ol := layoutOf(oEnc)
			on := &nonceRef{s: s, kind: kindOpening, secret: xiSecret, rho: orho,
				msg: append(append(bytes.Clone(gk.enc), sig...), signCtx(msg, sc)...)}
			k1, k2 := on.next(), on.next()
			cf, s1, s2 := fieldNamed(ol, "c"), fieldNamed(ol, "s1"), fieldNamed(ol, "s2")
			if !respOK(s, oEnc[s1.off:s1.off+32], oEnc[cf.off:cf.off+32], k1, xi1) || !respOK(s, oEnc[s2.off:s2.off+32], oEnc[cf.off:cf.off+32], k2, xi2) {
				t.Errorf("open (%02x): s1, s2 are not §4.1's k + c·ξ", kind)
			}
		}

		// Record: k from γ and gpk_0 ‖ prev ‖ body.
		prev := reg.Prev()
		before := len(rec.reads)
		rv, err := reg.Revoke(ik, []string{"bob"}, rec)
		if err != nil {
			t.Fatal(err)
		}
		rvEnc, _ := rv.MarshalBinary()
		body := rvEnc[:len(rvEnc)-64]
		find("record (09)", (&recordingReader{reads: rec.reads[before:]}).rhoCandidates(), func(rho []byte) bool {
			n := &nonceRef{s: s, kind: kindRecord, secret: ikEnc[2:34], rho: rho,
				msg: append(append(bytes.Clone(gpk0), prev[:]...), body...)}
			return respOK(s, rvEnc[len(rvEnc)-32:], rvEnc[len(rvEnc)-64:len(rvEnc)-32], n.next(), gamma)
		})
	})
}
