package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newGroupShowCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a group's on-chain state: epoch, public key, members, revoked",
		Example: `  veil group show acme --node http://127.0.0.1:8545`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				g, err := c.Group(ctx, args[0])
				if err != nil {
					return apiError(err)
				}
				return out.print(cmd.OutOrStdout(), g, func(w io.Writer) {
					fmt.Fprintf(w, "group    %s\nepoch    %d\nkey      %s…\nmembers  %s\nrevoked  %s\n", g.Name, g.Epoch, g.PublicKey[:32], strings.Join(g.Members, ", "), strings.Join(g.Revoked, ", "))
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}
