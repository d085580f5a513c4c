package client

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/veilchain/veil/api"
)

// Validators fetches the validator set of chain state and the node's
// raft configuration (GET /v1/validators).
func (c *Client) Validators(ctx context.Context) (*api.ValidatorsResponse, error) {
	var out api.ValidatorsResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/validators", nil, &out)
}

// WaitVoter polls the node until id votes (voter true: an added
// validator) or no longer does (false: a removed one), as the node has
// it, or ctx ends. It returns the chain's consensus engine. On raft that
// is raft's configuration: an added validator caught up and promoted, a
// removed one demoted; raft applies validator changes one at a time,
// after their block commits. On BFT it is the validators the node's
// engine orders with (/v1/status voters): SmartBFT takes a change up
// with the block that commits it, so there is nothing further to wait
// for once the node has applied that block.
func (c *Client) WaitVoter(ctx context.Context, id string, voter bool) (string, error) {
	var last error // the newest failed poll, reported if ctx ends
	engine := "raft"
	for {
		is, err := c.votes(ctx, id, &engine)
		if ctx.Err() == nil { // a poll cut short by ctx says nothing new
			last = err
		}
		if err == nil && is == voter {
			return engine, nil
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return engine, fmt.Errorf("wait for %s to make %s a voter=%v: %w (last poll: %v)", engine, id, voter, ctx.Err(), last)
			}
			return engine, fmt.Errorf("wait for %s to make %s a voter=%v: %w", engine, id, voter, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// votes reports whether id votes as the node has it, and sets engine
// from the node's status.
func (c *Client) votes(ctx context.Context, id string, engine *string) (bool, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return false, err
	}
	if st.Consensus == "bft" {
		*engine = "bft"
		return slices.Contains(st.Voters, id), nil
	}
	v, err := c.Validators(ctx)
	if err != nil {
		return false, err
	}
	for _, s := range v.Raft {
		if s.ID == id && s.Suffrage == "voter" {
			return true, nil
		}
	}
	return false, nil
}
