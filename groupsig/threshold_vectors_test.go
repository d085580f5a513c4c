package groupsig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// thresholdVectors is testdata/groupsig-v2-threshold-bls12381.json, a
// copy of the shared vectors of the threshold spec §7 (tools/groupsigref
// gen-threshold --seed 1 --t 2 --n 3, over gen --seed 1's group, from an
// independent implementation).
type thresholdVectors struct {
	Suite         int        `json:"suite"`
	Seed          int        `json:"seed"`
	V2            string     `json:"v2_vectors"`
	T             int        `json:"t"`
	N             int        `json:"n"`
	GroupKey      hexb       `json:"group_public_key"`
	Xi1           hexb       `json:"xi1"`
	Xi2           hexb       `json:"xi2"`
	Coef1         []hexb     `json:"dealer_coefficients_xi1"`
	Coef2         []hexb     `json:"dealer_coefficients_xi2"`
	Committee     hexb       `json:"committee"`
	CRef          hexb       `json:"cref"`
	AdminSeed     hexb       `json:"admin_seed"`
	AdminPK       hexb       `json:"admin_pk"`
	Authorization hexb       `json:"committee_authorization"`
	Authorities   []vecAuth  `json:"authorities"`
	Message       hexb       `json:"message"`
	Openings      []vecTOpen `json:"openings"`
}

type vecAuth struct {
	Index        int    `json:"index"`
	Label        string `json:"label"`
	IdentitySeed hexb   `json:"identity_seed"`
	IDPK         hexb   `json:"idpk"`
	Xi1Share     hexb   `json:"xi1_share"`
	Xi2Share     hexb   `json:"xi2_share"`
	Y1           hexb   `json:"y1"`
	Y2           hexb   `json:"y2"`
	ShareProof   hexb   `json:"share_proof"`
}

type vecTOpen struct {
	Epoch     uint64 `json:"epoch"`
	Member    int    `json:"member"`
	Signature hexb   `json:"signature"`
	SRef      hexb   `json:"sref"`
	Consents  []hexb `json:"consents"`
	Partials  []hexb `json:"partial_openings"`
	Lagrange  []hexb `json:"lagrange"`
	D         hexb   `json:"d"`
	Threshold hexb   `json:"threshold_opening"`
	A         hexb   `json:"a"`
}

func loadThresholdVectors(t testing.TB) *thresholdVectors {
	t.Helper()
	data, err := os.ReadFile("testdata/groupsig-v2-threshold-bls12381.json")
	if err != nil {
		t.Fatal(err)
	}
	v := new(thresholdVectors)
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
	return v
}

// fixedNonces hands a prover given nonces, in order: to reproduce an
// object of the vectors from the nonces its responses reveal.
type fixedNonces struct {
	c    curve
	vals []scalar
}

func (f *fixedNonces) next() scalar {
	if len(f.vals) == 0 {
		panic("fixedNonces: exhausted")
	}
	v := f.vals[0]
	f.vals = f.vals[1:]
	return v
}

func (f *fixedNonces) nextNonzero() (scalar, error) {
	v := f.next()
	if f.c.IsZero(v) {
		return nil, errors.New("fixedNonces: a zero where a nonzero value is due")
	}
	return v, nil
}

// revealed is the nonce k = s − c·z behind a response s = k + c·z.
func revealed(c curve, s, ch, z scalar) scalar { return c.Sub(s, c.Mul(ch, z)) }

// thresholdFixture is the vectors decoded: the group (with the v2
// vectors it is over), the committee, the authorities' keys and shares.
type thresholdFixture struct {
	v      *thresholdVectors
	v2     *vectors
	gk     *GroupKey // gpk_0
	ok     *OpenerKey
	cm     *Committee
	ids    []ed25519.PrivateKey // authority i at i−1
	shares []*Share
	auths  []Authority
	joins  []*JoinRecord
	rec    *RevocationRecord
}

var thresholdFixtures sync.Map // testing.TB-independent cache: key 0

