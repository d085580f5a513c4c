package client

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

// Joining a group by transaction (SPEC-groupsig-v2 §3 on chain): the
// member posts its join request with its identity certificate, signed by
// its identity key; the issuer answers with a join response signed by the
// group's issuer admin key; the member finishes its key from the response
// it finds on chain. Only public data crosses the chain: y stays with the
// member, γ with the issuer.

// Errors of the join flow.
var (
	// ErrJoinSuperseded: the group admitted another request under the
	// label (labels are never reused), so this request can never be
	// answered.
	ErrJoinSuperseded = errors.New("the label is another join request's member")
	// ErrJoinDropped: the request is neither pending nor answered on chain
	// (refused in its block, expired, or dropped when another request took
	// its label or H).
	ErrJoinDropped = errors.New("the join request is not on chain")
	// ErrTxDropped: a submitted transaction left the mempool without
	// taking effect (refused in its block, or expired).
	ErrTxDropped = errors.New("the transaction is neither pending nor committed")
)

// DefaultExpiryIn is how many blocks past the head the helpers here let a
// transaction stay valid.
const DefaultExpiryIn = 100

// pollEvery is how often the waits below look again when no event woke
// them.
const pollEvery = 2 * time.Second

func decodeHexInto(s string, into interface{ UnmarshalBinary([]byte) error }) error {
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not hex: %w", err)
	}
	return into.UnmarshalBinary(b)
}

// GroupOf names the group on chain whose key belongs to the same group as
// gk (at any epoch): a member key file carries its group key, not always
// its group's name.
func (c *Client) GroupOf(ctx context.Context, gk *groupsig.GroupKey) (string, error) {
	names, err := c.Groups(ctx)
	if err != nil {
		return "", err
	}
	for _, name := range names {
		g, err := c.Group(ctx, name)
		if err != nil {
			return "", err
		}
		other := new(groupsig.GroupKey)
		if decodeHexInto(g.GroupKey, other) == nil && other.SameGroup(gk) {
			return name, nil
		}
	}
	ref := gk.Ref()
	return "", fmt.Errorf("no group on this chain has the key of gref %x", ref[:8])
}

// SubmitSigned fills tx's chain id, expiry (expiryIn blocks past the
// head; 0 means DefaultExpiryIn) and nonce from the node, signs it with
// sign and submits it. It returns the id and the height the chain was at
// before (commits follow it). A failure of sign is returned as it is; a
// refusal of the node is an *Error.
func (c *Client) SubmitSigned(ctx context.Context, tx *chain.Tx, expiryIn uint64, sign func(*chain.Tx) error) (string, uint64, error) {
	h, err := c.fillAndSign(ctx, tx, expiryIn, sign)
	if err != nil {
		return "", 0, err
	}
	id, err := c.Submit(ctx, tx)
	if err != nil {
		return "", 0, err
	}
	return id, h, nil
}

// fillAndSign fills tx's chain id, expiry and nonce from the node and
// signs it with sign; it returns the node's height.
func (c *Client) fillAndSign(ctx context.Context, tx *chain.Tx, expiryIn uint64, sign func(*chain.Tx) error) (uint64, error) {
	if expiryIn == 0 {
		expiryIn = DefaultExpiryIn
	}
	st, err := c.Status(ctx)
	if err != nil {
		return 0, err
	}
	tx.ChainID, tx.Expiry = st.ChainID, st.Height+expiryIn
	if tx.Nonce, err = chain.NewNonce(rand.Reader); err != nil {
		return 0, err
	}
	if err := sign(tx); err != nil {
		return 0, err
	}
	return st.Height, nil
}

