package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
)

func newStatusCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's status: height, consensus and leader (raft term or BFT view), voters and observers, sync, and any fork found",
		Long: `Show a node's status: chain height and head, the chain's consensus
engine and its leader, voters and observers, sync status (syncing or
caught_up, with the highest height the node knows of), peers, mempool,
and any fork found.

On a raft chain: raft state, term, commit and applied index, and seconds
since the node last heard from the leader. On a BFT chain (SmartBFT):
the view (each view has one leader; a view change elects the next), the
last decided sequence, n validators, the f faulty ones they tolerate and
the quorum a decision needs, the view changes this node took part in,
and whether its engine runs (not on an observer). --output json prints
/v1/status as the node answers it.

Exits 1 when the node knows no leader (raft's, or the BFT view's: the
network cannot commit), after printing the status (also with --output
json), so scripts and probes can test for it; 0 otherwise. An observer
of a BFT chain takes part in no view and knows no leader: it exits 0,
ask a validator.`,
		Example: `  veil status --node http://127.0.0.1:7010
  veil status --node http://127.0.0.1:7010 --output json || echo "no leader"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				st, err := c.Status(ctx)
				if err != nil {
					return apiError(err)
				}
				if err := out.print(cmd.OutOrStdout(), st, func(w io.Writer) { printStatus(w, st) }); err != nil {
					return err
				}
				if err := leaderless(st); err != nil {
					return printedRefusal(err)
				}
				return nil
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}

// statusEngine is the status's consensus engine; a node from before the
// field existed runs raft.
func statusEngine(st *api.Status) string {
	if st.Consensus == "" {
		return chain.ConsensusRaft
	}
	return st.Consensus
}

// leaderless is the refusal of a status whose node knows no leader, or
// nil. An observer of a BFT chain runs no engine and never knows the
// view's leader (its /readyz does not ask for one either), so that is
// not a failure there.
func leaderless(st *api.Status) error {
	if st.Leader != "" || statusEngine(st) == chain.ConsensusBFT && st.Role == "observer" {
		return nil
	}
	return fmt.Errorf("node %s knows no %s leader", st.NodeID, statusEngine(st))
}

// printStatus is the text form of a status.
func printStatus(w io.Writer, st *api.Status) {
	engine := statusEngine(st)
	leader := st.Leader
	switch {
	case leader != "":
	case leaderless(st) == nil:
		leader = "- (an observer of a BFT chain follows blocks, not views: ask a validator)"
	default:
		leader = "NONE (the network cannot commit)"
	}
	fmt.Fprintf(w, "node     %s (%s)\nchain    %s (consensus %s)\nheight   %d\nhead     %s\nleader   %s\npeers    %d\nmempool  %d\n",
		st.NodeID, st.Role, st.ChainID, engine, st.Height, st.HeadHash, leader, st.Peers, st.Mempool)
	if b := st.BFT; engine == chain.ConsensusBFT && b != nil {
		running := "running"
		if !b.Running {
			running = "not running (an observer, or not started)"
		}
		fmt.Fprintf(w, "bft      view %d, sequence %d, n %d, f %d, quorum %d, %s, %s\n",
			b.View, b.Sequence, b.N, b.F, b.Quorum, plural(int(b.ViewChanges), "view change"), running)
	} else {
		contact := "never"
		switch {
		case st.LastContactSeconds == 0:
			contact = "- (leader)"
		case st.LastContactSeconds > 0:
			contact = fmt.Sprintf("%.1fs ago", st.LastContactSeconds)
		}
		fmt.Fprintf(w, "raft     %s, term %d, commit %d, applied %d, last contact %s\n", st.RaftState, st.Term, st.CommitIndex, st.AppliedIndex, contact)
	}
	fmt.Fprintf(w, "voters   %s\nobserver %s\nsync     %s (target height %d)\n", idList(st.Voters), idList(st.Observers), st.Sync, st.TargetHeight)
	if st.Forked {
		fmt.Fprintf(w, "FORKED   this node refuses submissions until the fork is repaired and it is restarted\n")
		for _, f := range st.Forks {
			fmt.Fprintf(w, "fork     peer %s at height %d: peer's block %.16s (signed by %s), this node's %.16s, found %s\n", f.Peer, f.Height, f.PeerHash, f.PeerProposer, f.LocalHash, f.DetectedAt.Format(time.RFC3339))
		}
	}
}

// idList is node ids for a status line: comma-separated, or "none".
func idList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}
