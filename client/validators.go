package client

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
)

// Validators fetches the validator set of chain state and the node's
// raft configuration (GET /v1/validators).
func (c *Client) Validators(ctx context.Context) (*api.ValidatorsResponse, error) {
	var out api.ValidatorsResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/validators", nil, &out)
}

// WaitVoter polls the node until raft's configuration, as the node has
// it, makes id a voter (voter true: an added validator, caught up and
// promoted) or not (false: a removed one, demoted), or ctx ends. Raft
// applies validator changes one at a time, after their block commits.
// A BFT chain has no raft configuration: there it waits until the node's
// engine orders with id (status voters: SmartBFT reconfigures as it
// applies the change's block) or not.
func (c *Client) WaitVoter(ctx context.Context, id string, voter bool) error {
	var last error // the newest failed poll, reported if ctx ends
	for {
		v, err := c.Validators(ctx)
		if ctx.Err() == nil { // a poll cut short by ctx says nothing new
			last = err
		}
		if err == nil {
			is := false
			for _, s := range v.Raft {
				is = is || (s.ID == id && s.Suffrage == "voter")
			}
			if len(v.Raft) == 0 { // no raft configuration: a BFT chain
				var st *api.Status
				if st, err = c.Status(ctx); err == nil && st.Consensus == chain.ConsensusBFT {
					is = slices.Contains(st.Voters, id)
				}
				if ctx.Err() == nil {
					last = err
				}
			}
			if err == nil && is == voter {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("wait for raft to make %s a voter=%v: %w (last poll: %v)", id, voter, ctx.Err(), last)
			}
			return fmt.Errorf("wait for raft to make %s a voter=%v: %w", id, voter, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
