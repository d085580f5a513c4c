package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newVerifyOpeningCmd() *cobra.Command {
	var out outputFlag
	var in signedFlags
	var openingArg string
	cmd := &cobra.Command{
		Use:   "verify-opening",
		Short: "Check an opener's claim that a certificate A made a signature",
		Long: `Check, from public data only, an opening printed by 'veil open': that
the signature is valid under the group key of its epoch (the --gpk key's,
or --epoch) and that the group's opening key maps it to the certificate A
the opening names (printed). Which member holds A is for the join records:
'veil audit check' checks the whole chain from A to an identity key.
Exit 0 if the opening holds, 1 if it is refused.`,
		Example: `  veil verify-opening --gpk acme.gpk --message "hello" \
    --signature 1106a2… --opening 1108b9…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			s, err := in.read()
			if err != nil {
				return err
			}
			o := new(groupsig.Opening)
			if err := readArg("opening", openingArg, o); err != nil {
				return err
			}
			if err := groupsig.VerifyOpening(s.gk, s.msg, s.scope, s.sig, o); err != nil {
				return refused(err)
			}
			a := hex.EncodeToString(o.A())
			return out.print(cmd.OutOrStdout(), map[string]any{"valid": true, "epoch": s.gk.Epoch(), "a": a}, func(w io.Writer) {
				fmt.Fprintf(w, "valid: the signature was made by the holder of A = %s at epoch %d\n", a, s.gk.Epoch())
			})
		},
	}
	out.register(cmd)
	in.register(cmd)
	cmd.Flags().StringVar(&openingArg, "opening", "", "the opening, in hex or a file holding it (required)")
	_ = cmd.MarkFlagRequired("opening")
	return cmd
}
