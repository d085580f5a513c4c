package bbs04

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "write the fuzz seed corpus into testdata/fuzz")

// fuzzFixture is one BLS12-381 group with one of everything, made once per
// process; fuzzFixtures has one per suite.
func fuzzFixture() map[string][]byte { return fuzzFixtures()[SuiteBLS12381] }

var fuzzFixtures = sync.OnceValue(func() map[Suite]map[string][]byte {
	out := map[Suite]map[string][]byte{}
	for _, s := range Suites() {
		out[s] = makeFuzzFixture(s)
	}
	return out
})

func makeFuzzFixture(suite Suite) map[string][]byte {
	t := &testing.T{}
	g := newSuiteGroup(t, suite, 77, 2)
	mk := g.members[g.labels[0]]
	msg := []byte("fuzz")
	sig, _ := Sign(mk, msg, testRand(t, 1))
	_, proof, _ := Open(g.ok, g.pk, msg, sig, testRand(t, 2))
	enc := func(v interface{ MarshalBinary() ([]byte, error) }) []byte { b, _ := v.MarshalBinary(); return b }
	out := map[string][]byte{
		"pk": enc(g.pk), "ik": enc(g.ik), "ok": enc(g.ok), "mk": enc(mk), "sig": sig, "msg": msg,
		"proof": enc(proof),
	}
	rec, _, _ := g.reg.Revoke(g.ik, g.labels[1])
	out["rec"], out["reg"] = enc(rec), enc(g.reg)
	out["armor"], _ = Armor(mk)
	id := mk.Identity()
	out["id"] = id[:]
	return out
}

// fuzzDecoder fuzzes one decoder: it never panics, refusals wrap a
// sentinel, and whatever it accepts re-encodes to the same bytes.
func fuzzDecoder(f *testing.F, seedKey string, newV func() interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}) {
	for _, s := range Suites() {
		seed := fuzzFixtures()[s][seedKey]
		f.Add(seed)
		f.Add(seed[:len(seed)/2])
		f.Add([]byte{byte(s)})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := newV()
		err := v.UnmarshalBinary(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongSuite) && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("refusal wraps no sentinel: %v", err)
			}
			return
		}
		back, err := v.MarshalBinary()
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("accepted bytes re-encode differently")
		}
	})
}

type codec = interface {
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

func FuzzPublicKey(f *testing.F) { fuzzDecoder(f, "pk", func() codec { return new(PublicKey) }) }
func FuzzIssuerKey(f *testing.F) { fuzzDecoder(f, "ik", func() codec { return new(IssuerKey) }) }
func FuzzOpenerKey(f *testing.F) { fuzzDecoder(f, "ok", func() codec { return new(OpenerKey) }) }
func FuzzMemberKey(f *testing.F) { fuzzDecoder(f, "mk", func() codec { return new(MemberKey) }) }
func FuzzSignature(f *testing.F) { fuzzDecoder(f, "sig", func() codec { return new(Signature) }) }
func FuzzOpeningProof(f *testing.F) {
	fuzzDecoder(f, "proof", func() codec { return new(OpeningProof) })
}
func FuzzRevocationRecord(f *testing.F) {
	fuzzDecoder(f, "rec", func() codec { return new(RevocationRecord) })
}
func FuzzRegistry(f *testing.F) { fuzzDecoder(f, "reg", func() codec { return new(Registry) }) }

// FuzzVerify feeds arbitrary bytes to Verify: it never panics, and accepts
// only the one genuine signature on the one genuine message.
func FuzzVerify(f *testing.F) {
	fx := fuzzFixture()
	f.Add(fx["sig"], fx["msg"])
	f.Add(fx["sig"][:100], []byte{})
	var pk PublicKey
	if err := pk.UnmarshalBinary(fx["pk"]); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, msg []byte) {
		err := Verify(&pk, msg, sig)
		genuine := bytes.Equal(sig, fx["sig"]) && bytes.Equal(msg, fx["msg"])
		if (err == nil) != genuine {
			t.Fatalf("Verify = %v for genuine=%v", err, genuine)
		}
	})
}

