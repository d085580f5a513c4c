package api

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

// committeeEnv is env with a 2-of-3 committee of acme dealt from the
// group's opener key, its authorities certified by the chain's CA.
type committeeEnv struct {
	*env
	cm     *groupsig.Committee
	shares []*groupsig.Share
	ids    []ed25519.PrivateKey
	certs  [][]byte
}

func newCommitteeEnv(t *testing.T) *committeeEnv {
	e := newEnv(t, Config{})
	ca, err := genesis.LoadCA(e.layout.CACert(), e.layout.CAKey())
	if err != nil {
		t.Fatal(err)
	}
	ok := new(groupsig.OpenerKey)
	if _, err := groupsig.ReadFile(e.layout.GroupDir("acme").OpenerKeyPath(), ok); err != nil {
		t.Fatal(err)
	}
	ce := &committeeEnv{env: e}
	var auths []groupsig.Authority
	for _, l := range []string{"regulator", "acme-audit", "globex-audit"} {
		pub, id, _ := ed25519.GenerateKey(e.rnd)
		pemCert, err := ca.IssueMember("org-"+l, l, pub, 0, e.rnd)
		if err != nil {
			t.Fatal(err)
		}
		c, err := genesis.ParseCertificatePEM(pemCert)
		if err != nil {
			t.Fatal(err)
		}
		ce.ids, ce.certs = append(ce.ids, id), append(ce.certs, c.Raw)
		auths = append(auths, groupsig.Authority{Label: l, IdentityKey: pub})
	}
	if ce.cm, ce.shares, err = groupsig.Deal(ok, 2, auths, e.rnd); err != nil {
		t.Fatal(err)
	}
	return ce
}

