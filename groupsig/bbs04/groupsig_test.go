package bbs04

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testGroup is a group with a registry of n members.
type testGroup struct {
	pk      *PublicKey
	ik      *IssuerKey
	ok      *OpenerKey
	reg     *Registry
	members map[string]*MemberKey
	labels  []string
}

// newTestGroup makes a BLS12-381 group.
func newTestGroup(t testing.TB, seed int64, n int) *testGroup {
	t.Helper()
	return newSuiteGroup(t, SuiteBLS12381, seed, n)
}

func newSuiteGroup(t testing.TB, suite Suite, seed int64, n int) *testGroup {
	t.Helper()
	rnd := testRand(t, seed)
	pk, ik, ok, err := SetupSuite(suite, rnd)
	if err != nil {
		t.Fatal(err)
	}
	g := &testGroup{pk: pk, ik: ik, ok: ok, reg: NewRegistry(pk), members: map[string]*MemberKey{}}
	for i := range n {
		label := fmt.Sprintf("member-%03d", i)
		mk, err := g.reg.Issue(ik, label, rnd)
		if err != nil {
			t.Fatal(err)
		}
		g.members[label] = mk
		g.labels = append(g.labels, label)
	}
	return g
}

func TestSignVerifyOpenManyMembers(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		n := 100
		if testing.Short() || raceEnabled {
			n = 12
		}
		g := newSuiteGroup(t, suite, 1, n)
		rnd := testRand(t, 2)
		for i, label := range g.labels {
			mk := g.members[label]
			if err := mk.Validate(); err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			msg := []byte(fmt.Sprintf("transaction %d", i))
			sig, err := Sign(mk, msg, rnd)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != SignatureSizeOf(suite) {
				t.Fatalf("signature is %d bytes", len(sig))
			}
			if err := Verify(g.pk, msg, sig); err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			id, proof, err := Open(g.ok, g.pk, msg, sig, rnd)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := g.reg.Lookup(id); !ok || got != label {
				t.Fatalf("signature of %s opened to %q (found %v)", label, got, ok)
			}
			if err := VerifyOpening(g.pk, msg, sig, id, proof); err != nil {
				t.Fatalf("opening of %s: %v", label, err)
			}
		}
	})
}

func TestOpeningProofBindsEverything(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 3, 2)
		rnd := testRand(t, 4)
		a, b := g.members[g.labels[0]], g.members[g.labels[1]]
		msg, other := []byte("pay 5"), []byte("pay 6")
		sig, _ := Sign(a, msg, rnd)
		sigB, _ := Sign(b, msg, rnd)
		sigOther, _ := Sign(a, other, rnd)
		id, proof, err := Open(g.ok, g.pk, msg, sig, rnd)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyOpening(g.pk, msg, sig, id, proof); err != nil {
			t.Fatal(err)
		}
		cases := map[string]error{
			"other member's A":             VerifyOpening(g.pk, msg, sig, b.Identity(), proof),
			"other signature":              VerifyOpening(g.pk, msg, sigB, id, proof),
			"same signer, other signature": VerifyOpening(g.pk, other, sigOther, id, proof),
			"other message":                VerifyOpening(g.pk, other, sig, id, proof),
		}
		if suite == SuiteBLS12381 {
			// A claimed A equal to T3 makes T3/A the identity: refused, no panic.
			var t3 Identity
			copy(t3[:], sig[1+2*g1Size:1+3*g1Size])
			cases["A = T3"] = VerifyOpening(g.pk, msg, sig, t3, proof)
		}
		for name, err := range cases {
			if err == nil {
				t.Errorf("%s: opening accepted", name)
			}
		}
		// A tampered proof is refused.
		enc, _ := proof.MarshalBinary()
		for i := 1; i < len(enc); i += 7 {
			bad := bytes.Clone(enc)
			bad[i] ^= 0x01
			var p OpeningProof
			if p.UnmarshalBinary(bad) != nil {
				continue
			}
			if err := VerifyOpening(g.pk, msg, sig, id, &p); !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("proof with byte %d changed: %v", i, err)
			}
		}
		// An opener of another group cannot open, and opening garbage fails.
		other2 := newSuiteGroup(t, suite, 5, 0)
		if _, _, err := Open(other2.ok, g.pk, msg, sig, rnd); !errors.Is(err, ErrWrongGroup) {
			t.Fatalf("foreign opener: %v", err)
		}
		bad := bytes.Clone(sig)
		bad[len(bad)-1] ^= 1
		if _, _, err := Open(g.ok, g.pk, msg, bad, rnd); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("opening an invalid signature: %v", err)
		}
	})
}

