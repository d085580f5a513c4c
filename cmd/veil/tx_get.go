package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newTxGetCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Show a pending or committed transaction",
		Long: `Show a transaction as a node holds it: pending in its mempool, or
committed (with its height). An anonymous transaction shows its group,
epoch, topic and payload, and a tagged one its tag — never its signer.`,
		Example: `  veil tx get --node http://127.0.0.1:7010 3fa2…
  veil tx get 3fa2… --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				tx, err := c.Tx(ctx, args[0])
				if err != nil {
					return apiError(err)
				}
				return out.print(cmd.OutOrStdout(), tx, func(w io.Writer) {
					fmt.Fprintf(w, "id      %s\nstatus  %s\n", tx.ID, tx.Status)
					if tx.Height != nil {
						fmt.Fprintf(w, "height  %d (index %d)\n", *tx.Height, *tx.Index)
					}
					fmt.Fprintf(w, "kind    %s\ngroup   %s (epoch %d)\ntopic   %s\nexpiry  %d\npayload %q\n", tx.Kind, tx.Group, tx.Epoch, tx.Topic, tx.Expiry, tx.Payload)
					if tx.Tagged {
						fmt.Fprintf(w, "tag     %s (the same for every action of its signer on this topic)\n", tx.Tag)
					}
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}
