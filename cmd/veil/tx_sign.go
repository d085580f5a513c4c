package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newTxSignCmd() *cobra.Command {
	var out outputFlag
	var f txFlags
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Build and sign an anonymous transaction offline",
		Long: `Build an anonymous transaction and sign it with a member key, offline.
It expires --expiry-in blocks after --height (the chain's current height,
which an offline signer must supply; 'veil tx send' looks it up). Prints
the id and the hex encoding to submit with 'veil tx send --tx HEX'.`,
		Example: `  veil tx sign --key alice.key --chain-id veil-local --group acme --topic orders \
    --data "pay 10" --height 42 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			tx, err := f.build()
			if err != nil {
				return err
			}
			id := tx.ID()
			res := map[string]string{"id": hex.EncodeToString(id[:]), "tx": hex.EncodeToString(tx.Encode())}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) { fmt.Fprintf(w, "id %s\ntx %s\n", res["id"], res["tx"]) })
		},
	}
	out.register(cmd)
	f.register(cmd)
	cmd.Flags().Uint64Var(&f.height, "height", 0, "the chain's current height (expiry is counted from it)")
	return cmd
}
