package groupsig

import (
	"bytes"
	"crypto/ed25519"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"filippo.io/edwards25519"
)

// testAuthorities are n authorities with identity keys from fixed seeds.
func testAuthorities(prefix string, n int) ([]Authority, []ed25519.PrivateKey) {
	var auths []Authority
	var ids []ed25519.PrivateKey
	for i := 1; i <= n; i++ {
		label := fmt.Sprintf("%s-%d", prefix, i)
		seed := sha256.Sum256([]byte(label))
		id := ed25519.NewKeyFromSeed(seed[:])
		auths = append(auths, Authority{Label: label, IdentityKey: id.Public().(ed25519.PublicKey)})
		ids = append(ids, id)
	}
	return auths, ids
}

// testCommittee is a dealing with its authorities' keys and shares.
type testCommittee struct {
	cm     *Committee
	shares []*Share
	ids    []ed25519.PrivateKey
}

func newTestCommittee(t testing.TB, ok *OpenerKey, th, n int, prefix string) *testCommittee {
	t.Helper()
	auths, ids := testAuthorities(prefix, n)
	cm, shares, err := Deal(ok, th, auths, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := cm.Verify(ok.GroupKey()); err != nil {
		t.Fatal(err)
	}
	return &testCommittee{cm: cm, shares: shares, ids: ids}
}

// open runs consents by the first t authorities and partials by those of
// who, then combines.
func (tc *testCommittee) open(t testing.TB, gk *GroupKey, msg, scope, sig []byte, who ...int) (*ThresholdOpening, []*PartialOpening) {
	t.Helper()
	var consents []*Consent
	for i := 1; i <= tc.cm.Threshold(); i++ {
		cs, err := NewConsent(tc.cm, gk.Epoch(), sig, i, tc.ids[i-1])
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.Verify(tc.cm); err != nil {
			t.Fatal(err)
		}
		consents = append(consents, cs)
	}
	var partials []*PartialOpening
	for _, i := range who {
		p, err := NewPartialOpening(gk, tc.cm, tc.shares[i-1], msg, scope, sig, consents, tc.ids[i-1], crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(gk, tc.cm, msg, scope, sig); err != nil {
			t.Fatal(err)
		}
		partials = append(partials, p)
	}
	top, err := CombineOpening(gk, tc.cm, msg, scope, sig, partials)
	if err != nil {
		t.Fatal(err)
	}
	return top, partials
}

// TestThresholdFlow runs the whole threshold life in both suites (BN254
// has no shared vectors: dealing, share proofs, consents, partials and
// the combiner must agree with the single opener): a 2-of-3 and a 3-of-5
// committee, untagged and tagged signatures, accountable openings, and a
// rotation whose dealer rebuilds ξ from t shares.
func TestThresholdFlow(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		g := newTestGroup(t, s, "alice", "bob")
		msg, scope := []byte("threshold"), []byte("vote/7")
		for _, sz := range []struct {
			t, n int
			who  []int
			want []int
		}{{2, 3, []int{3, 2}, []int{2, 3}}, {3, 5, []int{5, 2, 4, 1}, []int{1, 2, 4}}} {
			tc := newTestCommittee(t, g.ok, sz.t, sz.n, fmt.Sprintf("auth%d%d", sz.t, sz.n))
			cm := tc.cm
			if got := len(cm.enc); got != 2+32+2+2*(sz.t-1)*g.gk.c.G1Size()+3*scalarSize+sz.n*(1+len("auth23-1")+32) {
				t.Fatalf("committee is %d bytes", got)
			}
			admin := ed25519.NewKeyFromSeed(make([]byte, 32))
			adsig, err := AuthorizeCommittee(admin, g.gk, cm)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyCommitteeAuthorization(admin.Public().(ed25519.PublicKey), cm, adsig); err != nil {
				t.Fatal(err)
			}
			for k, sh := range tc.shares {
				if err := sh.Check(g.gk, cm); err != nil {
					t.Fatal(err)
				}
				p, err := NewShareProof(g.gk, cm, sh, tc.ids[k], crand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.enc) != 195 {
					t.Fatalf("share proof is %d bytes", len(p.enc))
				}
				if err := p.Verify(g.gk, cm); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range []string{"alice", "bob"} {
				for _, sc := range [][]byte{nil, scope} {
					sig := mustSign(t, g.gk, g.members[l], msg, sc)
					top, partials := tc.open(t, g.gk, msg, sc, sig, sz.who...)
					if len(partials[0].enc) != partialSize(g.gk.c) || len(top.enc) != 75+sz.t*entrySize(g.gk.c) {
						t.Fatalf("sizes: partial %d, threshold %d", len(partials[0].enc), len(top.enc))
					}
					if fmt.Sprint(top.Indices()) != fmt.Sprint(sz.want) {
						t.Fatalf("indices %v, want %v", top.Indices(), sz.want)
					}
					a, err := top.Verify(g.gk, cm, msg, sc, sig)
					if err != nil {
						t.Fatal(err)
					}
					o, err := Open(g.ok, g.gk, msg, sc, sig, crand.Reader)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(a, o.A()) || !bytes.Equal(a, g.members[l].A()) {
						t.Fatal("the threshold opening's A is not the opener's")
					}
					join, _ := g.reg.JoinRecord(l)
					acc, err := AccountableThresholdOpening(g.gk, msg, sc, sig, top, cm, join, nil, g.ids[l].Public().(ed25519.PublicKey))
					if err != nil || acc.Label != l {
						t.Fatalf("accountable: %+v %v", acc, err)
					}
					other, _ := g.reg.JoinRecord(map[string]string{"alice": "bob", "bob": "alice"}[l])
					if _, err := AccountableThresholdOpening(g.gk, msg, sc, sig, top, cm, other, nil, nil); !isCondition(err, CondCurrent) {
						t.Fatalf("against another member's record: %v", err)
					}
					if _, err := AccountableThresholdOpening(g.gk, []byte("other"), sc, sig, top, cm, join, nil, nil); !isCondition(err, CondOpening) {
						t.Fatalf("on another message: %v", err)
					}
					enc, _ := top.MarshalBinary()
					var back ThresholdOpening
					if err := back.UnmarshalBinary(enc); err != nil {
						t.Fatal(err)
					}
					if a2, err := back.Verify(g.gk, cm, msg, sc, sig); err != nil || !bytes.Equal(a2, a) {
						t.Fatalf("decoded threshold opening: %v", err)
					}
				}
			}
		}

		// Rotation: t holders of the active committee rebuild ξ; the new
		// dealing opens to the same A; q = max(t, n − t + 1) approvals.
		old := newTestCommittee(t, g.ok, 2, 3, "old")
		ok2, err := RecoverOpenerKey(g.gk, old.cm, []*Share{old.shares[2], old.shares[0]})
		if err != nil {
			t.Fatal(err)
		}
		b1, _ := ok2.MarshalBinary()
		b2, _ := g.ok.MarshalBinary()
		if !bytes.Equal(b1, b2) {
			t.Fatal("rebuilt ξ differs")
		}
		if _, err := RecoverOpenerKey(g.gk, old.cm, old.shares[:1]); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("one share rebuilt ξ: %v", err)
		}
		if _, err := RecoverOpenerKey(g.gk, old.cm, []*Share{old.shares[1], old.shares[1]}); !errors.Is(err, ErrDuplicate) {
			t.Fatalf("a share twice: %v", err)
		}
		next := newTestCommittee(t, ok2, 3, 4, "new")
		for i := 1; i <= 2; i++ {
			ap, err := NewApproval(g.gk, old.cm, next.cm, 1000, i, old.ids[i-1])
			if err != nil {
				t.Fatal(err)
			}
			if err := ap.Verify(old.cm); err != nil {
				t.Fatal(err)
			}
			if ap.OldRef() != old.cm.Ref() || ap.NewRef() != next.cm.Ref() || ap.Deadline() != 1000 || ap.Index() != i || len(ap.enc) != 139 {
				t.Fatal("approval fields")
			}
			if err := ap.Verify(next.cm); !errors.Is(err, ErrWrongGroup) {
				t.Fatalf("approval under the new committee: %v", err)
			}
		}
		sig := mustSign(t, g.gk, g.members["alice"], msg, nil)
		top, _ := next.open(t, g.gk, msg, nil, sig, 4, 1, 3)
		a, err := top.Verify(g.gk, next.cm, msg, nil, sig)
		if err != nil || !bytes.Equal(a, g.members["alice"].A()) {
			t.Fatalf("rotated committee: %v", err)
		}
		// A valid opening under another dealing is refused under the
		// committee the caller pinned.
		if _, err := top.Verify(g.gk, old.cm, msg, nil, sig); !errors.Is(err, ErrWrongGroup) {
			t.Fatalf("opening of the new committee under the old: %v", err)
		}

		// Epoch 1: the same committee opens signatures of the next epoch.
		prev := g.reg.Prev()
		rec, err := g.reg.Revoke(g.ik, []string{"bob"}, crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		gk1 := g.reg.GroupKey()
		mk1, err := g.members["alice"].Update(g.gk, "alice", prev, rec)
		if err != nil {
			t.Fatal(err)
		}
		sig1 := mustSign(t, gk1, mk1, msg, scope)
		top1, _ := old.open(t, gk1, msg, scope, sig1, 1, 2)
		join, _ := g.reg.JoinRecord("alice")
		if acc, err := AccountableThresholdOpening(gk1, msg, scope, sig1, top1, old.cm, join, g.reg.Records(), nil); err != nil || acc.Epoch != 1 {
			t.Fatalf("epoch 1: %+v %v", acc, err)
		}
		if _, err := top1.Verify(g.gk, old.cm, msg, scope, sig1); !errors.Is(err, ErrWrongGroup) {
			t.Fatalf("epoch-1 opening under gpk_0: %v", err)
		}
	})
}

// TestThresholdNonceDerivation checks §4.1 as the threshold spec extends
// it, from the outputs alone, with ρ given: the dealer's a1_k, a2_k, k1,
// k2 (kind 0B), a share proof's k1, k2 (0C) and a partial's (0D) are
// H_NONCE(kind ‖ secret ‖ msg ‖ ρ ‖ i) in the spec's order.
func TestThresholdNonceDerivation(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		o := mustObjects(t, katObjects[s])
		gk, ok := o.gk0, o.ok
		c := gk.c
		auths, ids := testAuthorities("nonce", 3)
		xi := c.AppendScalar(c.AppendScalar(nil, ok.xi1), ok.xi2)
		dmsg := append(bytes.Clone(gk.g.gpk0), 2, 3)
		for _, a := range auths {
			dmsg = append(appendLab(dmsg, a.Label), a.IdentityKey...)
		}
		rho := bytes.Repeat([]byte{0x3c}, 32)
		cm, shares, err := Deal(ok, 2, auths, &fixedReader{bytes.Clone(rho)})
		if err != nil {
			t.Fatal(err)
		}
		n := &nonceRef{s: s, kind: kindCommittee, secret: xi, msg: dmsg, rho: rho}
		a1, a2, k1, k2 := n.nextNonzero(), n.nextNonzero(), n.next(), n.next()
		big := func(x scalar) *big.Int { return bigOfScalar(c, x) }
		if big(c.Sub(shares[0].xi1, ok.xi1)).Cmp(a1) != 0 || big(c.Sub(shares[0].xi2, ok.xi2)).Cmp(a2) != 0 {
			t.Fatal("dealer coefficients are not n_0, n_1")
		}
		if big(revealed(c, cm.s1, cm.ch, ok.xi1)).Cmp(k1) != 0 || big(revealed(c, cm.s2, cm.ch, ok.xi2)).Cmp(k2) != 0 {
			t.Fatal("dealer proof nonces are not n_2, n_3")
		}
		// t = 3: the same stream of values in the same order.
		dmsg3 := bytes.Clone(dmsg)
		dmsg3[len(gk.g.gpk0)] = 3
		n3 := &nonceRef{s: s, kind: kindCommittee, secret: xi, msg: dmsg3, rho: rho}
		var vals []scalar
		for range 6 {
			vals = append(vals, mustScalar(t, c, n3.next().FillBytes(make([]byte, 32))))
		}
		cm3, _, err := Deal(ok, 3, auths, &fixedReader{bytes.Clone(rho)})
		if err != nil {
			t.Fatal(err)
		}
		ref3, _, err := deal(ok, 3, auths, &fixedNonces{c: c, vals: vals})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cm3.enc, ref3.enc) {
			t.Fatal("t = 3: the dealer's draws are not a1_1, a1_2, a2_1, a2_2, k1, k2")
		}

		cref := cm.Ref()
		sh := shares[1]
		p, err := NewShareProof(gk, cm, sh, ids[1], &fixedReader{bytes.Clone(rho)})
		if err != nil {
			t.Fatal(err)
		}
		ns := &nonceRef{s: s, kind: kindShareProof, secret: sh.secret(), msg: append(append(bytes.Clone(gk.g.gpk0), cref[:]...), 2), rho: rho}
		if big(revealed(c, p.s1, p.ch, sh.xi1)).Cmp(ns.next()) != 0 || big(revealed(c, p.s2, p.ch, sh.xi2)).Cmp(ns.next()) != 0 {
			t.Fatal("share proof nonces")
		}

		m := o.epoch1[0]
		gk1 := o.gk1
		var consents []*Consent
		for i := 1; i <= 2; i++ {
			cs, err := NewConsent(cm, 1, m.tsig, i, ids[i-1])
			if err != nil {
				t.Fatal(err)
			}
			consents = append(consents, cs)
		}
		pp, err := NewPartialOpening(gk1, cm, sh, o.msg, o.scope, m.tsig, consents, ids[1], &fixedReader{bytes.Clone(rho)})
		if err != nil {
			t.Fatal(err)
		}
		pmsg := append(append(append(bytes.Clone(gk1.enc), cref[:]...), 2), m.tsig...)
		np := &nonceRef{s: s, kind: kindPartial, secret: sh.secret(), msg: append(pmsg, signCtx(o.msg, o.scope)...), rho: rho}
		if big(revealed(c, pp.e.s1, pp.e.ch, sh.xi1)).Cmp(np.next()) != 0 || big(revealed(c, pp.e.s2, pp.e.ch, sh.xi2)).Cmp(np.next()) != 0 {
			t.Fatal("partial opening nonces")
		}
	})
}