func TestEverySingleByteChangeIsRefused(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 6, 1)
		mk := g.members[g.labels[0]]
		msg := []byte("m")
		sig, _ := Sign(mk, msg, testRand(t, 7))
		step := 1
		if testing.Short() || raceEnabled {
			step = 13
		}
		for i := 0; i < len(sig); i += step {
			for _, delta := range []byte{0x01, 0x80} {
				bad := bytes.Clone(sig)
				bad[i] ^= delta
				err := Verify(g.pk, msg, bad)
				if err == nil {
					t.Fatalf("byte %d ^ %#x accepted", i, delta)
				}
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrWrongSuite) {
					t.Fatalf("byte %d: unexpected error kind %v", i, err)
				}
			}
		}
		if err := Verify(g.pk, msg, sig[:len(sig)-1]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated: %v", err)
		}
		if err := Verify(g.pk, msg, append(bytes.Clone(sig), 0)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("trailing byte: %v", err)
		}
		wrongSuite := bytes.Clone(sig)
		wrongSuite[0] = 0x03
		if err := Verify(g.pk, msg, wrongSuite); !errors.Is(err, ErrWrongSuite) {
			t.Fatalf("suite 3: %v", err)
		}
		// The other suite's byte on this suite's bytes: the length is wrong.
		wrongSuite[0] = 3 - byte(suite)
		if err := Verify(g.pk, msg, wrongSuite); !errors.Is(err, ErrMalformed) {
			t.Fatalf("suite byte of the other suite: %v", err)
		}
		if err := Verify(g.pk, []byte("n"), sig); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("other message: %v", err)
		}
		other := newSuiteGroup(t, suite, 8, 0)
		if err := Verify(other.pk, msg, sig); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("other group: %v", err)
		}
	})
}

func TestRevocation(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 9, 5)
		rnd := testRand(t, 10)
		msg := []byte("after revocation")
		oldSigs := map[string][]byte{}
		for _, l := range g.labels {
			oldSigs[l], _ = Sign(g.members[l], msg, rnd)
		}
		if _, _, err := g.reg.Revoke(g.ik, "nobody"); !errors.Is(err, ErrUnknownMember) {
			t.Fatalf("revoking an unknown member: %v", err)
		}
		ik := g.ik
		pk := g.pk
		revoked := map[string]bool{}
		for round, victim := range []string{g.labels[1], g.labels[3], g.labels[0]} {
			rec, nik, err := g.reg.Revoke(ik, victim)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if _, _, err := g.reg.Revoke(nik, victim); err == nil {
				t.Fatal("revoked the same member twice")
			}
			newPK, err := VerifyRevocation(pk, rec)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if !newPK.Equal(nik.PublicKey()) || !newPK.Equal(g.reg.PublicKey()) || newPK.Epoch() != uint64(round+1) {
				t.Fatalf("round %d: keys disagree", round)
			}
			// A record does not apply to the wrong epoch.
			if _, err := VerifyRevocation(newPK, rec); !errors.Is(err, ErrWrongGroup) {
				t.Fatalf("record applied twice: %v", err)
			}
			// The revoked member's fresh signature (with the key it still has)
			// is refused, and it cannot update.
			sig, _ := Sign(g.members[victim], msg, rnd)
			if err := Verify(newPK, msg, sig); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("revoked member's signature under the new key: %v", err)
			}
			if _, err := g.members[victim].Update(rec); !errors.Is(err, ErrRevoked) {
				t.Fatalf("revoked member updated: %v", err)
			}
			revoked[victim] = true
			for _, l := range g.labels {
				if revoked[l] {
					continue
				}
				if err := Verify(newPK, msg, oldSigs[l]); !errors.Is(err, ErrInvalidSignature) {
					t.Fatalf("epoch-%d signature of %s under epoch %d: %v", pk.Epoch(), l, newPK.Epoch(), err)
				}
				upd, err := g.members[l].Update(rec)
				if err != nil {
					t.Fatalf("update %s: %v", l, err)
				}
				if err := upd.Validate(); err != nil {
					t.Fatal(err)
				}
				want, _ := g.reg.MemberKey(l)
				if upd.Identity() != want.Identity() {
					t.Fatalf("member %s updated to another A than the registry's", l)
				}
				g.members[l] = upd
				oldSigs[l], _ = Sign(upd, msg, rnd)
				if err := Verify(newPK, msg, oldSigs[l]); err != nil {
					t.Fatalf("updated %s: %v", l, err)
				}
				id, _, err := Open(g.ok, newPK, msg, oldSigs[l], rnd)
				if err != nil {
					t.Fatal(err)
				}
				if got, _ := g.reg.Lookup(id); got != l {
					t.Fatalf("opened %s as %q", l, got)
				}
			}
			ik, pk = nik, newPK
		}
		// The registry survives a round trip with its whole history.
		enc, _ := g.reg.MarshalBinary()
		var back Registry
		if err := back.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		if enc2, _ := back.MarshalBinary(); !bytes.Equal(enc, enc2) {
			t.Fatal("registry does not round-trip")
		}
		if len(back.Records()) != 3 || back.PublicKey().Epoch() != 3 {
			t.Fatalf("registry lost its history")
		}
		for _, m := range back.Members() {
			if m.Revoked != revoked[m.Label] {
				t.Fatalf("%s revoked=%v", m.Label, m.Revoked)
			}
		}
		// New members join at the current epoch.
		mk, err := back.Issue(ik, "late", rnd)
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := Sign(mk, msg, rnd)
		if err := Verify(pk, msg, sig); err != nil {
			t.Fatal(err)
		}
		if _, err := back.Issue(g.ik, "stale-issuer", rnd); !errors.Is(err, ErrWrongGroup) {
			t.Fatalf("issuing with an epoch-0 issuer key: %v", err)
		}
	})
}

