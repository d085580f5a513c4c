package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
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
			if err := out.validate(); err != nil {
				return err
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			ctx, cancel := timeoutCtx(cmd, 30*time.Second)
			defer cancel()
			g, err := c.Group(ctx, args[0])
			if err != nil {
				return apiError(err)
			}
			return out.print(cmd.OutOrStdout(), g, func(w io.Writer) {
				fmt.Fprintf(w, "group    %s\nepoch    %d\nkey      %s…\nmembers  %s\nrevoked  %s\n", g.Name, g.Epoch, g.PublicKey[:32], strings.Join(g.Members, ", "), strings.Join(g.Revoked, ", "))
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}