// thresholdKAT is a deterministic committee of a known-answer group.
func thresholdKAT(t testing.TB, s Suite) (*groupObjects, *testCommittee) {
	t.Helper()
	o := mustObjects(t, katObjects[s])
	auths, ids := testAuthorities("kat", 3)
	cm, shares, err := Deal(o.ok, 2, auths, streamRand("threshold kat "+s.String()))
	if err != nil {
		t.Fatal(err)
	}
	return o, &testCommittee{cm: cm, shares: shares, ids: ids}
}

func wantAuthority(t *testing.T, what string, err error, index int, sentinel error) {
	t.Helper()
	var ae *AuthorityError
	if !errors.As(err, &ae) || ae.Index != index || !errors.Is(err, sentinel) {
		t.Fatalf("%s: %v, want authority %d named with %v", what, err, index, sentinel)
	}
}

func wantNoOne(t *testing.T, what string, err error, sentinels ...error) {
	t.Helper()
	var ae *AuthorityError
	if errors.As(err, &ae) {
		t.Fatalf("%s: names authority %d: %v", what, ae.Index, err)
	}
	wantErr(t, what, err, sentinels...)
}

// TestThresholdRefusals: every refusal of the threshold spec, each with
// its sentinel, and who is named.
func TestThresholdRefusals(t *testing.T) {
	f := loadThresholdFixture(t)
	gk, cm, c := f.gk, f.cm, f.gk.c
	gk1, _ := gk.AtEpoch(1)
	o := f.v.Openings[0]
	msg, sig := f.v.Message, []byte(o.Signature)
	var consents []*Consent
	for _, b := range o.Consents {
		cs := new(Consent)
		if err := cs.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		consents = append(consents, cs)
	}
	var partials []*PartialOpening
	for _, b := range o.Partials {
		p := new(PartialOpening)
		if err := p.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		partials = append(partials, p)
	}

	t.Run("deal", func(t *testing.T) {
		auths := f.auths
		for _, x := range []struct {
			name  string
			t     int
			auths []Authority
			want  error
		}{
			{"t = 1", 1, auths, ErrMalformed}, {"t = 0", 0, auths, ErrMalformed}, {"t > n", 4, auths, ErrMalformed},
			{"n = 256", 2, func() []Authority { a, _ := testAuthorities("many", 256); return a }(), ErrMalformed},
			{"duplicate label", 2, []Authority{auths[0], {Label: auths[0].Label, IdentityKey: auths[1].IdentityKey}}, ErrDuplicate},
			{"duplicate idpk", 2, []Authority{auths[0], {Label: "other", IdentityKey: auths[0].IdentityKey}}, ErrDuplicate},
			{"bad label", 2, []Authority{auths[0], {Label: "", IdentityKey: auths[1].IdentityKey}}, ErrMalformed},
			{"long label", 2, []Authority{auths[0], {Label: strings.Repeat("a", 65), IdentityKey: auths[1].IdentityKey}}, ErrMalformed},
			{"small-order idpk", 2, []Authority{auths[0], {Label: "x", IdentityKey: smallOrder(t)[1].Bytes()}}, ErrMalformed},
			{"short idpk", 2, []Authority{auths[0], {Label: "x", IdentityKey: auths[1].IdentityKey[:31]}}, ErrMalformed},
		} {
			if _, _, err := Deal(f.ok, x.t, x.auths, crand.Reader); !errors.Is(err, x.want) {
				t.Errorf("%s: %v, want %v", x.name, err, x.want)
			}
		}
		if _, _, err := Deal(nil, 2, auths, crand.Reader); !errors.Is(err, ErrMalformed) {
			t.Errorf("nil opener key: %v", err)
		}
		if _, _, err := Deal(f.ok, 2, auths, failing{}); !errors.Is(err, ErrRandom) {
			t.Errorf("failing random source: %v", err)
		}
	})

	t.Run("committee", func(t *testing.T) {
		one := []scalar{smallScalar(c, 1)}
		k := smallScalar(c, 7)
		dec := func(b []byte) error { return new(Committee).UnmarshalBinary(b) }
		// The decoder refuses t < 2, t > n, duplicates, identity commitments.
		wantErr(t, "t = 1", dec(encodeCommittee(f.ok, 1, f.auths, nil, nil, k, k)), ErrMalformed)
		three := []scalar{one[0], one[0], one[0]}
		wantErr(t, "t = 4 > n", dec(encodeCommittee(f.ok, 4, f.auths, three, three, k, k)), ErrMalformed)
		dup := []Authority{f.auths[0], {Label: f.auths[0].Label, IdentityKey: f.auths[1].IdentityKey}}
		wantErr(t, "duplicate label", dec(encodeCommittee(f.ok, 2, dup, one, one, k, k)), ErrMalformed)
		dup = []Authority{f.auths[0], {Label: "x", IdentityKey: f.auths[0].IdentityKey}}
		wantErr(t, "duplicate idpk", dec(encodeCommittee(f.ok, 2, dup, one, one, k, k)), ErrMalformed)
		wantErr(t, "identity C1_1", dec(encodeCommittee(f.ok, 2, f.auths, []scalar{smallScalar(c, 0)}, one, k, k)), ErrMalformed)
		// Identity Y: a1_1 = −ξ1 makes f1(1) = 0, Y1_1 = 1; the dealer
		// proof is valid, Verify refuses the committee.
		for i := 1; i <= 3; i++ {
			a := c.Neg(c.Mul(f.ok.xi2, c.Inv(smallScalar(c, i))))
			var bad Committee
			if err := bad.UnmarshalBinary(encodeCommittee(f.ok, 2, f.auths, one, []scalar{a}, k, k)); err != nil {
				t.Fatal(err)
			}
			wantErr(t, fmt.Sprintf("identity Y2_%d", i), bad.Verify(gk), ErrInvalidKey)
			if _, _, err := bad.Y(gk, 1); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("Y of a refused committee: %v", err)
			}
		}
		// Another group's key; a dealer proof by someone without ξ.
		other := mustObjects(t, katObjects[SuiteBLS12381])
		wantErr(t, "committee under another group", cm.Verify(other.gk0), ErrWrongGroup)
		bn := mustObjects(t, katObjects[SuiteBN254])
		wantErr(t, "committee under a BN254 group", cm.Verify(bn.gk0), ErrWrongSuite)
		fake := &OpenerKey{xi1: smallScalar(c, 5), xi2: f.ok.xi2, gk: gk}
		var forged Committee
		if err := forged.UnmarshalBinary(encodeCommittee(fake, 2, f.auths, one, one, k, k)); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "dealer proof without ξ", forged.Verify(gk), ErrInvalidProof)
		if _, err := AuthorizeCommittee(ed25519.NewKeyFromSeed(f.v.AdminSeed), gk, &forged); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("admin authorising a bad committee: %v", err)
		}
		if _, _, err := cm.Y(gk, 0); !errors.Is(err, ErrUnknownMember) {
			t.Fatalf("Y(0): %v", err)
		}
		if _, _, err := cm.Y(gk, 4); !errors.Is(err, ErrUnknownMember) {
			t.Fatalf("Y(4): %v", err)
		}
	})

	t.Run("admin", func(t *testing.T) {
		adpk := ed25519.PublicKey(f.v.AdminPK)
		wantErr(t, "another admin key", VerifyCommitteeAuthorization(f.auths[0].IdentityKey, cm, f.v.Authorization), ErrInvalidProof)
		wantErr(t, "small-order admin key", VerifyCommitteeAuthorization(smallOrder(t)[2].Bytes(), cm, f.v.Authorization), ErrMalformed)
		var other Committee
		_ = other.UnmarshalBinary(encodeCommittee(f.ok, 2, f.auths[:2], []scalar{smallScalar(c, 3)}, []scalar{smallScalar(c, 3)}, smallScalar(c, 3), smallScalar(c, 3)))
		wantErr(t, "authorisation of another committee", VerifyCommitteeAuthorization(adpk, &other, f.v.Authorization), ErrInvalidProof)
		wantErr(t, "short adsig", VerifyCommitteeAuthorization(adpk, cm, f.v.Authorization[:63]), ErrInvalidProof)
		admin := ed25519.NewKeyFromSeed(f.v.AdminSeed)
		cref := cm.Ref()
		wantErr(t, "adsig without gref", VerifyCommitteeAuthorization(adpk, cm, ed25519.Sign(admin, append([]byte(c.dst.admin), cref[:]...))), ErrInvalidProof)
		wantErr(t, "adsig under the BN254 prefix", VerifyCommitteeAuthorization(adpk, cm, ed25519.Sign(admin, adminMessage(cm, curveBN254.dst.admin))), ErrInvalidProof)
		wantErr(t, "zero committee", VerifyCommitteeAuthorization(adpk, new(Committee), f.v.Authorization), ErrMalformed)
	})

	t.Run("shares", func(t *testing.T) {
		swapped := &Share{c: c, cref: cm.Ref(), i: 1, xi1: f.shares[1].xi1, xi2: f.shares[0].xi2}
		wantErr(t, "wrong share", swapped.Check(gk, cm), ErrInvalidKey)
		if _, err := NewShareProof(gk, cm, swapped, f.ids[0], crand.Reader); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("share proof of a wrong share: %v", err)
		}
		if _, err := NewPartialOpening(gk, cm, swapped, msg, nil, sig, consents, f.ids[0], crand.Reader); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("partial of a wrong share: %v", err)
		}
		elsewhere := &Share{c: c, cref: [32]byte{1}, i: 1, xi1: f.shares[0].xi1, xi2: f.shares[0].xi2}
		wantErr(t, "share of another committee", elsewhere.Check(gk, cm), ErrWrongGroup)
		beyond := &Share{c: c, cref: cm.Ref(), i: 4, xi1: f.shares[0].xi1, xi2: f.shares[0].xi2}
		wantErr(t, "share of authority 4 of 3", beyond.Check(gk, cm), ErrUnknownMember)
		if _, err := RecoverOpenerKey(gk, cm, []*Share{f.shares[0], swapped}); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("recovering from a wrong share: %v", err)
		}
		// A share proof that a holder signed over a bad proof names it.
		p, err := newShareProof(gk, cm, swapped, f.ids[0], &fixedNonces{c: c, vals: []scalar{smallScalar(c, 3), smallScalar(c, 4)}})
		if err != nil {
			t.Fatal(err)
		}
		wantAuthority(t, "signed bad share proof", p.Verify(gk, cm), 1, ErrInvalidProof)
		// Signed by another authority's key: refused, no one named.
		bad, _ := newShareProof(gk, cm, f.shares[0], f.ids[1], &fixedNonces{c: c, vals: []scalar{smallScalar(c, 3), smallScalar(c, 4)}})
		wantNoOne(t, "share proof signed by authority 2 as 1", bad.Verify(gk, cm), ErrInvalidProof)
		if _, err := NewShareProof(gk, cm, f.shares[0], f.ids[1], crand.Reader); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("authority 2 making 1's share proof: %v", err)
		}
	})

	t.Run("consents", func(t *testing.T) {
		// A consent of authority 1 signed by authority 2: refused by
		// Verify and not counted by the release rule.
		body := partialHeader{cref: cm.Ref(), epoch: 0, sref: sha256.Sum256(sig)}.appendTo([]byte{c.suite, kindConsent})
		body = append(body, 1)
		var forged Consent
		if err := forged.UnmarshalBinary(append(body, authoritySign(c, f.ids[1], body)...)); err != nil {
			t.Fatal(err)
		}
		wantNoOne(t, "forged consent", forged.Verify(cm), ErrInvalidProof)
		if _, err := NewConsent(cm, 0, sig, 1, f.ids[1]); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("authority 2 consenting as 1: %v", err)
		}
		if _, err := NewConsent(cm, 0, sig, 4, f.ids[2]); !errors.Is(err, ErrUnknownMember) {
			t.Fatalf("consent as authority 4: %v", err)
		}
		if _, err := NewConsent(cm, 0, sig[:100], 1, f.ids[0]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("consent to garbage: %v", err)
		}
		share := f.shares[2]
		for name, cs := range map[string][]*Consent{
			"one consent":                consents[:1],
			"a consent and a forged one": {consents[0], &forged},
			"the same consent twice":     {consents[0], consents[0]},
			"consents for epoch 1":       {mustConsent(t, cm, 1, sig, 1, f.ids[0]), mustConsent(t, cm, 1, sig, 2, f.ids[1])},
			"consents for another sig":   {mustConsent(t, cm, 0, f.v.Openings[2].Signature, 1, f.ids[0]), mustConsent(t, cm, 0, f.v.Openings[2].Signature, 2, f.ids[1])},
			"no consents":                nil,
			"a nil and a zero consent":   {nil, new(Consent), consents[0]},
		} {
			if _, err := NewPartialOpening(gk, cm, share, msg, nil, sig, cs, f.ids[2], crand.Reader); !errors.Is(err, ErrInvalidProof) {
				t.Errorf("release with %s: %v", name, err)
			}
		}
		// Consents of any t distinct authorities release it (3 and 1).
		if _, err := NewPartialOpening(gk, cm, f.shares[1], msg, nil, sig, []*Consent{mustConsent(t, cm, 0, sig, 3, f.ids[2]), consents[0]}, f.ids[1], crand.Reader); err != nil {
			t.Fatal(err)
		}
		// §3.1 strict rules on sig_i.
		for name, s := range strictSigs(t, f.v.Authorities[0].IdentitySeed, f.auths[0].IdentityKey, []byte(c.dst.authority), body) {
			var cs Consent
			if err := cs.UnmarshalBinary(append(bytes.Clone(body), s...)); err != nil {
				t.Fatal(err)
			}
			wantNoOne(t, "consent with "+name, cs.Verify(cm), ErrInvalidProof)
		}
		wantErr(t, "consent under another committee", consents[0].Verify(mustDealt(t, f)), ErrWrongGroup)
	})

	t.Run("partials", func(t *testing.T) {
		// For a signature that does not verify: NewPartialOpening refuses.
		if _, err := NewPartialOpening(gk, cm, f.shares[0], []byte("other"), nil, sig, consents, f.ids[0], crand.Reader); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("partial for σ on another message: %v", err)
		}
		if _, err := NewPartialOpening(gk1, cm, f.shares[0], msg, nil, sig, consents, f.ids[0], crand.Reader); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("partial for σ under another epoch: %v", err)
		}
		if _, err := NewPartialOpening(gk, cm, f.shares[0], msg, nil, flip(sig, 300, 1), consents, f.ids[0], crand.Reader); !isAny(err, ErrInvalidSignature, ErrMalformed) {
			t.Fatalf("partial for a tampered σ: %v", err)
		}
		if _, err := NewPartialOpening(gk, cm, f.shares[0], msg, nil, sig, consents, f.ids[1], crand.Reader); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("authority 2 opening with 1's share: %v", err)
		}
		// One that an authority signed anyway, for σ on a message it does
		// not verify on: the check names it.
		s, _ := parseSignature(sig)
		h := partialHeader{cref: cm.Ref(), epoch: 0, sref: sha256.Sum256(sig)}
		nz := func() nonceSource { return &fixedNonces{c: c, vals: []scalar{smallScalar(c, 11), smallScalar(c, 12)}} }
		forInvalid, err := newPartialOpening(gk, h, f.shares[1], s, signCtx([]byte("other"), nil), f.ids[1], nz())
		if err != nil {
			t.Fatal(err)
		}
		wantAuthority(t, "signed partial for an invalid σ", forInvalid.Verify(gk, cm, []byte("other"), nil, sig), 2, ErrInvalidSignature)
		// A signed partial with a bad D_i (wrong share) names its signer.
		wrong := &Share{c: c, cref: cm.Ref(), i: 2, xi1: f.shares[0].xi1, xi2: f.shares[1].xi2}
		badD, err := newPartialOpening(gk, h, wrong, s, signCtx(msg, nil), f.ids[1], nz())
		if err != nil {
			t.Fatal(err)
		}
		wantAuthority(t, "signed partial with a wrong D_i", badD.Verify(gk, cm, msg, nil, sig), 2, ErrInvalidProof)
		// Signed by another authority: no one named.
		asOther, _ := newPartialOpening(gk, h, f.shares[0], s, signCtx(msg, nil), f.ids[1], nz())
		wantNoOne(t, "partial of 1 signed by 2", asOther.Verify(gk, cm, msg, nil, sig), ErrInvalidProof)
		// Context: another epoch, committee, message, signature.
		wantNoOne(t, "partial under gpk_1", partials[0].Verify(gk1, cm, msg, nil, sig), ErrWrongGroup)
		wantNoOne(t, "partial under another committee", partials[0].Verify(gk, mustDealt(t, f), msg, nil, sig), ErrWrongGroup)
		wantAuthority(t, "partial checked on another message", partials[0].Verify(gk, cm, []byte("other"), nil, sig), 1, ErrInvalidSignature)
		// σ that verifies but is not the one sref names: §2's order puts
		// the sref check after sig_i, so it names i (the caller must pass
		// the σ the ledger holds under sref).
		o2 := f.v.Openings[2]
		wantAuthority(t, "partial checked against another σ", partials[0].Verify(gk, cm, msg, nil, o2.Signature), 1, ErrWrongGroup)

		// The combiner leaves bad partials out and takes the t lowest.
		top, err := CombineOpening(gk, cm, msg, nil, sig, []*PartialOpening{badD, partials[2], forInvalid, partials[0], nil, partials[0]})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(top.Indices()) != "[1 3]" {
			t.Fatalf("indices %v", top.Indices())
		}
		if a, err := top.Verify(gk, cm, msg, nil, sig); err != nil || !bytes.Equal(a, o.A) {
			t.Fatalf("opening of {1, 3}: %v", err)
		}
		_, err = CombineOpening(gk, cm, msg, nil, sig, []*PartialOpening{badD, partials[0], asOther})
		wantAuthority(t, "combining one valid partial", err, 2, ErrInvalidProof)
		if _, err := CombineOpening(gk, cm, msg, nil, sig, []*PartialOpening{partials[0], partials[0]}); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("combining one partial twice: %v", err)
		}
		if _, err := CombineOpening(gk, cm, []byte("other"), nil, sig, partials); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("combining for an invalid σ: %v", err)
		}
		other := f.v.Openings[2]
		var op PartialOpening
		_ = op.UnmarshalBinary(other.Partials[0])
		if _, err := CombineOpening(gk, cm, msg, nil, sig, []*PartialOpening{&op, partials[1]}); !errors.Is(err, ErrWrongGroup) {
			t.Fatalf("combining a partial of another σ: %v", err)
		}

		// Threshold openings: the first bad entry is named once its sig_i
		// checked; k ≠ t refused.
		build := func(es ...*PartialOpening) *ThresholdOpening {
			enc := append(h.appendTo([]byte{c.suite, kindThreshold}), byte(len(es)))
			for _, p := range es {
				enc = append(enc, p.e.raw...)
			}
			var top ThresholdOpening
			if err := top.UnmarshalBinary(enc); err != nil {
				t.Fatal(err)
			}
			return &top
		}
		_, err = build(partials[0], badD).Verify(gk, cm, msg, nil, sig)
		wantAuthority(t, "threshold opening with a bad entry 2", err, 2, ErrInvalidProof)
		wrong3 := &Share{c: c, cref: cm.Ref(), i: 3, xi1: f.shares[0].xi1, xi2: f.shares[2].xi2}
		bad3, _ := newPartialOpening(gk, h, wrong3, s, signCtx(msg, nil), f.ids[2], nz())
		_, err = build(badD, bad3).Verify(gk, cm, msg, nil, sig)
		wantAuthority(t, "two bad entries: the first", err, 2, ErrInvalidProof)
		asOther3, _ := newPartialOpening(gk, h, f.shares[2], s, signCtx(msg, nil), f.ids[0], nz())
		_, err = build(partials[0], asOther3).Verify(gk, cm, msg, nil, sig)
		wantNoOne(t, "entry 2 signed by another", err, ErrInvalidProof)
		_, err = build(partials...).Verify(gk, cm, msg, nil, sig)
		wantNoOne(t, "k = 3 > t", err, ErrInvalidProof)
		_, err = build(partials[0], partials[1]).Verify(gk, cm, []byte("other"), nil, sig)
		wantAuthority(t, "threshold opening on another message", err, 1, ErrInvalidSignature)
		_, err = build(partials[0], partials[1]).Verify(gk1, cm, msg, nil, sig)
		wantNoOne(t, "threshold opening under gpk_1", err, ErrWrongGroup)
	})

	t.Run("approvals", func(t *testing.T) {
		next := mustDealt(t, f)
		ap, err := NewApproval(gk, cm, next, 77, 3, f.ids[2])
		if err != nil {
			t.Fatal(err)
		}
		if err := ap.Verify(cm); err != nil {
			t.Fatal(err)
		}
		if _, err := NewApproval(gk, cm, next, 77, 3, f.ids[0]); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("authority 1 approving as 3: %v", err)
		}
		var forged Committee
		_ = forged.UnmarshalBinary(encodeCommittee(&OpenerKey{xi1: smallScalar(c, 2), xi2: smallScalar(c, 3), gk: gk}, 2, f.auths, []scalar{smallScalar(c, 1)}, []scalar{smallScalar(c, 1)}, smallScalar(c, 1), smallScalar(c, 1)))
		if _, err := NewApproval(gk, cm, &forged, 77, 3, f.ids[2]); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("approving a committee whose dealer proof fails: %v", err)
		}
		body := append(append([]byte{c.suite, kindApproval}, ap.oldRef[:]...), ap.newRef[:]...)
		body = append(append(body, ap.enc[66:74]...), 3)
		var asOther Approval
		_ = asOther.UnmarshalBinary(append(body, authoritySign(c, f.ids[1], body)...))
		wantNoOne(t, "approval of 3 signed by 2", asOther.Verify(cm), ErrInvalidProof)
	})

	t.Run("zero values", func(t *testing.T) {
		for name, err := range map[string]error{
			"committee verify":  new(Committee).Verify(gk),
			"share check":       new(Share).Check(gk, cm),
			"share proof":       new(ShareProof).Verify(gk, cm),
			"consent":           new(Consent).Verify(cm),
			"partial":           new(PartialOpening).Verify(gk, cm, msg, nil, sig),
			"approval":          new(Approval).Verify(cm),
			"consent, zero cm":  consents[0].Verify(new(Committee)),
			"partial, zero cm":  partials[0].Verify(gk, new(Committee), msg, nil, sig),
			"partial, nil gk":   partials[0].Verify(nil, cm, msg, nil, sig),
			"committee, nil gk": cm.Verify(nil),
		} {
			wantErr(t, name, err, ErrMalformed)
		}
		if _, err := new(ThresholdOpening).Verify(gk, cm, msg, nil, sig); !errors.Is(err, ErrMalformed) {
			t.Fatal(err)
		}
		for _, v := range []codec{new(Committee), new(Share), new(ShareProof), new(Consent), new(PartialOpening), new(ThresholdOpening), new(Approval)} {
			if _, err := v.MarshalBinary(); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%T: %v", v, err)
			}
		}
		if new(Committee).String() != "groupsig.Committee{}" || new(Share).String() != "groupsig.Share{}" {
			t.Fatal("zero strings")
		}
		if strings.Contains(f.shares[0].String(), fmt.Sprintf("%x", c.AppendScalar(nil, f.shares[0].xi1))[:16]) {
			t.Fatal("a share's String shows its value")
		}
	})
}

