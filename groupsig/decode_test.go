package groupsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"filippo.io/edwards25519"
	bls "github.com/cloudflare/circl/ecc/bls12381"
	"github.com/cloudflare/circl/ecc/bls12381/ff"
	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// Decoder strictness, SPEC-groupsig-v2 §1 and §3.1: every rule, for every
// decoder, in both suites. Each refusal wraps ErrMalformed (ErrWrongSuite
// for a suite byte this build does not implement), or ErrInvalidProof
// for an identity signature that decodes but does not verify; nothing
// panics.

// decoder is one of the package's decoders with the objects it takes.
type decoder struct {
	name string
	kind byte
	dec  func(o *groupObjects, b []byte) error
}

func decodeWith[T any, P interface {
	*T
	UnmarshalBinary([]byte) error
}]() func(*groupObjects, []byte) error {
	return func(_ *groupObjects, b []byte) error { return P(new(T)).UnmarshalBinary(b) }
}

var decoders = []decoder{
	{"group key", kindGroupKey, decodeWith[GroupKey]()},
	{"issuer proof", kindIssuerProof, decodeWith[IssuerProof]()},
	{"opener proof", kindOpenerProof, decodeWith[OpenerProof]()},
	{"join request", kindJoinRequest, decodeWith[JoinRequest]()},
	{"join response", kindJoinResponse, decodeWith[JoinResponse]()},
	{"member key", kindMemberKey, decodeWith[MemberKey]()},
	// Signatures are decoded by Verify, under their own group's key.
	{"signature", kindSignature, func(o *groupObjects, b []byte) error { _, err := Verify(o.gk0, o.msg, nil, b); return err }},
	{"tagged signature", kindTagged, func(o *groupObjects, b []byte) error { _, err := Verify(o.gk0, o.msg, o.scope, b); return err }},
	{"opening", kindOpening, decodeWith[Opening]()},
	{"revocation record", kindRecord, decodeWith[RevocationRecord]()},
	{"issuer key", kindIssuerKey, decodeWith[IssuerKey]()},
	{"opener key", kindOpenerKey, decodeWith[OpenerKey]()},
	{"join secret", kindJoinSecret, decodeWith[JoinSecret]()},
}

func decoderOf(kind byte) decoder {
	for _, d := range decoders {
		if d.kind == kind {
			return d
		}
	}
	panic(fmt.Sprintf("no decoder of kind %02x", kind))
}

var encodingsCache sync.Map // *groupObjects → map[byte][]byte

// encodings returns one valid encoding of every kind of o's group.
func encodings(t testing.TB, o *groupObjects) map[byte][]byte {
	if e, ok := encodingsCache.Load(o); ok {
		return e.(map[byte][]byte)
	}
	e := makeEncodings(t, o)
	encodingsCache.Store(o, e)
	return e
}

func makeEncodings(t testing.TB, o *groupObjects) map[byte][]byte {
	m := o.members[0]
	ik, _ := o.ik.MarshalBinary()
	ok, _ := o.ok.MarshalBinary()
	gk, _ := o.gk0.MarshalBinary()
	return map[byte][]byte{
		kindGroupKey: gk, kindIssuerProof: o.ip, kindOpenerProof: o.op, kindJoinRequest: m.req, kindJoinResponse: m.resp,
		kindMemberKey: m.mk, kindSignature: m.sig, kindTagged: m.tsig, kindOpening: m.opening, kindRecord: o.rec,
		kindIssuerKey: ik, kindOpenerKey: ok, kindJoinSecret: joinSecretOf(t, o, 0),
	}
}

// joinSecretOf is the encoding of member i's join secret: suite ‖ 83 ‖ y ‖
// gpk_0 ‖ request.
func joinSecretOf(t testing.TB, o *groupObjects, i int) []byte {
	gk, _ := o.gk0.MarshalBinary()
	b := append(append([]byte{byte(o.suite), kindJoinSecret}, o.members[i].y...), gk...)
	b = append(b, o.members[i].req...)
	var js JoinSecret
	if err := js.UnmarshalBinary(b); err != nil {
		t.Fatalf("join secret of %s: %v", o.members[i].label, err)
	}
	return b
}

// decodeRefused runs a decoder on bad bytes: it must refuse with one of
// the sentinels and not panic.
func decodeRefused(t *testing.T, what string, d decoder, o *groupObjects, b []byte, sentinels ...error) {
	t.Helper()
	err, panicked := callSafely(func() error { return d.dec(o, b) })
	switch {
	case panicked:
		t.Errorf("%s: %s: %v", d.name, what, err)
	case err == nil:
		t.Errorf("%s: %s: ACCEPTED", d.name, what)
	case !isAny(err, sentinels...):
		t.Errorf("%s: %s: %v, want one of %v", d.name, what, err, sentinels)
	}
}

func decodeAccepted(t *testing.T, what string, d decoder, o *groupObjects, b []byte) {
	t.Helper()
	if err, p := callSafely(func() error { return d.dec(o, b) }); p || err != nil && errors.Is(err, ErrMalformed) {
		t.Errorf("%s: %s: refused as malformed: %v", d.name, what, err)
	}
}

// TestDecodeLength: every truncation and every extension of every
// encoding is refused.
func TestDecodeLength(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			for kind, enc := range encodings(t, o) {
				d := decoderOf(kind)
				for n := range len(enc) {
					decodeRefused(t, fmt.Sprintf("truncated to %d of %d bytes", n, len(enc)), d, o, enc[:n], ErrMalformed)
				}
				for _, tail := range [][]byte{{0}, {0xff}, enc, make([]byte, 48)} {
					decodeRefused(t, fmt.Sprintf("%d trailing bytes", len(tail)), d, o, append(bytes.Clone(enc), tail...), ErrMalformed)
				}
			}
		})
	}
}

