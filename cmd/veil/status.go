package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newStatusCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show a node's status: height, head hash, leader, peers, role, and any fork found",
		Example: `  veil status --node http://127.0.0.1:7010`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				st, err := c.Status(ctx)
				if err != nil {
					return apiError(err)
				}
				return out.print(cmd.OutOrStdout(), st, func(w io.Writer) {
					fmt.Fprintf(w, "node     %s (%s)\nchain    %s\nheight   %d\nhead     %s\nleader   %s\npeers    %d\nmempool  %d\n", st.NodeID, st.Role, st.ChainID, st.Height, st.HeadHash, st.Leader, st.Peers, st.Mempool)
					if st.Forked {
						fmt.Fprintf(w, "FORKED   this node refuses submissions until the fork is repaired and it is restarted\n")
						for _, f := range st.Forks {
							fmt.Fprintf(w, "fork     peer %s at height %d: peer's block %.16s (signed by %s), this node's %.16s, found %s\n", f.Peer, f.Height, f.PeerHash, f.PeerProposer, f.LocalHash, f.DetectedAt.Format(time.RFC3339))
						}
					}
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}
