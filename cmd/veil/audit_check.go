package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

func newAuditCheckCmd() *cobra.Command {
	var out outputFlag
	var evPath, accusedArg, caPath, atArg string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check an evidence bundle offline: who signed, down to the CA's certificate",
		Long: `Check an evidence bundle from 'veil audit open' or 'veil audit evidence'
(SPEC §5) with public data alone — no node, no secret. The owner of the
identity key signed iff (1) the opening checks; (2) A is the member's
certificate at the signature's epoch (its join response, or the
revocation record into the epoch, with the chain of records before it);
(3) A is a certificate of the member's x and H; (4) the member's join
request checks and the response answers it; (5) the join record's
identity key is the accused's.

--ca (the consortium CA certificate, e.g. ca.crt) names the accused: the
bundle's member certificate must chain to the CA at --at (default now),
be a member identity certificate for the bundle's label, and its key is
the accused's for condition 5. Prints the accused's organisation, label
and identity key. --accused instead (or as well) gives the accused's key
directly (a public key file from 'member keygen', or hex). Without either,
condition 5 is left to you: compare the printed identity key.

Exit 0 if it holds; 1 if it is refused, naming the condition (1-5) that
failed (also "condition" in the --output json error) or the certificate's
fault (code "bad_certificate"); 2 for a malformed bundle. The revocation
records in the bundle are trusted to be the ones the ledger accepted.`,
		Example: `  veil audit check --evidence evidence.json --ca ca.crt
  veil audit check --evidence evidence.json --ca ca.crt --output json
  veil audit check --evidence evidence.json --accused alice.pub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			var accused ed25519.PublicKey
			if accusedArg != "" {
				var err error
				if accused, err = parsePublicKey("accused", accusedArg); err != nil {
					return err
				}
			}
			at := time.Now()
			if atArg != "" {
				var err error
				if at, err = time.Parse(time.RFC3339, atArg); err != nil {
					return badInput(fmt.Errorf("--at: %w", err))
				}
			}
			b, err := readBundle(evPath)
			if err != nil {
				return err
			}
			var org string
			if caPath != "" {
				id, err := checkBundleCert(b, caPath, at)
				if err != nil {
					return err
				}
				if accused != nil && !accused.Equal(id.Key) {
					return refused(fmt.Errorf("%w: --accused is not the key the member certificate certifies", errCertificate))
				}
				accused, org = id.Key, id.Org
			}
			if err := b.checkChainFields(); err != nil {
				return err
			}
			got, err := b.Check(accused)
			var acc *groupsig.AccountabilityError
			switch {
			case errors.As(err, &acc):
				return refused(fmt.Errorf("condition %d failed: %w", acc.Condition, err))
			case err != nil:
				return badInput(fmt.Errorf("%s: %w", evPath, err))
			}
			res := map[string]any{"valid": true, "label": got.Label, "identity_public_key": hex.EncodeToString(got.IdentityKey),
				"epoch": got.Epoch, "accused_checked": accused != nil, "cert_checked": caPath != ""}
			if org != "" {
				res["org"] = org
			}
			for k, v := range map[string]string{"tx": b.Tx, "group": b.Group, "chain_id": b.ChainID, "topic": b.Topic} {
				if v != "" {
					res[k] = v
				}
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "valid: %q signed", got.Label)
				if b.Tx != "" {
					fmt.Fprintf(w, " transaction %s of group %s", b.Tx, b.Group)
				}
				fmt.Fprintf(w, " at epoch %d\n", got.Epoch)
				if org != "" {
					fmt.Fprintf(w, "  organisation  %s\n", org)
				}
				fmt.Fprintf(w, "  label         %s\n  identity key  %x\n", got.Label, got.IdentityKey)
				switch {
				case caPath != "":
					fmt.Fprintf(w, "  certified by the CA of %s\n", caPath)
				case accused != nil:
					fmt.Fprintln(w, "  it is the accused's key")
				default:
					fmt.Fprintln(w, "  condition 5 not checked: compare this key with the accused's (--ca or --accused)")
				}
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&evPath, "evidence", "", "the evidence bundle, JSON from 'audit open' or 'audit evidence' (required)")
	cmd.Flags().StringVar(&caPath, "ca", "", "the consortium CA certificate: check the bundle's member certificate and accuse its key")
	cmd.Flags().StringVar(&accusedArg, "accused", "", "the accused's Ed25519 public key: a PEM file or hex")
	cmd.Flags().StringVar(&atArg, "at", "", "check the member certificate's validity at this time (RFC 3339; default now)")
	_ = cmd.MarkFlagRequired("evidence")
	return cmd
}

// memberIdentity is what a checked member certificate says.
type memberIdentity struct {
	Org, Label string
	Key        ed25519.PublicKey
}

// checkBundleCert checks the bundle's member certificate against the CA
// certificate at caPath: a member identity certificate of the CA, valid
// at at, for the bundle's label.
func checkBundleCert(b *auditBundle, caPath string, at time.Time) (*memberIdentity, error) {
	data, err := os.ReadFile(caPath)
	if err != nil {
		return nil, badInput(fmt.Errorf("read CA certificate: %w", err))
	}
	ca, err := genesis.ParseCertificatePEM(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("CA certificate %s: %w", caPath, err))
	}
	if len(b.MemberCert) == 0 {
		return nil, refused(fmt.Errorf("%w: %w: nothing ties the join record to a person the CA certified", errCertificate, errNoCert))
	}
	cert, err := x509.ParseCertificate(b.MemberCert)
	if err != nil {
		return nil, refused(fmt.Errorf("%w: member certificate: %v", errCertificate, err))
	}
	id, err := genesis.VerifyMember(cert, ca, at)
	if err != nil {
		return nil, refused(fmt.Errorf("%w: %v", errCertificate, err))
	}
	if id.Label != b.Label {
		return nil, refused(fmt.Errorf("%w: the member certificate is for %q, the evidence names %q", errCertificate, id.Label, b.Label))
	}
	return &memberIdentity{Org: id.Org, Label: id.Label, Key: id.Key}, nil
}
