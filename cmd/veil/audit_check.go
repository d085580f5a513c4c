package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/console"
	"github.com/veilchain/veil/groupsig"
)

func newAuditCheckCmd() *cobra.Command {
	var out outputFlag
	var evPath, accusedArg, caPath string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check an evidence bundle offline: who signed, down to the CA's certificate",
		Long: `Check an evidence bundle from 'veil audit open' (a committed transaction)
or 'veil audit evidence' (any signature) with public data alone — no
node, no secret. The owner of the identity key signed iff (1) the opening
checks; (2) A is the member's certificate at the signature's epoch (its
join response, or the revocation record into the epoch, with the chain of
records before it); (3) A is a certificate of the member's x and H; (4)
the member's join request checks and the response answers it; (5) the
join record's identity key is the accused's. For a transaction's bundle,
the transaction must also be the message signed, in its topic's scope.

--ca (the consortium CA certificate, e.g. ca.crt) names the accused: the
bundle's member certificate must be a member identity certificate of that
CA for the bundle's label, and its key is the accused's for condition 5.
Prints the accused's organisation, label and identity key. --accused
instead (or as well) gives the accused's key (a public key file from
'member keygen', or hex). Without either, condition 5 is left to you:
compare the printed identity key.

Exit 0 if it holds; 1 if it is refused, naming the condition (1-5) that
failed (also "condition" in the --output json error, code
"not_accountable") or what else does not hold together (code
"bad_evidence": the certificate, the transaction); 2 for a malformed
bundle. The revocation records in the bundle are trusted to be the ones
the ledger accepted.`,
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
			b, err := readEvidence(evPath)
			if err != nil {
				return err
			}
			var ca *x509.Certificate
			if caPath != "" {
				if ca, err = readCA(caPath); err != nil {
					return err
				}
			}
			v, err := b.Check(ca, accused) // the audit console's check (console.Bundle.Check)
			if err != nil {
				return evidenceError(err)
			}
			return out.print(cmd.OutOrStdout(), verdictJSON(v), func(w io.Writer) { verdictText(w, v, caPath, accused != nil) })
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&evPath, "evidence", "", "the evidence bundle, JSON from 'audit open' or 'audit evidence' (required)")
	cmd.Flags().StringVar(&caPath, "ca", "", "the consortium CA certificate: check the bundle's member certificate and accuse its key")
	cmd.Flags().StringVar(&accusedArg, "accused", "", "the accused's Ed25519 public key: a PEM file or hex")
	_ = cmd.MarkFlagRequired("evidence")
	return cmd
}

// evidenceError maps a failed check: a failed condition of §5 or evidence
// that does not hold together is refused (exit 1), a bundle that does not
// decode is bad input (exit 2).
func evidenceError(err error) error {
	var acc *groupsig.AccountabilityError
	switch {
	case errors.As(err, &acc):
		return refused(fmt.Errorf("condition %d failed: %w", acc.Condition, err))
	case errors.Is(err, chain.ErrEvidence), errors.Is(err, groupsig.ErrNotAccountable):
		return refused(err)
	}
	return badInput(err)
}

// verdictJSON is the --output json object of a checked bundle.
func verdictJSON(v *console.Verdict) map[string]any {
	res := map[string]any{"valid": true, "cert_checked": v.CertChecked}
	if v.Threshold {
		res["threshold"] = true
	}
	if v.TxID != "" {
		res["tx"], res["group"], res["height"], res["chain_id"] = v.TxID, v.Group, v.Height, v.ChainID
		if v.Topic != "" && !v.Threshold {
			res["topic"] = v.Topic
		}
	}
	if v.Committee != "" {
		openers := []map[string]any{}
		for _, o := range v.Openers {
			openers = append(openers, map[string]any{"authority": o.Index, "label": o.Label, "org": o.Org, "identity_public_key": hex.EncodeToString(o.Key)})
		}
		res["cref"], res["t"], res["opened_by"] = v.Committee, v.T, openers
	}
	if v.Member != nil {
		res["org"] = v.Member.Org
	}
	res["label"], res["identity_public_key"], res["epoch"], res["accused_checked"] = v.Label, hex.EncodeToString(v.IdentityKey), v.Epoch, v.AccusedChecked
	return res
}

// verdictText is the text form of a checked bundle.
func verdictText(w io.Writer, v *console.Verdict, caPath string, accused bool) {
	fmt.Fprintf(w, "valid: %q signed", v.Label)
	if v.TxID != "" {
		fmt.Fprintf(w, " transaction %s of group %s", v.TxID, v.Group)
	}
	fmt.Fprintf(w, " at epoch %d", v.Epoch)
	if v.Threshold {
		fmt.Fprint(w, " (threshold opening)")
	}
	fmt.Fprintln(w)
	if v.Member != nil {
		fmt.Fprintf(w, "  organisation  %s\n", v.Member.Org)
	}
	fmt.Fprintf(w, "  label         %s\n  identity key  %x\n", v.Label, v.IdentityKey)
	for _, o := range v.Openers {
		fmt.Fprintf(w, "  opened by authority %d: %s (%s)\n", o.Index, o.Label, o.Org)
	}
	switch {
	case v.Member != nil:
		fmt.Fprintf(w, "  certified by the CA of %s\n", caPath)
	case accused:
		fmt.Fprintln(w, "  it is the accused's key")
	case v.Threshold:
		fmt.Fprintln(w, "  condition 5 and the certificates not checked: give --ca (or compare the key with --accused)")
	default:
		fmt.Fprintln(w, "  condition 5 not checked: compare this key with the accused's (--ca or --accused)")
	}
}
