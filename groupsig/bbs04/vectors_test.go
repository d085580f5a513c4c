package bbs04

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// specVectors is testdata/bbs04-bls12381.json, made by an independent
// implementation of SPEC-bbs04.md.
type specVectors struct {
	Suite          int    `json:"suite"`
	GroupPublicKey string `json:"group_public_key"`
	Gamma          string `json:"gamma"`
	Xi1            string `json:"xi1"`
	Xi2            string `json:"xi2"`
	Message        string `json:"message"`
	Members        []struct {
		Index     int    `json:"index"`
		A         string `json:"a"`
		X         string `json:"x"`
		Signature string `json:"signature"`
	} `json:"members"`
	Revocation struct {
		Revoked        int    `json:"revoked"`
		GroupPublicKey string `json:"group_public_key"`
		Members        []struct {
			Index     int    `json:"index"`
			A         string `json:"a"`
			X         string `json:"x"`
			Signature string `json:"signature"`
		} `json:"members"`
	} `json:"revocation"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in vectors: %v", err)
	}
	return b
}

func loadSpecVectors(t testing.TB) *specVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/bbs04-bls12381.json")
	if err != nil {
		t.Fatal(err)
	}
	var v specVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestSpecVectors(t *testing.T) {
	v := loadSpecVectors(t)
	suite := []byte{SuiteBLS12381}
	pkBytes := unhex(t, v.GroupPublicKey)
	pk, err := parsePublicKey(pkBytes)
	if err != nil {
		t.Fatalf("group public key: %v", err)
	}
	if enc, _ := pk.MarshalBinary(); hex.EncodeToString(enc) != v.GroupPublicKey {
		t.Fatal("group public key does not re-encode to the same bytes")
	}
	var ik IssuerKey
	if err := ik.UnmarshalBinary(concat(suite, unhex(t, v.Gamma), pkBytes)); err != nil {
		t.Fatalf("issuer key from γ: %v", err)
	}
	var ok OpenerKey
	if err := ok.UnmarshalBinary(concat(suite, unhex(t, v.Xi1), unhex(t, v.Xi2), pkBytes)); err != nil {
		t.Fatalf("opener key from ξ1, ξ2: %v", err)
	}
	msg := unhex(t, v.Message)

	members := make([]*MemberKey, len(v.Members))
	for i, m := range v.Members {
		var mk MemberKey
		if err := mk.UnmarshalBinary(concat(suite, unhex(t, m.A), unhex(t, m.X), pkBytes)); err != nil {
			t.Fatalf("member %d key: %v", i, err)
		}
		members[i] = &mk
		sig := unhex(t, m.Signature)
		if err := Verify(pk, msg, sig); err != nil {
			t.Fatalf("member %d signature: %v", i, err)
		}
		id, proof, err := Open(&ok, pk, msg, sig, testRand(t, int64(i)))
		if err != nil {
			t.Fatalf("open member %d: %v", i, err)
		}
		if hex.EncodeToString(id[:]) != m.A {
			t.Fatalf("member %d opened to %x, want %s", i, id, m.A)
		}
		if err := VerifyOpening(pk, msg, sig, id, proof); err != nil {
			t.Fatalf("member %d opening: %v", i, err)
		}
	}

	rv := v.Revocation
	revoked := members[rv.Revoked]
	rec, nik, err := revoke(&ik, revoked.a, revoked.x)
	if err != nil {
		t.Fatal(err)
	}
	if enc, _ := nik.pk.MarshalBinary(); hex.EncodeToString(enc) != rv.GroupPublicKey {
		t.Fatalf("epoch-1 key from γ and member %d differs from the vector", rv.Revoked)
	}
	pk1, err := VerifyRevocation(pk, rec)
	if err != nil {
		t.Fatalf("revocation record: %v", err)
	}
	if !pk1.Equal(nik.pk) {
		t.Fatal("VerifyRevocation derived another epoch-1 key")
	}
	if _, err := revoked.Update(rec); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked member updated: %v", err)
	}
	for _, m := range rv.Members {
		updated, err := members[m.Index].Update(rec)
		if err != nil {
			t.Fatalf("update member %d: %v", m.Index, err)
		}
		if id := updated.Identity(); hex.EncodeToString(id[:]) != m.A {
			t.Fatalf("member %d updated to %x, want %s", m.Index, id, m.A)
		}
		if err := updated.Validate(); err != nil {
			t.Fatal(err)
		}
		sig := unhex(t, m.Signature)
		if err := Verify(pk1, msg, sig); err != nil {
			t.Fatalf("member %d epoch-1 signature: %v", m.Index, err)
		}
		id, proof, err := Open(&ok, pk1, msg, sig, testRand(t, 9))
		if err != nil || hex.EncodeToString(id[:]) != m.A {
			t.Fatalf("open epoch-1 signature of member %d: %x, %v", m.Index, id, err)
		}
		if err := VerifyOpening(pk1, msg, sig, id, proof); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range v.Members {
		if err := Verify(pk1, msg, unhex(t, m.Signature)); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("epoch-0 signature of member %d under the epoch-1 key: %v, want ErrInvalidSignature", i, err)
		}
	}
}