// submitSignedWait is SubmitSigned then SubmitWait: it returns the id and
// the height the transaction was committed at, resubmitting the same
// bytes if the node loses them meanwhile.
func (c *Client) submitSignedWait(ctx context.Context, tx *chain.Tx, sign func(*chain.Tx) error) (string, uint64, error) {
	if _, err := c.fillAndSign(ctx, tx, 0, sign); err != nil {
		return "", 0, err
	}
	com, err := c.SubmitWait(ctx, tx.Encode(), DefaultSubmitWaitConfig())
	if err != nil {
		return "", 0, err
	}
	return com.ID, com.Height, nil
}

// WaitTx polls until the transaction id is committed and returns its
// height. It returns an error wrapping ErrTxDropped once the node holds
// it neither pending nor committed: refused inside its block (a committed
// transaction that failed validation is kept only as a code) or expired.
func (c *Client) WaitTx(ctx context.Context, id string) (uint64, error) {
	tick := 100 * time.Millisecond
	for {
		tx, err := c.Tx(ctx, id)
		switch {
		case err == nil && tx.Status == "committed" && tx.Height != nil:
			return *tx.Height, nil
		case IsCode(err, api.CodeNotFound):
			return 0, fmt.Errorf("transaction %s: %w", id, ErrTxDropped)
		case err != nil && ctx.Err() == nil:
			var ae *Error
			if errors.As(err, &ae) {
				return 0, err
			}
			// A transient network error: look again.
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for transaction %s: %w", id, ctx.Err())
		case <-time.After(tick):
		}
		tick = min(2*tick, time.Second)
	}
}

// SubmitAdmin signs tx with an Ed25519 key (the consortium admin's, the
// group issuer's or a member's identity key, as tx's kind requires),
// submits it and waits until it is committed (SubmitWait: resubmitted if
// the node loses it). It returns the id and the height it was committed
// at.
func (c *Client) SubmitAdmin(ctx context.Context, tx *chain.Tx, key ed25519.PrivateKey) (string, uint64, error) {
	return c.submitSignedWait(ctx, tx, func(tx *chain.Tx) error { return tx.SignAdmin(key) })
}

// JoinState is where a join request stands on chain.
type JoinState int

// Join states.
const (
	// JoinAbsent: neither pending nor answered (not committed yet, or
	// dropped).
	JoinAbsent JoinState = iota
	// JoinPending: posted, waiting for the issuer's response.
	JoinPending
	// JoinAdmitted: answered; the member is in the group's register.
	JoinAdmitted
	// JoinSuperseded: the group admitted another request under the label.
	JoinSuperseded
)

// String names the state as the CLI prints it.
func (s JoinState) String() string {
	return [...]string{"absent", "pending", "admitted", "superseded"}[s]
}

// JoinStatus looks a join request up in the group's register: admitted
// (with the response that answered it), pending, superseded or absent.
func (c *Client) JoinStatus(ctx context.Context, group string, req *groupsig.JoinRequest) (JoinState, *groupsig.JoinResponse, error) {
	want, err := req.MarshalBinary()
	if err != nil {
		return 0, nil, err
	}
	m, err := c.Member(ctx, group, req.Label())
	if err == nil {
		got, err := hex.DecodeString(m.JoinRequest)
		if err != nil {
			return 0, nil, fmt.Errorf("member %q of %q: join request is not hex: %w", req.Label(), group, err)
		}
		if !bytes.Equal(got, want) {
			return JoinSuperseded, nil, nil
		}
		resp := new(groupsig.JoinResponse)
		if err := decodeHexInto(m.JoinResponse, resp); err != nil {
			return 0, nil, fmt.Errorf("member %q of %q: join response: %w", req.Label(), group, err)
		}
		return JoinAdmitted, resp, nil
	}
	if !IsCode(err, api.CodeNotFound) {
		return 0, nil, err
	}
	g, err := c.Group(ctx, group)
	if err != nil {
		return 0, nil, err
	}
	h := req.Hash()
	if slices.ContainsFunc(g.Pending, func(p api.PendingJoin) bool { return p.Hash == hex.EncodeToString(h[:]) }) {
		return JoinPending, nil, nil
	}
	return JoinAbsent, nil, nil
}

