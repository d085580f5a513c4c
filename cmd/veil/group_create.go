package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newGroupCreateCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var curve string
	var oc onChainFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a group: public key, issuer key, opener key and registry",
		Long: `Create a new BBS04 group at epoch 0 and write its files into --dir:
NAME.gpk (public), NAME.issuer.key, NAME.opener.key and NAME.registry
(secret, mode 0600). Hand the opener key to the regulator.

--curve chooses the pairing type, fixed for the group's lifetime:
bls12-381 (default; about 120-128-bit security, 337-byte signatures) or
bn254 (about 100-bit security, 289-byte signatures, faster).

With --node and --admin-key (the consortium admin key) the group is also
added on chain: an issuer admin key is created as NAME.admin.key (0600) and
registered with the group, so that the issuer can then register and revoke
members on chain.`,
		Example: `  veil group create --name acme --dir keys
  veil group create --name acme --dir keys --curve bn254
  veil group create --name globex --dir net/groups --curve bn254 \
    --node http://127.0.0.1:8545 --admin-key net/admin.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			suite, err := bbs04.ParseSuite(curve)
			if err != nil {
				return badInput(fmt.Errorf("--curve: %w", err))
			}
			g := gd.groupDir()
			pk, err := g.CreateSuite(suite, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			enc, _ := pk.MarshalBinary()
			files := map[string]string{"public_key": g.PublicKeyPath(), "issuer_key": g.IssuerKeyPath(), "opener_key": g.OpenerKeyPath(), "registry": g.RegistryPath()}
			res := map[string]any{"name": g.Name, "curve": pk.Suite().String(), "epoch": pk.Epoch(), "group_public_key": hex.EncodeToString(enc), "files": files}
			if oc.enabled() {
				adminPath := filepath.Join(gd.dir, gd.name+".admin.key")
				pub, priv, err := ed25519.GenerateKey(rand.Reader)
				if err != nil {
					return err
				}
				if err := genesis.WritePrivateKey(adminPath, priv); err != nil {
					return badInput(err)
				}
				files["issuer_admin_key"] = adminPath
				txID, h, err := oc.submitAdmin(cmd.Context(), &chain.Tx{Kind: chain.KindAddGroup, Group: g.Name, GroupKey: enc, AdminKey: pub})
				if err != nil {
					return fmt.Errorf("group files written in %s, but adding the group on chain failed: %w", gd.dir, err)
				}
				res["tx"], res["height"] = txID, h
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "created %s group %q at epoch 0\n  public key  %s\n  issuer key  %s (secret)\n  opener key  %s (secret: give it to the opener)\n  registry    %s (secret)\n",
					pk.Suite(), g.Name, g.PublicKeyPath(), g.IssuerKeyPath(), g.OpenerKeyPath(), g.RegistryPath())
				if h, ok := res["height"]; ok {
					fmt.Fprintf(w, "  issuer admin key %s (secret)\n  added on chain at height %d\n", files["issuer_admin_key"], h)
				}
			})
		},
	}
	gd.register(cmd)
	out.register(cmd)
	cmd.Flags().StringVar(&curve, "curve", "bls12-381", "pairing type: bls12-381 or bn254")
	oc.register(cmd, "the consortium admin's")
	return cmd
}