func TestForgedRevocationRefused(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 11, 2)
		other := newSuiteGroup(t, suite, 12, 1)
		// A record built by another group's issuer for its own member.
		rec, _, err := revoke(other.ik, other.members[other.labels[0]].a, other.members[other.labels[0]].x)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyRevocation(g.pk, rec); !errors.Is(err, ErrInvalidRevocation) {
			t.Fatalf("foreign record: %v", err)
		}
		if _, err := g.members[g.labels[0]].Update(rec); !errors.Is(err, ErrInvalidRevocation) {
			t.Fatalf("update with a foreign record: %v", err)
		}
		// A record with a tampered w' is refused.
		good, _, _ := revoke(g.ik, g.members[g.labels[1]].a, g.members[g.labels[1]].x)
		bad := *good
		bad.w = good.g2
		if _, err := VerifyRevocation(g.pk, &bad); !errors.Is(err, ErrInvalidRevocation) {
			t.Fatalf("tampered w': %v", err)
		}
		bad = *good
		bad.g2 = g.pk.g2
		if _, err := VerifyRevocation(g.pk, &bad); !errors.Is(err, ErrInvalidRevocation) {
			t.Fatalf("tampered g2': %v", err)
		}
	})
}

func TestEncodingsRoundTrip(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 13, 1)
		mk := g.members[g.labels[0]]
		sig, _ := Sign(mk, []byte("x"), testRand(t, 1))
		var s Signature
		if err := s.UnmarshalBinary(sig); err != nil {
			t.Fatal(err)
		}
		_, proof, _ := Open(g.ok, g.pk, []byte("x"), sig, testRand(t, 2))
		rec, _, _ := g.reg.Revoke(g.ik, g.labels[0])
		type codec interface {
			MarshalBinary() ([]byte, error)
			UnmarshalBinary([]byte) error
		}
		items := []struct {
			v    codec
			size int
			new  func() codec
		}{
			{g.pk, PublicKeySizeOf(suite), func() codec { return new(PublicKey) }},
			{g.ik, IssuerKeySizeOf(suite), func() codec { return new(IssuerKey) }},
			{g.ok, OpenerKeySizeOf(suite), func() codec { return new(OpenerKey) }},
			{mk, MemberKeySizeOf(suite), func() codec { return new(MemberKey) }},
			{&s, SignatureSizeOf(suite), func() codec { return new(Signature) }},
			{proof, OpeningProofSizeOf(suite), func() codec { return new(OpeningProof) }},
			{rec, RevocationRecordSizeOf(suite), func() codec { return new(RevocationRecord) }},
			{g.reg, -1, func() codec { return new(Registry) }},
		}
		dir := t.TempDir()
		for _, it := range items {
			name := fmt.Sprintf("%T", it.v)
			enc, err := it.v.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if it.size >= 0 && len(enc) != it.size {
				t.Fatalf("%s: %d bytes, want %d", name, len(enc), it.size)
			}
			for _, form := range [][]byte{enc, []byte(hex.EncodeToString(enc) + "\n"), mustArmor(t, it.v)} {
				back := it.new()
				if err := Dearmor(form, back); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if enc2, _ := back.MarshalBinary(); !bytes.Equal(enc, enc2) {
					t.Fatalf("%s does not round-trip", name)
				}
			}
			for _, n := range []int{0, 1, len(enc) - 1} {
				if err := it.new().UnmarshalBinary(enc[:n]); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongSuite) {
					t.Fatalf("%s truncated to %d: %v", name, n, err)
				}
			}
			if err := it.new().UnmarshalBinary(append(bytes.Clone(enc), 0)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s with a trailing byte: %v", name, err)
			}
			path := filepath.Join(dir, strings.Trim(name, "*"))
			if err := WriteFile(path, it.v.(interface{ MarshalBinary() ([]byte, error) })); err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(path)
			_, secret, _ := armorType(it.v)
			if want := map[bool]os.FileMode{true: 0o600, false: 0o644}[secret]; st.Mode().Perm() != want {
				t.Fatalf("%s written with mode %v", name, st.Mode().Perm())
			}
			back := it.new()
			if err := ReadFile(path, back); err != nil {
				t.Fatal(err)
			}
		}
		// A block of the wrong type is refused.
		if err := Dearmor(mustArmor(t, g.pk), new(MemberKey)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("public key read as member key: %v", err)
		}
	})
}

