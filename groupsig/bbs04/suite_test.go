package bbs04

import (
	"bytes"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

func TestParseSuiteAndSizes(t *testing.T) {
	for name, want := range map[string]Suite{"bls12-381": SuiteBLS12381, "BLS12381": SuiteBLS12381, "bn254": SuiteBN254} {
		if s, err := ParseSuite(name); err != nil || s != want {
			t.Fatalf("ParseSuite(%q) = %v, %v", name, s, err)
		}
	}
	if _, err := ParseSuite("bn256"); !errors.Is(err, ErrWrongSuite) {
		t.Fatalf("unknown name: %v", err)
	}
	if Suite(3).Valid() || !Suite(SuiteBN254).Valid() {
		t.Fatal("Valid")
	}
	want := map[Suite][7]int{
		SuiteBLS12381: {393, 337, 426, 458, 474, 97, 281},
		SuiteBN254:    {265, 289, 298, 330, 330, 97, 201},
	}
	for s, w := range want {
		got := [7]int{PublicKeySizeOf(s), SignatureSizeOf(s), IssuerKeySizeOf(s), OpenerKeySizeOf(s), MemberKeySizeOf(s), OpeningProofSizeOf(s), RevocationRecordSizeOf(s)}
		if got != w {
			t.Fatalf("%s sizes %v, want %v", s, got, w)
		}
	}
	if PublicKeySizeOf(SuiteBLS12381) != PublicKeySize || SignatureSizeOf(SuiteBLS12381) != SignatureSize || RevocationRecordSizeOf(SuiteBLS12381) != RevocationRecordSize {
		t.Fatal("the BLS12-381 constants moved")
	}
	if PublicKeySizeOf(7) != 0 {
		t.Fatal("size of an unknown suite")
	}
}

// TestSuitesDoNotMix: every input of another suite is refused with an
// error wrapping ErrWrongSuite.
func TestSuitesDoNotMix(t *testing.T) {
	gs := map[Suite]*testGroup{SuiteBLS12381: newSuiteGroup(t, SuiteBLS12381, 30, 2), SuiteBN254: newSuiteGroup(t, SuiteBN254, 31, 2)}
	msg := []byte("mixed")
	type made struct {
		sig   []byte
		id    Identity
		proof *OpeningProof
		rec   *RevocationRecord
	}
	m := map[Suite]made{}
	for s, g := range gs {
		if g.pk.Suite() != s {
			t.Fatalf("key of suite %v names %v", s, g.pk.Suite())
		}
		sig, _ := Sign(g.members[g.labels[0]], msg, testRand(t, 1))
		id, proof, err := Open(g.ok, g.pk, msg, sig, testRand(t, 2))
		if err != nil {
			t.Fatal(err)
		}
		if id.Suite() != s || proof.Suite() != s {
			t.Fatalf("%v: identity or proof names another suite", s)
		}
		rec, _, err := revoke(g.ik, g.members[g.labels[1]].a, g.members[g.labels[1]].x)
		if err != nil {
			t.Fatal(err)
		}
		m[s] = made{sig, id, proof, rec}
	}
	for s, g := range gs {
		o := Suite(3 - byte(s))
		other, om := gs[o], m[o]
		checks := map[string]error{
			"Verify":               Verify(g.pk, msg, om.sig),
			"VerifyOpening(proof)": VerifyOpening(g.pk, msg, m[s].sig, m[s].id, om.proof),
			"VerifyOpening(id)":    VerifyOpening(g.pk, msg, m[s].sig, om.id, m[s].proof),
			"VerifyOpening(sig)":   VerifyOpening(g.pk, msg, om.sig, m[s].id, m[s].proof),
			"VerifyRevocation":     func() error { _, err := VerifyRevocation(g.pk, om.rec); return err }(),
			"Update":               func() error { _, err := g.members[g.labels[0]].Update(om.rec); return err }(),
			"Open(opener key)":     func() error { _, _, err := Open(other.ok, g.pk, msg, m[s].sig, testRand(t, 3)); return err }(),
			"Open(signature)":      func() error { _, _, err := Open(g.ok, g.pk, msg, om.sig, testRand(t, 3)); return err }(),
			"Registry.Issue":       func() error { _, err := g.reg.Issue(other.ik, "x", testRand(t, 4)); return err }(),
			"Registry.Revoke":      func() error { _, _, err := g.reg.Revoke(other.ik, g.labels[0]); return err }(),
			"VerifyBatch":          VerifyBatch(t.Context(), g.pk, [][]byte{msg}, [][]byte{om.sig})[0],
		}
		for name, err := range checks {
			if !errors.Is(err, ErrWrongSuite) {
				t.Errorf("%v key, %v input, %s: %v", s, o, name, err)
			}
		}
		// A key of one suite around the group key of the other has the
		// wrong length for its own suite byte.
		for name, err := range map[string]error{
			"IssuerKey(nested gpk)": nested(g.ik, other.pk, new(IssuerKey)),
			"OpenerKey(nested gpk)": nested(g.ok, other.pk, new(OpenerKey)),
			"MemberKey(nested gpk)": nested(g.members[g.labels[0]], other.pk, new(MemberKey)),
		} {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongSuite) {
				t.Errorf("%v key, %v input, %s: %v", s, o, name, err)
			}
		}
	}
}