func loadThresholdFixture(t testing.TB) *thresholdFixture {
	t.Helper()
	if f, ok := thresholdFixtures.Load(0); ok {
		return f.(*thresholdFixture)
	}
	v := loadThresholdVectors(t)
	v2 := loadVectors(t)
	gk, _, ok := vecGroup(t, v2)
	mustEqual(t, "threshold vectors' group key is the v2 vectors'", v.GroupKey, v2.GroupKey)
	mustEqual(t, "ξ1", v.Xi1, v2.Xi1)
	mustEqual(t, "ξ2", v.Xi2, v2.Xi2)
	f := &thresholdFixture{v: v, v2: v2, gk: gk, ok: ok, joins: vecJoinRecords(t, v2)}
	f.cm = new(Committee)
	if err := f.cm.UnmarshalBinary(v.Committee); err != nil {
		t.Fatal(err)
	}
	c := gk.c
	for _, a := range v.Authorities {
		id := ed25519.NewKeyFromSeed(a.IdentitySeed)
		f.ids = append(f.ids, id)
		f.auths = append(f.auths, Authority{Label: a.Label, IdentityKey: id.Public().(ed25519.PublicKey)})
		f.shares = append(f.shares, &Share{c: c, cref: f.cm.Ref(), i: a.Index, xi1: mustScalar(t, c, a.Xi1Share), xi2: mustScalar(t, c, a.Xi2Share)})
	}
	f.rec = new(RevocationRecord)
	if err := f.rec.UnmarshalBinary(v2.Revocation.Record); err != nil {
		t.Fatal(err)
	}
	thresholdFixtures.Store(0, f)
	return f
}

// v2Signature finds a vector opening's signature among the v2 vectors'
// and returns its scope (nil for untagged) and the signer's A.
func (f *thresholdFixture) v2Signature(t testing.TB, o vecTOpen) (scope, a []byte) {
	t.Helper()
	var s vecSigs
	switch o.Epoch {
	case 0:
		s, a = f.v2.Members[o.Member].vecSigs, f.v2.Members[o.Member].A
	case 1:
		for _, m := range f.v2.Revocation.Members {
			if m.Index == o.Member {
				s, a = m.vecSigs, m.A
			}
		}
	}
	switch string(o.Signature) {
	case string(s.Signature):
		return nil, a
	case string(s.Tagged):
		return f.v2.Scope, a
	}
	t.Fatalf("the signature of member %d at epoch %d is not one of the v2 vectors'", o.Member, o.Epoch)
	return nil, nil
}

func TestThresholdVectorsCommittee(t *testing.T) {
	f := loadThresholdFixture(t)
	v, gk, cm := f.v, f.gk, f.cm
	c := gk.c
	if v.Suite != SuiteBLS12381 || v.T != 2 || v.N != 3 || cm.Threshold() != v.T || len(cm.Authorities()) != v.N {
		t.Fatalf("suite %d, t %d, n %d; committee t %d n %d", v.Suite, v.T, v.N, cm.Threshold(), len(cm.Authorities()))
	}
	if err := cm.Verify(gk); err != nil {
		t.Fatal(err)
	}
	ref := cm.Ref()
	mustEqual(t, "cref", ref[:], v.CRef)
	sum := sha256.Sum256(v.Committee)
	mustEqual(t, "cref = SHA-256(committee)", ref[:], sum[:])
	gref, cgref := gk.Ref(), cm.GroupRef()
	mustEqual(t, "committee's gref", cgref[:], gref[:])
	enc, _ := cm.MarshalBinary()
	mustEqual(t, "committee re-encoded", enc, v.Committee)
	for k, a := range cm.Authorities() {
		mustEqual(t, "idpk", a.IdentityKey, v.Authorities[k].IDPK)
		mustEqual(t, "idpk from seed", f.auths[k].IdentityKey, v.Authorities[k].IDPK)
		if a.Label != v.Authorities[k].Label || v.Authorities[k].Index != k+1 {
			t.Fatalf("authority %d: %q", k+1, a.Label)
		}
	}

	// The dealer's run with the vectors' coefficients and the nonces its
	// proof reveals (k_j = s_j − c·ξ_j) gives the committee and the shares
	// byte for byte.
	var vals []scalar
	for _, b := range v.Coef1 {
		vals = append(vals, mustScalar(t, c, b))
	}
	for _, b := range v.Coef2 {
		vals = append(vals, mustScalar(t, c, b))
	}
	vals = append(vals, revealed(c, cm.s1, cm.ch, f.ok.xi1), revealed(c, cm.s2, cm.ch, f.ok.xi2))
	mine, shares, err := deal(f.ok, v.T, f.auths, &fixedNonces{c: c, vals: vals})
	if err != nil {
		t.Fatal(err)
	}
	enc, _ = mine.MarshalBinary()
	mustEqual(t, "committee from the coefficients", enc, v.Committee)
	for k, a := range v.Authorities {
		mustEqual(t, "ξ1_i", c.AppendScalar(nil, shares[k].xi1), a.Xi1Share)
		mustEqual(t, "ξ2_i", c.AppendScalar(nil, shares[k].xi2), a.Xi2Share)
		if shares[k].Index() != a.Index || shares[k].CommitteeRef() != ref {
			t.Fatalf("share %d: index %d", k+1, shares[k].Index())
		}
		if err := shares[k].Check(gk, cm); err != nil {
			t.Fatal(err)
		}
		y1, y2, err := cm.Y(gk, a.Index)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "Y1_i", y1, a.Y1)
		mustEqual(t, "Y2_i", y2, a.Y2)
		tb := gk.g.tables(c)
		mustEqual(t, "Y1_i = u^ξ1_i", c.CompressG1(c.FixedMulCT(tb.u, shares[k].xi1))[0], a.Y1)
		mustEqual(t, "Y2_i = v^ξ2_i", c.CompressG1(c.FixedMulCT(tb.v, shares[k].xi2))[0], a.Y2)
		// The holder's file round-trips.
		b, _ := shares[k].MarshalBinary()
		var back Share
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		b2, _ := back.MarshalBinary()
		mustEqual(t, "share file", b2, b)
	}
	// t shares rebuild ξ.
	rk, err := RecoverOpenerKey(gk, cm, []*Share{f.shares[2], f.shares[0]})
	if err != nil {
		t.Fatal(err)
	}
	okEnc, _ := f.ok.MarshalBinary()
	rkEnc, _ := rk.MarshalBinary()
	mustEqual(t, "recovered opener key", rkEnc, okEnc)

	// Admin authorisation: Ed25519 is deterministic.
	admin := ed25519.NewKeyFromSeed(v.AdminSeed)
	mustEqual(t, "adpk", admin.Public().(ed25519.PublicKey), v.AdminPK)
	adsig, err := AuthorizeCommittee(admin, gk, cm)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "adsig_ADMIN(cref)", adsig, v.Authorization)
	if err := VerifyCommitteeAuthorization(ed25519.PublicKey(v.AdminPK), cm, v.Authorization); err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitteeAbort(ed25519.PublicKey(v.AdminPK), cm, v.Authorization); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("an authorisation taken for an abort: %v", err)
	}
	abort, err := AbortCommittee(admin, cm)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitteeAbort(ed25519.PublicKey(v.AdminPK), cm, abort); err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommitteeAuthorization(ed25519.PublicKey(v.AdminPK), cm, abort); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("an abort taken for an authorisation: %v", err)
	}
}

