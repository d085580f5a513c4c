package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

func newAuditOpenCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var openerPath, txID, evOut, caPath string
	var force bool
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Name the member behind a committed transaction and build the evidence from chain data",
		Long: `The regulator's tool. Fetch a committed anonymous transaction from a node,
open its group signature with the opener key (the signed message is the
transaction id; a tagged signature's scope is its topic's), find the
member whose certificate at the transaction's epoch is the opened A (its
join response, or the revocation record that re-issued it), and assemble
the evidence bundle from chain data alone: the transaction itself, the
§5 bundle of its signature (group key, epoch, opening, the member's join
record, the revocation records into the epoch) and the member's identity
certificate. The bundle is checked (SPEC §5, conditions 1-4; with --ca
all of it, down to the certificate) before anything is written.

--out writes the bundle (JSON, public); anyone checks it offline with
'veil audit check --evidence FILE --ca ca.crt'. Under --output json
without --out the bundle is printed as "evidence".

An A that no member on chain holds at that epoch is refused (exit 1): a
certificate made outside the register points at the issuer (SPEC §8).

Without --opener-key (a group whose opener key is shared among opening
authorities, and erased), it writes to --out the evidence of the
threshold opening that t authorities completed on chain ('veil audit
consent', 'veil audit release'); it is refused until they have.`,
		Example: `  veil audit open --node http://127.0.0.1:7010 --opener-key net/groups/payments.opener.key \
    --tx 3fa2… --out evidence.json
  veil audit open --opener-key regulator/payments.opener.key --tx 3fa2… --ca net/ca/ca.crt --output json
  veil audit open --tx 3fa2… --out evidence.json   # after a threshold opening on chain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if evOut != "" && !force {
				if err := checkAbsent(evOut); err != nil {
					return err
				}
			}
			if openerPath == "" {
				// A group whose opener key is shared: the evidence of the
				// threshold opening its authorities completed on chain.
				if evOut == "" {
					return badInput(errors.New("without --opener-key, audit open writes the threshold opening's evidence: give --out"))
				}
				return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
					op, err := c.Openings(ctx, txID)
					if err != nil {
						return chainError(err)
					}
					if err := writeThresholdEvidence(ctx, c, op, evOut, caPath, force); err != nil {
						return err
					}
					return out.print(cmd.OutOrStdout(), map[string]any{"tx": op.Tx, "group": op.Group, "epoch": op.Epoch, "label": op.Opening.Label,
						"a": op.Opening.A, "threshold": true, "evidence_file": evOut, "cert_checked": caPath != ""}, func(w io.Writer) {
						fmt.Fprintf(w, "transaction %s (group %s, epoch %d) was opened on chain by its committee: signed by %q\n  evidence  %s (public: 'veil audit check --evidence %s --ca CA.crt')\n",
							op.Tx, op.Group, op.Epoch, op.Opening.Label, evOut, evOut)
					})
				})
			}
			ok := new(groupsig.OpenerKey)
			if _, err := readGS2(openerPath, ok); err != nil {
				return err
			}
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				op, err := c.OpenTx(ctx, ok, txID)
				if err != nil {
					return openTxError(err)
				}
				if caPath != "" {
					ca, err := readCA(caPath)
					if err != nil {
						return err
					}
					if _, err := op.Evidence.Check(ca); err != nil {
						return evidenceError(fmt.Errorf("the evidence does not check against %s: %w", caPath, err))
					}
				}
				tx, id := op.Tx, op.Tx.ID()
				res := map[string]any{"tx": hex.EncodeToString(id[:]), "group": tx.Group, "topic": tx.Topic, "height": op.Evidence.Height, "epoch": tx.Epoch,
					"label": op.Accused.Label, "org": op.Member.Org, "identity_public_key": hex.EncodeToString(op.Accused.IdentityKey),
					"a": hex.EncodeToString(op.A), "tagged": groupsig.IsTagged(tx.Auth), "cert_checked": caPath != ""}
				if evOut != "" {
					data, err := json.MarshalIndent(op.Evidence, "", "  ")
					if err != nil {
						return err
					}
					if err := writeFile(evOut, append(data, '\n'), 0o644, force); err != nil {
						return err
					}
					res["evidence_file"] = evOut
				} else {
					res["evidence"] = op.Evidence
				}
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					fmt.Fprintf(w, "transaction %x (group %s, epoch %d, height %d) was signed by\n  label         %s\n  organisation  %s\n  identity key  %x\n  A             %x\n",
						id, tx.Group, tx.Epoch, op.Evidence.Height, op.Accused.Label, op.Member.Org, op.Accused.IdentityKey, op.A)
					if evOut != "" {
						fmt.Fprintf(w, "  evidence      %s (public: 'veil audit check --evidence %s --ca CA.crt')\n", evOut, evOut)
					}
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "the group's opener key file (absent: the threshold opening's evidence, see above)")
	cmd.Flags().StringVar(&txID, "tx", "", "the committed transaction's id (required)")
	cmd.Flags().StringVar(&evOut, "out", "", "file to write the evidence bundle (JSON) to")
	cmd.Flags().StringVar(&caPath, "ca", "", "also check the bundle against this consortium CA certificate before writing it")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --out")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}
