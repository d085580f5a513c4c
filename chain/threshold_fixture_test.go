package chain

import (
	"crypto/ed25519"
	"testing"

	"github.com/veilchain/veil/groupsig"
)

// authority is one opening authority of the tests: its label, identity
// key and member certificate from the fixture's CA.
type authority struct {
	label string
	id    ed25519.PrivateKey
	cert  []byte
}

// authorities makes the identity keys and CA certificates of labels.
func (f *fixture) authorities(labels ...string) []authority {
	f.t.Helper()
	out := make([]authority, len(labels))
	for i, l := range labels {
		pub, id, _ := ed25519.GenerateKey(f.rnd)
		out[i] = authority{label: l, id: id, cert: f.ca.member(f.t, "org-"+l, l, pub, f.rnd)}
	}
	return out
}

func gsAuthorities(as []authority) []groupsig.Authority {
	out := make([]groupsig.Authority, len(as))
	for i, a := range as {
		out[i] = groupsig.Authority{Label: a.label, IdentityKey: a.id.Public().(ed25519.PublicKey)}
	}
	return out
}

func certsOf(as []authority) [][]byte {
	out := make([][]byte, len(as))
	for i, a := range as {
		out[i] = a.cert
	}
	return out
}

// dealing is a committee with its shares and authorities.
type dealing struct {
	cm     *groupsig.Committee
	shares []*groupsig.Share
	auths  []authority
}

func (d *dealing) raw() []byte {
	b, _ := d.cm.MarshalBinary()
	return b
}

// deal shares ok t-of-len(as).
func (f *fixture) deal(ok *groupsig.OpenerKey, t int, as []authority) *dealing {
	f.t.Helper()
	cm, shares, err := groupsig.Deal(ok, t, gsAuthorities(as), f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	return &dealing{cm: cm, shares: shares, auths: as}
}

// sealed fills tx's chain id, expiry and nonce and seals it (kinds whose
// body authorises them).
func (f *fixture) sealed(tx *Tx) *Tx {
	f.t.Helper()
	tx.ChainID, tx.Expiry, tx.Nonce = testChain, f.ledger.Head().Height+10, f.nonce()
	if err := tx.Seal(); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

// committeeTx posts d with adsig (nil: none).
func (f *fixture) committeeTx(d *dealing, adsig []byte) *Tx {
	return f.sealed(&Tx{Kind: KindCommittee, Group: "acme", Committee: d.raw(), AuthorityCerts: certsOf(d.auths), AdminSig: adsig})
}

// firstCommitteeTx posts d authorised by the consortium admin.
func (f *fixture) firstCommitteeTx(d *dealing) *Tx {
	f.t.Helper()
	adsig, err := groupsig.AuthorizeCommittee(f.admin, f.gk, d.cm)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.committeeTx(d, adsig)
}

// authTx is an authority's transaction of kind carrying obj, signed with
// its identity key.
func (f *fixture) authTx(kind Kind, obj []byte, subject [32]byte, id ed25519.PrivateKey) *Tx {
	return f.admin1(&Tx{Kind: kind, Group: "acme", Object: obj, Subject: subject}, id)
}

func marshal(t testing.TB, v interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shareProofTx is authority i's (1-based) share proof transaction.
func (f *fixture) shareProofTx(d *dealing, i int) *Tx {
	f.t.Helper()
	p, err := groupsig.NewShareProof(f.gk, d.cm, d.shares[i-1], d.auths[i-1].id, f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.authTx(KindShareProof, marshal(f.t, p), [32]byte{}, d.auths[i-1].id)
}

// activate posts every share proof of d, in one block.
func (f *fixture) activate(d *dealing) {
	f.t.Helper()
	var txs []*Tx
	for i := range d.auths {
		txs = append(txs, f.shareProofTx(d, i+1))
	}
	for i, c := range f.commit(txs...) {
		if c != CodeOK {
			f.t.Fatalf("share proof %d: %v", i+1, c)
		}
	}
}

// consent is authority i's consent to open subj's signature.
func (f *fixture) consent(d *dealing, subj *Tx, i int) *groupsig.Consent {
	f.t.Helper()
	c, err := groupsig.NewConsent(d.cm, subj.Epoch, subj.Auth, i, d.auths[i-1].id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) consentTx(d *dealing, subj *Tx, i int) *Tx {
	return f.authTx(KindConsent, marshal(f.t, f.consent(d, subj, i)), subj.ID(), d.auths[i-1].id)
}

// partial is authority i's partial opening of subj's signature, made
// with consents (the release rule's check).
func (f *fixture) partial(d *dealing, subj *Tx, i int, consents []*groupsig.Consent) *groupsig.PartialOpening {
	f.t.Helper()
	gk, err := f.gk.AtEpoch(subj.Epoch)
	if err != nil {
		f.t.Fatal(err)
	}
	id := subj.ID()
	p, err := groupsig.NewPartialOpening(gk, d.cm, d.shares[i-1], id[:], txScope(subj), subj.Auth, consents, d.auths[i-1].id, f.rnd)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) partialTx(d *dealing, subj *Tx, i int, consents []*groupsig.Consent) *Tx {
	return f.authTx(KindPartialOpening, marshal(f.t, f.partial(d, subj, i, consents)), subj.ID(), d.auths[i-1].id)
}

// authorityPrefix is the spec's P for sig_i.
func authorityPrefix(suite groupsig.Suite) string {
	if suite == groupsig.SuiteBN254 {
		return "VEIL-GS2-BN254-AUTHORITY"
	}
	return "VEIL-GS2-BLS12381-AUTHORITY"
}

// resign re-signs an authority's object (its last 64 bytes are sig_i)
// with id, as a dishonest authority would sign a bad object.
func resign(suite groupsig.Suite, obj []byte, id ed25519.PrivateKey) []byte {
	body := obj[:len(obj)-ed25519.SignatureSize]
	return append(append([]byte(nil), body...), ed25519.Sign(id, append([]byte(authorityPrefix(suite)), body...))...)
}

// codes commits txs and checks their codes.
func (f *fixture) want(what string, txs []*Tx, want ...Code) {
	f.t.Helper()
	got := f.commit(txs...)
	for i := range got {
		if got[i] != want[i] {
			f.t.Fatalf("%s: tx %d (%s): %v, want %v", what, i, txs[i].Kind, got[i], want[i])
		}
	}
}

// refuse checks that tx is refused with code, both by CheckTx (the
// mempool) and inside a block.
func (f *fixture) refuse(what string, tx *Tx, code Code) {
	f.t.Helper()
	if err := f.ledger.CheckTx(tx); CodeOf(err) != code {
		f.t.Fatalf("%s: CheckTx: %v (%v), want %v", what, CodeOf(err), err, code)
	}
	if got := f.commit(tx); got[0] != code {
		f.t.Fatalf("%s: in a block: %v, want %v", what, got[0], code)
	}
}
