package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newVerifyOpeningCmd() *cobra.Command {
	var out outputFlag
	var in signedFlags
	var aHex, proofHex string
	cmd := &cobra.Command{
		Use:   "verify-opening",
		Short: "Check an opener's claim that a member made a signature",
		Long: `Check, from public data only, an opening printed by 'veil open': that
the signature is valid under the group key and that the group's real
opening key maps it to the member identity A. Exit 0 if the opening holds,
1 if it is refused.`,
		Example: `  veil verify-opening --gpk keys/acme.gpk --message "hello" \
    --signature 01a2… --a 8f3c… --proof 01c4…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			pk, m, sig, err := in.read()
			if err != nil {
				return err
			}
			aBytes, err := decodeHex("a", aHex)
			if err != nil {
				return err
			}
			var id bbs04.Identity
			if err := id.UnmarshalBinary(aBytes); err != nil {
				return badInput(fmt.Errorf("--a: %w", err))
			}
			proof, err := decodeProof(proofHex)
			if err != nil {
				return err
			}
			if err := bbs04.VerifyOpening(pk, m, sig, id, proof); err != nil {
				return refused(err)
			}
			return out.print(cmd.OutOrStdout(), map[string]any{"valid": true, "a": id.String()}, func(w io.Writer) {
				fmt.Fprintf(w, "valid: the signature was made by the member with A = %s\n", id)
			})
		},
	}
	out.register(cmd)
	in.register(cmd)
	cmd.Flags().StringVar(&aHex, "a", "", "the member identity A in hex (required)")
	cmd.Flags().StringVar(&proofHex, "proof", "", "the opening proof in hex (required)")
	_ = cmd.MarkFlagRequired("a")
	_ = cmd.MarkFlagRequired("proof")
	return cmd
}
