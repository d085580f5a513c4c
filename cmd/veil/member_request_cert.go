package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
)

func newMemberRequestCertCmd() *cobra.Command {
	var out outputFlag
	var identity, org, label, csrOut string
	var force bool
	cmd := &cobra.Command{
		Use:   "request-cert",
		Short: "Ask the consortium CA to certify an identity key: write a certificate request",
		Long: `Write a certificate request (a PKCS#10 CSR, PEM "CERTIFICATE REQUEST") for
the member's Ed25519 identity key, naming its organisation (--org, the
certificate's O) and its label (--label, the CN: the label it joins groups
under). The request is signed by the identity key itself, which proves to
the CA that the member holds it. Send the request to the CA ('veil ca
issue-member'); it sends back the certificate.

--identity is the identity key file: used if it exists, created (mode
0600, with its public key next to it as .pub) if not. The request is
public; an existing --out is replaced only with --force.`,
		Example: `  veil member request-cert --identity alice/alice.id --org "Acme Bank" --label alice --out alice/alice.csr
  veil member request-cert --identity bob.id --org "Globex Insurance" --label bob --out bob.csr --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if !force {
				if err := checkAbsent(csrOut); err != nil {
					return err
				}
			}
			key, created, err := loadOrCreateIdentity(identity)
			if err != nil {
				return err
			}
			csr, err := genesis.NewMemberRequest(org, label, key, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			if err := writeFile(csrOut, csr, 0o644, force); err != nil {
				return err
			}
			pub := key.Public().(ed25519.PublicKey)
			res := map[string]any{"org": org, "label": label, "identity_public_key": hex.EncodeToString(pub),
				"identity_key_file": identity, "identity_created": created, "request_file": csrOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				if created {
					fmt.Fprintf(w, "identity key %s created (secret)\n", identity)
				}
				fmt.Fprintf(w, "certificate request for %q of %q -> %s (public: send it to the consortium CA)\n  identity key %x\n", label, org, csrOut, pub)
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&identity, "identity", "", "the member's identity key file: used if it exists, else created (required)")
	cmd.Flags().StringVar(&org, "org", "", "the member's organisation, the certificate's O (required)")
	cmd.Flags().StringVar(&label, "label", "", "the member's label, the certificate's CN (required)")
	cmd.Flags().StringVar(&csrOut, "out", "", "file to write the certificate request to (required)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --out")
	for _, f := range []string{"identity", "org", "label", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// loadOrCreateIdentity reads an identity key, or creates it (0600, with
// its public key as .pub next to it, 0644) when the file does not exist.
func loadOrCreateIdentity(path string) (ed25519.PrivateKey, bool, error) {
	if _, err := os.Lstat(path); err == nil {
		key, err := readIdentity(path)
		return key, false, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, badInput(err)
	}
	pubPath := strings.TrimSuffix(path, filepath.Ext(path)) + ".pub"
	if pubPath == path {
		pubPath = path + ".pub"
	}
	if err := checkAbsent(pubPath); err != nil {
		return nil, false, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	privPEM, err := genesis.MarshalPrivateKey(priv)
	if err != nil {
		return nil, false, err
	}
	pubPEM, err := marshalPublicKey(pub)
	if err != nil {
		return nil, false, err
	}
	if err := writeFile(path, privPEM, 0o600, false); err != nil {
		return nil, false, err
	}
	if err := writeFile(pubPath, pubPEM, 0o644, false); err != nil {
		return nil, false, err
	}
	return priv, true, nil
}
