package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
)

func newNodeRevokeCmd() *cobra.Command {
	var out outputFlag
	var oc onChainFlags
	var id string
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a node's certificate on chain (the consortium admin's tool)",
		Long: `Submit a node revocation signed by the consortium admin key and wait for
its commit. From then on every node refuses the revoked certificate on
gossip, raft and block sync, drops the node from gossip, and the leader
removes it from raft; the revoked node stops itself. The revocation is
chain state, so it survives restarts and reaches nodes that join later.`,
		Example: `  veil node revoke --node http://127.0.0.1:7010 --admin-key net/admin.key --id node-4`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if !oc.enabled() || id == "" {
				return badInput(errors.New("--id and --admin-key are required"))
			}
			ctx, cancel := oc.context(cmd)
			defer cancel()
			txID, h, err := oc.submitAdmin(ctx, &chain.Tx{Kind: chain.KindRevokeNode, Node: id})
			if err != nil {
				return err
			}
			res := map[string]any{"revoked": id, "tx": txID, "height": h}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "node %s revoked at height %d\n", id, h)
			})
		},
	}
	out.register(cmd)
	oc.register(cmd, "the consortium admin's")
	cmd.Flags().StringVar(&id, "id", "", "node id to revoke (required)")
	return cmd
}
