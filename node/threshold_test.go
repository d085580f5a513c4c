package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

// TestSnapshotRestoreKeepsThresholdState: a node that was down while a
// committee was posted, activated and opened a transaction catches up
// through a raft snapshot install, and holds the same committee and
// opening record as the others; the one-per-authority rules still hold
// on it, and it takes the next opening's acts. Then every node restarts
// and the state is unchanged.
func TestSnapshotRestoreKeepsThresholdState(t *testing.T) {
	const snapshotEvery = 16
	ln := startLocalWith(t, 3, netOptions{members: []string{"alice", "bob"}, tweak: func(c *Config) {
		c.RaftLogBytes = 8 << 10 // one-tx blocks: a snapshot keeps 4 KiB, fewer than snapshotEvery entries
		c.MaxBlockTxs = 1
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := newKit(t, ln, "alice", "bob")
	k.waitLeader(ctx, 1, 2, 3)
	ln.stop(3)
	stoppedAt := lastRaftIndex(t, ln.nodes[3].cfg.DataDir)
	k.waitLeader(ctx, 1, 2)

	gk, _, _, err := k.c(1).GroupOrigin(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ok := new(groupsig.OpenerKey)
	if _, err := groupsig.ReadFile(ln.layout.GroupDir("acme").OpenerKeyPath(), ok); err != nil {
		t.Fatal(err)
	}
	var auths []groupsig.Authority
	var ids []ed25519.PrivateKey
	var certs [][]byte
	for _, l := range []string{"regulator", "acme-audit", "globex-audit"} {
		_, id, _ := ed25519.GenerateKey(rand.Reader)
		ids, certs = append(ids, id), append(certs, k.memberCert(k.ca, "org-"+l, l, id))
		auths = append(auths, groupsig.Authority{Label: l, IdentityKey: id.Public().(ed25519.PublicKey)})
	}
	cm, shares, err := groupsig.Deal(ok, 2, auths, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	adsig, _ := groupsig.AuthorizeCommittee(k.admin, gk, cm)
	raw, _ := cm.MarshalBinary()
	ctx1 := &chain.Tx{Kind: chain.KindCommittee, ChainID: "veil-local", Expiry: k.expiry(ctx, 1), Group: "acme", Committee: raw, AuthorityCerts: certs, AdminSig: adsig}
	ctx1.Nonce, _ = chain.NewNonce(rand.Reader)
	if err := ctx1.Seal(); err != nil {
		t.Fatal(err)
	}
	k.commit(ctx, 1, ctx1)
	for i, sh := range shares {
		p, err := groupsig.NewShareProof(gk, cm, sh, ids[i], rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pb, _ := p.MarshalBinary()
		k.commit(ctx, 1+i%2, k.signed(ctx, 1, &chain.Tx{Kind: chain.KindShareProof, Group: "acme", Object: pb}, ids[i]))
	}
	subj := k.anon(ctx, 1, "acme", "alice", "orders", "pay 10", false)
	k.commit(ctx, 1, subj)
	other := k.anon(ctx, 2, "acme", "bob", "orders", "pay 11", false)
	k.commit(ctx, 2, other)
	act := func(at int, kind chain.Kind, subject *chain.Tx, i int, obj interface{ MarshalBinary() ([]byte, error) }) *chain.Tx {
		b, _ := obj.MarshalBinary()
		return k.signed(ctx, at, &chain.Tx{Kind: kind, Group: "acme", Subject: subject.ID(), Object: b}, ids[i-1])
	}
	consent := func(subject *chain.Tx, i int) *groupsig.Consent {
		c, err := groupsig.NewConsent(cm, subject.Epoch, subject.Auth, i, ids[i-1])
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	partial := func(subject *chain.Tx, i int, cs []*groupsig.Consent) *groupsig.PartialOpening {
		id := subject.ID()
		p, err := groupsig.NewPartialOpening(gk, cm, shares[i-1], id[:], nil, subject.Auth, cs, ids[i-1], rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cs := []*groupsig.Consent{consent(subj, 1), consent(subj, 3)}
	k.commit(ctx, 1, act(1, chain.KindConsent, subj, 1, cs[0]))
	k.commit(ctx, 2, act(2, chain.KindConsent, subj, 3, cs[1]))
	k.commit(ctx, 1, act(1, chain.KindPartialOpening, subj, 1, partial(subj, 1, cs)))
	k.commit(ctx, 2, act(2, chain.KindPartialOpening, subj, 3, partial(subj, 3, cs)))
	// A second opening under way: one consent.
	k.commit(ctx, 1, act(1, chain.KindConsent, other, 2, consent(other, 2)))
	var fill []string
	for range 3 * snapshotEvery {
		fill = append(fill, k.submitOnce(ctx, 1, nil)...)
	}
	k.waitCommitted(ctx, 1, fill...)
	k.waitCommitted(ctx, 2, fill[len(fill)-1])
	waitFor(t, ctx, fmt.Sprintf("a raft snapshot on the leader past index %d", stoppedAt+snapshotEvery), func() bool {
		return newestSnapshot(filepath.Join(ln.leader().cfg.DataDir, "raft", "snapshots", "snapshots")) > stoppedAt+snapshotEvery
	})
	ln.start(3)
	k.waitSameHead(ctx, 1, 2, 3)
	if ln.restores[3].fromPeers() == 0 {
		t.Fatal("node 3 caught up from the raft log alone: no snapshot was installed")
	}
	sid, oid := subj.ID(), other.ID()
	read := func(i int) (*api.CommitteeResponse, *api.OpeningsResponse, *api.OpeningsResponse) {
		cr, err := k.c(i).Committees(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		op, err := k.c(i).Openings(ctx, hex.EncodeToString(sid[:]))
		if err != nil {
			t.Fatal(err)
		}
		op2, err := k.c(i).Openings(ctx, hex.EncodeToString(oid[:]))
		if err != nil {
			t.Fatal(err)
		}
		return cr, op, op2
	}
	wantCR, wantOp, wantOp2 := read(1)
	if wantCR.Active == nil || wantCR.Active.ShareProofs != 3 || !wantOp.Opened || wantOp.Opening.Label != "alice" || len(wantOp2.Rounds) != 1 || wantOp2.Opened {
		t.Fatalf("node 1: %+v %+v %+v", wantCR, wantOp, wantOp2)
	}
	same := func(i int, when string) {
		cr, op, op2 := read(i)
		if !reflect.DeepEqual(cr, wantCR) || !reflect.DeepEqual(op, wantOp) || !reflect.DeepEqual(op2, wantOp2) {
			t.Fatalf("node %d %s: committee %+v, openings %+v %+v", i, when, cr, op, op2)
		}
	}
	same(3, "after the snapshot restore")
	k.refused(ctx, 3, act(3, chain.KindConsent, subj, 1, consent(subj, 1)), "already_recorded", "a second consent on the restored node")
	k.refused(ctx, 3, act(3, chain.KindPartialOpening, other, 2, partial(other, 2, []*groupsig.Consent{consent(other, 2), consent(other, 1)})), "insufficient_consents",
		"a partial before t consents on the restored node")
	// Restart every node: the state is read back from LevelDB.
	for i := 1; i <= 3; i++ {
		ln.stop(i)
	}
	for i := 1; i <= 3; i++ {
		ln.start(i)
	}
	k.waitLeader(ctx, 1, 2, 3)
	for i := 1; i <= 3; i++ {
		same(i, "after a restart of every node")
	}
	c2 := consent(other, 1)
	k.commit(ctx, 3, act(3, chain.KindConsent, other, 1, c2))
	k.commit(ctx, 3, act(3, chain.KindPartialOpening, other, 2, partial(other, 2, []*groupsig.Consent{consent(other, 2), c2})))
	k.commit(ctx, 1, act(1, chain.KindPartialOpening, other, 1, partial(other, 1, []*groupsig.Consent{consent(other, 2), c2})))
	if _, op2, _ := read(3); !op2.Opened || op2.Opening.Label != "alice" {
		t.Fatal("the first opening changed")
	}
	if _, _, op2 := read(2); !op2.Opened || op2.Opening.Label != "bob" {
		t.Fatalf("the second opening after the restarts: %+v", op2)
	}
}
