package client

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

// The threshold opening (SPEC-groupsig-v2-threshold-opening): a group's
// committees and the record of each opening, read from a node, and the
// submission of the transactions whose body authorises them. Everything
// here is public; no share or identity key ever goes to a node.

// ErrCommitteeState: the committee a command needs is not in the state
// it needs on this node (not pending, not active, unknown).
var ErrCommitteeState = errors.New("committee not in the required state")

// Committees fetches a group's committees: active, pending, the others
// in brief, and the approvals of rotations on the ledger.
func (c *Client) Committees(ctx context.Context, group string) (*api.CommitteeResponse, error) {
	var out api.CommitteeResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/groups/"+url.PathEscape(group)+"/committee", nil, &out)
}

// Openings fetches the record of who consented to and released a share
// for the signature of a committed anonymous transaction, and the
// threshold opening once complete (public: it names the signer).
func (c *Client) Openings(ctx context.Context, txID string) (*api.OpeningsResponse, error) {
	var out api.OpeningsResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/txs/"+url.PathEscape(txID)+"/openings", nil, &out)
}

// DecodeCommittee decodes a committee the API sent (hex) and checks that
// it hashes to cref (hex), so that a node cannot pass one committee off
// as another.
func DecodeCommittee(committeeHex, crefHex string) (*groupsig.Committee, error) {
	b, err := hex.DecodeString(committeeHex)
	if err != nil {
		return nil, fmt.Errorf("committee is not hex: %w", err)
	}
	cm := new(groupsig.Committee)
	if err := cm.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	if ref := sha256.Sum256(b); hex.EncodeToString(ref[:]) != crefHex {
		return nil, fmt.Errorf("%w: the committee does not hash to cref %s", groupsig.ErrMalformed, crefHex)
	}
	return cm, nil
}

// Committee is a committee read from the node: decoded, checked against
// its cref, with the node's view of it.
type Committee struct {
	*groupsig.Committee
	View *api.CommitteeJSON
}

// CommitteeByRef finds the committee cref of group on the node in one of
// the statuses given ("active", "pending"): decoded and checked against
// its cref. It returns an error wrapping ErrCommitteeState when the
// node has no such committee in those statuses.
func (c *Client) CommitteeByRef(ctx context.Context, group string, cref [32]byte, statuses ...string) (*Committee, error) {
	cs, err := c.Committees(ctx, group)
	if err != nil {
		return nil, err
	}
	want := hex.EncodeToString(cref[:])
	for _, cj := range []*api.CommitteeJSON{cs.Active, cs.Pending} {
		if cj == nil || cj.Ref != want {
			continue
		}
		for _, s := range statuses {
			if cj.Status == s {
				cm, err := DecodeCommittee(cj.Committee, cj.Ref)
				if err != nil {
					return nil, err
				}
				return &Committee{Committee: cm, View: cj}, nil
			}
		}
		return nil, fmt.Errorf("%w: committee %s… of %q is %s, not %v", ErrCommitteeState, want[:16], group, cj.Status, statuses)
	}
	for _, h := range cs.History {
		if h.Ref == want {
			return nil, fmt.Errorf("%w: committee %s… of %q is %s (%s)", ErrCommitteeState, want[:16], group, h.Status, h.Reason)
		}
	}
	return nil, fmt.Errorf("%w: group %q has no committee %s…", ErrCommitteeState, group, want[:16])
}

// ActiveCommittee is the group's active committee on the node, decoded
// and checked against its cref.
func (c *Client) ActiveCommittee(ctx context.Context, group string) (*Committee, error) {
	cs, err := c.Committees(ctx, group)
	if err != nil {
		return nil, err
	}
	if cs.Active == nil {
		return nil, fmt.Errorf("%w: group %q has no active committee", ErrCommitteeState, group)
	}
	cm, err := DecodeCommittee(cs.Active.Committee, cs.Active.Ref)
	if err != nil {
		return nil, err
	}
	return &Committee{Committee: cm, View: cs.Active}, nil
}

// AuthorityIndex is the index of the authority whose identity key is pub
// in cm, or 0.
func AuthorityIndex(cm *groupsig.Committee, pub ed25519.PublicKey) int {
	for i, a := range cm.Authorities() {
		if a.IdentityKey.Equal(pub) {
			return i + 1
		}
	}
	return 0
}

// CommittedAnonymous fetches a committed anonymous transaction and
// decodes its canonical form as served, checking that it
// hashes to id: the σ a consent or partial opening is about, with its
// message (the id) and scope. It returns the height it was committed at.
func (c *Client) CommittedAnonymous(ctx context.Context, id string) (*chain.Tx, uint64, error) {
	tx, height, err := c.CommittedTx(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	if tx.Kind != chain.KindAnonymous {
		return nil, 0, fmt.Errorf("transaction %s is %s, not anonymous: it has no signature to open", id, tx.Kind)
	}
	if height == 0 {
		return nil, 0, fmt.Errorf("transaction %s is not committed yet", id)
	}
	return tx, height, nil
}

// Consents decodes the consents of a round of an openings record: those
// under cref (hex). The caller checks them (the release rule: t valid
// consents by distinct authorities, which groupsig.NewPartialOpening
// enforces).
func Consents(op *api.OpeningsResponse, cref string) ([]*groupsig.Consent, error) {
	var out []*groupsig.Consent
	for _, r := range op.Rounds {
		if r.Committee != cref {
			continue
		}
		for _, a := range r.Consents {
			b, err := hex.DecodeString(a.Object)
			if err != nil {
				return nil, fmt.Errorf("consent of authority %d is not hex", a.Authority)
			}
			cs := new(groupsig.Consent)
			if err := cs.UnmarshalBinary(b); err != nil {
				return nil, fmt.Errorf("consent of authority %d: %w", a.Authority, err)
			}
			out = append(out, cs)
		}
	}
	return out, nil
}

// SubmitSealed fills tx's chain id, expiry and nonce from the node, seals
// it (a committee or an abort: its body authorises it), submits it and
// waits until it is committed (SubmitWait).
func (c *Client) SubmitSealed(ctx context.Context, tx *chain.Tx) (string, uint64, error) {
	return c.submitSignedWait(ctx, tx, func(tx *chain.Tx) error { return tx.Seal() })
}

// AwaitCommittee polls the group's committees until cref (hex) is active
// and returns its view, or fails once it is retired or aborted (the
// reason says why: superseded, admin, expired) or ctx ends.
func (c *Client) AwaitCommittee(ctx context.Context, group, cref string) (*api.CommitteeJSON, error) {
	tick := 200 * time.Millisecond
	for {
		cs, err := c.Committees(ctx, group)
		if err == nil {
			if cs.Active != nil && cs.Active.Ref == cref {
				return cs.Active, nil
			}
			for _, h := range cs.History {
				if h.Ref == cref {
					return nil, fmt.Errorf("%w: committee %s… is %s (%s)", ErrCommitteeState, cref[:16], h.Status, h.Reason)
				}
			}
		} else {
			var ae *Error
			if errors.As(err, &ae) {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for committee %s… to activate: %w", cref[:16], ctx.Err())
		case <-time.After(tick):
		}
		tick = min(2*tick, 2*time.Second)
	}
}
