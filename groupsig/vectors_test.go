package groupsig

import (
	"bytes"
	"crypto/ed25519"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
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

func vecGroup(t testing.TB, v *vectors) (*GroupKey, *IssuerKey, *OpenerKey) {
	t.Helper()
	gk := new(GroupKey)
	if err := gk.UnmarshalBinary(v.GroupKey); err != nil {
		t.Fatal(err)
	}
	c := gk.c
	var ik IssuerKey
	if err := ik.UnmarshalBinary(append(c.AppendScalar([]byte{c.suite, kindIssuerKey}, mustScalar(t, c, v.Gamma)), v.GroupKey...)); err != nil {
		t.Fatal(err)
	}
	var ok OpenerKey
	b := c.AppendScalar([]byte{c.suite, kindOpenerKey}, mustScalar(t, c, v.Xi1))
	if err := ok.UnmarshalBinary(append(c.AppendScalar(b, mustScalar(t, c, v.Xi2)), v.GroupKey...)); err != nil {
		t.Fatal(err)
	}
	return gk, &ik, &ok
}

func mustScalar(t testing.TB, c curve, b []byte) scalar {
	t.Helper()
	s, ok := c.DecodeScalar(b)
	if !ok {
		t.Fatalf("scalar %x", b)
	}
	return s
}

func TestVectorsMembers(t *testing.T) {
	v := loadVectors(t)
	gk, ik, ok := vecGroup(t, v)
	c := gk.c
	for _, m := range v.Members {
		t.Run(m.Label, func(t *testing.T) {
			id := ed25519.NewKeyFromSeed(m.IdentitySeed)
			mustEqual(t, "idpk", id.Public().(ed25519.PublicKey), m.IdentityPublic)
			var req JoinRequest
			if err := req.UnmarshalBinary(m.JoinRequest); err != nil {
				t.Fatal(err)
			}
			if err := req.Verify(gk); err != nil {
				t.Fatal(err)
			}
			y := mustScalar(t, c, m.Y)
			mustEqual(t, "H = h0^y", req.H(), c.CompressG1(c.MulCT(gk.g.h0, y))[0])
			var resp JoinResponse
			if err := resp.UnmarshalBinary(m.JoinResponse); err != nil {
				t.Fatal(err)
			}
			if err := resp.Verify(gk, &req); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "x", resp.X(), m.X)
			mustEqual(t, "A", resp.A(), m.A)
			// The issuer's computation from γ gives the same response.
			mine, err := ik.issue(gk, &req, resp.x)
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "join response from γ", mine.enc, m.JoinResponse)
			js := &JoinSecret{y: y, gk: gk, req: &req}
			mk, err := js.Finish(&resp)
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "member key", mk.encode(), m.MemberKey)
			var mk2 MemberKey
			if err := mk2.UnmarshalBinary(m.MemberKey); err != nil {
				t.Fatal(err)
			}
			if err := mk2.Check(gk); err != nil {
				t.Fatal(err)
			}
			checkVecSigs(t, gk, ok, v, m.vecSigs, m.A, y)
		})
	}
}

func checkVecSigs(t *testing.T, gk *GroupKey, ok *OpenerKey, v *vectors, s vecSigs, a []byte, y scalar) {
	t.Helper()
	c := gk.c
	if tag, err := Verify(gk, v.Message, nil, s.Signature); err != nil || tag != nil {
		t.Fatalf("untagged signature: tag %x, %v", tag, err)
	}
	tag, err := Verify(gk, v.Message, v.Scope, s.Tagged)
	if err != nil {
		t.Fatalf("tagged signature: %v", err)
	}
	mustEqual(t, "tag", tag, s.Tag)
	bs, _ := gk.tagBase(v.Scope)
	mustEqual(t, "tag = B_S^y", c.CompressG1(c.MulCT(bs, y))[0], s.Tag)
	for _, o := range []struct {
		scope, sig, opening []byte
	}{{nil, s.Signature, s.Opening}, {v.Scope, s.Tagged, s.TaggedOpening}} {
		var op Opening
		if err := op.UnmarshalBinary(o.opening); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "opened A", op.A(), a)
		if err := VerifyOpening(gk, v.Message, o.scope, o.sig, &op); err != nil {
			t.Fatal(err)
		}
		enc, _ := op.MarshalBinary()
		mustEqual(t, "opening re-encoded", enc, o.opening)
		mine, err := Open(ok, gk, v.Message, o.scope, o.sig, crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "our opening's A", mine.A(), a)
		if err := VerifyOpening(gk, v.Message, o.scope, o.sig, mine); err != nil {
			t.Fatal(err)
		}
	}
}