// TestDecodeSuiteAndKind: any other suite byte, any other kind byte, and
// version 1's objects (suites 0x01, 0x02) are refused by every decoder.
func TestDecodeSuiteAndKind(t *testing.T) {
	v1 := v1Objects(t)
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			for kind, enc := range encodings(t, o) {
				d := decoderOf(kind)
				for s := range 256 {
					if s == int(o.suite) {
						continue
					}
					b := bytes.Clone(enc)
					b[0] = byte(s)
					if curveOf(byte(s)) == nil {
						decodeRefused(t, fmt.Sprintf("suite 0x%02x", s), d, o, b, ErrWrongSuite)
						continue
					}
					// The other suite: its sizes differ, but for the proofs,
					// which are scalars only: one that decodes as the other
					// suite's is refused by Verify under this group.
					switch kind {
					case kindIssuerProof, kindOpenerProof:
						var err error
						if kind == kindIssuerProof {
							var p IssuerProof
							if err = p.UnmarshalBinary(b); err == nil {
								err = p.Verify(o.gk0)
							}
						} else {
							var p OpenerProof
							if err = p.UnmarshalBinary(b); err == nil {
								err = p.Verify(o.gk0)
							}
						}
						wantErr(t, fmt.Sprintf("%s as suite 0x%02x", d.name, s), err, ErrWrongSuite, ErrMalformed)
					default:
						decodeRefused(t, fmt.Sprintf("suite 0x%02x", s), d, o, b, ErrMalformed, ErrWrongSuite)
					}
				}
				for k := range 256 {
					if k == int(kind) {
						continue
					}
					b := bytes.Clone(enc)
					b[1] = byte(k)
					decodeRefused(t, fmt.Sprintf("kind 0x%02x", k), d, o, b, ErrMalformed)
				}
				for _, v := range v1 {
					decodeRefused(t, "a version-1 "+v.name, d, o, v.enc, ErrWrongSuite, ErrMalformed)
				}
				// The nested group key of the project's key encodings is of
				// the key's own suite and epoch 0.
				if l := layoutOf(enc); kind >= kindIssuerKey {
					f := fieldNamed(l, "gpk_0")
					other := mustObjects(t, katObjects[otherSuite(o.suite)])
					ogk, _ := other.gk0.MarshalBinary()
					decodeRefused(t, "a nested group key of the other suite", d, o, splice(enc, f, ogk), ErrWrongSuite, ErrMalformed)
					gk1, _ := o.gk1.MarshalBinary()
					decodeRefused(t, "a nested gpk_1", d, o, splice(enc, f, gk1), ErrMalformed, ErrInvalidKey)
				}
			}
		})
	}
}

func otherSuite(s Suite) Suite {
	if s == SuiteBN254 {
		return SuiteBLS12381
	}
	return SuiteBN254
}

type namedEnc struct {
	name string
	enc  []byte
}

// v1Objects are the known answers of veil's retired v1 (SPEC-bbs04, suites
// 0x01 and 0x02).
func v1Objects(t *testing.T) []namedEnc {
	var out []namedEnc
	for _, p := range []string{"testdata/v1-kat-bls12381.json", "testdata/v1-kat-bn254.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				if b, err := hex.DecodeString(s); err == nil && len(b) > 2 && (b[0] == 0x01 || b[0] == 0x02) {
					out = append(out, namedEnc{k + " of " + p, b})
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d version-1 objects", len(out))
	}
	return out
}

// Bad points. Each is refused by every decoder in every point field of
// its group; a good point in the same field is not refused as malformed
// (so the refusals are the point's).

// badG1 returns malformed G1 encodings of the suite, by name.
func badG1(t testing.TB, s Suite) []namedEnc {
	p := fieldPrime[s]
	c := curveOf(byte(s))
	n := c.G1Size()
	enc := func(x *big.Int, flags byte) []byte {
		b := x.FillBytes(make([]byte, n))
		b[0] |= flags
		return b
	}
	zeros := make([]byte, n)
	valid := c.CompressG1(c.G1Generator())[0]
	var out []namedEnc
	add := func(name string, b []byte) { out = append(out, namedEnc{name, b}) }
	switch s {
	case SuiteBLS12381:
		b := func(lead byte, last byte) []byte { v := bytes.Clone(zeros); v[0], v[n-1] = lead, last; return v }
		add("identity", b(0xc0, 0))
		add("identity with a sign bit", b(0xe0, 0))
		add("identity with a nonzero x", b(0xc0, 1))
		add("identity without the compression flag", b(0x40, 0))
		add("all zeros (uncompressed flag)", zeros)
		add("a valid x without the compression flag", flip(valid, 0, 0x80))
		add("a valid x with the infinity flag", flip(valid, 0, 0x40))
		add("x = p", enc(p, 0x80))
		add("x = 2^381 − 1", enc(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 381), big.NewInt(1)), 0x80))
		// A point of G1 written with x + p (< 2^381).
		lim := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 381), p)
		for i := 0; ; i++ {
			q, _ := c.hashG1([]byte("non-canonical"), []byte{byte(i)})
			e := c.CompressG1(q)[0]
			x := new(big.Int).SetBytes(append([]byte{e[0] & 0x1f}, e[1:]...))
			if x.Cmp(lim) < 0 {
				add("a G1 point written with x + p", enc(new(big.Int).Add(x, p), e[0]&0xe0))
				break
			}
		}
		b4 := big.NewInt(4)
		add("x off the curve", enc(xWhere(p, b4, false), 0x80))
		// (0, ±2) has order 3; other curve points are outside G1 too.
		add("(0, 2), a point of order 3", enc(big.NewInt(0), 0x80))
		add("(0, −2), a point of order 3", enc(big.NewInt(0), 0xa0))
		x := xWhere(p, b4, true)
		for _, sign := range []byte{0x80, 0xa0} {
			e := enc(x, sign)
			add(fmt.Sprintf("a curve point outside G1 (sign %02x)", sign), e)
			if blsOnCurveG1(x) && blsInG1(x) {
				t.Fatal("test point is in G1")
			}
		}
	case SuiteBN254:
		b := func(lead byte, last byte) []byte { v := bytes.Clone(zeros); v[0], v[n-1] = lead, last; return v }
		add("identity", b(0x40, 0))
		add("identity with a nonzero x", b(0x40, 1))
		add("identity with both flags' bits", b(0x7f, 0))
		add("all zeros (uncompressed flag)", zeros)
		add("a valid x with the uncompressed flag", flip(valid, 0, 0x80))
		if !bytes.Equal(valid, enc(big.NewInt(1), 0x80)) {
			t.Fatalf("BN254 generator is %x, want x = 1 with the smaller y", valid)
		}
		add("x = p", enc(p, 0x80))
		add("x = 2^254 − 1", enc(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 254), big.NewInt(1)), 0x80))
		add("the generator written with x = 1 + p", enc(new(big.Int).Add(big.NewInt(1), p), 0x80))
		add("x off the curve", enc(xWhere(p, big.NewInt(3), false), 0x80))
		// G1 of BN254 has cofactor 1: every curve point is in it.
	}
	return out
}

