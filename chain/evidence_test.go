package chain

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/veilchain/veil/groupsig"
)

// evidenceFor opens tx with the fixture's opener key and assembles the
// bundle from the ledger's state, as `veil audit open` does from the API.
func (f *fixture) evidenceFor(tx *Tx, label string) *Evidence {
	f.t.Helper()
	gk, err := f.gk.AtEpoch(tx.Epoch)
	if err != nil {
		f.t.Fatal(err)
	}
	id := tx.ID()
	o, err := groupsig.Open(f.ok, gk, id[:], txScope(tx), tx.Auth, f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	gi, _ := f.ledger.Group("acme")
	m, ok := gi.Member(label)
	if !ok {
		f.t.Fatalf("no member %q", label)
	}
	ev, err := NewEvidence(tx, f.ledger.Head().Height, f.gk, o, m.Record, m.Cert, f.reg.Records())
	if err != nil {
		f.t.Fatal(err)
	}
	return ev
}

func TestEvidenceNamesTheSignerAndSurvivesJSON(t *testing.T) {
	f := newFixture(t, "alice", "bob", "carol")
	rule := f.topicTx("vote", TopicRule{Tagged: true})
	vote := f.voteTx("bob", "vote", "yes")
	plain := f.anonTx("alice", "t", "x")
	if c := f.commit(rule); c[0] != CodeOK {
		t.Fatal(c)
	}
	if c := f.commit(vote, plain); c[0] != CodeOK || c[1] != CodeOK {
		t.Fatal(c)
	}
	// Evidence of a later epoch: carol revoked, alice re-issued.
	rev := f.revokeTx("carol")
	f.commit(rev)
	f.updateMembers(rev)
	late := f.anonTx("alice", "t", "after")
	f.commit(late)
	for _, c := range []struct {
		tx    *Tx
		label string
	}{{vote, "bob"}, {plain, "alice"}, {late, "alice"}} {
		raw, err := json.Marshal(f.evidenceFor(c.tx, c.label))
		if err != nil {
			t.Fatal(err)
		}
		var ev Evidence
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		got, err := ev.Check(f.ca.cert)
		if err != nil {
			t.Fatalf("%s: %v", c.label, err)
		}
		if got.Member.Label != c.label || got.Member.Org != "org-"+c.label || !got.Member.Key.Equal(f.ids[c.label].Public()) || got.TxID != c.tx.ID() || got.Epoch != c.tx.Epoch {
			t.Fatalf("%s: finding %+v", c.label, got)
		}
	}
}

func TestEvidenceRefusals(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	tx := f.anonTx("alice", "t", "x")
	f.commit(tx)
	good := f.evidenceFor(tx, "alice")
	other := newTestCA(t, f.rnd)
	gi, _ := f.ledger.Group("acme")
	bob, _ := gi.Member("bob")
	cases := []struct {
		name string
		edit func(ev *Evidence)
		ca   *testCA
		want error
	}{
		{"another CA", func(*Evidence) {}, other, ErrEvidence},
		{"another member's certificate", func(ev *Evidence) { ev.MemberCert = bob.Cert }, f.ca, groupsig.ErrNotAccountable},
		{"a node certificate", func(ev *Evidence) {
			ev.MemberCert = f.ca.node(t, "node-1", f.valKey.Public().(ed25519.PublicKey), f.rnd)
		}, f.ca, ErrEvidence},
		{"another transaction", func(ev *Evidence) { ev.Tx = f.anonTx("alice", "t", "y").Encode() }, f.ca, ErrEvidence},
		{"truncated transaction", func(ev *Evidence) { ev.Tx = ev.Tx[:len(ev.Tx)-1] }, f.ca, ErrEvidence},
		{"another chain", func(ev *Evidence) { ev.ChainID = "other" }, f.ca, ErrEvidence},
		{"wrong epoch", func(ev *Evidence) { ev.Group.Epoch = 1 }, f.ca, ErrEvidence},
		{"a scope on an untagged signature", func(ev *Evidence) { ev.Group.Scope = TopicScope(testChain, "t") }, f.ca, ErrEvidence},
		{"another member's join record", func(ev *Evidence) {
			req, _ := bob.Record.Request.MarshalBinary()
			resp, _ := bob.Record.Response.MarshalBinary()
			ev.Group.JoinRequest, ev.Group.JoinResponse, ev.Group.Label, ev.MemberCert = req, resp, "bob", bob.Cert
		}, f.ca, groupsig.ErrNotAccountable},
	}
	for _, c := range cases {
		ev := *good
		ev.Group.Records = append([]groupsig.HexBytes(nil), good.Group.Records...)
		c.edit(&ev)
		if _, err := ev.Check(c.ca.cert); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// TestIssuerCannotFrame is the attempted frame of the issue: the issuer
// makes its own key under a member's label (its own y and identity key),
// signs with it and opens the signature. The ledger never admitted that
// join record; and evidence built on it fails, whether it carries the
// member's certificate (its key is not the record's) or none the CA made.
func TestIssuerCannotFrame(t *testing.T) {
	f := newFixture(t, "alice", "bob")
	rev := f.revokeTx("bob")
	f.commit(rev)
	f.updateMembers(rev)
	// The issuer's own registry knows only the real bob; it forges in a
	// fresh one over the same group key.
	forger, err := groupsig.NewRegistry(f.gk)
	if err != nil {
		t.Fatal(err)
	}
	_, fakeID, _ := ed25519.GenerateKey(f.rnd)
	req, js, err := groupsig.NewJoinRequest(f.gk, f.ip, f.op, "bob", fakeID, f.rnd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := forger.Issue(f.ik, req, f.rnd)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := js.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	tx := &Tx{ChainID: testChain, Expiry: f.ledger.Head().Height + 10, Nonce: f.nonce(), Group: "acme", Topic: "t", Payload: []byte("framed")}
	if err := tx.SignAnonymous(f.gk, mk, false, f.rnd); err != nil {
		t.Fatal(err)
	}
	id := tx.ID()
	o, err := groupsig.Open(f.ok, f.gk, id[:], nil, tx.Auth, f.rnd)
	if err != nil {
		t.Fatal(err)
	}
	gi, _ := f.ledger.Group("acme")
	realBob, _ := gi.Member("bob")
	fake := &groupsig.JoinRecord{Request: req, Response: resp}
	for name, cert := range map[string][]byte{
		"the member's certificate":      realBob.Cert,
		"a certificate from its own CA": newTestCA(t, f.rnd).member(t, "org-bob", "bob", fakeID.Public().(ed25519.PublicKey), f.rnd),
	} {
		ev, err := NewEvidence(tx, 9, f.gk, o, fake, cert, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ev.Check(f.ca.cert); err == nil {
			t.Fatalf("%s: framed evidence accepted: %+v", name, got)
		} else {
			t.Logf("%s: refused: %v", name, err)
		}
	}
}

// node issues a node (TLS) certificate, which must never serve as a
// member identity.
func (ca *testCA) node(t testing.TB, id string, pub ed25519.PublicKey, rnd io.Reader) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: id, Organization: []string{"org"}},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rnd, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
