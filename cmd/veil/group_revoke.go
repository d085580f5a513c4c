package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
)

func newGroupRevokeCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var label string
	var oc onChainFlags
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a member: move the group to the next epoch",
		Long: `Revoke the member under --label. The group moves to the next epoch: the
public revocation record is written to NAME.epoch-N.revocation, and the
public key, issuer key and registry are updated. Publish the record; the
remaining members bring their keys forward with 'veil group update-key'.
Signatures under older epochs stop verifying under the new key. With
--node and --admin-key it submits the revocation (the record and every
remaining member's new A) on chain and waits for the commit; from then on
nodes refuse transactions of the old epoch with stale_epoch.`,
		Example: `  veil group revoke --dir keys --name acme --label mallory
  veil group revoke --dir net/groups --name acme --label mallory \
    --node http://127.0.0.1:8545 --admin-key net/groups/acme.admin.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			g := gd.groupDir()
			rec, reg, err := g.Revoke(label)
			if err != nil {
				return badInput(err)
			}
			enc, _ := rec.MarshalBinary()
			var remaining []map[string]string
			for _, m := range reg.Members() {
				if !m.Revoked {
					remaining = append(remaining, map[string]string{"label": m.Label, "a": m.Identity.String()})
				}
			}
			res := map[string]any{"label": label, "epoch": rec.Epoch(), "record": hex.EncodeToString(enc),
				"record_file": g.RevocationPath(rec.Epoch()), "members": remaining}
			if oc.enabled() {
				tx := &chain.Tx{Kind: chain.KindRevokeMember, Group: gd.name, Label: label, Revocation: enc}
				for _, m := range reg.Members() {
					if !m.Revoked {
						tx.Updates = append(tx.Updates, chain.MemberUpdate{Label: m.Label, Identity: m.Identity})
					}
				}
				txID, h, err := oc.submitAdmin(cmd.Context(), tx)
				if err != nil {
					return fmt.Errorf("revoked locally (record %s), but the on-chain revocation failed: %w", g.RevocationPath(rec.Epoch()), err)
				}
				res["tx"], res["height"] = txID, h
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				if h, ok := res["height"]; ok {
					fmt.Fprintf(w, "revocation committed on chain at height %d\n", h)
				}
				fmt.Fprintf(w, "revoked %q; group %q is now at epoch %d\n  record %s\n  %d members remain; each runs: veil group update-key --key KEY --record %s\n",
					label, g.Name, rec.Epoch(), g.RevocationPath(rec.Epoch()), len(remaining), g.RevocationPath(rec.Epoch()))
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	oc.register(cmd, "the group issuer's")
	cmd.Flags().StringVar(&label, "label", "", "label of the member to revoke (required)")
	_ = cmd.MarkFlagRequired("label")
	return cmd
}