// xWhere returns the least x > 0 for which x³ + b is (square) or is not
// (!square) a square mod p.
func xWhere(p, b *big.Int, square bool) *big.Int {
	for x := big.NewInt(1); ; x.Add(x, big.NewInt(1)) {
		rhs := new(big.Int).Exp(x, big.NewInt(3), p)
		rhs.Add(rhs, b).Mod(rhs, p)
		if (big.Jacobi(rhs, p) >= 0) == square {
			return x
		}
	}
}

func blsOnCurveG1(x *big.Int) bool {
	p := fieldPrime[SuiteBLS12381]
	rhs := new(big.Int).Exp(x, big.NewInt(3), p)
	rhs.Add(rhs, big.NewInt(4)).Mod(rhs, p)
	return big.Jacobi(rhs, p) >= 0
}

// blsInG1 reports whether circl takes (x, y) as a point of G1 (its
// uncompressed decoder checks the subgroup).
func blsInG1(x *big.Int) bool {
	p := fieldPrime[SuiteBLS12381]
	rhs := new(big.Int).Exp(x, big.NewInt(3), p)
	rhs.Add(rhs, big.NewInt(4)).Mod(rhs, p)
	y := new(big.Int).ModSqrt(rhs, p)
	var q bls.G1
	return q.SetBytes(append(x.FillBytes(make([]byte, 48)), y.FillBytes(make([]byte, 48))...)) == nil
}

// badG2 returns malformed G2 encodings of the suite.
func badG2(t testing.TB, s Suite) []namedEnc {
	c := curveOf(byte(s))
	n := c.G2Size()
	p := fieldPrime[s]
	valid := c.AppendG2(nil, c.G2Generator())
	var out []namedEnc
	add := func(name string, b []byte) { out = append(out, namedEnc{name, b}) }
	half := n / 2
	withP := func(first bool) []byte {
		b := bytes.Clone(valid)
		pb := p.FillBytes(make([]byte, half))
		if first {
			copy(b, pb)
			b[0] |= valid[0] & 0xe0
		} else {
			copy(b[half:], pb)
		}
		return b
	}
	switch s {
	case SuiteBLS12381:
		id := make([]byte, n)
		id[0] = 0xc0
		add("identity", id)
		add("identity with a sign bit", flip(id, 0, 0x20))
		add("identity with a nonzero x", flip(id, n-1, 1))
		add("a valid x without the compression flag", flip(valid, 0, 0x80))
		add("x.c1 = p", withP(true))
		add("x.c0 = p", withP(false))
		// x ∈ Fp2 with x³ + 4(1 + i) a non-square, and one with a square:
		// off the curve, and on it outside G2.
		var b4 ff.Fp2
		b4[0].SetUint64(4)
		b4[1].SetUint64(4)
		for i, found := uint64(1), 0; found != 3; i++ {
			var x, rhs, y ff.Fp2
			x[0].SetUint64(i)
			x[1].SetUint64(1)
			rhs.Sqr(&x)
			rhs.Mul(&rhs, &x)
			rhs.Add(&rhs, &b4)
			xb, _ := x.MarshalBinary() // c1 ‖ c0, as the compressed encoding
			xb[0] |= 0x80
			if y.Sqrt(&rhs) == 0 {
				if found&1 == 0 {
					add("x off the curve", xb)
					found |= 1
				}
			} else if found&2 == 0 {
				yb, _ := y.MarshalBinary()
				var q bls.G2
				if q.SetBytes(append(append([]byte{xb[0] &^ 0x80}, xb[1:]...), yb...)) == nil {
					continue // in G2 (never, in practice)
				}
				add("a curve point outside G2", xb)
				add("a curve point outside G2 (other sign)", flip(xb, 0, 0x20))
				found |= 2
			}
		}
	case SuiteBN254:
		id := make([]byte, n)
		id[0] = 0x40
		add("identity", id)
		add("identity with a nonzero x", flip(id, n-1, 1))
		add("a valid x with the uncompressed flag", flip(valid, 0, 0x80))
		add("x.a1 = p", withP(true))
		add("x.a0 = p", withP(false))
		// gnark's map to the twist, without the cofactor clearing, gives
		// curve points outside G2.
		var tmp bn254.G2Affine
		u := tmp.X
		u.SetString("5", "7")
		q := bn254.MapToCurve2(&u)
		if !q.IsOnCurve() || q.IsInSubGroup() {
			t.Fatal("MapToCurve2 gave no curve point outside G2")
		}
		e := q.Bytes()
		add("a curve point outside G2", e[:])
		var nq bn254.G2Affine
		nq.Neg(&q)
		ne := nq.Bytes()
		add("its negation", ne[:])
		// An x with no point: y² = x³ + b' has no root.
		for i := int64(1); ; i++ {
			var cand bn254.G2Affine
			cand.X.SetString(fmt.Sprint(i), "1")
			b := make([]byte, n)
			cand.X.A1.BigInt(new(big.Int)).FillBytes(b[:half])
			cand.X.A0.BigInt(new(big.Int)).FillBytes(b[half:])
			b[0] |= 0x80
			var probe bn254.G2Affine
			if _, err := probe.SetBytes(b); err != nil && strings.Contains(err.Error(), "square root") {
				add("x off the curve", b)
				break
			}
		}
	}
	return out
}