func vecJoinRecords(t testing.TB, v *vectors) []*JoinRecord {
	t.Helper()
	var out []*JoinRecord
	for _, m := range v.Members {
		j := &JoinRecord{Request: new(JoinRequest), Response: new(JoinResponse)}
		if err := j.Request.UnmarshalBinary(m.JoinRequest); err != nil {
			t.Fatal(err)
		}
		if err := j.Response.UnmarshalBinary(m.JoinResponse); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

func TestVectorsRevocation(t *testing.T) {
	v := loadVectors(t)
	gk, ik, ok := vecGroup(t, v)
	rv := v.Revocation
	var rec RevocationRecord
	if err := rec.UnmarshalBinary(rv.Record); err != nil {
		t.Fatal(err)
	}
	h := rec.Hash()
	mustEqual(t, "record hash", h[:], rv.Hash)
	var prev [32]byte
	mustEqual(t, "prev", prev[:], rv.Prev)
	if got := rec.Revoked(); len(got) != 1 || got[0] != rv.Revoked[0] {
		t.Fatalf("revoked %q, want %q", got, rv.Revoked)
	}
	joins := vecJoinRecords(t, v)
	gk1, err := CheckRevocation(gk, prev, &rec, joins, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "gpk_1", gk1.enc, rv.GroupKey)
	// The body is deterministic given γ: the issuer's own record has the
	// same bytes up to the proof.
	mine, err := ik.revoke(gk, prev, rv.Revoked, joins[:2], crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "record body from γ", mine.enc[:mine.bodyLen], rv.Record[:rec.bodyLen])
	if _, err := CheckRevocation(gk, prev, mine, joins, crand.Reader); err != nil {
		t.Fatal(err)
	}
	for _, m := range rv.Members {
		t.Run(m.Label, func(t *testing.T) {
			a, ok2 := rec.ReissuedA(m.Label)
			if !ok2 {
				t.Fatal("not re-issued")
			}
			mustEqual(t, "A'", a, m.A)
			var mk0 MemberKey
			if err := mk0.UnmarshalBinary(v.Members[m.Index].MemberKey); err != nil {
				t.Fatal(err)
			}
			mk1, err := mk0.Update(gk, m.Label, prev, &rec)
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "epoch-1 member key", mk1.encode(), m.MemberKey)
			checkVecSigs(t, gk1, ok, v, m.vecSigs, m.A, mk1.y)
			// Epoch-0 signatures fail under gpk_1, and epoch-1 ones under gpk_0.
			old := v.Members[m.Index]
			if _, err := Verify(gk1, v.Message, nil, old.Signature); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("epoch-0 signature under gpk_1: %v", err)
			}
			if _, err := Verify(gk1, v.Message, v.Scope, old.Tagged); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("epoch-0 tagged signature under gpk_1: %v", err)
			}
			if _, err := Verify(gk, v.Message, nil, m.Signature); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("epoch-1 signature under gpk_0: %v", err)
			}
		})
	}
	// The revoked member cannot update.
	var mk2 MemberKey
	if err := mk2.UnmarshalBinary(v.Members[2].MemberKey); err != nil {
		t.Fatal(err)
	}
	if _, err := mk2.Update(gk, "member-2", prev, &rec); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked member's update: %v", err)
	}
}