func mustConsent(t testing.TB, cm *Committee, e uint64, sig []byte, i int, id ed25519.PrivateKey) *Consent {
	t.Helper()
	cs, err := NewConsent(cm, e, sig, i, id)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// mustDealt is a second committee of the vectors' group (same authorities).
func mustDealt(t testing.TB, f *thresholdFixture) *Committee {
	t.Helper()
	cm, _, err := Deal(f.ok, 3, f.auths, streamRand("second committee"))
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// strictSigs are Ed25519 signatures over msg that §3.1 refuses though
// some verifiers accept them: R = identity with S = t·a (Go's
// crypto/ed25519 accepts it), S + ℓ, S = ℓ, and an all-zero signature.
func strictSigs(t testing.TB, seed, idpk, prefix, body []byte) map[string][]byte {
	msg := append(bytes.Clone(prefix), body...)
	h := sha512.Sum512(seed)
	a, _ := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	rID := append([]byte{1}, make([]byte, 31)...)
	th := sha512.New()
	th.Write(rID)
	th.Write(idpk)
	th.Write(msg)
	tt, _ := edwards25519.NewScalar().SetUniformBytes(th.Sum(nil))
	idR := append(bytes.Clone(rID), edwards25519.NewScalar().Multiply(tt, a).Bytes()...)
	if !ed25519.Verify(idpk, msg, idR) {
		t.Fatal("crypto/ed25519 refuses the R = identity signature: the construction is wrong")
	}
	good := ed25519.Sign(ed25519.NewKeyFromSeed(seed), msg)
	ell := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 252), mustBig("14def9dea2f79cd65812631a5cf5d3ed"))
	sv := new(big.Int).SetBytes(reversed(good[32:]))
	withS := func(v *big.Int) []byte {
		return append(bytes.Clone(good[:32]), reversed(v.FillBytes(make([]byte, 32)))...)
	}
	return map[string][]byte{
		"R = identity": idR, "S + ℓ": withS(new(big.Int).Add(sv, ell)), "S = ℓ": withS(ell), "zeros": make([]byte, 64),
		"no prefix":                   ed25519.Sign(ed25519.NewKeyFromSeed(seed), body),
		"the join statement's prefix": ed25519.Sign(ed25519.NewKeyFromSeed(seed), append([]byte(curveBLS12381.dst.statement), body...)),
	}
}
