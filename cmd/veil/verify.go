package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newVerifyCmd() *cobra.Command {
	var out outputFlag
	var in signedFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify a group signature under a group public key",
		Long: `Verify that a member of the group signed the message, under the group
public key file given (its epoch included). Exit status 0 if valid, 1 if the
signature is refused, 2 on bad usage or unreadable input.`,
		Example: `  veil verify --gpk keys/acme.gpk --message "hello" --signature 01a2…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			pk, m, sig, err := in.read()
			if err != nil {
				return err
			}
			if err := bbs04.Verify(pk, m, sig); err != nil {
				if errors.Is(err, bbs04.ErrInvalidSignature) {
					return refused(err)
				}
				return refused(fmt.Errorf("signature refused: %w", err))
			}
			res := map[string]any{"valid": true, "epoch": pk.Epoch()}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "valid: signed by a member of the group at epoch %d\n", pk.Epoch())
			})
		},
	}
	out.register(cmd)
	in.register(cmd)
	return cmd
}
