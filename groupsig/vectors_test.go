package groupsig

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// vectors is testdata/groupsig-v2-bls12381.json, a copy of the shared
// vectors of SPEC-groupsig-v2 §10 from an independent implementation.
type vectors struct {
	Suite       int             `json:"suite"`
	GID         hexb            `json:"gid"`
	GRef        hexb            `json:"gref"`
	RawBases    map[string]hexb `json:"bases"`
	GroupKey    hexb            `json:"group_public_key"`
	IssuerProof hexb            `json:"issuer_proof"`
	OpenerProof hexb            `json:"opener_proof"`
	Gamma       hexb            `json:"gamma"`
	Xi1         hexb            `json:"xi1"`
	Xi2         hexb            `json:"xi2"`
	Message     hexb            `json:"message"`
	Scope       hexb            `json:"scope"`
	Members     []vecMember     `json:"members"`
	Revocation  struct {
		Revoked  []string      `json:"revoked"`
		Prev     hexb          `json:"prev"`
		Record   hexb          `json:"record"`
		Hash     hexb          `json:"record_hash"`
		GroupKey hexb          `json:"group_public_key"`
		Members  []vecReissued `json:"members"`
	} `json:"revocation"`
}

type vecMember struct {
	Index          int    `json:"index"`
	Label          string `json:"label"`
	IdentitySeed   hexb   `json:"identity_seed"`
	IdentityPublic hexb   `json:"identity_public_key"`
	Y              hexb   `json:"y"`
	X              hexb   `json:"x"`
	A              hexb   `json:"a"`
	JoinRequest    hexb   `json:"join_request"`
	JoinResponse   hexb   `json:"join_response"`
	MemberKey      hexb   `json:"member_key"`
	vecSigs
}

type vecSigs struct {
	Signature     hexb `json:"signature"`
	Opening       hexb `json:"opening"`
	Tagged        hexb `json:"tagged_signature"`
	Tag           hexb `json:"tag"`
	TaggedOpening hexb `json:"tagged_opening"`
}

type vecReissued struct {
	Index     int    `json:"index"`
	Label     string `json:"label"`
	A         hexb   `json:"a"`
	MemberKey hexb   `json:"member_key"`
	vecSigs
}

type hexb []byte

func (h *hexb) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	*h = v
	return err
}

func loadVectors(t testing.TB) *vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/groupsig-v2-bls12381.json")
	if err != nil {
		t.Fatal(err)
	}
	v := new(vectors)
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustEqual(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got  %x\n want %x", what, got, want)
	}
}

func TestVectorsGroup(t *testing.T) {
	v := loadVectors(t)
	var gk GroupKey
	if err := gk.UnmarshalBinary(v.GroupKey); err != nil {
		t.Fatal(err)
	}
	c := gk.c
	ref := gk.Ref()
	mustEqual(t, "gref", ref[:], v.GRef)
	gid := gk.GID()
	mustEqual(t, "gid", gid[:], v.GID)
	mustEqual(t, "h", c.CompressG1(gk.g.h)[0], v.RawBases["h"])
	mustEqual(t, "h0", c.CompressG1(gk.g.h0)[0], v.RawBases["h0"])
	mustEqual(t, "g1_0", c.CompressG1(gk.g1)[0], v.RawBases["g1_0"])
	gk1, err := gk.AtEpoch(1)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "g1_1", c.CompressG1(gk1.g1)[0], v.RawBases["g1_1"])
	mustEqual(t, "gpk_1", gk1.enc, v.Revocation.GroupKey)
	bs, err := gk.tagBase(v.Scope)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "B_S", c.CompressG1(bs)[0], v.RawBases["tag_base"])
	enc, _ := gk.MarshalBinary()
	mustEqual(t, "gpk_0 re-encoded", enc, v.GroupKey)

	var ip IssuerProof
	if err := ip.UnmarshalBinary(v.IssuerProof); err != nil {
		t.Fatal(err)
	}
	if err := ip.Verify(&gk); err != nil {
		t.Fatal(err)
	}
	var op OpenerProof
	if err := op.UnmarshalBinary(v.OpenerProof); err != nil {
		t.Fatal(err)
	}
	if err := op.Verify(&gk); err != nil {
		t.Fatal(err)
	}
	enc, _ = ip.MarshalBinary()
	mustEqual(t, "issuer proof re-encoded", enc, v.IssuerProof)
	enc, _ = op.MarshalBinary()
	mustEqual(t, "opener proof re-encoded", enc, v.OpenerProof)
}