// TestDecodePoints puts each malformed point in every point field of every
// encoding: all are refused as malformed; the group's generator in the
// same field is not.
func TestDecodePoints(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			c := o.gk0.c
			g1s, g2s := badG1(t, o.suite), badG2(t, o.suite)
			good1, good2 := c.CompressG1(c.G1Generator())[0], c.AppendG2(nil, c.G2Generator())
			for kind, enc := range encodings(t, o) {
				d := decoderOf(kind)
				for _, f := range layoutOf(enc) {
					var bad []namedEnc
					var good []byte
					switch f.kind {
					case fG1:
						bad, good = g1s, good1
					case fG2:
						bad, good = g2s, good2
					default:
						continue
					}
					decodeAccepted(t, f.name+" = the generator", d, o, splice(enc, f, good))
					for _, b := range bad {
						decodeRefused(t, f.name+" = "+b.name, d, o, splice(enc, f, b.enc), ErrMalformed)
					}
				}
			}
			// The nested group key of the key encodings, and the
			// request of a join secret, are decoded as strictly.
			gkEnc, _ := o.gk0.MarshalBinary()
			for _, f := range layoutOf(gkEnc) {
				bad := map[fieldKind][]namedEnc{fG1: g1s, fG2: g2s}[f.kind]
				for _, b := range bad {
					bgk := splice(gkEnc, f, b.enc)
					for _, kind := range []byte{kindIssuerKey, kindOpenerKey, kindJoinSecret} {
						enc := encodings(t, o)[kind]
						decodeRefused(t, "gpk_0's "+f.name+" = "+b.name, decoderOf(kind), o, splice(enc, fieldNamed(layoutOf(enc), "gpk_0"), bgk), ErrMalformed)
					}
				}
			}
		})
	}
}

// TestDecodeScalars puts r, r + 1 and 2^256 − 1 in every scalar field:
// refused; r − 1 is not refused as malformed. The scalars that must be
// nonzero (γ, ξ1, ξ2, y) are refused as 0.
func TestDecodeScalars(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			r := groupOrder[o.suite]
			sc := func(v *big.Int) []byte { return v.FillBytes(make([]byte, scalarSize)) }
			one := big.NewInt(1)
			bad := []namedEnc{{"r", sc(r)}, {"r + 1", sc(new(big.Int).Add(r, one))},
				{"2^256 − 1", bytes.Repeat([]byte{0xff}, 32)}, {"r + 2^255", sc(new(big.Int).Add(r, new(big.Int).Lsh(one, 255)))}}
			nonzero := map[string]bool{"gamma": true, "xi1": true, "xi2": true}
			for kind, enc := range encodings(t, o) {
				d := decoderOf(kind)
				for _, f := range layoutOf(enc) {
					if f.kind != fScalar {
						continue
					}
					decodeAccepted(t, f.name+" = r − 1", d, o, splice(enc, f, sc(new(big.Int).Sub(r, one))))
					for _, b := range bad {
						decodeRefused(t, f.name+" = "+b.name, d, o, splice(enc, f, b.enc), ErrMalformed)
					}
					if nonzero[f.name] || f.name == "y" && (kind == kindMemberKey || kind == kindJoinSecret) {
						decodeRefused(t, f.name+" = 0", d, o, splice(enc, f, make([]byte, 32)), ErrMalformed)
					} else {
						decodeAccepted(t, f.name+" = 0", d, o, splice(enc, f, make([]byte, 32)))
					}
				}
			}
		})
	}
}

// Labels (§1): 1..64 bytes of well-formed UTF-8, not normalized.
var (
	badLabels = []string{"", strings.Repeat("a", 65), strings.Repeat("é", 33), "\xff", "a\x80", "\xc0\x80", "\xc1\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\xe2\x82", strings.Repeat("a", 62) + "\xe2\x82",
		"member-\xfe"}
	goodLabels = []string{"a", "\x00", strings.Repeat("a", 64), "é", "e\u0301", "日本語", "\U0001F600", strings.Repeat("\U0001F600", 16),
		"with space", "\U0010FFFF", "\ufeffbom"}
)

func TestLabelBounds(t *testing.T) {
	for _, l := range badLabels {
		if CheckLabel(l) == nil || utf8.ValidString(l) && len(l) >= 1 && len(l) <= 64 {
			t.Errorf("bad label %q: CheckLabel accepts it or the list is wrong", l)
		}
	}
	for _, l := range goodLabels {
		if err := CheckLabel(l); err != nil {
			t.Errorf("good label %q: %v", l, err)
		}
	}
}

