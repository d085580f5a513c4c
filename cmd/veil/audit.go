package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Open signatures to their signers and check openings (the regulator's tools)",
		Long: `On chain (v1): 'audit open' names the signer of a committed transaction,
'audit verify' checks that opening from the chain's public data.
Offline (v2): 'audit evidence' opens a signature and bundles everything an
accountable opening needs; 'audit check' checks such a bundle from public
data alone, down to the member's Ed25519 identity key.`,
		Example: `  veil audit open --node $VEIL_NODE --opener-key acme.opener.key --tx 3fa2…
  veil audit verify --node $VEIL_NODE --tx 3fa2… --label alice --proof 01c4…
  veil audit evidence --opener-key acme.opener.key --registry acme.registry \
    --message "hello" --signature 1106a2… --out evidence.json
  veil audit check --evidence evidence.json --accused alice.pub`,
	}
	cmd.AddCommand(newAuditOpenCmd(), newAuditVerifyCmd(), newAuditEvidenceCmd(), newAuditCheckCmd())
	return cmd
}

// auditTarget is a committed anonymous transaction with the group key of
// its epoch and the on-chain registry.
type auditTarget struct {
	id    []byte // the signed message: the transaction id
	sig   []byte
	epoch uint64
	pk    *bbs04.PublicKey
	group *api.GroupResponse
}

func fetchAuditTarget(ctx context.Context, c *client.Client, txID string) (*auditTarget, error) {
	tx, err := c.Tx(ctx, txID)
	if err != nil {
		return nil, apiError(err)
	}
	if tx.Kind != "anonymous" {
		return nil, badInput(fmt.Errorf("transaction %s is %s, not anonymous: nothing to open", txID, tx.Kind))
	}
	if tx.Status != "committed" {
		return nil, badInput(fmt.Errorf("transaction %s is not committed yet", txID))
	}
	t := &auditTarget{epoch: tx.Epoch}
	if t.id, err = hex.DecodeString(tx.ID); err != nil {
		return nil, err
	}
	if t.sig, err = hex.DecodeString(tx.Signature); err != nil {
		return nil, err
	}
	if t.group, err = c.GroupAt(ctx, tx.Group, tx.Epoch); err != nil {
		return nil, apiError(err)
	}
	pkb, err := hex.DecodeString(t.group.PublicKey)
	if err != nil {
		return nil, err
	}
	t.pk = new(bbs04.PublicKey)
	if err := t.pk.UnmarshalBinary(pkb); err != nil {
		return nil, fmt.Errorf("group key from the node: %w", err)
	}
	return t, nil
}

// identityOf returns the A of label at the target's epoch from the
// on-chain registry.
func (t *auditTarget) identityOf(label string) (string, bool) {
	for _, m := range t.group.Registry {
		if m.Label == label && t.epoch >= m.Joined && t.epoch-m.Joined < uint64(len(m.History)) {
			return m.History[t.epoch-m.Joined], true
		}
	}
	return "", false
}

func (t *auditTarget) labelOf(a string) string {
	for _, m := range t.group.Registry {
		if got, ok := t.identityOf(m.Label); ok && got == a {
			return m.Label
		}
	}
	return ""
}

func newAuditOpenCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var openerPath, txID string
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Name the member who signed a committed transaction, with a proof",
		Long: `Fetch a committed anonymous transaction and its group's key at the
transaction's epoch from a node, open the signature with the opener key,
and name the member from the on-chain registry. Prints the label, A and an
opening proof that anyone can check with 'veil audit verify'.`,
		Example: `  veil audit open --node http://127.0.0.1:8545 --opener-key net/groups/acme.opener.key --tx 3fa2…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ok := new(bbs04.OpenerKey)
			if err := readKey(openerPath, ok); err != nil {
				return err
			}
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				t, err := fetchAuditTarget(ctx, c, txID)
				if err != nil {
					return err
				}
				id, proof, err := bbs04.Open(ok, t.pk, t.id, t.sig, rand.Reader)
				if err != nil {
					return openError(err)
				}
				pb, _ := proof.MarshalBinary()
				res := map[string]any{"tx": txID, "group": t.group.Name, "epoch": t.epoch, "label": t.labelOf(id.String()), "a": id.String(), "proof": hex.EncodeToString(pb)}
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					label := res["label"].(string)
					if label == "" {
						label = "(A is not in the on-chain registry)"
					}
					fmt.Fprintf(w, "signer %s\na      %s\nproof  %s\n", label, id, res["proof"])
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "opener key file (required)")
	cmd.Flags().StringVar(&txID, "tx", "", "transaction id (required)")
	_ = cmd.MarkFlagRequired("opener-key")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var txID, label, proofHex string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check an opening from public data only",
		Long: `Check the opener's claim that the member --label signed a committed
transaction: fetch the transaction, the group key of its epoch and the
member's A at that epoch from the on-chain registry, and verify the opening
proof. No secret is needed. Exit 0 if the opening holds, 1 if not.`,
		Example: `  veil audit verify --node http://127.0.0.1:8545 --tx 3fa2… --label alice --proof 01c4…`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			proof, err := decodeProof(proofHex)
			if err != nil {
				return err
			}
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				t, err := fetchAuditTarget(ctx, c, txID)
				if err != nil {
					return err
				}
				aHex, ok := t.identityOf(label)
				if !ok {
					return refused(fmt.Errorf("%q is not a member of %s at epoch %d in the on-chain registry", label, t.group.Name, t.epoch))
				}
				ab, _ := hex.DecodeString(aHex)
				var id bbs04.Identity
				if err := id.UnmarshalBinary(ab); err != nil {
					return err
				}
				if err := bbs04.VerifyOpening(t.pk, t.id, t.sig, id, proof); err != nil {
					return refused(err)
				}
				res := map[string]any{"valid": true, "tx": txID, "label": label, "a": aHex}
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					fmt.Fprintf(w, "valid: transaction %s was signed by %s (A %s…)\n", txID, label, aHex[:16])
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&txID, "tx", "", "transaction id (required)")
	cmd.Flags().StringVar(&label, "label", "", "the member the opening names (required)")
	cmd.Flags().StringVar(&proofHex, "proof", "", "the opening proof in hex (required)")
	for _, f := range []string{"tx", "label", "proof"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
