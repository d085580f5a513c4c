package bbs04

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var updateKAT = flag.Bool("update-kat", false, "rewrite testdata/kat.json and kat-bn254.json from their fixed seed")

// katPath is the known-answer file of each suite.
var katPath = map[Suite]string{SuiteBLS12381: "testdata/kat.json", SuiteBN254: "testdata/kat-bn254.json"}

// katFile pins this implementation's outputs for a fixed seed, so that the
// wire format, the order of random draws and the opening proof cannot drift
// silently. Regenerate only for an intended change (-update-kat).
type katFile struct {
	Seed           int64  `json:"seed"`
	GroupPublicKey string `json:"group_public_key"`
	IssuerKey      string `json:"issuer_key"`
	OpenerKey      string `json:"opener_key"`
	MemberKey      string `json:"member_key"`
	Message        string `json:"message"`
	Signature      string `json:"signature"`
	OpenedA        string `json:"opened_a"`
	OpeningProof   string `json:"opening_proof"`
	Revocation     string `json:"revocation_record"`
	Epoch1Key      string `json:"epoch1_group_public_key"`
}

func makeKAT(t *testing.T, suite Suite, seed int64) katFile {
	rnd := testRand(t, seed)
	pk, ik, ok, err := SetupSuite(suite, rnd)
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(pk)
	mk, err := reg.Issue(ik, "alice", rnd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Issue(ik, "bob", rnd); err != nil {
		t.Fatal(err)
	}
	msg := []byte("veil known-answer test")
	sig, err := Sign(mk, msg, rnd)
	if err != nil {
		t.Fatal(err)
	}
	id, proof, err := Open(ok, pk, msg, sig, rnd)
	if err != nil {
		t.Fatal(err)
	}
	rec, nik, err := reg.Revoke(ik, "bob")
	if err != nil {
		t.Fatal(err)
	}
	h := func(v interface{ MarshalBinary() ([]byte, error) }) string {
		b, _ := v.MarshalBinary()
		return hex.EncodeToString(b)
	}
	return katFile{
		Seed: seed, GroupPublicKey: h(pk), IssuerKey: h(ik), OpenerKey: h(ok), MemberKey: h(mk),
		Message: hex.EncodeToString(msg), Signature: hex.EncodeToString(sig), OpenedA: hex.EncodeToString(id[:]),
		OpeningProof: h(proof), Revocation: h(rec), Epoch1Key: h(nik.pk),
	}
}

func TestKnownAnswers(t *testing.T) { forSuites(t, testKnownAnswers) }

func testKnownAnswers(t *testing.T, suite Suite) {
	path := katPath[suite]
	got := makeKAT(t, suite, 42)
	if *updateKAT {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want katFile
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("outputs for seed 42 differ from %s:\n got %+v\nwant %+v", path, got, want)
	}
	// The stored values verify on their own, without regenerating them.
	var pk PublicKey
	if err := pk.UnmarshalBinary(unhex(t, want.GroupPublicKey)); err != nil {
		t.Fatal(err)
	}
	msg, sig := unhex(t, want.Message), unhex(t, want.Signature)
	if err := Verify(&pk, msg, sig); err != nil {
		t.Fatal(err)
	}
	var id Identity
	copy(id[:], unhex(t, want.OpenedA))
	var proof OpeningProof
	if err := proof.UnmarshalBinary(unhex(t, want.OpeningProof)); err != nil {
		t.Fatal(err)
	}
	if err := VerifyOpening(&pk, msg, sig, id, &proof); err != nil {
		t.Fatal(err)
	}
}
