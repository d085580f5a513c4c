package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newAuditCheckCmd() *cobra.Command {
	var out outputFlag
	var evPath, accusedArg string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check an accountable-opening bundle from public data alone",
		Long: `Check an evidence bundle from 'veil audit evidence' (SPEC §5): the owner
of the identity key signed iff (1) the opening checks; (2) A is the
member's certificate at the signature's epoch (its join response, or the
revocation record into the epoch, with the chain of records before it);
(3) A is a certificate of the member's x and H; (4) the member's join
request checks and the response answers it; (5) the identity key is the
accused's (--accused: a public key file from 'member keygen', or hex).
Prints the label, identity key and epoch. Without --accused condition 5 is
left to you: compare the printed identity key with the consortium CA's.

Exit 0 if it holds; 1 naming the condition (1-5) that failed (also
"condition" in the --output json error); 2 for a malformed bundle. The
revocation records in the bundle are trusted to be the ones the ledger
accepted.`,
		Example: `  veil audit check --evidence evidence.json --accused alice.pub
  veil audit check --evidence evidence.json --accused 6b5f7759… --output json`,
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
			data, err := os.ReadFile(evPath)
			if err != nil {
				return badInput(err)
			}
			ev := new(groupsig.Evidence)
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(ev); err != nil {
				return badInput(fmt.Errorf("%s: %w: %v", evPath, groupsig.ErrMalformed, err))
			}
			if ev.Scope != nil {
				if err := groupsig.CheckScope(ev.Scope); err != nil {
					return badInput(fmt.Errorf("%s: scope: %w", evPath, err))
				}
			}
			got, err := ev.Check(accused)
			var acc *groupsig.AccountabilityError
			switch {
			case errors.As(err, &acc):
				return refused(fmt.Errorf("condition %d failed: %w", acc.Condition, err))
			case err != nil:
				return badInput(fmt.Errorf("%s: %w", evPath, err))
			}
			res := map[string]any{"valid": true, "label": got.Label, "identity_public_key": hex.EncodeToString(got.IdentityKey),
				"epoch": got.Epoch, "accused_checked": accused != nil}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "valid: %q signed at epoch %d\n  identity key %s\n", got.Label, got.Epoch, res["identity_public_key"])
				if accused == nil {
					fmt.Fprintln(w, "  condition 5 not checked: compare this key with the accused's (--accused)")
				} else {
					fmt.Fprintln(w, "  it is the accused's key")
				}
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&evPath, "evidence", "", "the evidence bundle, JSON from 'audit evidence' (required)")
	cmd.Flags().StringVar(&accusedArg, "accused", "", "the accused's Ed25519 public key: a PEM file or hex")
	_ = cmd.MarkFlagRequired("evidence")
	return cmd
}
