package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// kit is everyone outside the nodes of a local network: the consortium
// admin, the chain CA, each group's issuer (its issuer key, registry and
// admin key) and the members with their key files. It acts only through
// the nodes' HTTP API (package client), as real clients do.
type kit struct {
	t       *testing.T
	ln      *localNet
	admin   ed25519.PrivateKey
	ca      *genesis.CA
	issuers map[string]*issuer
	members map[string]*groupsig.MemberFile // by memberKey(group, label)
	fills   int                             // filler transactions made
}

type issuer struct {
	ik    *groupsig.IssuerKey
	reg   *groupsig.Registry
	admin ed25519.PrivateKey
}

func memberKey(group, label string) string { return group + "/" + label }

// newKit loads the keys of ln's layout: the admin key, the CA, every
// genesis group's issuer and the founding members' key files.
func newKit(t *testing.T, ln *localNet, founders ...string) *kit {
	t.Helper()
	l := ln.layout
	k := &kit{t: t, ln: ln, issuers: map[string]*issuer{}, members: map[string]*groupsig.MemberFile{}}
	var err error
	if k.admin, err = genesis.ReadPrivateKey(l.AdminKey()); err != nil {
		t.Fatal(err)
	}
	if k.ca, err = genesis.LoadCA(l.CACert(), l.CAKey()); err != nil {
		t.Fatal(err)
	}
	for _, g := range l.Groups {
		is := &issuer{}
		if is.ik, is.reg, err = l.GroupDir(g).Load(); err != nil {
			t.Fatal(err)
		}
		if is.admin, err = genesis.ReadPrivateKey(l.GroupAdminKey(g)); err != nil {
			t.Fatal(err)
		}
		k.issuers[g] = is
		for _, label := range founders {
			mf, err := groupsig.ReadMemberFile(l.MemberKey(g, label))
			if err != nil {
				t.Fatal(err)
			}
			k.members[memberKey(g, label)] = mf
		}
	}
	return k
}

func (k *kit) c(i int) *client.Client { return k.ln.client(i) }

// expiry is node i's height plus 100 blocks.
func (k *kit) expiry(ctx context.Context, i int) uint64 {
	k.t.Helper()
	st, err := k.c(i).Status(ctx)
	if err != nil {
		k.t.Fatalf("node %d status: %v", i, err)
	}
	return st.Height + 100
}

// signed fills chain id, expiry (from node i) and nonce, and signs tx
// with an Ed25519 key (admin kinds and join requests).
func (k *kit) signed(ctx context.Context, i int, tx *chain.Tx, key ed25519.PrivateKey) *chain.Tx {
	k.t.Helper()
	tx.ChainID, tx.Expiry = "veil-local", k.expiry(ctx, i)
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := tx.SignAdmin(key); err != nil {
		k.t.Fatal(err)
	}
	return tx
}

// anon signs an anonymous transaction as a member with its current key
// file, tagged (one action per member on a tagged topic) or not.
func (k *kit) anon(ctx context.Context, i int, group, label, topic, payload string, tagged bool) *chain.Tx {
	k.t.Helper()
	mf := k.members[memberKey(group, label)]
	if mf == nil {
		k.t.Fatalf("no member %s of %s", label, group)
	}
	return signWith(k.t, mf, group, topic, payload, tagged, k.expiry(ctx, i))
}

