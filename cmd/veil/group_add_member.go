package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newGroupAddMemberCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var label, keyOut string
	var oc onChainFlags
	cmd := &cobra.Command{
		Use:   "add-member",
		Short: "Issue a member key and record it in the registry",
		Long: `Issue a member key (A, x) under the group's current epoch, record it in
the registry under --label, and write it to --out (mode 0600). Hand the key
file to the member; the label stays with the issuer and the opener. With
--node and --admin-key (the group's issuer admin key) it also registers
label → A in the on-chain registry and waits for the commit.`,
		Example: `  veil group add-member --dir keys --name acme --label alice --out alice.key
  veil group add-member --dir net/groups --name acme --label alice --out alice.key \
    --node http://127.0.0.1:8545 --admin-key net/groups/acme.admin.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if keyOut == "" {
				return badInput(errors.New("--out is required"))
			}
			mk, err := gd.groupDir().AddMember(label, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			if err := bbs04.WriteFile(keyOut, mk); err != nil {
				return badInput(err)
			}
			id := mk.Identity()
			res := map[string]any{"label": label, "a": id.String(), "epoch": mk.PublicKey().Epoch(), "key_file": keyOut}
			if oc.enabled() {
				txID, h, err := oc.submitAdmin(cmd.Context(), &chain.Tx{Kind: chain.KindRegisterMember, Group: gd.name, Label: label, Identity: id})
				if err != nil {
					return fmt.Errorf("member key written to %s, but the on-chain registration failed: %w", keyOut, err)
				}
				res["tx"], res["height"] = txID, h
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "issued %q at epoch %d -> %s\n  A %s\n", label, mk.PublicKey().Epoch(), keyOut, id)
				if h, ok := res["height"]; ok {
					fmt.Fprintf(w, "  registered on chain at height %d\n", h)
				}
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	oc.register(cmd, "the group issuer's")
	cmd.Flags().StringVar(&label, "label", "", "the member's label in the registry (required)")
	cmd.Flags().StringVar(&keyOut, "out", "", "file to write the member key to (required)")
	_ = cmd.MarkFlagRequired("label")
	return cmd
}
