package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
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
			if err := out.validate(); err != nil {
				return err
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			ctx, cancel := timeoutCtx(cmd, 30*time.Second)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return apiError(err)
			}
			return out.print(cmd.OutOrStdout(), st, func(w io.Writer) {
				fmt.Fprintf(w, "node     %s (%s)\nchain    %s\nheight   %d\nhead     %s\nleader   %s\npeers    %d\nmempool  %d\n", st.NodeID, st.Role, st.ChainID, st.Height, st.HeadHash, st.Leader, st.Peers, st.Mempool)
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}
