package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newStatusCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's status: height, leader, raft term, state and indexes, voters and observers, sync, and any fork found",
		Long: `Show a node's status: chain height and head, raft leader, term, state,
commit and applied index, voters and observers, seconds since the node last
heard from the leader, sync status (syncing or caught_up, with the highest
height the node knows of), peers, mempool, and any fork found.

Exits 1 when the node knows no raft leader (it cannot commit), after
printing the status (also with --output json), so scripts and probes can
test for it; 0 otherwise.`,
		Example: `  veil status --node http://127.0.0.1:7010
  veil status --node http://127.0.0.1:7010 --output json || echo "no leader"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				st, err := c.Status(ctx)
				if err != nil {
					return apiError(err)
				}
				err = out.print(cmd.OutOrStdout(), st, func(w io.Writer) {
					leader := st.Leader
					if leader == "" {
						leader = "NONE (the network cannot commit)"
					}
					fmt.Fprintf(w, "node     %s (%s)\nchain    %s\nheight   %d\nhead     %s\nleader   %s\npeers    %d\nmempool  %d\n", st.NodeID, st.Role, st.ChainID, st.Height, st.HeadHash, leader, st.Peers, st.Mempool)
					contact := "never"
					switch {
					case st.LastContactSeconds == 0:
						contact = "- (leader)"
					case st.LastContactSeconds > 0:
						contact = fmt.Sprintf("%.1fs ago", st.LastContactSeconds)
					}
					fmt.Fprintf(w, "raft     %s, term %d, commit %d, applied %d, last contact %s\nvoters   %s\nobserver %s\nsync     %s (target height %d)\n",
						st.RaftState, st.Term, st.CommitIndex, st.AppliedIndex, contact, idList(st.Voters), idList(st.Observers), st.Sync, st.TargetHeight)
					if st.Forked {
						fmt.Fprintf(w, "FORKED   this node refuses submissions until the fork is repaired and it is restarted\n")
						for _, f := range st.Forks {
							fmt.Fprintf(w, "fork     peer %s at height %d: peer's block %.16s (signed by %s), this node's %.16s, found %s\n", f.Peer, f.Height, f.PeerHash, f.PeerProposer, f.LocalHash, f.DetectedAt.Format(time.RFC3339))
						}
					}
				})
				if err == nil && st.Leader == "" {
					err = printedRefusal(fmt.Errorf("node %s knows no raft leader", st.NodeID))
				}
				return err
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}

// idList is node ids for a status line: comma-separated, or "none".
func idList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}
