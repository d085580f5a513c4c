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
		Short: "Issue a member of a v1 group on chain (the chain's scheme until it moves to v2)",
		Long: `For a v1 (BBS04) group that genesis or testnet created: issue a member
key (A, x) under the group's current epoch, record it in the registry under
--label, write it to --out (mode 0600), register label → A on chain with
--admin-key (the group's issuer admin key) through --node (or $VEIL_NODE)
and wait for the commit. Hand the key file to the member; it signs
transactions ('veil tx send').

Offline v2 groups have no add-member: the member makes its own secret
('group join-request') and the issuer answers ('group issue').`,
		Example: `  veil group add-member --dir net/groups --name acme --label alice --out alice.key \
    --node http://127.0.0.1:8545 --admin-key net/groups/acme.admin.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if keyOut == "" {
				return badInput(errors.New("--out is required"))
			}
			if !oc.enabled() || oc.node.url == "" {
				return badInput(errors.New("add-member registers a v1 member on chain: give --admin-key and --node (or VEIL_NODE); " +
					"a v2 group's members join with 'group join-request' and 'group issue'"))
			}
			if gd.gs2().version() == 2 {
				return badInput(fmt.Errorf("%s is a v2 group: its members join with 'group join-request' and 'group issue'", gd.gs2().gpkPath()))
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
			txID, h, err := oc.submitAdmin(cmd.Context(), &chain.Tx{Kind: chain.KindRegisterMember, Group: gd.name, Label: label, Identity: id})
			if err != nil {
				return fmt.Errorf("member key written to %s, but the on-chain registration failed: %w", keyOut, err)
			}
			res["tx"], res["height"] = txID, h
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "issued %q at epoch %d -> %s\n  A %s\n  registered on chain at height %d\n", label, mk.PublicKey().Epoch(), keyOut, id, h)
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