// TestDecodeLabels puts each bad label in every label field (request,
// response, both lists of a record): refused; the good labels are not
// refused as malformed (in a record's single revoked slot, so that the
// order of the lists holds).
func TestDecodeLabels(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			for _, kind := range []byte{kindJoinRequest, kindJoinResponse, kindRecord, kindJoinSecret} {
				enc := encodings(t, o)[kind]
				d := decoderOf(kind)
				l := layoutOf(enc)
				if kind == kindJoinSecret { // the nested request's label
					req := fieldNamed(l, "request")
					for _, f := range layoutOf(enc[req.off:]) {
						if f.kind == fLabLen {
							f.off += req.off
							for _, bl := range badLabels {
								decodeRefused(t, fmt.Sprintf("request label %q", bl), d, o, labelSpliced(enc, f, bl), ErrMalformed)
							}
						}
					}
					continue
				}
				for _, f := range l {
					if f.kind != fLabLen {
						continue
					}
					for _, bl := range badLabels {
						decodeRefused(t, fmt.Sprintf("%s %q", f.name, bl), d, o, labelSpliced(enc, f, bl), ErrMalformed)
					}
					if kind == kindRecord && !strings.HasPrefix(f.name, "revoked") {
						continue
					}
					for _, gl := range goodLabels {
						decodeAccepted(t, fmt.Sprintf("%s %q", f.name, gl), d, o, labelSpliced(enc, f, gl))
					}
				}
			}
		})
	}
}

// labelSpliced replaces the lab(L) that starts at the length byte f.
func labelSpliced(b []byte, f field, l string) []byte {
	whole := field{f.name, fLabel, f.off, 1 + int(b[f.off])}
	return splice(b, whole, append([]byte{byte(len(l))}, l...))
}

// TestLabelsEndToEnd: the label bounds hold through the whole flow:
// NewJoinRequest refuses a bad label; 64-byte and 4-byte-rune labels join,
// sign, open and are revoked.
func TestLabelsEndToEnd(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		rnd := streamRand("labels " + s.String())
		gk, ik, ok, ip, op, err := Setup(s, rnd)
		if err != nil {
			t.Fatal(err)
		}
		_, id, _ := ed25519.GenerateKey(rnd)
		for _, l := range badLabels {
			if _, _, err := NewJoinRequest(gk, ip, op, l, id, rnd); !errors.Is(err, ErrMalformed) {
				t.Errorf("join request with label %q: %v", l, err)
			}
		}
		reg, _ := NewRegistry(gk)
		long, emoji := strings.Repeat("z", 64), strings.Repeat("\U0001F600", 16)
		for _, l := range []string{long, emoji, "\x00"} {
			_, id, _ := ed25519.GenerateKey(rnd)
			req, js, err := NewJoinRequest(gk, ip, op, l, id, rnd)
			if err != nil {
				t.Fatalf("label %q: %v", l, err)
			}
			resp, err := reg.Issue(ik, req, rnd)
			if err != nil {
				t.Fatal(err)
			}
			mk, err := js.Finish(resp)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := Sign(gk, mk, []byte("m"), nil, rnd)
			if err != nil {
				t.Fatal(err)
			}
			o, err := Open(ok, gk, []byte("m"), nil, sig, rnd)
			if err != nil || !bytes.Equal(o.A(), resp.A()) {
				t.Fatalf("open: %v", err)
			}
		}
		rec, err := reg.Revoke(ik, []string{long, emoji}, rnd)
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := rec.MarshalBinary()
		var back RevocationRecord
		if err := back.UnmarshalBinary(enc); err != nil || len(back.Revoked()) != 2 {
			t.Fatalf("record with 64-byte labels: %v", err)
		}
	})
}

// TestScopeBounds (§1): a scope is 1..255 bytes; Sign, Verify, Open and
// VerifyOpening refuse 0 and 256 bytes as malformed, and 1 and 255 bytes
// work end to end.
func TestScopeBounds(t *testing.T) {
	for _, o := range []*groupObjects{mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])} {
		t.Run(o.name, func(t *testing.T) {
			gk := o.gk0
			var mk MemberKey
			if err := mk.UnmarshalBinary(o.members[0].mk); err != nil {
				t.Fatal(err)
			}
			m := o.members[0]
			var op Opening
			if err := op.UnmarshalBinary(m.topen); err != nil {
				t.Fatal(err)
			}
			rnd := streamRand("scope")
			for _, sc := range [][]byte{{}, bytes.Repeat([]byte{1}, 256), bytes.Repeat([]byte{1}, 1000)} {
				_, err := Sign(gk, &mk, o.msg, sc, rnd)
				wantErr(t, fmt.Sprintf("Sign with a %d-byte scope", len(sc)), err, ErrMalformed)
				_, err = Verify(gk, o.msg, sc, m.tsig)
				wantErr(t, fmt.Sprintf("Verify with a %d-byte scope", len(sc)), err, ErrMalformed)
				_, err = Open(o.ok, gk, o.msg, sc, m.tsig, rnd)
				wantErr(t, fmt.Sprintf("Open with a %d-byte scope", len(sc)), err, ErrMalformed)
				wantErr(t, fmt.Sprintf("VerifyOpening with a %d-byte scope", len(sc)), VerifyOpening(gk, o.msg, sc, m.tsig, &op), ErrMalformed)
				// An untagged signature with any non-nil scope is refused.
				_, err = Verify(gk, o.msg, sc, m.sig)
				wantErr(t, fmt.Sprintf("untagged Verify with a %d-byte scope", len(sc)), err, ErrMalformed, ErrInvalidSignature)
			}
			for _, sc := range [][]byte{{0}, bytes.Repeat([]byte{0xff}, 255)} {
				sig, err := Sign(gk, &mk, o.msg, sc, rnd)
				if err != nil {
					t.Fatal(err)
				}
				tag, err := Verify(gk, o.msg, sc, sig)
				if err != nil || len(tag) != gk.c.G1Size() {
					t.Fatalf("%d-byte scope: %v", len(sc), err)
				}
				x, err := Open(o.ok, gk, o.msg, sc, sig, rnd)
				if err != nil || VerifyOpening(gk, o.msg, sc, sig, x) != nil {
					t.Fatalf("%d-byte scope: open: %v", len(sc), err)
				}
			}
		})
	}
}

// Ed25519 (§3.1).