// SubmitJoinRequest posts req with the member's identity certificate
// (DER, from the chain CA), signed by the member's identity key id, and
// waits until it is committed: pending on chain for the issuer to answer.
// It returns the transaction id and its height.
func (c *Client) SubmitJoinRequest(ctx context.Context, group string, req *groupsig.JoinRequest, cert []byte, id ed25519.PrivateKey) (string, uint64, error) {
	enc, err := req.MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	if !bytes.Equal(id.Public().(ed25519.PublicKey), req.IdentityKey()) {
		return "", 0, errors.New("join request: the identity key is not the request's")
	}
	return c.SubmitAdmin(ctx, &chain.Tx{Kind: chain.KindJoinRequest, Group: group, JoinRequest: enc, MemberCert: cert}, id)
}

// AwaitJoinResponse waits until the issuer's response to req is on chain
// and returns it. It follows the node's event stream, looking at the
// register again on every committed join or revocation of the group and
// at least every two seconds (so a broken stream only slows it down). It
// fails with ErrJoinSuperseded when another request took the label, and
// with ErrJoinDropped when the request is not on chain at all.
func (c *Client) AwaitJoinResponse(ctx context.Context, group string, req *groupsig.JoinRequest) (*groupsig.JoinResponse, error) {
	var events <-chan api.Event
	if st, err := c.Status(ctx); err == nil {
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if s, err := c.Events(sctx, EventsOptions{FromHeight: st.Height + 1}); err == nil {
			events = s.C
		}
	}
	h := req.Hash()
	for {
		state, resp, err := c.JoinStatus(ctx, group, req)
		if err != nil && ctx.Err() == nil {
			var ae *Error
			if errors.As(err, &ae) {
				return nil, err
			}
		}
		switch state {
		case JoinAdmitted:
			return resp, nil
		case JoinSuperseded:
			return nil, fmt.Errorf("group %q label %q: %w", group, req.Label(), ErrJoinSuperseded)
		case JoinAbsent:
			if err == nil {
				return nil, fmt.Errorf("group %q request %x: %w", group, h[:8], ErrJoinDropped)
			}
		}
		if err := waitEvent(ctx, &events, group); err != nil {
			return nil, fmt.Errorf("waiting for the issuer to answer join request %x: %w", h[:8], err)
		}
	}
}

// waitEvent blocks until a committed join or revocation of group shows on
// events, the poll interval passes or ctx ends. A closed stream is
// dropped (set to nil) and the wait falls back to polling.
func waitEvent(ctx context.Context, events *<-chan api.Event, group string) error {
	timer := time.NewTimer(pollEvery)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case ev, ok := <-*events:
			if !ok {
				*events = nil
				continue
			}
			if ev.Type == "tx" && ev.Tx != nil && ev.Tx.Group == group &&
				(ev.Tx.Kind == chain.KindJoinResponse.String() || ev.Tx.Kind == chain.KindRevokeMember.String()) {
				return nil
			}
		}
	}
}

// Pending is a join request waiting on chain, decoded.
type Pending struct {
	Hash        [32]byte
	Label       string
	Org         string // from the member's identity certificate, checked by the chain
	IdentityKey ed25519.PublicKey
	Height      uint64
	Request     *groupsig.JoinRequest
	Cert        []byte // DER
}

