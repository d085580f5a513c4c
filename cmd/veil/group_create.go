package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newGroupCreateCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a group: public key, issuer key, opener key and registry",
		Long: `Create a new BBS04 group at epoch 0 and write its files into --dir:
NAME.gpk (public), NAME.issuer.key, NAME.opener.key and NAME.registry
(secret, mode 0600). Hand the opener key to the regulator.`,
		Example: `  veil group create --name acme --dir keys`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			g := gd.groupDir()
			pk, err := g.Create(rand.Reader)
			if err != nil {
				return badInput(err)
			}
			enc, _ := pk.MarshalBinary()
			res := map[string]any{
				"name": g.Name, "epoch": pk.Epoch(), "group_public_key": hex.EncodeToString(enc),
				"files": map[string]string{"public_key": g.PublicKeyPath(), "issuer_key": g.IssuerKeyPath(), "opener_key": g.OpenerKeyPath(), "registry": g.RegistryPath()},
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "created group %q at epoch 0\n  public key  %s\n  issuer key  %s (secret)\n  opener key  %s (secret: give it to the opener)\n  registry    %s (secret)\n",
					g.Name, g.PublicKeyPath(), g.IssuerKeyPath(), g.OpenerKeyPath(), g.RegistryPath())
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	return cmd
}
