package ui_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/node"
	"github.com/veilchain/veil/node/nodetest"
)

// testNet is a real local network run in this process (nodetest.Start),
// and the keys of everyone outside it: the consortium
// admin, the chain CA, group acme's issuer and its founding members. It
// acts on the network only through the nodes' HTTP API, as clients do.
type testNet struct {
	t       *testing.T
	layout  *genesis.Layout
	net     *nodetest.Network
	admin   ed25519.PrivateKey
	ca      *genesis.CA
	ik      *groupsig.IssuerKey
	reg     *groupsig.Registry
	issuer  ed25519.PrivateKey
	members map[string]*groupsig.MemberFile // acme's, by label
}

const group = "acme"

// startNet starts n nodes of which the first validators vote (the others
// observe), with group acme founded by members.
func startNet(t *testing.T, n, validators int, members ...string) *testNet {
	t.Helper()
	net := nodetest.Start(t, node.LocalOptions{Nodes: n, Validators: validators, Groups: []string{group}, Members: members,
		Tweak: func(c *node.Config) { c.BlockInterval = node.Duration{Duration: 100 * time.Millisecond} }})
	l := net.Layout
	var err error
	tn := &testNet{t: t, layout: l, net: net, members: map[string]*groupsig.MemberFile{}}
	if tn.admin, err = genesis.ReadPrivateKey(l.AdminKey()); err != nil {
		t.Fatal(err)
	}
	if tn.ca, err = genesis.LoadCA(l.CACert(), l.CAKey()); err != nil {
		t.Fatal(err)
	}
	if tn.ik, tn.reg, err = l.GroupDir(group).Load(); err != nil {
		t.Fatal(err)
	}
	if tn.issuer, err = genesis.ReadPrivateKey(l.GroupAdminKey(group)); err != nil {
		t.Fatal(err)
	}
	for _, label := range members {
		if tn.members[label], err = groupsig.ReadMemberFile(l.MemberKey(group, label)); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

// stop stops node i (1-based) and waits until it has stopped.
func (tn *testNet) stop(i int) { tn.net.Stop(i - 1) }

// live lists the nodes (1-based) not stopped.
func (tn *testNet) live() []int {
	var out []int
	for i := range tn.net.Nodes {
		if tn.net.Running(i) {
			out = append(out, i+1)
		}
	}
	return out
}

// url is node i's API (and console) base URL.
func (tn *testNet) url(i int) string { return tn.net.URL(i - 1) }

func (tn *testNet) c(i int) *client.Client { return client.New(tn.url(i)) }

// waitReady waits until every node answers /readyz 200 and they agree on
// the head.
func (tn *testNet) waitReady(ctx context.Context) {
	tn.t.Helper()
	waitFor(tn.t, ctx, "every node ready", func() bool {
		for _, i := range tn.live() {
			resp, err := http.Get(tn.url(i) + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return false
			}
		}
		return true
	})
}

func (tn *testNet) expiry(ctx context.Context) uint64 {
	tn.t.Helper()
	st, err := tn.c(1).Status(ctx)
	if err != nil {
		tn.t.Fatal(err)
	}
	return st.Height + 100
}

// anon is an anonymous transaction of member label, under its key file's
// epoch.
func (tn *testNet) anon(ctx context.Context, label, topic, payload string, tagged bool) *chain.Tx {
	tn.t.Helper()
	mf := tn.members[label]
	tx := &chain.Tx{ChainID: "veil-local", Expiry: tn.expiry(ctx), Group: group, Epoch: mf.Key.Epoch(), Topic: topic, Payload: []byte(payload)}
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := tx.SignAnonymous(mf.Group, mf.Key, tagged, rand.Reader); err != nil {
		tn.t.Fatal(err)
	}
	return tx
}

// signed fills in chain, expiry and nonce and signs tx with an Ed25519 key
// (admin kinds, join requests).
func (tn *testNet) signed(ctx context.Context, tx *chain.Tx, key ed25519.PrivateKey) *chain.Tx {
	tn.t.Helper()
	tx.ChainID, tx.Expiry = "veil-local", tn.expiry(ctx)
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := tx.SignAdmin(key); err != nil {
		tn.t.Fatal(err)
	}
	return tx
}

// ruleTx sets a topic's rule (consortium admin).
func (tn *testNet) ruleTx(ctx context.Context, topic string, rule chain.TopicRule) *chain.Tx {
	return tn.signed(ctx, &chain.Tx{Kind: chain.KindTopicRule, Topic: topic, Rule: rule}, tn.admin)
}

// revokeTx has the issuer revoke labels in its registry, and is the
// transaction that publishes the record (signed by the group admin key).
func (tn *testNet) revokeTx(ctx context.Context, labels ...string) *chain.Tx {
	tn.t.Helper()
	rec, err := tn.reg.Revoke(tn.ik, labels, rand.Reader)
	if err != nil {
		tn.t.Fatal(err)
	}
	recb, err := rec.MarshalBinary()
	if err != nil {
		tn.t.Fatal(err)
	}
	return tn.signed(ctx, &chain.Tx{Kind: chain.KindRevokeMember, Group: group, Revocation: recb}, tn.issuer)
}

// joinRequestTx is a new member's join request to acme: its identity key,
// a certificate from the chain CA for org, and the request made against
// the group's published key and proofs.
func (tn *testNet) joinRequestTx(ctx context.Context, label, org string) *chain.Tx {
	tn.t.Helper()
	_, id, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tn.t.Fatal(err)
	}
	pemCert, err := tn.ca.IssueMember(org, label, id.Public().(ed25519.PublicKey), time.Hour, rand.Reader)
	if err != nil {
		tn.t.Fatal(err)
	}
	cert, err := genesis.ParseCertificatePEM(pemCert)
	if err != nil {
		tn.t.Fatal(err)
	}
	gk, ip, op, err := tn.c(1).GroupOrigin(ctx, group)
	if err != nil {
		tn.t.Fatal(err)
	}
	req, _, err := groupsig.NewJoinRequest(gk, ip, op, label, id, rand.Reader)
	if err != nil {
		tn.t.Fatal(err)
	}
	reqb, err := req.MarshalBinary()
	if err != nil {
		tn.t.Fatal(err)
	}
	return tn.signed(ctx, &chain.Tx{Kind: chain.KindJoinRequest, Group: group, JoinRequest: reqb, MemberCert: cert.Raw}, id)
}

// submit sends tx to node 1 and fails the test if it is refused.
func (tn *testNet) submit(ctx context.Context, tx *chain.Tx) string {
	tn.t.Helper()
	id, err := tn.c(1).Submit(ctx, tx)
	if err != nil {
		tn.t.Fatalf("node 1 refused a %s transaction: %v", tx.Kind, err)
	}
	return id
}

// refused sends tx to node 1 and fails the test unless it is refused with
// code.
func (tn *testNet) refused(ctx context.Context, tx *chain.Tx, code string) {
	tn.t.Helper()
	_, err := tn.c(1).Submit(ctx, tx)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != code {
		tn.t.Fatalf("submit %s: got %v, want refusal %s", tx.Kind, err, code)
	}
}

// commit submits txs to node 1 and waits until every running node has
// them committed; it returns their ids and the height of the last.
func (tn *testNet) commit(ctx context.Context, txs ...*chain.Tx) ([]string, uint64) {
	tn.t.Helper()
	var ids []string
	for _, tx := range txs {
		ids = append(ids, tn.submit(ctx, tx))
	}
	var top uint64
	for _, i := range tn.live() {
		for _, id := range ids {
			waitFor(tn.t, ctx, fmt.Sprintf("tx %.8s committed on node %d", id, i), func() bool {
				r, err := tn.c(i).Tx(ctx, id)
				if err == nil && r.Status == "committed" {
					top = max(top, *r.Height)
					return true
				}
				return false
			})
		}
	}
	return ids, top
}

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
