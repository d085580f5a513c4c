package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newTxSignCmd() *cobra.Command {
	var out outputFlag
	var f txFlags
	var tagged bool
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Build and sign an anonymous transaction offline",
		Long: `Build an anonymous transaction and sign it with a member key, offline,
at the key's epoch. It expires --expiry-in blocks after --height (the
chain's current height, which an offline signer must supply; 'veil tx
send' looks it up). --tagged signs with the member's tag for the topic,
as a tagged topic's rule requires ('veil tx send' reads the rule itself).
The group is the key file's (from 'group join') or --group. Prints the id
and the hex encoding to submit with 'veil tx send --tx HEX'.`,
		Example: `  veil tx sign --key alice.payments.key --chain-id veil-local --topic orders \
    --data "pay 10" --height 42 --output json
  veil tx sign --key alice.payments.key --chain-id veil-local --topic vote-1 --tagged --data yes --height 42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			mf, err := readMemberFile(f.key, "", "")
			if err != nil {
				return err
			}
			group := f.group
			if group == "" {
				group = mf.group
			}
			if group == "" {
				return badInput(errors.New("the key file names no group: give --group"))
			}
			if mf.group != "" && group != mf.group {
				return badInput(fmt.Errorf("--group %q: the key file is of group %q", group, mf.group))
			}
			tx, err := f.build(mf, group, tagged)
			if err != nil {
				return err
			}
			id := tx.ID()
			res := map[string]any{"id": hex.EncodeToString(id[:]), "tx": hex.EncodeToString(tx.Encode()), "group": group, "epoch": tx.Epoch, "tagged": tagged}
			if tagged {
				res["tag"] = hex.EncodeToString(groupsig.TagOf(tx.Auth))
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) { fmt.Fprintf(w, "id %s\ntx %s\n", res["id"], res["tx"]) })
		},
	}
	out.register(cmd)
	f.register(cmd)
	cmd.Flags().Uint64Var(&f.height, "height", 0, "the chain's current height (expiry is counted from it)")
	cmd.Flags().BoolVar(&tagged, "tagged", false, "sign with the member's tag for the topic (a tagged topic requires it)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}
