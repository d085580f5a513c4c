package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
)

func newMemberKeygenCmd() *cobra.Command {
	var out outputFlag
	var keyOut, pubOut string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a member's Ed25519 identity key",
		Long: `Make an Ed25519 identity key: --out gets the private key (PEM PKCS#8,
mode 0600), --pub-out (default: --out with its extension replaced by .pub) the
public key (PEM, 0644). The identity key signs the member's join requests,
binding the member's secret to the person: give the public key to the
consortium CA that vouches for it ('veil audit check --accused' compares
against it). An existing file is never replaced without --force.`,
		Example: `  veil member keygen --out alice.id
  veil member keygen --out ~/.veil/alice.key --pub-out alice.pub --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if pubOut == "" {
				pubOut = strings.TrimSuffix(keyOut, filepath.Ext(keyOut)) + ".pub"
			}
			if pubOut == keyOut {
				return badInput(fmt.Errorf("--pub-out is the same file as --out"))
			}
			if !force {
				if err := checkAbsent(keyOut, pubOut); err != nil {
					return err
				}
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			privPEM, err := genesis.MarshalPrivateKey(priv)
			if err != nil {
				return err
			}
			pubPEM, err := marshalPublicKey(pub)
			if err != nil {
				return err
			}
			if err := writeFile(keyOut, privPEM, 0o600, force); err != nil {
				return err
			}
			if err := writeFile(pubOut, pubPEM, 0o644, force); err != nil {
				return err
			}
			res := map[string]string{"identity_public_key": hex.EncodeToString(pub), "key_file": keyOut, "public_key_file": pubOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "identity key %s (secret)\npublic key   %s\n%s\n", keyOut, pubOut, res["identity_public_key"])
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&keyOut, "out", "", "file to write the private identity key to (required)")
	cmd.Flags().StringVar(&pubOut, "pub-out", "", "file to write the public key to (default: --out with extension .pub)")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing files")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