func TestThresholdVectorsShareProofs(t *testing.T) {
	f := loadThresholdFixture(t)
	gk, cm := f.gk, f.cm
	c := gk.c
	for k, a := range f.v.Authorities {
		var p ShareProof
		if err := p.UnmarshalBinary(a.ShareProof); err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(gk, cm); err != nil {
			t.Fatalf("authority %d: %v", a.Index, err)
		}
		if p.Index() != a.Index || p.CommitteeRef() != cm.Ref() {
			t.Fatalf("authority %d: index %d", a.Index, p.Index())
		}
		enc, _ := p.MarshalBinary()
		mustEqual(t, "share proof re-encoded", enc, a.ShareProof)
		sh := f.shares[k]
		n := &fixedNonces{c: c, vals: []scalar{revealed(c, p.s1, p.ch, sh.xi1), revealed(c, p.s2, p.ch, sh.xi2)}}
		mine, err := newShareProof(gk, cm, sh, f.ids[k], n)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, fmt.Sprintf("share proof %d from its nonces", a.Index), mine.enc, a.ShareProof)
	}
}

func TestThresholdVectorsOpenings(t *testing.T) {
	f := loadThresholdFixture(t)
	gk0, cm := f.gk, f.cm
	c := gk0.c
	if len(f.v.Openings) != 10 {
		t.Fatalf("%d openings, want 10", len(f.v.Openings))
	}
	for n, o := range f.v.Openings {
		t.Run(fmt.Sprintf("%d-epoch%d-member%d", n, o.Epoch, o.Member), func(t *testing.T) {
			gk, err := gk0.AtEpoch(o.Epoch)
			if err != nil {
				t.Fatal(err)
			}
			scope, wantA := f.v2Signature(t, o)
			msg := f.v.Message
			mustEqual(t, "message", msg, f.v2.Message)
			if _, err := Verify(gk, msg, scope, o.Signature); err != nil {
				t.Fatal(err)
			}
			sref := sha256.Sum256(o.Signature)
			mustEqual(t, "sref", sref[:], o.SRef)
			s, err := parseSignature(o.Signature)
			if err != nil {
				t.Fatal(err)
			}
			ctx := signCtx(msg, scope)
			h := partialHeader{cref: cm.Ref(), epoch: o.Epoch, sref: sref}

			// Consents 1..t: deterministic.
			var consents []*Consent
			for k, b := range o.Consents {
				var cs Consent
				if err := cs.UnmarshalBinary(b); err != nil {
					t.Fatal(err)
				}
				if err := cs.Verify(cm); err != nil {
					t.Fatal(err)
				}
				if cs.Index() != k+1 || cs.Epoch() != o.Epoch || cs.SigRef() != sref || cs.CommitteeRef() != cm.Ref() {
					t.Fatalf("consent %d: fields", k+1)
				}
				mine, err := NewConsent(cm, o.Epoch, o.Signature, k+1, f.ids[k])
				if err != nil {
					t.Fatal(err)
				}
				mustEqual(t, fmt.Sprintf("consent %d", k+1), mine.enc, b)
				consents = append(consents, &cs)
			}
			if len(consents) != f.v.T {
				t.Fatalf("%d consents", len(consents))
			}

			// Every partial: verifies, re-encodes, and our prover with its
			// nonces gives it byte for byte; D_i = T1^ξ1_i·T2^ξ2_i.
			var partials []*PartialOpening
			for k, b := range o.Partials {
				var p PartialOpening
				if err := p.UnmarshalBinary(b); err != nil {
					t.Fatal(err)
				}
				if err := p.Verify(gk, cm, msg, scope, o.Signature); err != nil {
					t.Fatalf("partial %d: %v", k+1, err)
				}
				if p.Index() != k+1 || p.Epoch() != o.Epoch || p.SigRef() != sref || p.CommitteeRef() != cm.Ref() {
					t.Fatalf("partial %d: fields", k+1)
				}
				enc, _ := p.MarshalBinary()
				mustEqual(t, "partial re-encoded", enc, b)
				sh := f.shares[k]
				d := c.AddG1(c.MulCT(s.t1, sh.xi1), c.MulCT(s.t2, sh.xi2))
				mustEqual(t, "D_i", c.CompressG1(p.e.d)[0], c.CompressG1(d)[0])
				n := &fixedNonces{c: c, vals: []scalar{revealed(c, p.e.s1, p.e.ch, sh.xi1), revealed(c, p.e.s2, p.e.ch, sh.xi2)}}
				mine, err := newPartialOpening(gk, h, sh, s, ctx, f.ids[k], n)
				if err != nil {
					t.Fatal(err)
				}
				mustEqual(t, fmt.Sprintf("partial %d from its nonces", k+1), mine.enc, b)
				partials = append(partials, &p)
			}
			if len(partials) != f.v.N {
				t.Fatalf("%d partials", len(partials))
			}

			// λ for {1, 2}, D, and the combiner's threshold opening (the t
			// lowest of the three valid partials).
			lam := lagrange(c, []int{1, 2})
			for k, l := range lam {
				mustEqual(t, fmt.Sprintf("λ_%d", k+1), c.AppendScalar(nil, l), o.Lagrange[k])
			}
			top, err := CombineOpening(gk, cm, msg, scope, o.Signature, []*PartialOpening{partials[2], partials[1], partials[0]})
			if err != nil {
				t.Fatal(err)
			}
			enc, _ := top.MarshalBinary()
			mustEqual(t, "threshold opening", enc, o.Threshold)
			d, a, err := combineD(gk, s, top.entries)
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "D", c.CompressG1(d)[0], o.D)
			mustEqual(t, "D = T1^ξ1·T2^ξ2", c.CompressG1(c.AddG1(c.MulCT(s.t1, f.ok.xi1), c.MulCT(s.t2, f.ok.xi2)))[0], o.D)
			mustEqual(t, "A", c.CompressG1(a)[0], o.A)
			mustEqual(t, "A is the v2 member's", o.A, wantA)

			var vt ThresholdOpening
			if err := vt.UnmarshalBinary(o.Threshold); err != nil {
				t.Fatal(err)
			}
			got, err := vt.Verify(gk, cm, msg, scope, o.Signature)
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "verified A", got, o.A)
			if ix := vt.Indices(); len(ix) != 2 || ix[0] != 1 || ix[1] != 2 {
				t.Fatalf("indices %v", ix)
			}
			// Accountable: the threshold opening in place of the opener's.
			var records []*RevocationRecord
			if o.Epoch == 1 {
				records = []*RevocationRecord{f.rec}
			}
			acc, err := AccountableThresholdOpening(gk, msg, scope, o.Signature, &vt, cm, f.joins[o.Member], records, f.joins[o.Member].Request.IdentityKey())
			if err != nil {
				t.Fatal(err)
			}
			if acc.Label != f.v2.Members[o.Member].Label || acc.Epoch != o.Epoch {
				t.Fatalf("accused %+v", acc)
			}
			// Our own hedged prover: a different partial, same D_i, valid.
			mine, err := NewPartialOpening(gk, cm, f.shares[2], msg, scope, o.Signature, consents, f.ids[2], streamRand("partial"))
			if err != nil {
				t.Fatal(err)
			}
			if err := mine.Verify(gk, cm, msg, scope, o.Signature); err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "hedged D_3", c.CompressG1(mine.e.d)[0], c.CompressG1(partials[2].e.d)[0])
		})
	}
}
