package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veilchain/veil/groupsig"
)

// v2Vectors is the part of the shared vectors the CLI is tested with.
type v2Vectors struct {
	GroupKey    string `json:"group_public_key"`
	IssuerProof string `json:"issuer_proof"`
	OpenerProof string `json:"opener_proof"`
	Message     string `json:"message"`
	Scope       string `json:"scope"`
	Members     []struct {
		Label           string `json:"label"`
		IdentitySeed    string `json:"identity_seed"`
		IdentityPub     string `json:"identity_public_key"`
		A               string `json:"a"`
		MemberKey       string `json:"member_key"`
		Signature       string `json:"signature"`
		Opening         string `json:"opening"`
		TaggedSignature string `json:"tagged_signature"`
		Tag             string `json:"tag"`
		TaggedOpening   string `json:"tagged_opening"`
	} `json:"members"`
	Revocation struct {
		Prev     string `json:"prev"`
		Record   string `json:"record"`
		GroupKey string `json:"group_public_key"`
		Members  []struct {
			Label           string `json:"label"`
			MemberKey       string `json:"member_key"`
			Signature       string `json:"signature"`
			Opening         string `json:"opening"`
			TaggedSignature string `json:"tagged_signature"`
			Tag             string `json:"tag"`
		} `json:"members"`
	} `json:"revocation"`
}

// TestCLIv2SharedVectors feeds the shared vectors' raw hex, as another
// implementation would hand them over, to verify, verify-opening, sign,
// update-key and join-request.
func TestCLIv2SharedVectors(t *testing.T) {
	b, err := os.ReadFile("../../groupsig/testdata/groupsig-v2-bls12381.json")
	if err != nil {
		t.Fatal(err)
	}
	var v v2Vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gpk0, gpk1 := file("gpk0.hex", v.GroupKey+"\n"), file("gpk1.hex", v.Revocation.GroupKey)
	msg, _ := hex.DecodeString(v.Message)
	scope := []string{"--scope-hex", v.Scope}

	for _, m := range v.Members {
		got := jsonOut(t, "verify", "--gpk", gpk0, "--message", string(msg), "--signature", m.Signature)
		if got["epoch"] != float64(0) || got["tagged"] != false {
			t.Fatalf("%s: verify %v", m.Label, got)
		}
		tagged := jsonOut(t, append([]string{"verify", "--gpk", gpk0, "--message", string(msg), "--signature", m.TaggedSignature}, scope...)...)
		if tagged["tag"] != m.Tag {
			t.Fatalf("%s: tag %v, want %s", m.Label, tagged["tag"], m.Tag)
		}
		vo := jsonOut(t, "verify-opening", "--gpk", gpk0, "--message", string(msg), "--signature", m.Signature, "--opening", m.Opening)
		if vo["a"] != m.A {
			t.Fatalf("%s: opening names %v, want %s", m.Label, vo["a"], m.A)
		}
		mustRun(t, append([]string{"verify-opening", "--gpk", gpk0, "--message", string(msg), "--signature", m.TaggedSignature, "--opening", m.TaggedOpening}, scope...)...)
		// Epoch-0 signatures fail under gpk_1, given as a key or as --epoch.
		wantError(t, exitRefused, "verify", "--gpk", gpk1, "--message", string(msg), "--signature", m.Signature)
		wantError(t, exitRefused, "verify", "--gpk", gpk0, "--epoch", "1", "--message", string(msg), "--signature", m.Signature)
	}
	// The opening of member 0 does not name member 1's signature.
	wantError(t, exitRefused, "verify-opening", "--gpk", gpk0, "--message", string(msg), "--signature", v.Members[1].Signature, "--opening", v.Members[0].Opening)

	for _, m := range v.Revocation.Members {
		mustRun(t, "verify", "--gpk", gpk1, "--message", string(msg), "--signature", m.Signature)
		mustRun(t, "verify", "--gpk", gpk0, "--epoch", "1", "--message", string(msg), "--signature", m.Signature)
		mustRun(t, "verify-opening", "--gpk", gpk1, "--message", string(msg), "--signature", m.Signature, "--opening", m.Opening)
		if got := jsonOut(t, append([]string{"verify", "--gpk", gpk1, "--message", string(msg), "--signature", m.TaggedSignature}, scope...)...); got["tag"] != m.Tag {
			t.Fatalf("%s at epoch 1: tag %v", m.Label, got["tag"])
		}
	}

	// A bare member key (hex) signs with --gpk, and updates to the vectors' epoch-1 key.
	rec := file("record.hex", v.Revocation.Record)
	for i, m := range v.Members {
		key := file(m.Label+".key.hex", m.MemberKey)
		sig := strings.TrimSpace(mustRun(t, "sign", "--key", key, "--gpk", gpk0, "--message", "from the cli"))
		mustRun(t, "verify", "--gpk", gpk0, "--message", "from the cli", "--signature", sig)
		wantError(t, exitUsage, "sign", "--key", key, "--message", "no group key")
		out := filepath.Join(dir, m.Label+".epoch-1.key")
		args := []string{"group", "update-key", "--key", key, "--gpk", gpk0, "--label", m.Label, "--record", rec, "--prev", v.Revocation.Prev, "--out", out}
		if i == 2 { // member-2 is the one revoked
			if code, _, _ := wantError(t, exitRefused, args...); code != "revoked" {
				t.Fatalf("revoked vector member: code %q", code)
			}
			continue
		}
		mustRun(t, args...)
		mk := new(groupsig.MemberKey)
		if _, err := groupsig.ReadFile(out, mk); err != nil {
			t.Fatal(err)
		}
		if enc, _ := mk.MarshalBinary(); hex.EncodeToString(enc) != v.Revocation.Members[i].MemberKey {
			t.Fatalf("%s: updated key %x, want the vectors' %s", m.Label, enc, v.Revocation.Members[i].MemberKey)
		}
		wantError(t, exitUsage, "group", "update-key", "--key", key, "--gpk", gpk0, "--record", rec, "--out", out+".2") // no label
	}

	// A member of the vectors' group joins from raw hex: key, proofs and identity seed.
	seed := file("id.seed", v.Members[0].IdentitySeed)
	jr := jsonOut(t, "group", "join-request", "--gpk", gpk0, "--issuer-proof", v.IssuerProof, "--opener-proof", v.OpenerProof,
		"--label", "newcomer", "--identity", seed, "--out", filepath.Join(dir, "newcomer.req"))
	if jr["identity_public_key"] != v.Members[0].IdentityPub {
		t.Fatalf("join-request from a seed: %v", jr)
	}
	wantError(t, exitUsage, "group", "join-request", "--gpk", gpk0, "--label", "x", "--identity", seed, "--out", filepath.Join(dir, "x.req"))
	// A wrong proof is refused before any request is made.
	bad, _ := hex.DecodeString(v.OpenerProof)
	bad[len(bad)-1] ^= 1 // s2 changes in its lowest bit, still below r
	if code, _, _ := wantError(t, exitRefused, "group", "join-request", "--gpk", gpk0, "--issuer-proof", v.IssuerProof, "--opener-proof", hex.EncodeToString(bad),
		"--label", "y", "--identity", seed, "--out", filepath.Join(dir, "y.req")); code != "invalid_proof" {
		t.Fatalf("wrong opener proof: code %q", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.req.secret")); err == nil {
		t.Fatal("a refused join request left its secret")
	}
}