func raw(t *testing.T, v interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// submit posts tx and fails the test unless it is admitted.
func (e *committeeEnv) submit(t *testing.T, tx *chain.Tx) {
	t.Helper()
	if st, eb, _ := e.post(t, txBody(tx)); st != 202 {
		t.Fatalf("%s: %d %+v", tx.Kind, st, eb)
	}
}

func (e *committeeEnv) authTx(kind chain.Kind, obj []byte, subject [32]byte, i int) *chain.Tx {
	return e.adminTx(&chain.Tx{Kind: kind, Group: "acme", Object: obj, Subject: subject}, e.ids[i-1])
}

func TestCommitteeAndOpeningsEndpoints(t *testing.T) {
	e := newCommitteeEnv(t)
	gk := e.members["alice"].Group
	var cr CommitteeResponse
	if st := getJSON(t, e.srv.URL+"/v1/groups/acme/committee", &cr); st != 200 || cr.Active != nil || cr.Pending != nil || len(cr.History) != 0 {
		t.Fatalf("no committee yet: %d %+v", st, cr)
	}
	var eb ErrorBody
	if st := getJSON(t, e.srv.URL+"/v1/groups/nope/committee", &eb); st != 404 || eb.Error.Code != "not_found" {
		t.Fatalf("unknown group: %d %+v", st, eb)
	}
	// Follow the events from here.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()

	adsig, err := groupsig.AuthorizeCommittee(e.admin, gk, e.cm)
	if err != nil {
		t.Fatal(err)
	}
	ctx2 := &chain.Tx{Kind: chain.KindCommittee, ChainID: "api-test", Expiry: e.ledger.Head().Height + 50, Nonce: e.nonce(), Group: "acme",
		Committee: raw(t, e.cm), AuthorityCerts: e.certs, AdminSig: adsig}
	if err := ctx2.Seal(); err != nil {
		t.Fatal(err)
	}
	e.submit(t, ctx2)
	subj := e.anon("alice", "orders", "pay 10")
	e.submit(t, subj)
	posted := e.commit().Block.Height
	if getJSON(t, e.srv.URL+"/v1/groups/acme/committee", &cr); cr.Pending == nil || cr.Pending.Status != "pending" || cr.Pending.Threshold != 2 || cr.Pending.N != 3 ||
		cr.Pending.Height != posted || cr.Pending.Authorization != "admin" || cr.Pending.Authorities[1].Label != "acme-audit" || cr.Pending.Authorities[1].Org != "org-acme-audit" ||
		cr.Pending.ShareProofs != 0 || cr.Pending.ExpiresAfter != posted+chain.CommitteeExpiryBlocks || cr.Pending.ExpiresAfterTime == nil {
		t.Fatalf("pending: %+v", cr.Pending)
	}
	cref := e.cm.Ref()
	if cr.Pending.Ref != hex.EncodeToString(cref[:]) || cr.Pending.Committee != hex.EncodeToString(raw(t, e.cm)) {
		t.Fatal("pending committee's cref or encoding")
	}
	for i, sh := range e.shares {
		p, err := groupsig.NewShareProof(gk, e.cm, sh, e.ids[i], e.rnd)
		if err != nil {
			t.Fatal(err)
		}
		e.submit(t, e.authTx(chain.KindShareProof, raw(t, p), [32]byte{}, i+1))
	}
	e.commit()
	if getJSON(t, e.srv.URL+"/v1/groups/acme/committee", &cr); cr.Active == nil || cr.Active.ShareProofs != 3 || cr.Pending != nil || cr.Active.ExpiresAfter != 0 {
		t.Fatalf("active: %+v", cr)
	}

	id, cid := subj.ID(), ctx2.ID()
	idHex, cidHex := hex.EncodeToString(id[:]), hex.EncodeToString(cid[:])
	var op OpeningsResponse
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+idHex+"/openings", &op); st != 200 || op.Opened || len(op.Rounds) != 0 || op.Group != "acme" {
		t.Fatalf("no openings yet: %d %+v", st, op)
	}
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+strings.Repeat("ab", 32)+"/openings", &eb); st != 404 || eb.Error.Code != "not_found" {
		t.Fatalf("unknown tx: %d %+v", st, eb)
	}
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+cidHex+"/openings", &eb); st != 404 {
		t.Fatalf("a committee transaction has no openings: %d %+v", st, eb)
	}
	var consents []*groupsig.Consent
	for i := 1; i <= 2; i++ {
		c, err := groupsig.NewConsent(e.cm, subj.Epoch, subj.Auth, i, e.ids[i-1])
		if err != nil {
			t.Fatal(err)
		}
		consents = append(consents, c)
		e.submit(t, e.authTx(chain.KindConsent, raw(t, c), id, i))
	}
	e.commit()
	// The refusal codes reach the API's clients.
	c3, _ := groupsig.NewConsent(e.cm, subj.Epoch, subj.Auth, 1, e.ids[0])
	if st, eb, _ := e.post(t, txBody(e.authTx(chain.KindConsent, raw(t, c3), id, 1))); st != 400 || eb.Error.Code != "already_recorded" {
		t.Fatalf("a second consent: %d %+v", st, eb)
	}
	for i := 1; i <= 2; i++ {
		p, err := groupsig.NewPartialOpening(gk, e.cm, e.shares[i-1], id[:], nil, subj.Auth, consents, e.ids[i-1], e.rnd)
		if err != nil {
			t.Fatal(err)
		}
		e.submit(t, e.authTx(chain.KindPartialOpening, raw(t, p), id, i))
	}
	opened := e.commit().Block.Height
	if st := getJSON(t, e.srv.URL+"/v1/txs/"+idHex+"/openings", &op); st != 200 || !op.Opened || op.Opening == nil || op.Opening.Label != "alice" ||
		op.Opening.Height != opened || op.Opening.Epoch != 0 || len(op.Rounds) != 1 || len(op.Rounds[0].Consents) != 2 || len(op.Rounds[0].Partials) != 2 ||
		op.Rounds[0].Consents[1].Label != "acme-audit" || op.Rounds[0].Status != "active" || op.Rounds[0].Threshold != 2 {
		t.Fatalf("opened: %d %+v", st, op)
	}
	var m MemberResponse
	getJSON(t, e.srv.URL+"/v1/groups/acme/members/alice", &m)
	if op.Opening.A != m.A {
		t.Fatalf("the opening names A %s, alice's is %s", op.Opening.A, m.A)
	}
	// The transaction view of a threshold kind.
	var tr TxResponse
	partialTx := op.Rounds[0].Partials[0].Tx
	if getJSON(t, e.srv.URL+"/v1/txs/"+partialTx, &tr); tr.Kind != "partial_opening" || tr.Subject != idHex || tr.Authority != 1 || tr.CommitteeRef != cr.Active.Ref || tr.Object == "" {
		t.Fatalf("partial opening tx: %+v", tr)
	}
	if getJSON(t, e.srv.URL+"/v1/txs/"+cidHex, &tr); tr.Kind != "committee" || len(tr.AuthorityCerts) != 3 || tr.AdminSig == "" {
		t.Fatalf("committee tx: %+v", tr)
	}
	if _, err := x509.ParseCertificate(mustHex(t, tr.AuthorityCerts[0])); err != nil {
		t.Fatal(err)
	}

	// The event stream told each step: the committee pending and active,
	// every act with its authority, and the opening with its label.
	var kinds []string
	var openingEv *OpeningEvent
	statuses := map[string]bool{}
	for openingEv == nil {
		var ev Event
		if err := wsjson.Read(ctx, conn, &ev); err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case "tx":
			kinds = append(kinds, ev.Tx.Kind)
			if strings.Contains("committee approval share_proof consent partial_opening", ev.Tx.Kind) && ev.Tx.Committee != cr.Active.Ref {
				t.Fatalf("tx event without its committee: %+v", ev.Tx)
			}
			if ev.Tx.Kind == "consent" && (ev.Tx.Authority == 0 || ev.Tx.Subject != idHex) {
				t.Fatalf("consent event: %+v", ev.Tx)
			}
		case "committee":
			statuses[ev.Committee.Status] = true
		case "opening":
			openingEv = ev.Opening
		}
	}
	if !statuses["pending"] || !statuses["active"] || openingEv.Label != "alice" || openingEv.Tx != idHex || len(kinds) != 1+1+3+2+2 {
		t.Fatalf("events: kinds %v, statuses %v, opening %+v", kinds, statuses, openingEv)
	}
	// Replayed from a height, the same opening event.
	conn2, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/v1/events?from_height="+strconv.FormatUint(opened, 10), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.CloseNow()
	for {
		var ev Event
		if err := wsjson.Read(ctx, conn2, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "opening" {
			if ev.Opening.Label != "alice" || ev.Height != opened {
				t.Fatalf("replayed opening: %+v", ev)
			}
			break
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
