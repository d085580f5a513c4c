package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newGroupUpdateKeyCmd() *cobra.Command {
	var out outputFlag
	var keyPath, keyOut string
	var records []string
	var nf nodeFlag
	var group string
	cmd := &cobra.Command{
		Use:   "update-key",
		Short: "Bring a member key to the next epoch with a revocation record",
		Long: `Check a revocation record against the member key's epoch (with pairings)
and move the key to the record's epoch. Give several --record flags, in
epoch order, to cross several revocations. The key file is rewritten in
place unless --out is given. A revoked member is told so and exits 1.
With --node and --group instead of --record, the revocation records are
read from the chain: the key is brought to the group's current epoch.`,
		Example: `  veil group update-key --key bob.key --record keys/acme.epoch-1.revocation
  veil group update-key --key bob.key --node http://127.0.0.1:8545 --group acme`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			mk := new(bbs04.MemberKey)
			if err := readKey(keyPath, mk); err != nil {
				return err
			}
			type source struct {
				name string
				rec  *bbs04.RevocationRecord
			}
			var recs []source
			for _, path := range records {
				rec := new(bbs04.RevocationRecord)
				if err := readKey(path, rec); err != nil {
					return err
				}
				recs = append(recs, source{path, rec})
			}
			if nf.url != "" && len(records) == 0 {
				if group == "" {
					return badInput(errors.New("--group is required with --node"))
				}
				c, err := nf.client()
				if err != nil {
					return err
				}
				ctx, cancel := timeoutCtx(cmd, 30*time.Second)
				defer cancel()
				onChain, err := c.Revocations(ctx, group)
				if err != nil {
					return apiError(err)
				}
				// Record i moved the group to epoch i+1; the key needs those after its epoch.
				for i := mk.PublicKey().Epoch(); i < uint64(len(onChain)); i++ {
					rec := new(bbs04.RevocationRecord)
					if err := rec.UnmarshalBinary(onChain[i]); err != nil {
						return fmt.Errorf("on-chain record for epoch %d: %w", i+1, err)
					}
					recs = append(recs, source{fmt.Sprintf("on-chain record for epoch %d", i+1), rec})
				}
			}
			if len(recs) == 0 && len(records) == 0 && nf.url == "" {
				return badInput(errors.New("give --record files, or --node and --group"))
			}
			for _, src := range recs {
				path, rec := src.name, src.rec
				next, err := mk.Update(rec)
				if errors.Is(err, bbs04.ErrRevoked) {
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
			if err := bbs04.WriteFile(keyOut, mk); err != nil {
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
	cmd.Flags().StringArrayVar(&records, "record", nil, "revocation record file (repeat, in epoch order)")
	cmd.Flags().StringVar(&keyOut, "out", "", "write the updated key here instead of over --key")
	nf.register(cmd)
	cmd.Flags().StringVar(&group, "group", "", "group name on chain (with --node)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}
