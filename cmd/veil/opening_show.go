package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/console"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

func newOpeningShowCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var txID, evOut, caPath string
	var force bool
	cmd := &cobra.Command{
		Use:   "openings",
		Short: "Show who consented to and released a share for a transaction, and the opening once complete",
		Long: `Show the chain's record about a committed anonymous transaction's
signature: every consent and partial opening, by committee (authority
index, label, height), and once t partials are in, the threshold opening,
the opened certificate A and the member label certified on A at the
transaction's epoch. A completed opening is PUBLIC: this is what anyone
reading the chain sees.

--evidence FILE assembles the evidence bundle from chain data alone: the
transaction, the threshold opening, the committee that was active when
its partials were posted (pinned, with its authorities' certificates),
the member's join record and identity certificate, and the revocation
records into the epoch. It is checked (conditions 1-4; with --ca also the
certificates) before it is written; anyone checks it offline with
'veil audit check --evidence FILE --ca ca.crt'.`,
		Example: `  veil audit openings --node $VEIL_NODE --tx 3fa2…
  veil audit openings --tx 3fa2… --evidence evidence.json --ca net/ca/ca.crt --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if evOut != "" && !force {
				if err := checkAbsent(evOut); err != nil {
					return err
				}
			}
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				op, err := c.Openings(ctx, txID)
				if err != nil {
					return chainError(err)
				}
				res := map[string]any{"openings": op, "tx": op.Tx, "opened": op.Opened}
				if op.Opening != nil {
					res["label"], res["a"], res["opened_height"] = op.Opening.Label, op.Opening.A, op.Opening.Height
				}
				if evOut != "" {
					if err := writeThresholdEvidence(ctx, c, op, evOut, caPath, force); err != nil {
						return err
					}
					res["evidence_file"] = evOut
				}
				if out.format == "json" {
					return out.print(cmd.OutOrStdout(), res, nil)
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "transaction %s (group %s, epoch %d, height %d)\n", op.Tx, op.Group, op.Epoch, op.Height)
				if len(op.Rounds) == 0 {
					fmt.Fprintln(w, "  no consent yet")
				}
				for _, r := range op.Rounds {
					fmt.Fprintf(w, "  committee %s (%s, t = %d)\n", hexShort(r.Committee), r.Status, r.Threshold)
					for _, a := range r.Consents {
						fmt.Fprintf(w, "    consent  by %d %-16s at height %d\n", a.Authority, a.Label, a.Height)
					}
					for _, a := range r.Partials {
						fmt.Fprintf(w, "    released by %d %-16s at height %d\n", a.Authority, a.Label, a.Height)
					}
				}
				if o := op.Opening; o != nil {
					fmt.Fprintf(w, "OPENED at height %d (public): signed by %q\n  A  %s\n", o.Height, o.Label, o.A)
				} else {
					fmt.Fprintf(w, "not opened: %s\n", openingProgress(op))
				}
				if evOut != "" {
					fmt.Fprintf(w, "evidence  %s (public: 'veil audit check --evidence %s --ca CA.crt')\n", evOut, evOut)
				}
				return nil
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&txID, "tx", "", "the committed anonymous transaction (required)")
	cmd.Flags().StringVar(&evOut, "evidence", "", "write the evidence bundle (JSON, public) to this file")
	cmd.Flags().StringVar(&caPath, "ca", "", "with --evidence: also check the certificates against this CA certificate")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --evidence file")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}

// writeThresholdEvidence assembles the evidence of the completed opening
// op from chain data, checks it (with caPath, down to the certificates)
// and writes it to path.
func writeThresholdEvidence(ctx context.Context, c *client.Client, op *api.OpeningsResponse, path, caPath string, force bool) error {
	if op.Opening == nil {
		return refused(fmt.Errorf("%w: transaction %s: %s", errNotOpened, op.Tx, openingProgress(op)))
	}
	ev, err := thresholdEvidence(ctx, c, op)
	if err != nil {
		return err
	}
	if caPath != "" {
		ca, err := readCACert(caPath)
		if err != nil {
			return err
		}
		if _, err := ev.Check(ca); err != nil {
			return evidenceError(err)
		}
	}
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'), 0o644, force)
}

// openingProgress says where an opening stands.
func openingProgress(op *api.OpeningsResponse) string { return console.OpeningProgress(op) }

// thresholdEvidence assembles and checks (conditions 1-4) the bundle of
// a completed opening from chain data (console.ThresholdEvidence, as the
// audit console does).
func thresholdEvidence(ctx context.Context, c *client.Client, op *api.OpeningsResponse) (*chain.ThresholdEvidence, error) {
	ev, err := console.ThresholdEvidence(ctx, c, op)
	if err == nil {
		return ev, nil
	}
	var acc *groupsig.AccountabilityError
	switch {
	case errors.As(err, &acc), errors.Is(err, chain.ErrEvidence), errors.Is(err, groupsig.ErrNotAccountable):
		return nil, evidenceError(err)
	case errors.Is(err, groupsig.ErrUnknownMember):
		return nil, refused(err)
	}
	return nil, chainError(err)
}

// readCACert reads the consortium CA certificate (PEM).
func readCACert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read CA certificate: %w", err))
	}
	ca, err := genesis.ParseCertificatePEM(data)
	if err != nil {
		return nil, badInput(fmt.Errorf("CA certificate %s: %w", path, err))
	}
	return ca, nil
}
