package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newGroupUpdateKeyCmd() *cobra.Command {
	var out outputFlag
	var keyPath, keyOut string
	var records []string
	cmd := &cobra.Command{
		Use:   "update-key",
		Short: "Bring a member key to the next epoch with a revocation record",
		Long: `Check a revocation record against the member key's epoch (with pairings)
and move the key to the record's epoch. Give several --record flags, in
epoch order, to cross several revocations. The key file is rewritten in
place unless --out is given. A revoked member is told so and exits 1.`,
		Example: `  veil group update-key --key bob.key --record keys/acme.epoch-1.revocation`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			mk := new(groupsig.MemberKey)
			if err := readKey(keyPath, mk); err != nil {
				return err
			}
			for _, path := range records {
				rec := new(groupsig.RevocationRecord)
				if err := readKey(path, rec); err != nil {
					return err
				}
				next, err := mk.Update(rec)
				if errors.Is(err, groupsig.ErrRevoked) {
					return refused(fmt.Errorf("this member key was revoked at epoch %d: it can no longer sign for the group", rec.Epoch()))
				}
				if err != nil {
					return refused(fmt.Errorf("record %s: %w", path, err))
				}
				mk = next
			}
			if keyOut == "" {
				keyOut = keyPath
			}
			if err := groupsig.WriteFile(keyOut, mk); err != nil {
				return badInput(err)
			}
			id := mk.Identity()
			res := map[string]any{"epoch": mk.PublicKey().Epoch(), "a": id.String(), "key_file": keyOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "member key now at epoch %d -> %s\n", mk.PublicKey().Epoch(), keyOut)
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&keyPath, "key", "", "member key file (required)")
	cmd.Flags().StringArrayVar(&records, "record", nil, "revocation record file (repeat, in epoch order; required)")
	cmd.Flags().StringVar(&keyOut, "out", "", "write the updated key here instead of over --key")
	_ = cmd.MarkFlagRequired("key")
	_ = cmd.MarkFlagRequired("record")
	return cmd
}