// smallOrder is the eight points of order dividing 8, computed from one
// of order 8.
func smallOrder(t testing.TB) []*edwards25519.Point {
	t8enc, _ := hex.DecodeString("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
	t8, err := new(edwards25519.Point).SetBytes(t8enc)
	if err != nil {
		t.Fatal(err)
	}
	out := []*edwards25519.Point{edwards25519.NewIdentityPoint()}
	for i := 1; i < 8; i++ {
		out = append(out, new(edwards25519.Point).Add(out[i-1], t8))
	}
	if new(edwards25519.Point).MultByCofactor(t8).Equal(edwards25519.NewIdentityPoint()) != 1 || out[4].Equal(edwards25519.NewIdentityPoint()) == 1 {
		t.Fatal("not a point of order 8")
	}
	return out
}

// badIdpks are identity keys §3.1 refuses, with a valid key a of order ℓ
// to build mixed-order ones.
func badIdpks(t testing.TB, a []byte) []namedEnc {
	var out []namedEnc
	add := func(name string, b []byte) { out = append(out, namedEnc{name, b}) }
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	le := func(v *big.Int, sign bool) []byte {
		b := v.FillBytes(make([]byte, 32))
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		if sign {
			b[31] |= 0x80
		}
		return b
	}
	// y ≥ p: the nineteen values p..2^255−1, either sign.
	for j := int64(0); j < 19; j++ {
		for _, sign := range []bool{false, true} {
			add(fmt.Sprintf("y = p + %d, sign %v", j, sign), le(new(big.Int).Add(p, big.NewInt(j)), sign))
		}
	}
	// x = 0 with the sign bit: y = 1 (the identity) and y = −1.
	add("x = 0 (y = 1) with the sign bit", le(big.NewInt(1), true))
	add("x = 0 (y = −1) with the sign bit", le(new(big.Int).Sub(p, big.NewInt(1)), true))
	ap, err := new(edwards25519.Point).SetBytes(a)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range smallOrder(t) {
		add(fmt.Sprintf("small order: %d·T8", i), q.Bytes())
		if i > 0 {
			add(fmt.Sprintf("mixed order: A + %d·T8", i), new(edwards25519.Point).Add(ap, q).Bytes())
		}
	}
	// Off the curve: a y with no x.
	for y := int64(2); ; y++ {
		b := le(big.NewInt(y), false)
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			add(fmt.Sprintf("y = %d, no point", y), b)
			break
		}
	}
	return out
}

// TestIdentityKeyRules: the join request decoder refuses every idpk §3.1
// refuses (and parseIdentityKey with it); another valid key decodes (its
// request then fails its proof).
func TestIdentityKeyRules(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			d := decoderOf(kindJoinRequest)
			req := o.members[0].req
			f := fieldNamed(layoutOf(req), "idpk")
			idpk := req[f.off : f.off+f.n]
			for _, b := range badIdpks(t, idpk) {
				if _, err := parseIdentityKey(b.enc); err == nil {
					t.Errorf("parseIdentityKey accepts %s", b.name)
				}
				decodeRefused(t, "idpk "+b.name, d, o, splice(req, f, b.enc), ErrMalformed)
				js := encodings(t, o)[kindJoinSecret]
				rf := fieldNamed(layoutOf(js), "request")
				decodeRefused(t, "join secret's idpk "+b.name, decoderOf(kindJoinSecret), o, splice(js, field{"idpk", fIdpk, rf.off + f.off, 32}, b.enc), ErrMalformed)
			}
			other := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
			var q JoinRequest
			if err := q.UnmarshalBinary(splice(req, f, other)); err != nil {
				t.Fatalf("another valid idpk: %v", err)
			}
			wantErr(t, "request with another valid idpk", q.Verify(o.gk0), ErrInvalidProof)
		})
	}
}

// TestIdentitySignatureRules: R = the identity encoding, which the key
// owner can make verify with Go's crypto/ed25519 (S = t·a mod ℓ), S ≥ ℓ,
// R not canonical and a signature without the prefix P are refused by
// JoinRequest.Verify with ErrInvalidProof, and by the registry.
func TestIdentitySignatureRules(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			m := o.members[0]
			l := layoutOf(m.req)
			sf := fieldNamed(l, "idsig")
			get := func(name string) []byte { f := fieldNamed(l, name); return m.req[f.off : f.off+f.n] }
			idpk := get("idpk")
			// J = gpk_0 ‖ lab(L) ‖ idpk ‖ H, M = P ‖ J (§3), from the spec.
			gpk0, _ := o.gk0.MarshalBinary()
			j := append(append(append(append(bytes.Clone(gpk0), byte(len(m.label))), m.label...), idpk...), get("H")...)
			msg := append([]byte(o.gk0.c.dst.statement), j...)
			priv := ed25519.NewKeyFromSeed(m.seed)
			if !bytes.Equal(ed25519.Sign(priv, msg), get("idsig")) {
				t.Fatal("the request's idsig is not Ed25519 over P ‖ J")
			}
			verify := func(sig []byte) error {
				var q JoinRequest
				if err := q.UnmarshalBinary(splice(m.req, sf, sig)); err != nil {
					return err
				}
				return q.Verify(o.gk0)
			}
			// R = identity, S = t·a: [S]B − [t]A = O encodes as R.
			h := sha512.Sum512(m.seed)
			a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
			rID := append([]byte{1}, make([]byte, 31)...)
			for _, r := range [][]byte{rID, append(append([]byte{1}, make([]byte, 30)...), 0x80)} {
				th := sha512.New()
				th.Write(r)
				th.Write(idpk)
				th.Write(msg)
				tt, _ := edwards25519.NewScalar().SetUniformBytes(th.Sum(nil))
				sig := append(bytes.Clone(r), edwards25519.NewScalar().Multiply(tt, a).Bytes()...)
				if bytes.Equal(r, rID) && !ed25519.Verify(idpk, msg, sig) {
					t.Fatal("crypto/ed25519 refuses the R = identity signature: the construction is wrong")
				}
				wantErr(t, fmt.Sprintf("idsig with R = %x…%02x", r[:2], r[31]), verify(sig), ErrInvalidProof)
				if bytes.Equal(r, rID) {
					var q JoinRequest
					if err := q.UnmarshalBinary(splice(m.req, sf, sig)); err != nil {
						t.Fatal(err)
					}
					reg, _ := NewRegistry(o.gk0)
					_, err := reg.Issue(o.ik, &q, streamRand("issue"))
					wantErr(t, "the registry issuing for an R = identity idsig", err, ErrInvalidProof)
				}
			}
			// S ≥ ℓ.
			ell := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 252), mustBig("14def9dea2f79cd65812631a5cf5d3ed"))
			sLE := get("idsig")[32:]
			sv := new(big.Int).SetBytes(reversed(sLE))
			for name, v := range map[string]*big.Int{"S + ℓ": new(big.Int).Add(sv, ell), "ℓ": ell, "2^256 − 1": new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))} {
				sig := append(bytes.Clone(get("idsig")[:32]), reversed(v.FillBytes(make([]byte, 32)))...)
				wantErr(t, "idsig with S = "+name, verify(sig), ErrInvalidProof)
			}
			// Other messages: J without P, or another group's P.
			wantErr(t, "idsig over J without P", verify(ed25519.Sign(priv, j)), ErrInvalidProof)
			wantErr(t, "idsig under the other suite's P", verify(ed25519.Sign(priv, append([]byte(curveOf(byte(otherSuite(o.suite))).dst.statement), j...))), ErrInvalidProof)
			wantErr(t, "an all-zero idsig", verify(make([]byte, 64)), ErrInvalidProof)
		})
	}
}

