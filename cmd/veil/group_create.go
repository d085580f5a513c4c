package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newGroupCreateCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var curve string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a group: public key, issuer key, opener key and registry",
		Long: `Create a new BBS04 group at epoch 0 and write its files into --dir:
NAME.gpk (public), NAME.issuer.key, NAME.opener.key and NAME.registry
(secret, mode 0600). Hand the opener key to the regulator.

--curve chooses the pairing type, fixed for the group's lifetime:
bls12-381 (default; about 120-128-bit security, 337-byte signatures) or
bn254 (about 100-bit security, 289-byte signatures, faster).`,
		Example: `  veil group create --name acme --dir keys
  veil group create --name acme --dir keys --curve bn254`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			suite, err := groupsig.ParseSuite(curve)
			if err != nil {
				return badInput(fmt.Errorf("--curve: %w", err))
			}
			g := gd.groupDir()
			pk, err := g.CreateSuite(suite, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			enc, _ := pk.MarshalBinary()
			res := map[string]any{
				"name": g.Name, "curve": pk.Suite().String(), "epoch": pk.Epoch(), "group_public_key": hex.EncodeToString(enc),
				"files": map[string]string{"public_key": g.PublicKeyPath(), "issuer_key": g.IssuerKeyPath(), "opener_key": g.OpenerKeyPath(), "registry": g.RegistryPath()},
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "created %s group %q at epoch 0\n  public key  %s\n  issuer key  %s (secret)\n  opener key  %s (secret: give it to the opener)\n  registry    %s (secret)\n",
					pk.Suite(), g.Name, g.PublicKeyPath(), g.IssuerKeyPath(), g.OpenerKeyPath(), g.RegistryPath())
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	cmd.Flags().StringVar(&curve, "curve", "bls12-381", "pairing type: bls12-381 or bn254")
	return cmd
}
