package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newStatusCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:     "status",
		Short:   "Show a node's status: height, head hash, leader, peers, role",
		Example: `  veil status --node http://127.0.0.1:8545`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				st, err := c.Status(ctx)
				if err != nil {
					return apiError(err)
				}
				return out.print(cmd.OutOrStdout(), st, func(w io.Writer) {
					fmt.Fprintf(w, "node     %s (%s)\nchain    %s\nheight   %d\nhead     %s\nleader   %s\npeers    %d\nmempool  %d\n", st.NodeID, st.Role, st.ChainID, st.Height, st.HeadHash, st.Leader, st.Peers, st.Mempool)
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}