func reversed(b []byte) []byte {
	out := bytes.Clone(b)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// TestDecodeRecordLists: §6's rules on the record's lists: k ≥ 1, both
// lists strictly increasing bytewise, no label in both, counts within the
// length. The proof is not checked by the decoder, so c and s are any
// scalars here.
func TestDecodeRecordLists(t *testing.T) {
	for _, o := range allObjects(t) {
		t.Run(o.name, func(t *testing.T) {
			var rec RevocationRecord
			if err := rec.UnmarshalBinary(o.rec); err != nil {
				t.Fatal(err)
			}
			a0, _ := rec.ReissuedA(o.epoch1[0].label)
			a1, _ := rec.ReissuedA(o.epoch1[1].label)
			tail := o.rec[len(o.rec)-64:]
			ref := o.gk0.Ref()
			body := func(rev []string, re []labA) []byte { return recordBody(byte(o.suite), ref, 1, rev, re) }
			full := func(rev []string, re []labA) []byte { return append(body(rev, re), tail...) }
			d := decoderOf(kindRecord)
			bad := map[string][]byte{
				"k = 0":                           full(nil, []labA{{"a", a0}, {"b", a1}}),
				"k = 0 and n = 0":                 full(nil, nil),
				"revoked unsorted":                full([]string{"b", "a"}, nil),
				"revoked duplicate":               full([]string{"a", "a"}, nil),
				"revoked prefix after longer":     full([]string{"ab", "a"}, nil),
				"re-issued unsorted":              full([]string{"z"}, []labA{{"b", a0}, {"a", a1}}),
				"re-issued duplicate":             full([]string{"z"}, []labA{{"a", a0}, {"a", a1}}),
				"a label revoked and re-issued":   full([]string{"a"}, []labA{{"a", a0}}),
				"a label revoked and re-issued 2": full([]string{"a", "c"}, []labA{{"b", a0}, {"c", a1}}),
			}
			// Counts past the end.
			b := full([]string{"a"}, []labA{{"b", a0}})
			l := layoutOf(b)
			kf, nf := fieldNamed(l, "k"), fieldNamed(l, "n")
			for _, v := range []uint32{2, 3, 1 << 16, 1<<32 - 1} {
				bad[fmt.Sprintf("k = %d", v)] = splice(b, kf, binary.BigEndian.AppendUint32(nil, v))
				bad[fmt.Sprintf("n = %d", v)] = splice(b, nf, binary.BigEndian.AppendUint32(nil, v))
			}
			bad["n = 0 with an entry left"] = splice(b, nf, []byte{0, 0, 0, 0})
			bad["no c, s"] = body([]string{"a"}, []labA{{"b", a0}})
			bad["only c"] = append(body([]string{"a"}, []labA{{"b", a0}}), tail[:32]...)
			bad["k truncated"] = append(append([]byte{byte(o.suite), kindRecord}, ref[:]...), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
			for what, b := range bad {
				decodeRefused(t, what, d, o, b, ErrMalformed)
			}
			good := map[string][]byte{
				"n = 0 (every member revoked)": full([]string{"a", "b"}, nil),
				"a prefix before the longer":   full([]string{"a", "ab"}, []labA{{"aa", a0}, {"b", a1}}),
				"bytewise, not by rune":        full([]string{"Z", "a", "é"}, []labA{{"\x00", a0}, {"\U0001F600", a1}}),
			}
			for what, b := range good {
				var r RevocationRecord
				if err := r.UnmarshalBinary(b); err != nil {
					t.Errorf("%s: %v", what, err)
				} else if back, _ := r.MarshalBinary(); !bytes.Equal(back, b) {
					t.Errorf("%s: re-encodes differently", what)
				}
			}
		})
	}
}

// Regressions of bugs these tests found (fixed in d933d26): each was a
// panic, or an object of another suite accepted, instead of a refusal.

// TestRegressionHeader: the decoders of join requests, join responses,
// member keys, openings and signatures (so Verify) panicked on an input
// shorter than 2 bytes or with an unknown suite or a wrong kind byte
// (reader.g1 called r.c.G1Size() with r.c nil): any peer could crash a
// node that verified its signature.
func TestRegressionHeader(t *testing.T) {
	o := mustObjects(t, sharedObjects)
	for kind, enc := range encodings(t, o) {
		d := decoderOf(kind)
		for _, b := range [][]byte{nil, {0x11}, append([]byte{0x00}, enc[1:]...), append([]byte{0x11, 0x7f}, enc[2:]...)} {
			decodeRefused(t, fmt.Sprintf("header %x", b[:min(2, len(b))]), d, o, b, ErrMalformed, ErrWrongSuite)
		}
	}
}

// TestRegressionJoinSecretMixedSuites: a BLS12-381 join secret holding a
// BN254 request whose gref is the BLS12-381 group's made the decoder
// compare points of two curves and panic.
func TestRegressionJoinSecretMixedSuites(t *testing.T) {
	blsO, bnO := mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])
	b := crossSuiteJoinSecret(t, blsO, bnO)
	decodeRefused(t, "a request of another suite", decoderOf(kindJoinSecret), blsO, b, ErrWrongSuite, ErrMalformed)
}

