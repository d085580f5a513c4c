package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
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
			if ok, err := checkThresholdBundle(cmd, &out, evPath, caPath, accusedArg); ok {
				return err // a threshold opening's bundle (opening_show.go)
			}
			var accused ed25519.PublicKey
			if accusedArg != "" {
				var err error
				if accused, err = parsePublicKey("accused", accusedArg); err != nil {
					return err
				}
			}
			ev, off, err := readEvidence(evPath)
			if err != nil {
				return err
			}
			res := map[string]any{"valid": true, "cert_checked": caPath != ""}
			var got *groupsig.Accused
			var who *chain.MemberIdentity
			switch {
			case ev != nil && caPath != "":
				ca, err := readCA(caPath)
				if err != nil {
					return err
				}
				f, err := ev.Check(ca)
				if err != nil {
					return evidenceError(err)
				}
				who = &f.Member
				got = &groupsig.Accused{Label: f.Member.Label, IdentityKey: f.Member.Key, Epoch: f.Epoch}
				res["tx"], res["group"], res["height"], res["chain_id"] = hex.EncodeToString(f.TxID[:]), f.Group, ev.Height, ev.ChainID
				if f.Topic != "" {
					res["topic"] = f.Topic
				}
			case ev != nil:
				if got, err = ev.Group.Check(accused); err != nil {
					return evidenceError(err)
				}
			default:
				if caPath != "" {
					ca, err := readCA(caPath)
					if err != nil {
						return err
					}
					if who, err = off.certIdentity(ca); err != nil {
						return err
					}
				}
				key := accused
				if who != nil {
					key = who.Key
				}
				if got, err = off.Check(key); err != nil {
					return evidenceError(err)
				}
			}
			if accused != nil && !accused.Equal(got.IdentityKey) {
				return refused(fmt.Errorf("%w: the accused (--accused) is not the member the evidence names", chain.ErrEvidence))
			}
			res["label"], res["identity_public_key"], res["epoch"], res["accused_checked"] = got.Label, hex.EncodeToString(got.IdentityKey), got.Epoch, accused != nil || who != nil
			if who != nil {
				res["org"] = who.Org
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "valid: %q signed", got.Label)
				if tx, ok := res["tx"]; ok {
					fmt.Fprintf(w, " transaction %s of group %s", tx, res["group"])
				}
				fmt.Fprintf(w, " at epoch %d\n", got.Epoch)
				if who != nil {
					fmt.Fprintf(w, "  organisation  %s\n", who.Org)
				}
				fmt.Fprintf(w, "  label         %s\n  identity key  %x\n", got.Label, got.IdentityKey)
				switch {
				case who != nil:
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
