package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/groupsig"
)

// Groups lists the groups on chain.
func (c *Client) Groups(ctx context.Context) ([]string, error) {
	var out api.GroupsResponse
	return out.Groups, c.do(ctx, http.MethodGet, "/v1/groups", nil, &out)
}

// Group fetches a group's register (members and pending join requests)
// with its key at the current epoch.
func (c *Client) Group(ctx context.Context, name string) (*api.GroupResponse, error) {
	var out api.GroupResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/groups/"+url.PathEscape(name), nil, &out)
}

// GroupAt fetches a group's register with its key at epoch.
func (c *Client) GroupAt(ctx context.Context, name string, epoch uint64) (*api.GroupResponse, error) {
	var out api.GroupResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/groups/"+url.PathEscape(name)+"?epoch="+strconv.FormatUint(epoch, 10), nil, &out)
}

// GroupKey fetches and decodes a group's key at epoch.
func (c *Client) GroupKey(ctx context.Context, name string, epoch uint64) (*groupsig.GroupKey, error) {
	g, err := c.GroupAt(ctx, name, epoch)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(g.GroupKey)
	if err != nil {
		return nil, fmt.Errorf("group %q key is not hex: %w", name, err)
	}
	gk := new(groupsig.GroupKey)
	if err := gk.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("group %q key at epoch %d: %w", name, epoch, err)
	}
	return gk, nil
}

// GroupOrigin fetches a group's gpk_0 and its issuer and opener proofs,
// and checks the proofs: what a member needs, and must trust only after
// this check, before it makes a join request.
func (c *Client) GroupOrigin(ctx context.Context, name string) (*groupsig.GroupKey, *groupsig.IssuerProof, *groupsig.OpenerProof, error) {
	g, err := c.GroupAt(ctx, name, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	gk, ip, op := new(groupsig.GroupKey), new(groupsig.IssuerProof), new(groupsig.OpenerProof)
	for _, f := range []struct {
		name, hex string
		into      interface{ UnmarshalBinary([]byte) error }
	}{{"group key", g.GroupKey, gk}, {"issuer proof", g.IssuerProof, ip}, {"opener proof", g.OpenerProof, op}} {
		b, err := hex.DecodeString(f.hex)
		if err == nil {
			err = f.into.UnmarshalBinary(b)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("group %q %s: %w", name, f.name, err)
		}
	}
	if err := ip.Verify(gk); err != nil {
		return nil, nil, nil, fmt.Errorf("group %q: %w", name, err)
	}
	if err := op.Verify(gk); err != nil {
		return nil, nil, nil, fmt.Errorf("group %q: %w", name, err)
	}
	return gk, ip, op, nil
}

// Member fetches a member's join record and identity certificate.
func (c *Client) Member(ctx context.Context, group, label string) (*api.MemberResponse, error) {
	var out api.MemberResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/groups/"+url.PathEscape(group)+"/members/"+url.PathEscape(label), nil, &out)
}

// JoinRecord fetches and decodes a member's public join record, and its
// identity certificate (DER).
func (c *Client) JoinRecord(ctx context.Context, group, label string) (*groupsig.JoinRecord, []byte, error) {
	m, err := c.Member(ctx, group, label)
	if err != nil {
		return nil, nil, err
	}
	jr := &groupsig.JoinRecord{Request: new(groupsig.JoinRequest), Response: new(groupsig.JoinResponse)}
	for _, f := range []struct {
		name string
		hex  string
		into interface{ UnmarshalBinary([]byte) error }
	}{{"join request", m.JoinRequest, jr.Request}, {"join response", m.JoinResponse, jr.Response}} {
		b, err := hex.DecodeString(f.hex)
		if err == nil {
			err = f.into.UnmarshalBinary(b)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("member %q of %q: %s: %w", label, group, f.name, err)
		}
	}
	cert, err := hex.DecodeString(m.Cert)
	if err != nil {
		return nil, nil, fmt.Errorf("member %q of %q: certificate is not hex: %w", label, group, err)
	}
	return jr, cert, nil
}

// Topic fetches a topic's rule and tally.
func (c *Client) Topic(ctx context.Context, topic string) (*api.TopicResponse, error) {
	var out api.TopicResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/topics/"+url.PathEscape(topic), nil, &out)
}

// RevocationRecords fetches and decodes a group's revocation records in
// epoch order (records[i] moved the group to epoch i+1).
func (c *Client) RevocationRecords(ctx context.Context, group string) ([]*groupsig.RevocationRecord, error) {
	raw, err := c.Revocations(ctx, group)
	if err != nil {
		return nil, err
	}
	recs := make([]*groupsig.RevocationRecord, len(raw))
	for i, b := range raw {
		recs[i] = new(groupsig.RevocationRecord)
		if err := recs[i].UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("group %q revocation for epoch %d: %w", group, i+1, err)
		}
	}
	return recs, nil
}

// UpdateMemberKey brings a member key up to the group's current epoch from
// chain state alone: it checks each revocation record since the key's
// epoch against its predecessor and takes the member's re-issued
// certificate from it. It returns mf itself when the key is current, and
// an error wrapping groupsig.ErrRevoked when a record revoked the member.
func (c *Client) UpdateMemberKey(ctx context.Context, group string, mf *groupsig.MemberFile) (*groupsig.MemberFile, error) {
	recs, err := c.RevocationRecords(ctx, group)
	if err != nil {
		return nil, err
	}
	return UpdateFromRecords(mf, recs)
}

// UpdateFromRecords moves mf across recs (a group's records in epoch
// order, as RevocationRecords returns them) to the last epoch they reach.
func UpdateFromRecords(mf *groupsig.MemberFile, recs []*groupsig.RevocationRecord) (*groupsig.MemberFile, error) {
	mk, gk := mf.Key, mf.Group
	for e := mk.Epoch() + 1; e <= uint64(len(recs)); e++ {
		var prev [32]byte
		if e > 1 {
			prev = recs[e-2].Hash()
		}
		next, err := mk.Update(gk, mf.Label, prev, recs[e-1])
		if err != nil {
			return nil, fmt.Errorf("member %q at epoch %d: %w", mf.Label, e, err)
		}
		if gk, err = gk.AtEpoch(e); err != nil {
			return nil, err
		}
		mk = next
	}
	if mk == mf.Key {
		return mf, nil
	}
	return &groupsig.MemberFile{Key: mk, Label: mf.Label, Group: gk}, nil
}
