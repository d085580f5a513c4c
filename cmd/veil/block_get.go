package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

func newBlockCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "block", Short: "Read blocks", Example: `  veil block get latest --node http://127.0.0.1:7010`}
	var out outputFlag
	var nf nodeFlag
	get := &cobra.Command{
		Use:     "get latest|HEIGHT",
		Short:   "Show a block header and its transaction ids",
		Example: `  veil block get latest --node http://127.0.0.1:7010 --output json`,
		Args:    cobra.ExactArgs(1),
		// "latest" completes; a height is the user's to type.
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return []cobra.Completion{"latest"}, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			var height uint64
			if args[0] != "latest" {
				h, err := strconv.ParseUint(args[0], 10, 64)
				if err != nil || h == 0 {
					return badInput(fmt.Errorf("height must be latest or a number ≥ 1, not %q", args[0]))
				}
				height = h
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			ctx, cancel := timeoutCtx(cmd, 30*time.Second)
			defer cancel()
			b, err := c.Block(ctx, height)
			if err != nil {
				return apiError(err)
			}
			return out.print(cmd.OutOrStdout(), b, func(w io.Writer) {
				fmt.Fprintf(w, "height   %d\nhash     %s\nprev     %s\ntime     %s\nproposer %s\ntx root  %s\ntxs      %d\n", b.Height, b.Hash, b.PrevHash, b.Time.Format(time.RFC3339Nano), b.Proposer, b.TxRoot, len(b.TxIDs))
				for i, id := range b.TxIDs {
					fmt.Fprintf(w, "  %s %s\n", id, b.Results[i])
				}
			})
		},
	}
	out.register(get)
	nf.register(get)
	cmd.AddCommand(get)
	return cmd
}