// FuzzVerifyBN254 is FuzzVerify under a BN254 group key: it never panics,
// and accepts only the one genuine BN254 signature on the one genuine
// message (a BLS12-381 signature is refused as another suite's).
func FuzzVerifyBN254(f *testing.F) {
	fx := fuzzFixtures()[SuiteBN254]
	f.Add(fx["sig"], fx["msg"])
	f.Add(fx["sig"][:100], []byte{})
	f.Add(fuzzFixture()["sig"], fx["msg"])
	var pk PublicKey
	if err := pk.UnmarshalBinary(fx["pk"]); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, msg []byte) {
		err := Verify(&pk, msg, sig)
		genuine := bytes.Equal(sig, fx["sig"]) && bytes.Equal(msg, fx["msg"])
		if (err == nil) != genuine {
			t.Fatalf("Verify = %v for genuine=%v", err, genuine)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrWrongSuite) && !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("refusal wraps no sentinel: %v", err)
		}
	})
}

// FuzzIdentity fuzzes the 48-byte identity of both suites: no panic,
// refusals wrap ErrMalformed, and an accepted identity names a suite and
// is a point of that suite's G1.
func FuzzIdentity(f *testing.F) {
	for _, s := range Suites() {
		f.Add(fuzzFixtures()[s]["id"])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var id Identity
		if err := id.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("refusal wraps no sentinel: %v", err)
			}
			return
		}
		c := curveOf(byte(id.Suite()))
		if c == nil || !bytes.Equal(id[:], data) {
			t.Fatalf("accepted identity %x names no suite or changed", data)
		}
		p, err := identityPoint(c, id)
		if err != nil || identityOf(c, p) != id {
			t.Fatalf("accepted identity does not re-encode: %v", err)
		}
	})
}

// FuzzDearmor feeds arbitrary text to the key-file reader.
func FuzzDearmor(f *testing.F) {
	for _, s := range Suites() {
		fx := fuzzFixtures()[s]
		f.Add(fx["armor"])
		f.Add([]byte(hex.EncodeToString(fx["mk"])))
		f.Add(fx["mk"])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var mk MemberKey
		if err := Dearmor(data, &mk); err == nil {
			if _, err := mk.MarshalBinary(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestWriteFuzzCorpus writes the seeds above as committed corpus files
// (go test -run TestWriteFuzzCorpus -write-corpus).
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus to regenerate testdata/fuzz")
	}
	one := map[string]string{
		"FuzzPublicKey": "pk", "FuzzIssuerKey": "ik", "FuzzOpenerKey": "ok", "FuzzMemberKey": "mk",
		"FuzzSignature": "sig", "FuzzOpeningProof": "proof", "FuzzRevocationRecord": "rec", "FuzzRegistry": "reg",
		"FuzzDearmor": "armor",
	}
	write := func(target string, args ...[]byte) {
		var body bytes.Buffer
		body.WriteString("go test fuzz v1\n")
		for _, a := range args {
			fmt.Fprintf(&body, "[]byte(%q)\n", a)
		}
		sum := sha256.Sum256(body.Bytes())
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:8])), body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range Suites() {
		fx := fuzzFixtures()[s]
		for target, key := range one {
			write(target, fx[key])
			b := bytes.Clone(fx[key])
			b[len(b)/2] ^= 0xff
			write(target, b)
		}
		write("FuzzIdentity", fx["id"])
	}
	fx, bn := fuzzFixture(), fuzzFixtures()[SuiteBN254]
	write("FuzzVerify", fx["sig"], fx["msg"])
	write("FuzzVerify", fx["sig"], []byte("other"))
	write("FuzzVerifyBN254", bn["sig"], bn["msg"])
	write("FuzzVerifyBN254", bn["sig"], []byte("other"))
	write("FuzzVerifyBN254", fx["sig"], bn["msg"])
}