// crossSuiteJoinSecret is blsO's member-0 join secret with bnO's member-0
// request in it, its gref set to blsO's.
func crossSuiteJoinSecret(t testing.TB, blsO, bnO *groupObjects) []byte {
	req := bytes.Clone(bnO.members[0].req)
	ref := blsO.gk0.Ref()
	copy(req[2:34], ref[:])
	var q JoinRequest
	if err := q.UnmarshalBinary(req); err != nil {
		t.Fatal(err)
	}
	gk, _ := blsO.gk0.MarshalBinary()
	return append(append(append([]byte{SuiteBLS12381, kindJoinSecret}, blsO.members[0].y...), gk...), req...)
}

// TestRegressionRegistryTruncated: Registry.UnmarshalBinary panicked when
// a join's 2-byte length prefix was cut short.
func TestRegressionRegistryTruncated(t *testing.T) {
	o := mustObjects(t, sharedObjects)
	gk, _ := o.gk0.MarshalBinary()
	base := binary.BigEndian.AppendUint32(append([]byte{SuiteBLS12381, kindRegistry}, gk...), 1)
	req := o.members[0].req
	for _, b := range [][]byte{
		base, // no bytes where the request's length is due
		append(bytes.Clone(base), 0),
		append(binary.BigEndian.AppendUint16(bytes.Clone(base), uint16(len(req))), req...), // none for the response's
		append(append(binary.BigEndian.AppendUint16(bytes.Clone(base), uint16(len(req))), req...), 0),
	} {
		err, p := callSafely(func() error { return new(Registry).UnmarshalBinary(b) })
		if p {
			t.Fatalf("registry of %d bytes: %v", len(b), err)
		}
		wantErr(t, fmt.Sprintf("registry of %d bytes", len(b)), err, ErrMalformed)
	}
}

// TestRegressionRegistryForeignResponse: a registry whose join response is
// of the other suite (same gref, label and hreq) decoded, and the
// issuer's next Revoke (re-issuing that member) panicked.
func TestRegressionRegistryForeignResponse(t *testing.T) {
	blsO, bnO := mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])
	b := foreignResponseRegistry(t, blsO, bnO)
	var reg Registry
	err, p := callSafely(func() error { return reg.UnmarshalBinary(b) })
	if p {
		t.Fatalf("decoding panics: %v", err)
	}
	wantErr(t, "registry with a response of another suite", err, ErrWrongSuite, ErrMalformed)
}

// foreignResponseRegistry is a BLS12-381 registry of blsO's member-0,
// whose response is re-encoded as BN254 (bnO's x and A, blsO's gref,
// label and hreq), and member-1.
func foreignResponseRegistry(t testing.TB, blsO, bnO *groupObjects) []byte {
	m := blsO.members[0]
	resp := blsO.joins[0].Response
	bnResp := bnO.joins[0].Response
	c := curveOf(SuiteBN254)
	enc := encodeResponse(c, resp.ref, resp.epoch, resp.label, resp.hreq, bnResp.x, bnResp.a)
	gk, _ := blsO.gk0.MarshalBinary()
	b := binary.BigEndian.AppendUint32(append([]byte{SuiteBLS12381, kindRegistry}, gk...), 2)
	b = append(binary.BigEndian.AppendUint16(b, uint16(len(m.req))), m.req...)
	b = append(binary.BigEndian.AppendUint16(b, uint16(len(enc))), enc...)
	m1 := blsO.members[1]
	b = append(binary.BigEndian.AppendUint16(b, uint16(len(m1.req))), m1.req...)
	b = append(binary.BigEndian.AppendUint16(b, uint16(len(m1.resp))), m1.resp...)
	return binary.BigEndian.AppendUint32(b, 0)
}

// TestRegressionCheckRevocationForeignResponse: CheckRevocation checked
// the suite of each current member's request but not of its response,
// and panicked on a response of the other suite.
func TestRegressionCheckRevocationForeignResponse(t *testing.T) {
	blsO, bnO := mustObjects(t, sharedObjects), mustObjects(t, katObjects[SuiteBN254])
	var rec RevocationRecord
	if err := rec.UnmarshalBinary(blsO.rec); err != nil {
		t.Fatal(err)
	}
	cur := []*JoinRecord{{Request: blsO.joins[0].Request, Response: bnO.joins[0].Response}, blsO.joins[1], blsO.joins[2]}
	err, p := callSafely(func() error { _, err := CheckRevocation(blsO.gk0, blsO.prev, &rec, cur, streamRand("b")); return err })
	if p {
		t.Fatalf("CheckRevocation panics: %v", err)
	}
	wantErr(t, "CheckRevocation with a response of another suite", err, ErrMalformed, ErrWrongSuite, ErrInvalidRevocation)
}
