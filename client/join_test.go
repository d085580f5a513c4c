package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// startNode runs a one-node local network with group "g" in-process.
func startNode(t *testing.T) (*genesis.Layout, *Client) {
	t.Helper()
	n := nodetest.Start(t, node.LocalOptions{Nodes: 1, Groups: []string{"g"}})
	return n.Layout, New(n.URL(0))
}

// identity makes an identity key and its member certificate (DER).
func identity(t *testing.T, l *genesis.Layout, org, label string) (ed25519.PrivateKey, []byte) {
	t.Helper()
	ca, err := genesis.LoadCA(l.CACert(), l.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := ca.IssueMember(org, label, pub, 0, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := genesis.ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert.Raw
}

func TestJoinByTransaction(t *testing.T) {
	l, c := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gk, ip, op, err := c.GroupOrigin(ctx, "g")
	if err != nil || gk.Epoch() != 0 {
		t.Fatalf("GroupOrigin: %v (epoch %d)", err, gk.Epoch())
	}
	if _, _, _, err := c.GroupOrigin(ctx, "nope"); !IsCode(err, "not_found") {
		t.Fatalf("GroupOrigin of no group: %v", err)
	}
	key, cert := identity(t, l, "Acme", "alice")
	req1, js1, err := groupsig.NewJoinRequest(gk, ip, op, "alice", key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, err := c.JoinStatus(ctx, "g", req1); err != nil || st != JoinAbsent {
		t.Fatalf("status before posting: %v %v", st, err)
	}
	if _, err := c.AwaitJoinResponse(ctx, "g", req1); !errors.Is(err, ErrJoinDropped) {
		t.Fatalf("await of a request never posted: %v", err)
	}
	other, _ := identity(t, l, "Acme", "alice")
	if _, _, err := c.SubmitJoinRequest(ctx, "g", req1, cert, other); err == nil {
		t.Fatal("a request signed by another identity key was posted")
	}
	if _, _, err := c.SubmitJoinRequest(ctx, "g", req1, cert, key); err != nil {
		t.Fatal(err)
	}
	if st, _, err := c.JoinStatus(ctx, "g", req1); err != nil || st != JoinPending {
		t.Fatalf("status once posted: %v %v", st, err)
	}
	// A second request for the label (another y) is posted too; only one can be answered.
	req2, _, err := groupsig.NewJoinRequest(gk, ip, op, "alice", key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SubmitJoinRequest(ctx, "g", req2, cert, key); err != nil {
		t.Fatal(err)
	}
	_, pending, err := c.PendingJoins(ctx, "g")
	if err != nil || len(pending) != 2 || pending[0].Org != "Acme" || pending[0].Label != "alice" || pending[0].Request.Hash() != pending[0].Hash {
		t.Fatalf("pending: %+v %v", pending, err)
	}

	got := make(chan error, 1)
	var resp *groupsig.JoinResponse
	go func() {
		var err error
		resp, err = c.AwaitJoinResponse(ctx, "g", req1)
		got <- err
	}()
	gd := l.GroupDir("g")
	ik, reg, err := gd.Load()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := genesis.ReadPrivateKey(l.GroupAdminKey("g"))
	if err != nil {
		t.Fatal(err)
	}
	answer, err := reg.Issue(ik, req1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SubmitJoinResponse(ctx, "g", answer, key); !IsCode(err, "bad_admin_signature") {
		t.Fatalf("a response signed by the member: %v", err)
	}
	if _, _, err := c.SubmitJoinResponse(ctx, "g", answer, admin); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	mk, err := js1.Finish(resp)
	if err != nil {
		t.Fatal(err)
	}
	if st, _, err := c.JoinStatus(ctx, "g", req2); err != nil || st != JoinSuperseded {
		t.Fatalf("status of the other request: %v %v", st, err)
	}
	if _, err := c.AwaitJoinResponse(ctx, "g", req2); !errors.Is(err, ErrJoinSuperseded) {
		t.Fatalf("await of a superseded request: %v", err)
	}
	if name, err := c.GroupOf(ctx, gk); err != nil || name != "g" {
		t.Fatalf("GroupOf: %q %v", name, err)
	}

	// Revocation: the record goes on chain; the member can no longer update.
	rec, err := reg.Revoke(ik, []string{"alice"}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SubmitRevocation(ctx, "g", rec, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateMemberKey(ctx, "g", &groupsig.MemberFile{Key: mk, Label: "alice", Group: gk}); !errors.Is(err, groupsig.ErrRevoked) {
		t.Fatalf("update of a revoked member: %v", err)
	}
	if _, err := c.WaitTx(ctx, strings.Repeat("ab", 32)); !errors.Is(err, ErrTxDropped) {
		t.Fatalf("WaitTx of an unknown id: %v", err)
	}
}

func TestJoinPolicy(t *testing.T) {
	p, err := ParseJoinPolicy([]byte(`{"groups": {"payments": ["Acme Bank", "Globex"], "open": ["*"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		group, org string
		ok         bool
	}{{"payments", "Acme Bank", true}, {"payments", "Globex", true}, {"payments", "Initech", false}, {"open", "anyone", true}, {"other", "Acme Bank", false}} {
		if ok, why := p.Allows(c.group, c.org); ok != c.ok || (!ok && why == "") {
			t.Errorf("Allows(%q, %q) = %v %q", c.group, c.org, ok, why)
		}
	}
	for _, bad := range []string{`{}`, `{"groups": {"Bad Name": []}}`, `{"groups": {"g": [""]}}`, `{"groups": {}, "extra": 1}`, `[`} {
		if _, err := ParseJoinPolicy([]byte(bad)); err == nil {
			t.Errorf("policy %s accepted", bad)
		}
	}
}