func mustArmor(t testing.TB, v interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	b, err := Armor(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodersRefuseBadPoints(t *testing.T) {
	g := newTestGroup(t, 14, 1)
	enc, _ := g.pk.MarshalBinary()
	// The identity in G1 (compressed: 0xc0 then zeros) where h stands.
	bad := bytes.Clone(enc)
	hOff := 1 + 8 + g1Size + g2Size
	bad[hOff] = 0xc0
	clear(bad[hOff+1 : hOff+g1Size])
	if err := new(PublicKey).UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("identity h: %v", err)
	}
	// An x with no point on the curve, and a point outside the subgroup.
	bad = bytes.Clone(enc)
	copy(bad[hOff:], offSubgroupG1(t))
	if err := new(PublicKey).UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("h outside the subgroup: %v", err)
	}
	// Scalars at or above r are refused.
	mk := g.members[g.labels[0]]
	sig, _ := Sign(mk, nil, testRand(t, 1))
	bad = bytes.Clone(sig)
	order := []byte{0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05, 0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01}
	copy(bad[1+3*g1Size:], order)
	if err := Verify(g.pk, nil, bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("c = r: %v", err)
	}
	if err := Verify(g.pk, nil, sig); err != nil {
		t.Fatal(err)
	}
}

// offSubgroupG1 returns the compressed encoding of a point on the curve
// y² = x³ + 4 that is not in the prime-order subgroup.
func offSubgroupG1(t testing.TB) []byte {
	t.Helper()
	// x = 4 gives y² = 68, a square mod p; the cofactor is large, so such a
	// point is outside the subgroup unless by a 2^-126 chance.
	for x := byte(1); x < 200; x++ {
		enc := make([]byte, g1Size)
		enc[g1Size-1] = x
		enc[0] |= 0x80
		if _, ok := onCurveNotSubgroup(enc); ok {
			return enc
		}
	}
	t.Fatal("no off-subgroup point found")
	return nil
}

func TestSecretsNeverPrinted(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 15, 1)
		mk := g.members[g.labels[0]]
		c := curveT(suite)
		secrets := []string{scalarHex(c, g.ik.gamma), scalarHex(c, g.ok.xi1), scalarHex(c, mk.x)}
		for _, v := range []any{g.ik, *g.ik, g.ok, *g.ok, mk, *mk, g.reg, *g.reg} {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
				out := fmt.Sprintf(verb, v)
				if !strings.Contains(out, "REDACTED") {
					t.Fatalf("%T with %s printed %q", v, verb, out)
				}
				for _, s := range secrets {
					if strings.Contains(out, s) || strings.Contains(out, s[:16]) {
						t.Fatalf("%T with %s leaked a secret", v, verb)
					}
				}
			}
		}
	})
}

func TestVerifyBatch(t *testing.T) {
	forSuites(t, func(t *testing.T, suite Suite) {
		g := newSuiteGroup(t, suite, 16, 3)
		rnd := testRand(t, 17)
		var msgs, sigs [][]byte
		for i := range 9 {
			msg := []byte{byte(i)}
			sig, _ := Sign(g.members[g.labels[i%3]], msg, rnd)
			if i%4 == 1 {
				sig[len(sig)-3] ^= 1
			}
			if i == 7 {
				sig = sig[:10]
			}
			msgs, sigs = append(msgs, msg), append(sigs, sig)
		}
		res := VerifyBatch(context.Background(), g.pk, msgs, sigs)
		for i, err := range res {
			if want := Verify(g.pk, msgs[i], sigs[i]); (err == nil) != (want == nil) {
				t.Fatalf("signature %d: batch says %v, Verify says %v", i, err, want)
			}
			if (err == nil) != (i%4 != 1 && i != 7) {
				t.Fatalf("signature %d: %v", i, err)
			}
		}
	})
}
