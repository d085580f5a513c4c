package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newGroupRevokeCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var label string
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke a member: move the group to the next epoch",
		Long: `Revoke the member under --label. The group moves to the next epoch: the
public revocation record is written to NAME.epoch-N.revocation, and the
public key, issuer key and registry are updated. Publish the record; the
remaining members bring their keys forward with 'veil group update-key'.
Signatures under older epochs stop verifying under the new key.`,
		Example: `  veil group revoke --dir keys --name acme --label mallory`,
		Args:    cobra.NoArgs,
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
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "revoked %q; group %q is now at epoch %d\n  record %s\n  %d members remain; each runs: veil group update-key --key KEY --record %s\n",
					label, g.Name, rec.Epoch(), g.RevocationPath(rec.Epoch()), len(remaining), g.RevocationPath(rec.Epoch()))
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	cmd.Flags().StringVar(&label, "label", "", "label of the member to revoke (required)")
	_ = cmd.MarkFlagRequired("label")
	return cmd
}