// nested re-encodes a key of one suite with the group public key of the
// other in place of its own, and decodes it.
func nested(k interface{ MarshalBinary() ([]byte, error) }, otherPK *PublicKey, into codec) error {
	enc, _ := k.MarshalBinary()
	pkLen := PublicKeySizeOf(Suite(enc[0]))
	oenc, _ := otherPK.MarshalBinary()
	return into.UnmarshalBinary(append(bytes.Clone(enc[:len(enc)-pkLen]), oenc...))
}

func TestIdentityForms(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 32, 1)
		id := g.members[g.labels[0]].Identity()
		if id.Suite() != suite {
			t.Fatalf("identity names %v", id.Suite())
		}
		var back Identity
		if err := back.UnmarshalBinary(id[:]); err != nil || back != id {
			t.Fatalf("identity does not round-trip: %v", err)
		}
		if suite == SuiteBN254 && (id[0] != 0x02 || !bytes.Equal(id[1:16], make([]byte, 15))) {
			t.Fatalf("BN254 identity is not 0x02 ‖ 0^15 ‖ A: %x", id)
		}
		bad := id
		bad[IdentitySize-1] ^= 1
		bad[IdentitySize-2] ^= 0x55
		if err := new(Identity).UnmarshalBinary(bad[:]); err == nil {
			// Changing x may still land on the curve; then the point differs.
			if bad == id {
				t.Fatal("unchanged")
			}
		}
		if suite == SuiteBN254 {
			bad = id
			bad[5] = 1 // padding must be zero
			if err := new(Identity).UnmarshalBinary(bad[:]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("nonzero padding: %v", err)
			}
		}
	})
}

// TestDecodersRefuseBadPointsBN254 is TestDecodersRefuseBadPoints for
// suite 0x02: the identity, an x off the curve, an x not below p, a G2
// point on the twist outside the prime-order subgroup, a scalar = r.
func TestDecodersRefuseBadPointsBN254(t *testing.T) {
	g := newSuiteGroup(t, SuiteBN254, 14, 1)
	enc, _ := g.pk.MarshalBinary()
	const g1n, g2n = 32, 64
	hOff := 1 + 8 + g1n + g2n
	wOff := 1 + 8 + 4*g1n + g2n
	try := func(name string, off int, repl []byte) {
		t.Helper()
		bad := bytes.Clone(enc)
		copy(bad[off:], repl)
		if err := new(PublicKey).UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	inf := make([]byte, g1n)
	inf[0] = 0x40
	try("identity h", hOff, inf)
	inf2 := make([]byte, g2n)
	inf2[0] = 0x40
	try("identity w", wOff, inf2)
	// x = p (not canonical), compressed flag set.
	pBytes := bn254.ID.BaseField().FillBytes(make([]byte, 32))
	pBytes[0] |= 0x80
	try("x = p", hOff, pBytes)
	// An x with x³ + 3 not a square.
	for x := int64(1); ; x++ {
		var a bn254.G1Affine
		a.X.SetInt64(x)
		var y2 = a.X
		y2.Square(&y2).Mul(&y2, &a.X)
		var three = a.X
		three.SetInt64(3)
		y2.Add(&y2, &three)
		if y2.Legendre() == -1 {
			b := a.X.Bytes()
			b[0] |= 0x80
			try("x off the curve", hOff, b[:])
			break
		}
	}
	// A point on the twist E'(Fp²) outside the order-r subgroup.
	_, _, _, gen := bn254.Generators()
	var bTwist, t3 bn254.E2
	t3.Square(&gen.X).Mul(&t3, &gen.X)
	bTwist.Square(&gen.Y).Sub(&bTwist, &t3) // b' = y² − x³
	found := false
	for x := int64(1); x < 100 && !found; x++ {
		var q bn254.G2Affine
		q.X.A0.SetInt64(x)
		var y2 bn254.E2
		y2.Square(&q.X).Mul(&y2, &q.X).Add(&y2, &bTwist)
		if y2.Legendre() != 1 {
			continue
		}
		q.Y.Sqrt(&y2)
		if !q.IsOnCurve() || q.IsInSubGroup() {
			continue
		}
		b := q.Bytes()
		try("w outside the subgroup", wOff, b[:])
		found = true
	}
	if !found {
		t.Fatal("no off-subgroup G2 point found")
	}
	// Scalars at or above r are refused.
	mk := g.members[g.labels[0]]
	sig, _ := Sign(mk, nil, testRand(t, 1))
	bad := bytes.Clone(sig)
	copy(bad[1+3*g1n:], fr.Modulus().FillBytes(make([]byte, 32)))
	if err := Verify(g.pk, nil, bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("c = r: %v", err)
	}
	if err := Verify(g.pk, nil, sig); err != nil {
		t.Fatal(err)
	}
}

func TestGroupDirCreateSuite(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		gd := GroupDir{Dir: t.TempDir(), Name: "g"}
		pk, err := gd.CreateSuite(suite, testRand(t, 40))
		if err != nil {
			t.Fatal(err)
		}
		if pk.Suite() != suite {
			t.Fatalf("created %v", pk.Suite())
		}
		mk, err := gd.AddMember("alice", testRand(t, 41))
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := Sign(mk, []byte("m"), testRand(t, 42))
		var read PublicKey
		if err := ReadFile(gd.PublicKeyPath(), &read); err != nil {
			t.Fatal(err)
		}
		if err := Verify(&read, []byte("m"), sig); err != nil {
			t.Fatal(err)
		}
		if _, _, err := gd.Revoke("alice"); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := (GroupDir{Dir: t.TempDir(), Name: "g"}).CreateSuite(9, testRand(t, 1)); !errors.Is(err, ErrWrongSuite) {
		t.Fatalf("unknown suite: %v", err)
	}
}