func signWith(t *testing.T, mf *groupsig.MemberFile, group, topic, payload string, tagged bool, expiry uint64) *chain.Tx {
	t.Helper()
	tx := &chain.Tx{ChainID: "veil-local", Expiry: expiry, Group: group, Epoch: mf.Key.Epoch(), Topic: topic, Payload: []byte(payload)}
	tx.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := tx.SignAnonymous(mf.Group, mf.Key, tagged, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return tx
}

// submit sends tx to node i and fails the test if it is refused.
func (k *kit) submit(ctx context.Context, i int, tx *chain.Tx) string {
	k.t.Helper()
	id, err := k.c(i).Submit(ctx, tx)
	if err != nil {
		k.t.Fatalf("node %d refused a %s transaction: %v", i, tx.Kind, err)
	}
	return id
}

// refused sends tx to node i and fails the test unless the node refuses
// it with 400 and code.
func (k *kit) refused(ctx context.Context, i int, tx *chain.Tx, code, what string) {
	k.t.Helper()
	_, err := k.c(i).Submit(ctx, tx)
	var e *client.Error
	if !errors.As(err, &e) || e.Code != code || e.Status != 400 {
		k.t.Fatalf("%s on node %d: got %v, want 400 %s", what, i, err, code)
	}
}

// waitCommitted waits until node i reports every id committed.
func (k *kit) waitCommitted(ctx context.Context, i int, ids ...string) {
	k.t.Helper()
	for _, id := range ids {
		waitFor(k.t, ctx, fmt.Sprintf("tx %.8s committed on node %d", id, i), func() bool {
			r, err := k.c(i).Tx(ctx, id)
			return err == nil && r.Status == "committed"
		})
	}
}

// commit submits txs to node i and waits until every running node has
// them committed, so that the next check on any node sees them.
func (k *kit) commit(ctx context.Context, i int, txs ...*chain.Tx) {
	k.t.Helper()
	var ids []string
	for _, tx := range txs {
		ids = append(ids, k.submit(ctx, i, tx))
	}
	k.waitEverywhere(ctx, ids...)
}

// waitEverywhere waits until every running node has the ids committed.
func (k *kit) waitEverywhere(ctx context.Context, ids ...string) {
	k.t.Helper()
	for _, j := range k.ln.running() {
		k.waitCommitted(ctx, j, ids...)
	}
}

// joinRequest makes a new member's identity key, its certificate from the
// chain CA, and its join request to group as published on node i (gpk_0
// with its proofs, checked), signed by the identity key.
func (k *kit) joinRequest(ctx context.Context, i int, group, label string) (*chain.Tx, *groupsig.JoinRequest, *groupsig.JoinSecret) {
	k.t.Helper()
	_, id, _ := ed25519.GenerateKey(rand.Reader)
	cert := k.memberCert(k.ca, "org-"+label, label, id)
	gk, ip, op, err := k.c(i).GroupOrigin(ctx, group)
	if err != nil {
		k.t.Fatal(err)
	}
	req, js, err := groupsig.NewJoinRequest(gk, ip, op, label, id, rand.Reader)
	if err != nil {
		k.t.Fatal(err)
	}
	reqb, _ := req.MarshalBinary()
	return k.signed(ctx, i, &chain.Tx{Kind: chain.KindJoinRequest, Group: group, JoinRequest: reqb, MemberCert: cert}, id), req, js
}

// memberCert is a member identity certificate (DER) for id's public key.
func (k *kit) memberCert(ca *genesis.CA, org, label string, id ed25519.PrivateKey) []byte {
	k.t.Helper()
	pemCert, err := ca.IssueMember(org, label, id.Public().(ed25519.PublicKey), time.Hour, rand.Reader)
	if err != nil {
		k.t.Fatal(err)
	}
	c, err := genesis.ParseCertificatePEM(pemCert)
	if err != nil {
		k.t.Fatal(err)
	}
	return c.Raw
}

// joinResponse is the issuer's answer to req, signed by its admin key.
func (k *kit) joinResponse(ctx context.Context, i int, group string, req *groupsig.JoinRequest) (*chain.Tx, *groupsig.JoinResponse) {
	k.t.Helper()
	is := k.issuers[group]
	resp, err := is.reg.Issue(is.ik, req, rand.Reader)
	if err != nil {
		k.t.Fatal(err)
	}
	respb, _ := resp.MarshalBinary()
	return k.signed(ctx, i, &chain.Tx{Kind: chain.KindJoinResponse, Group: group, JoinResponse: respb}, is.admin), resp
}

// join runs a whole join by transaction: the request goes to node reqAt
// and shows as pending on node seeAt, the response goes to node respAt,
// and the member finishes its key from the response and the group key of
// node seeAt. The member is then in the kit. Each step waits until every
// running node has committed the last.
func (k *kit) join(ctx context.Context, group, label string, reqAt, seeAt, respAt int) *groupsig.MemberFile {
	k.t.Helper()
	reqTx, req, js := k.joinRequest(ctx, reqAt, group, label)
	k.waitEverywhere(ctx, k.submit(ctx, reqAt, reqTx))
	g, err := k.c(seeAt).Group(ctx, group)
	if err != nil {
		k.t.Fatal(err)
	}
	h := req.Hash()
	if !hasPending(g, label, fmt.Sprintf("%x", h[:])) {
		k.t.Fatalf("node %d does not show %s's join request as pending: %+v", seeAt, label, g.Pending)
	}
	return k.finishJoin(ctx, respAt, group, label, req, js, seeAt)
}

// finishJoin has the issuer answer a committed join request through node
// respAt and the member finish its key; the member must then be active
// and the request no longer pending on node respAt and the others given.
func (k *kit) finishJoin(ctx context.Context, respAt int, group, label string, req *groupsig.JoinRequest, js *groupsig.JoinSecret, see ...int) *groupsig.MemberFile {
	k.t.Helper()
	respTx, resp := k.joinResponse(ctx, respAt, group, req)
	k.waitEverywhere(ctx, k.submit(ctx, respAt, respTx))
	mk, err := js.Finish(resp)
	if err != nil {
		k.t.Fatal(err)
	}
	gk, err := k.c(respAt).GroupKey(ctx, group, mk.Epoch())
	if err != nil {
		k.t.Fatal(err)
	}
	mf := &groupsig.MemberFile{Key: mk, Label: label, Group: gk}
	k.members[memberKey(group, label)] = mf
	for _, i := range append(see, respAt) {
		if g, err := k.c(i).Group(ctx, group); err != nil || hasPendingLabel(g, label) || memberState(g, label) != "active" {
			k.t.Fatalf("after %s's join response node %d shows %+v (%v)", label, i, g, err)
		}
	}
	return mf
}

func hasPendingLabel(g *api.GroupResponse, label string) bool {
	for _, p := range g.Pending {
		if p.Label == label {
			return true
		}
	}
	return false
}

func hasPending(g *api.GroupResponse, label, hash string) bool {
	for _, p := range g.Pending {
		if p.Label == label && p.Hash == hash {
			return true
		}
	}
	return false
}

func memberState(g *api.GroupResponse, label string) string {
	for _, m := range g.Members {
		if m.Label == label {
			return m.State
		}
	}
	return ""
}

// revokeTx has the issuer revoke labels of group in its registry and
// builds the transaction that publishes the record.
func (k *kit) revokeTx(ctx context.Context, i int, group string, labels ...string) *chain.Tx {
	k.t.Helper()
	is := k.issuers[group]
	rec, err := is.reg.Revoke(is.ik, labels, rand.Reader)
	if err != nil {
		k.t.Fatal(err)
	}
	recb, _ := rec.MarshalBinary()
	return k.signed(ctx, i, &chain.Tx{Kind: chain.KindRevokeMember, Group: group, Revocation: recb}, is.admin)
}

// updateMembers brings every member key of group to the current epoch
// from node i's chain state (client.UpdateMemberKey); revoked members
// keep their old key files, and their labels are returned.
func (k *kit) updateMembers(ctx context.Context, i int, group string) (revoked []string) {
	k.t.Helper()
	for key, mf := range k.members {
		if key != memberKey(group, mf.Label) {
			continue
		}
		up, err := k.c(i).UpdateMemberKey(ctx, group, mf)
		if errors.Is(err, groupsig.ErrRevoked) {
			revoked = append(revoked, mf.Label)
			continue
		}
		if err != nil {
			k.t.Fatalf("update %s's key: %v", mf.Label, err)
		}
		k.members[key] = up
	}
	return revoked
}

// ruleTx sets a topic's rule (consortium admin).
func (k *kit) ruleTx(ctx context.Context, i int, topic string, rule chain.TopicRule) *chain.Tx {
	return k.signed(ctx, i, &chain.Tx{Kind: chain.KindTopicRule, Topic: topic, Rule: rule}, k.admin)
}

// snapshotOf is what a node serves about a group's members and a topic:
// the register, every member's join record and the topic's tally.
type snapshotOf struct {
	Group       *api.GroupResponse
	Records     map[string]*api.MemberResponse
	Revocations [][]byte
	Topic       *api.TopicResponse
}

func (k *kit) read(ctx context.Context, i int, group, topic string) snapshotOf {
	k.t.Helper()
	g, err := k.c(i).Group(ctx, group)
	if err != nil {
		k.t.Fatalf("node %d group %s: %v", i, group, err)
	}
	s := snapshotOf{Group: g, Records: map[string]*api.MemberResponse{}}
	for _, m := range g.Members {
		if s.Records[m.Label], err = k.c(i).Member(ctx, group, m.Label); err != nil {
			k.t.Fatalf("node %d member %s: %v", i, m.Label, err)
		}
	}
	if s.Revocations, err = k.c(i).Revocations(ctx, group); err != nil {
		k.t.Fatalf("node %d revocations of %s: %v", i, group, err)
	}
	if s.Topic, err = k.c(i).Topic(ctx, topic); err != nil {
		k.t.Fatalf("node %d topic %s: %v", i, topic, err)
	}
	return s
}

// sameState fails the test unless node i serves want.
func (k *kit) sameState(ctx context.Context, i int, group, topic string, want snapshotOf, when string) {
	k.t.Helper()
	got := k.read(ctx, i, group, topic)
	if !reflect.DeepEqual(got.Group, want.Group) {
		k.t.Errorf("%s: node %d serves group %s as %+v, want %+v", when, i, group, got.Group, want.Group)
	}
	for label, rec := range want.Records {
		if !reflect.DeepEqual(got.Records[label], rec) {
			k.t.Errorf("%s: node %d serves %s's join record as %+v, want %+v", when, i, label, got.Records[label], rec)
		}
	}
	if !reflect.DeepEqual(got.Revocations, want.Revocations) {
		k.t.Errorf("%s: node %d serves %d revocation records of %s, unlike the %d wanted", when, i, len(got.Revocations), group, len(want.Revocations))
	}
	if !reflect.DeepEqual(got.Topic, want.Topic) {
		k.t.Errorf("%s: node %d serves topic %s as %+v, want %+v", when, i, topic, got.Topic, want.Topic)
	}
}

// waitSameHead waits until the nodes report one height and head hash.
func (k *kit) waitSameHead(ctx context.Context, nodes ...int) {
	k.t.Helper()
	waitFor(k.t, ctx, fmt.Sprintf("nodes %v on one head", nodes), func() bool {
		var head string
		for _, i := range nodes {
			st, err := k.c(i).Status(ctx)
			if err != nil {
				return false
			}
			h := fmt.Sprintf("%d/%s", st.Height, st.HeadHash)
			if head != "" && h != head {
				return false
			}
			head = h
		}
		return true
	})
}

// waitLeader waits until every node of nodes names the same leader.
func (k *kit) waitLeader(ctx context.Context, nodes ...int) {
	k.t.Helper()
	waitFor(k.t, ctx, fmt.Sprintf("nodes %v name one leader", nodes), func() bool {
		leader := ""
		for _, i := range nodes {
			st, err := k.c(i).Status(ctx)
			if err != nil || st.Leader == "" || (leader != "" && st.Leader != leader) {
				return false
			}
			leader = st.Leader
		}
		return true
	})
}
