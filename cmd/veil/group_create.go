package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

func newGroupCreateCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var curve string
	var oc onChainFlags
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a group: group key with its proofs, issuer key, opener key and registry",
		Long: `Create a v2 group at epoch 0 (SPEC-groupsig-v2.md) and write its files
into --dir: NAME.gpk (public: the group key, the issuer's and the opener's
proofs), NAME.issuer.key and NAME.opener.key (secret, mode 0600) and
NAME.registry (public: every join record and revocation record). Hand the
opener key to the regulator and publish NAME.gpk. Existing files are
never replaced.

--curve chooses the pairing type, fixed for the group's lifetime:
bls12-381 (default; about 117-120-bit security, 370-byte signatures) or
bn254 (about 100-bit security, 322-byte signatures, faster).

With --admin-key (the consortium admin key) and --node (or $VEIL_NODE) it
also adds the group on chain: gpk_0 with both proofs and a new issuer
admin key, written as NAME.admin.key (0600), which signs the group's join
responses and revocations. Members then join it with 'veil group join'.`,
		Example: `  veil group create --name acme --dir "$ISSUER_DIR"
  veil group create --name acme --dir "$ISSUER_DIR" --curve bn254 --output json
  veil group create --name globex --dir net/groups \
    --node http://127.0.0.1:7010 --admin-key net/admin.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			suite, err := groupsig.ParseSuite(curve)
			if err != nil {
				return badInput(fmt.Errorf("--curve: %w", err))
			}
			g := gd.gs2()
			if g.name == "" || filepath.Base(g.name) != g.name {
				return badInput(fmt.Errorf("--name %q: want a plain file name", g.name))
			}
			adminPath := g.path(".admin.key")
			if err := checkAbsent(g.gpkPath(), g.issuerKeyPath(), g.openerKeyPath(), g.registryPath()); err != nil {
				return err
			}
			if oc.enabled() {
				if _, err := oc.node.client(); err != nil {
					return err
				}
				if err := checkAbsent(adminPath); err != nil {
					return err
				}
			}
			if err := os.MkdirAll(g.dir, 0o700); err != nil {
				return badInput(err)
			}
			gk, ik, ok, ip, op, err := groupsig.Setup(suite, rand.Reader)
			if err != nil {
				return err
			}
			reg, err := groupsig.NewRegistry(gk)
			if err != nil {
				return err
			}
			// The public key last: a reader that finds it finds the rest.
			for _, f := range []struct {
				path string
				obj  interface{ MarshalBinary() ([]byte, error) }
			}{{g.openerKeyPath(), ok}, {g.issuerKeyPath(), ik}, {g.registryPath(), reg}} {
				if err := writeObjects(f.path, false, f.obj); err != nil {
					return err
				}
			}
			if err := (&groupFile{gk: gk, ip: ip, op: op}).write(g.gpkPath(), false); err != nil {
				return err
			}
			enc, _ := gk.MarshalBinary()
			ref := gk.Ref()
			files := map[string]string{"group_key": g.gpkPath(), "issuer_key": g.issuerKeyPath(), "opener_key": g.openerKeyPath(), "registry": g.registryPath()}
			res := map[string]any{"name": g.name, "version": 2, "curve": gk.Suite().String(), "epoch": gk.Epoch(),
				"group_key": hex.EncodeToString(enc), "gref": hex.EncodeToString(ref[:]), "files": files}
			if oc.enabled() {
				pub, priv, err := ed25519.GenerateKey(rand.Reader)
				if err != nil {
					return err
				}
				if err := genesis.WritePrivateKey(adminPath, priv); err != nil {
					return badInput(err)
				}
				files["issuer_admin_key"] = adminPath
				ipb, _ := ip.MarshalBinary()
				opb, _ := op.MarshalBinary()
				ctx, cancel := oc.context(cmd)
				defer cancel()
				txID, h, err := oc.submitAdmin(ctx, &chain.Tx{Kind: chain.KindAddGroup, Group: g.name, GroupKey: enc, IssuerProof: ipb, OpenerProof: opb, AdminKey: pub})
				if err != nil {
					return fmt.Errorf("group files written in %s, but adding the group on chain failed: %w", g.dir, err)
				}
				res["tx"], res["height"] = txID, h
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "created %s group %q at epoch 0 (gref %x)\n  group key   %s (public: give it to members)\n  issuer key  %s (secret)\n  opener key  %s (secret: give it to the opener)\n  registry    %s (public)\n",
					gk.Suite(), g.name, ref, g.gpkPath(), g.issuerKeyPath(), g.openerKeyPath(), g.registryPath())
				if h, ok := res["height"]; ok {
					fmt.Fprintf(w, "  admin key   %s (secret: signs join responses and revocations)\n  added on chain at height %d\n", adminPath, h)
				}
			})
		},
	}
	gd.register(cmd)
	// No default for the directory that receives the issuer's and
	// opener's secrets: "." would put them in a source checkout.
	_ = cmd.MarkFlagRequired("dir")
	out.register(cmd)
	cmd.Flags().StringVar(&curve, "curve", "bls12-381", "pairing type: bls12-381 or bn254")
	_ = cmd.RegisterFlagCompletionFunc("curve", completeSuites)
	oc.register(cmd, "the consortium admin's")
	return cmd
}