// PendingJoins returns a group's register with its pending join requests
// decoded, oldest first.
func (c *Client) PendingJoins(ctx context.Context, group string) (*api.GroupResponse, []Pending, error) {
	g, err := c.Group(ctx, group)
	if err != nil {
		return nil, nil, err
	}
	out := make([]Pending, 0, len(g.Pending))
	for _, p := range g.Pending {
		q := Pending{Label: p.Label, Org: p.Org, Height: p.Height, Request: new(groupsig.JoinRequest)}
		h, err := hex.DecodeString(p.Hash)
		if err != nil || len(h) != len(q.Hash) {
			return nil, nil, fmt.Errorf("group %q: pending request hash %q is not 32 bytes of hex", group, p.Hash)
		}
		copy(q.Hash[:], h)
		if err := decodeHexInto(p.JoinRequest, q.Request); err != nil {
			return nil, nil, fmt.Errorf("group %q pending request %s: %w", group, p.Hash, err)
		}
		if q.Request.Hash() != q.Hash {
			return nil, nil, fmt.Errorf("group %q pending request %s: its hash does not match", group, p.Hash)
		}
		q.IdentityKey = q.Request.IdentityKey()
		if q.Cert, err = hex.DecodeString(p.Cert); err != nil {
			return nil, nil, fmt.Errorf("group %q pending request %s: certificate is not hex: %w", group, p.Hash, err)
		}
		out = append(out, q)
	}
	slices.SortStableFunc(out, func(a, b Pending) int {
		if c := cmp.Compare(a.Height, b.Height); c != 0 {
			return c
		}
		return bytes.Compare(a.Hash[:], b.Hash[:])
	})
	return g, out, nil
}

// SubmitJoinResponse posts the issuer's response to a pending request,
// signed by the group's issuer admin key, and waits until it is committed.
func (c *Client) SubmitJoinResponse(ctx context.Context, group string, resp *groupsig.JoinResponse, admin ed25519.PrivateKey) (string, uint64, error) {
	enc, err := resp.MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	return c.SubmitAdmin(ctx, &chain.Tx{Kind: chain.KindJoinResponse, Group: group, JoinResponse: enc}, admin)
}

// SubmitRevocation posts the issuer's revocation record, signed by the
// group's issuer admin key, and waits until it is committed: the group is
// then at the record's epoch.
func (c *Client) SubmitRevocation(ctx context.Context, group string, rec *groupsig.RevocationRecord, admin ed25519.PrivateKey) (string, uint64, error) {
	enc, err := rec.MarshalBinary()
	if err != nil {
		return "", 0, err
	}
	return c.SubmitAdmin(ctx, &chain.Tx{Kind: chain.KindRevokeMember, Group: group, Revocation: enc}, admin)
}

// JoinPolicy is an issuer's rule for answering join requests by
// themselves: which organisations (the O of a member's identity
// certificate, which the chain checked) may join which groups. Its JSON
// form is
//
//	{"groups": {"payments": ["Acme Bank", "Globex Insurance"], "open": ["*"]}}
//
// where "*" admits every organisation. A group the policy does not name
// admits none.
type JoinPolicy struct {
	Groups map[string][]string `json:"groups"`
}

// ParseJoinPolicy reads a policy from its JSON form, refusing unknown
// fields, invalid group names and empty organisation names.
func ParseJoinPolicy(data []byte) (*JoinPolicy, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p JoinPolicy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("join policy: %w", err)
	}
	if p.Groups == nil {
		return nil, errors.New(`join policy: no "groups"`)
	}
	for g, orgs := range p.Groups {
		if !chain.ValidGroupName(g) {
			return nil, fmt.Errorf("join policy: %q is not a group name", g)
		}
		for _, o := range orgs {
			if o == "" {
				return nil, fmt.Errorf("join policy: group %q lists an empty organisation", g)
			}
		}
	}
	return &p, nil
}

// Allows reports whether a member of org may join group, and if not, why.
func (p *JoinPolicy) Allows(group, org string) (bool, string) {
	orgs, ok := p.Groups[group]
	if !ok {
		return false, fmt.Sprintf("the policy names no organisation for group %q", group)
	}
	if slices.Contains(orgs, "*") || slices.Contains(orgs, org) {
		return true, ""
	}
	return false, fmt.Sprintf("organisation %q may not join group %q under the policy", org, group)
}
