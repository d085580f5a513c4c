package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newOpenCmd() *cobra.Command {
	var out outputFlag
	var in signedFlags
	var openerPath, registryPath string
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Name the member who made a signature, with a proof (the opener's tool)",
		Long: `Open a valid signature with the opener key: recover the signer's A, look
its label up in the registry, and print a proof that anyone can check with
'veil verify-opening' from public data alone. An invalid signature is
refused (exit 1), never guessed at.`,
		Example: `  veil open --opener-key keys/acme.opener.key --gpk keys/acme.gpk \
    --registry keys/acme.registry --message "hello" --signature 01a2…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			ok := new(bbs04.OpenerKey)
			if err := readKey(openerPath, ok); err != nil {
				return err
			}
			var reg *bbs04.Registry
			if registryPath != "" {
				reg = new(bbs04.Registry)
				if err := readKey(registryPath, reg); err != nil {
					return err
				}
			}
			pk, m, sig, err := in.read()
			if err != nil {
				return err
			}
			id, proof, err := bbs04.Open(ok, pk, m, sig, rand.Reader)
			if err != nil {
				return openError(err)
			}
			label := ""
			if reg != nil {
				label, _ = reg.Lookup(id)
			}
			proofBytes, _ := proof.MarshalBinary()
			res := map[string]string{"label": label, "a": id.String(), "proof": hex.EncodeToString(proofBytes)}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				shown := label
				if shown == "" {
					shown = "(not in the registry given)"
				}
				fmt.Fprintf(w, "label %s\na     %s\nproof %s\n", shown, id, res["proof"])
			})
		},
	}
	out.register(cmd)
	in.register(cmd)
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "opener key file (required)")
	cmd.Flags().StringVar(&registryPath, "registry", "", "issuer registry file, to name the member's label")
	_ = cmd.MarkFlagRequired("opener-key")
	return cmd
}
