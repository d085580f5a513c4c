package groupsig

import (
	"crypto/ed25519"
	crand "crypto/rand"
	"errors"
	"fmt"
	"testing"
)

// forSuites runs f once per suite.
func forSuites(t *testing.T, f func(t *testing.T, s Suite)) {
	for _, s := range Suites() {
		t.Run(s.String(), func(t *testing.T) { f(t, s) })
	}
}

// testGroup is a group with an issuer registry and members joined through
// the real request/response flow.
type testGroup struct {
	gk      *GroupKey
	ik      *IssuerKey
	ok      *OpenerKey
	ip      *IssuerProof
	op      *OpenerProof
	reg     *Registry
	ids     map[string]ed25519.PrivateKey
	members map[string]*MemberKey
}

func newTestGroup(t testing.TB, s Suite, labels ...string) *testGroup {
	t.Helper()
	gk, ik, ok, ip, op, err := Setup(s, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(gk)
	if err != nil {
		t.Fatal(err)
	}
	g := &testGroup{gk: gk, ik: ik, ok: ok, ip: ip, op: op, reg: reg, ids: map[string]ed25519.PrivateKey{}, members: map[string]*MemberKey{}}
	for _, l := range labels {
		g.join(t, l)
	}
	return g
}

func (g *testGroup) join(t testing.TB, label string) *MemberKey {
	t.Helper()
	_, id, err := ed25519.GenerateKey(crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	req, js, err := NewJoinRequest(g.gk, g.ip, g.op, label, id, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.reg.Issue(g.ik, req, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := js.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	g.ids[label], g.members[label] = id, mk
	return mk
}

func TestFlow(t *testing.T) {
	forSuites(t, func(t *testing.T, s Suite) {
		g := newTestGroup(t, s, "alice", "bob", "carol")
		msg, scope := []byte("pay 10 to dave"), []byte("vote/1")
		tags := map[string]string{}
		for l, mk := range g.members {
			sig, err := Sign(g.gk, mk, msg, nil, crand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if tag, err := Verify(g.gk, msg, nil, sig); err != nil || tag != nil {
				t.Fatalf("%s: verify: %x %v", l, tag, err)
			}
			if _, err := Verify(g.gk, []byte("other"), nil, sig); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("%s: other message: %v", l, err)
			}
			if _, err := Verify(g.gk, msg, scope, sig); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("%s: untagged under a scope: %v", l, err)
			}
			t1, err := Sign(g.gk, mk, msg, scope, crand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			t2, _ := Sign(g.gk, mk, []byte("another action"), scope, crand.Reader)
			tag1, err1 := Verify(g.gk, msg, scope, t1)
			tag2, err2 := Verify(g.gk, []byte("another action"), scope, t2)
			if err1 != nil || err2 != nil || string(tag1) != string(tag2) {
				t.Fatalf("%s: same member, same scope: tags %x %x (%v %v)", l, tag1, tag2, err1, err2)
			}
			if _, err := Verify(g.gk, msg, nil, t1); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("%s: tagged without scope: %v", l, err)
			}
			tag3, _ := Verify(g.gk, msg, []byte("vote/2"), mustSign(t, g.gk, mk, msg, []byte("vote/2")))
			if string(tag3) == string(tag1) {
				t.Fatalf("%s: two scopes gave one tag", l)
			}
			if prev, dup := tags[string(tag1)]; dup {
				t.Fatalf("%s and %s share a tag", l, prev)
			}
			tags[string(tag1)] = l

			o, err := Open(g.ok, g.gk, msg, nil, sig, crand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			join, _ := g.reg.JoinRecord(l)
			acc, err := AccountableOpening(g.gk, msg, nil, sig, o, join, nil, g.ids[l].Public().(ed25519.PublicKey))
			if err != nil || acc.Label != l {
				t.Fatalf("%s: accountable: %+v %v", l, acc, err)
			}
			other, _ := g.reg.JoinRecord(map[string]string{"alice": "bob", "bob": "carol", "carol": "alice"}[l])
			_, err = AccountableOpening(g.gk, msg, nil, sig, o, other, nil, nil)
			var ae *AccountabilityError
			if !errors.As(err, &ae) || ae.Condition != CondCurrent {
				t.Fatalf("%s: opening against another member's record: %v", l, err)
			}
		}

		// Revoke bob: alice and carol move on, bob cannot, and epoch-0
		// signatures are invalid under gpk_1.
		prev := g.reg.Prev()
		rec, err := g.reg.Revoke(g.ik, []string{"bob"}, crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		gk1, err := CheckRevocation(g.gk, prev, rec, vecCurrent(g.reg, "alice", "bob", "carol"), crand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !gk1.Equal(g.reg.GroupKey()) {
			t.Fatal("node and issuer disagree on gpk_1")
		}
		if _, err := g.members["bob"].Update(g.gk, "bob", prev, rec); !errors.Is(err, ErrRevoked) {
			t.Fatalf("bob updated: %v", err)
		}
		for _, l := range []string{"alice", "carol"} {
			mk1, err := g.members[l].Update(g.gk, l, prev, rec)
			if err != nil {
				t.Fatal(err)
			}
			sig := mustSign(t, gk1, mk1, msg, nil)
			if _, err := Verify(gk1, msg, nil, sig); err != nil {
				t.Fatal(err)
			}
			o, err := Open(g.ok, gk1, msg, nil, sig, crand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			join, _ := g.reg.JoinRecord(l)
			if _, err := AccountableOpening(gk1, msg, nil, sig, o, join, g.reg.Records(), nil); err != nil {
				t.Fatalf("%s at epoch 1: %v", l, err)
			}
			if _, err := AccountableOpening(gk1, msg, nil, sig, o, join, nil, nil); !isCondition(err, CondCurrent) {
				t.Fatalf("%s at epoch 1 without records: %v", l, err)
			}
			ev, err := NewEvidence(gk1, msg, nil, sig, o, join, g.reg.Records())
			if err != nil {
				t.Fatal(err)
			}
			if acc, err := ev.Check(g.ids[l].Public().(ed25519.PublicKey)); err != nil || acc.Label != l {
				t.Fatalf("evidence: %+v %v", acc, err)
			}
			if _, err := ev.Check(g.ids["bob"].Public().(ed25519.PublicKey)); !isCondition(err, CondIdentity) {
				t.Fatalf("evidence against the wrong accused: %v", err)
			}
		}
		if _, err := Sign(gk1, g.members["alice"], msg, nil, crand.Reader); !errors.Is(err, ErrWrongGroup) {
			t.Fatalf("epoch-0 key signing at epoch 1: %v", err)
		}

		// A registry survives its encoding.
		enc, _ := g.reg.MarshalBinary()
		var back Registry
		if err := back.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		if !back.GroupKey().Equal(gk1) || len(back.Current()) != 2 || back.Prev() != rec.Hash() {
			t.Fatalf("registry round trip: epoch %d, %d current", back.GroupKey().Epoch(), len(back.Current()))
		}
	})
}

func isCondition(err error, cond int) bool {
	var ae *AccountabilityError
	return errors.As(err, &ae) && ae.Condition == cond && errors.Is(err, ErrNotAccountable)
}

func vecCurrent(r *Registry, labels ...string) []*JoinRecord {
	var out []*JoinRecord
	for _, l := range labels {
		j, _ := r.JoinRecord(l)
		out = append(out, j)
	}
	return out
}

func mustSign(t testing.TB, gk *GroupKey, mk *MemberKey, msg, scope []byte) []byte {
	t.Helper()
	sig, err := Sign(gk, mk, msg, scope, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestRegistryUniqueness(t *testing.T) {
	g := newTestGroup(t, SuiteBLS12381, "alice")
	// The same label again, and the same y (H) under a new label.
	_, id, _ := ed25519.GenerateKey(crand.Reader)
	req, _, err := NewJoinRequest(g.gk, g.ip, g.op, "alice", id, crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.reg.Issue(g.ik, req, crand.Reader); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("label reused: %v", err)
	}
	// A replayed request is refused as well (its label and H are used).
	alice, _ := g.reg.JoinRecord("alice")
	if _, err := g.reg.Issue(g.ik, alice.Request, crand.Reader); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("request replayed: %v", err)
	}
	// Labels stay used after a revocation.
	if _, err := g.reg.Revoke(g.ik, []string{"alice"}, crand.Reader); err != nil {
		t.Fatal(err)
	}
	if len(g.reg.Current()) != 0 {
		t.Fatal("alice still current")
	}
	req2, _, _ := NewJoinRequest(g.gk, g.ip, g.op, "alice", id, crand.Reader)
	if _, err := g.reg.Issue(g.ik, req2, crand.Reader); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("label reused after revocation: %v", err)
	}
}

// A broken random source gives an error, never a hang or a key.
func TestBrokenRandom(t *testing.T) {
	g := newTestGroup(t, SuiteBLS12381, "alice")
	for name, f := range map[string]func() error{
		"setup": func() error { _, _, _, _, _, err := Setup(SuiteBLS12381, failing{}); return err },
		"sign":  func() error { _, err := Sign(g.gk, g.members["alice"], []byte("m"), nil, failing{}); return err },
		"join": func() error {
			_, err := func() (any, error) {
				_, _, err := NewJoinRequest(g.gk, g.ip, g.op, "bob", g.ids["alice"], failing{})
				return nil, err
			}()
			return err
		},
		"setup-zeros": func() error { _, _, _, _, _, err := Setup(SuiteBLS12381, zeros{}); return err },
	} {
		if err := f(); !errors.Is(err, ErrRandom) {
			t.Errorf("%s: %v, want ErrRandom", name, err)
		}
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, fmt.Errorf("entropy source unplugged") }

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// Zero values of every type give errors, never panics.
func TestZeroValues(t *testing.T) {
	g := newTestGroup(t, SuiteBN254, "alice")
	if _, err := (&MemberKey{}).MarshalBinary(); !errors.Is(err, ErrMalformed) {
		t.Error("zero member key marshals")
	}
	if _, err := Sign(g.gk, &MemberKey{}, nil, nil, crand.Reader); !errors.Is(err, ErrMalformed) {
		t.Errorf("sign with zero key: %v", err)
	}
	if _, err := Open(&OpenerKey{}, g.gk, nil, nil, nil, crand.Reader); !errors.Is(err, ErrMalformed) {
		t.Errorf("open with zero key: %v", err)
	}
	if err := VerifyOpening(g.gk, nil, nil, nil, &Opening{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero opening: %v", err)
	}
	if _, err := VerifyRecord(g.gk, [32]byte{}, &RevocationRecord{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero record: %v", err)
	}
	if err := (&IssuerProof{}).Verify(g.gk); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero issuer proof: %v", err)
	}
	if err := (&JoinRequest{}).Verify(g.gk); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero join request: %v", err)
	}
	if _, err := (&JoinSecret{}).Finish(&JoinResponse{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero join secret: %v", err)
	}
	if _, err := g.reg.Issue(&IssuerKey{}, nil, crand.Reader); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero issuer key: %v", err)
	}
	if _, err := AccountableOpening(g.gk, nil, nil, nil, &Opening{}, nil, nil, nil); err == nil {
		t.Error("zero opening is accountable")
	}
}

func TestZeroGroupKey(t *testing.T) {
	g := newTestGroup(t, SuiteBLS12381, "alice")
	sig := mustSign(t, g.gk, g.members["alice"], []byte("m"), nil)
	for _, gk := range []*GroupKey{nil, {}} {
		if _, err := Verify(gk, []byte("m"), nil, sig); !errors.Is(err, ErrMalformed) {
			t.Errorf("verify under %v: %v", gk, err)
		}
		if _, err := Sign(gk, g.members["alice"], nil, nil, crand.Reader); !errors.Is(err, ErrMalformed) {
			t.Errorf("sign under zero key: %v", err)
		}
		if _, err := VerifyRecord(gk, [32]byte{}, &RevocationRecord{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("record under zero key: %v", err)
		}
		if _, err := NewRegistry(gk); !errors.Is(err, ErrMalformed) {
			t.Errorf("registry of zero key: %v", err)
		}
		if gk.Suite() != 0 || gk.SameGroup(g.gk) || g.gk.SameGroup(gk) {
			t.Error("zero key has a suite or a group")
		}
	}
}

func TestRegistryLookup(t *testing.T) {
	g := newTestGroup(t, SuiteBLS12381, "alice", "bob")
	a0 := g.members["alice"].A()
	if j, ok := g.reg.Lookup(0, a0); !ok || j.Label() != "alice" {
		t.Fatal("alice's epoch-0 A not found")
	}
	if _, err := g.reg.Revoke(g.ik, []string{"bob"}, crand.Reader); err != nil {
		t.Fatal(err)
	}
	a1, _ := g.reg.Records()[0].ReissuedA("alice")
	if j, ok := g.reg.Lookup(1, a1); !ok || j.Label() != "alice" {
		t.Fatal("alice's epoch-1 A not found")
	}
	if _, ok := g.reg.Lookup(1, a0); ok {
		t.Fatal("an epoch-0 A found at epoch 1")
	}
	if _, ok := g.reg.Lookup(1, g.members["bob"].A()); ok {
		t.Fatal("revoked bob found at epoch 1")
	}
}
