package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newVerifyCmd() *cobra.Command {
	var out outputFlag
	var in signedFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify a group signature under a group key",
		Long: `Verify that a member of the group signed the message. A signature
carries no epoch and verifies only under the group key of its own epoch:
the epoch of the --gpk key given, or --epoch. A tagged signature needs its
--scope (or --scope-hex) and prints its tag, the same for every signature
of one member in that scope; an untagged one must be given no scope.
Exit status 0 if valid, 1 if the signature is refused, 2 on bad usage or
unreadable input.`,
		Example: `  veil verify --gpk acme.gpk --message "hello" --signature 1106a2…
  veil verify --gpk acme.gpk --message "yes" --scope vote/topic-1 --signature 1107c4… --output json
  veil verify --gpk acme.gpk --epoch 0 --message "hello" --signature 1106a2…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			s, err := in.read()
			if err != nil {
				return err
			}
			tag, err := groupsig.Verify(s.gk, s.msg, s.scope, s.sig)
			if err != nil {
				return refused(fmt.Errorf("signature refused at epoch %d: %w", s.gk.Epoch(), err))
			}
			res := map[string]any{"valid": true, "epoch": s.gk.Epoch(), "tagged": tag != nil}
			if tag != nil {
				res["tag"] = hex.EncodeToString(tag)
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "valid: signed by a member of the group at epoch %d\n", s.gk.Epoch())
				if tag != nil {
					fmt.Fprintf(w, "tag %x\n", tag)
				}
			})
		},
	}
	out.register(cmd)
	in.register(cmd)
	return cmd
}
