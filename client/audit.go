package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

// ErrNotOpenable: the transaction asked for is not a committed anonymous
// transaction of the opener's group, or the node's copy of it is not the
// one its id names.
var ErrNotOpenable = errors.New("not an openable transaction")

// Opened is a committed anonymous transaction opened from chain data.
type Opened struct {
	Evidence *chain.Evidence   // checked (§5 conditions 1–4); Evidence.Check with the CA adds 5
	Tx       *chain.Tx         // as committed
	Accused  *groupsig.Accused // the member's label and identity key
	Member   api.MemberSummary // its register entry (organisation, state)
	A        []byte            // the certificate the opening revealed
}

// CommittedTx fetches a transaction and decodes its canonical encoding,
// checking that it is the transaction id names; height is 0 while it is
// pending.
func (c *Client) CommittedTx(ctx context.Context, id string) (tx *chain.Tx, height uint64, err error) {
	tr, err := c.Tx(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	raw, err := hex.DecodeString(tr.Raw)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: transaction %s: raw form is not hex", ErrNotOpenable, id)
	}
	if tx, err = chain.DecodeTx(raw); err != nil {
		return nil, 0, fmt.Errorf("%w: transaction %s: %w", ErrNotOpenable, id, err)
	}
	if got := tx.ID(); hex.EncodeToString(got[:]) != id {
		return nil, 0, fmt.Errorf("%w: the node's transaction %s hashes to %x", ErrNotOpenable, id, got)
	}
	if tr.Height != nil {
		height = *tr.Height
	}
	return tx, height, nil
}

// OpenTx opens a committed anonymous transaction with the group's opener
// key (locally: the key never leaves this process) and assembles the
// evidence from chain data alone: the transaction, the group key of its
// epoch, the member whose certificate at that epoch is the opened A (its
// join response's, or the one the revocation record into the epoch
// re-issued), its join record and identity certificate, and the group's
// revocation records. An A that no member on chain holds is refused with
// groupsig.ErrUnknownMember: a certificate made outside the register, by
// the issuer (SPEC-groupsig-v2 §8).
func (c *Client) OpenTx(ctx context.Context, ok *groupsig.OpenerKey, id string) (*Opened, error) {
	tx, height, err := c.CommittedTx(ctx, id)
	if err != nil {
		return nil, err
	}
	if tx.Kind != chain.KindAnonymous || height == 0 {
		return nil, fmt.Errorf("%w: transaction %s is a %s transaction, committed at height %d", ErrNotOpenable, id, tx.Kind, height)
	}
	gk0, err := c.GroupKey(ctx, tx.Group, 0)
	if err != nil {
		return nil, err
	}
	if !ok.GroupKey().SameGroup(gk0) {
		return nil, fmt.Errorf("%w: %w: the opener key is not of group %q", ErrNotOpenable, groupsig.ErrWrongGroup, tx.Group)
	}
	gk, err := gk0.AtEpoch(tx.Epoch)
	if err != nil {
		return nil, err
	}
	txID := tx.ID()
	var scope []byte
	if groupsig.IsTagged(tx.Auth) {
		scope = chain.TopicScope(tx.ChainID, tx.Topic)
	}
	o, err := groupsig.Open(ok, gk, txID[:], scope, tx.Auth, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("open transaction %s: %w", id, err)
	}
	grp, err := c.Group(ctx, tx.Group)
	if err != nil {
		return nil, err
	}
	recs, err := c.RevocationRecords(ctx, tx.Group)
	if err != nil {
		return nil, err
	}
	m, found := MemberAt(grp.Members, recs, tx.Epoch, o.A())
	if !found {
		return nil, fmt.Errorf("%w: transaction %s opens to A = %x, which no member of %q on chain holds at epoch %d: a certificate made outside the register",
			groupsig.ErrUnknownMember, id, o.A(), tx.Group, tx.Epoch)
	}
	join, cert, err := c.JoinRecord(ctx, tx.Group, m.Label)
	if err != nil {
		return nil, err
	}
	ev, err := chain.NewEvidence(tx, height, gk0, o, join, cert, recs)
	if err != nil {
		return nil, err
	}
	accused, err := ev.Group.Check(nil)
	if err != nil {
		return nil, fmt.Errorf("the evidence does not check: %w", err)
	}
	return &Opened{Evidence: ev, Tx: tx, Accused: accused, Member: m, A: o.A()}, nil
}

// MemberAt finds the member whose certificate at epoch e is a: the A of
// its join response if it joined at e, else the one the record into e
// re-issued it (recs in epoch order, as RevocationRecords returns them).
func MemberAt(members []api.MemberSummary, recs []*groupsig.RevocationRecord, e uint64, a []byte) (api.MemberSummary, bool) {
	want := hex.EncodeToString(a)
	for _, m := range members {
		switch {
		case m.Joined == e:
			if m.A == want {
				return m, true
			}
		case m.Joined < e && e <= uint64(len(recs)):
			if got, ok := recs[e-1].ReissuedA(m.Label); ok && bytes.Equal(got, a) {
				return m, true
			}
		}
	}
	return api.MemberSummary{}, false
}
