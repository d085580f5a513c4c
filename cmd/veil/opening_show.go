package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
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
			return thresholdEvidenceError(err)
		}
	}
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'), 0o644, force)
}

// openingProgress says where an opening stands.
func openingProgress(op *api.OpeningsResponse) string {
	for _, r := range op.Rounds {
		if r.Status == "active" {
			return fmt.Sprintf("%d of t = %d consents, %d partials under the active committee", len(r.Consents), r.Threshold, len(r.Partials))
		}
	}
	return "no consent under the active committee"
}

// thresholdEvidence assembles and checks (conditions 1-4) the bundle of
// a completed opening from chain data.
func thresholdEvidence(ctx context.Context, c *client.Client, op *api.OpeningsResponse) (*chain.ThresholdEvidence, error) {
	tx, h, err := c.CommittedAnonymous(ctx, op.Tx)
	if err != nil {
		return nil, chainError(err)
	}
	o := op.Opening
	if o.Label == "" {
		return nil, refused(fmt.Errorf("%w: the opening names A = %s, which no member of %q on chain holds at epoch %d: a certificate made outside the register (the issuer's doing)",
			groupsig.ErrUnknownMember, o.A, op.Group, op.Epoch))
	}
	cs, err := c.Committees(ctx, op.Group)
	if err != nil {
		return nil, chainError(err)
	}
	var sum *api.CommitteeSummary
	for _, cj := range []*api.CommitteeJSON{cs.Active, cs.Pending} {
		if cj != nil && cj.Ref == o.Committee {
			sum = &cj.CommitteeSummary
		}
	}
	for i := range cs.History {
		if cs.History[i].Ref == o.Committee {
			sum = &cs.History[i]
		}
	}
	if sum == nil {
		return nil, badInput(fmt.Errorf("the node does not know committee %s of the opening", o.Committee))
	}
	ctr, err := c.Tx(ctx, sum.Tx)
	if err != nil {
		return nil, chainError(err)
	}
	rec := &chain.OpenedRecord{Activated: sum.Activated, Opened: o.Height}
	if rec.Committee, err = hex.DecodeString(ctr.Committee); err != nil {
		return nil, badInput(fmt.Errorf("committee transaction %s: %w", sum.Tx, err))
	}
	if _, err := client.DecodeCommittee(ctr.Committee, o.Committee); err != nil {
		return nil, badInput(fmt.Errorf("committee transaction %s: %w", sum.Tx, err))
	}
	for _, ch := range ctr.AuthorityCerts {
		der, err := hex.DecodeString(ch)
		if err != nil {
			return nil, badInput(fmt.Errorf("committee transaction %s: certificate is not hex", sum.Tx))
		}
		rec.AuthorityCerts = append(rec.AuthorityCerts, der)
	}
	if rec.Opening, err = hex.DecodeString(o.ThresholdOpening); err != nil {
		return nil, badInput(fmt.Errorf("threshold opening is not hex: %w", err))
	}
	gk0, _, _, err := c.GroupOrigin(ctx, op.Group)
	if err != nil {
		return nil, chainError(err)
	}
	join, cert, err := c.JoinRecord(ctx, op.Group, o.Label)
	if err != nil {
		return nil, chainError(err)
	}
	recs, err := c.RevocationRecords(ctx, op.Group)
	if err != nil {
		return nil, chainError(err)
	}
	ev, err := chain.NewThresholdEvidence(tx, h, gk0, rec, join, cert, recs)
	if err != nil {
		return nil, badInput(err)
	}
	if _, err := ev.Accountable(); err != nil {
		return nil, thresholdEvidenceError(fmt.Errorf("the evidence does not check: %w", err))
	}
	return ev, nil
}

// thresholdEvidenceError maps a failed check of a threshold bundle as
// for the single opener's: a failed condition or a bundle that does not
// hold together is refused (exit 1), one that does not decode is bad
// input (exit 2).
func thresholdEvidenceError(err error) error {
	var acc *groupsig.AccountabilityError
	switch {
	case errors.As(err, &acc):
		return refused(fmt.Errorf("condition %d failed: %w", acc.Condition, err))
	case errors.Is(err, chain.ErrEvidence), errors.Is(err, groupsig.ErrNotAccountable):
		return refused(err)
	}
	return badInput(err)
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

// checkThresholdBundle is 'veil audit check' on a threshold bundle (from
// 'veil audit openings --evidence'): handled is false for any other file.
// With --ca it names the signer and the authorities who opened as the
// CA certified them; without, conditions 1-4, and --accused for 5.
func checkThresholdBundle(cmd *cobra.Command, out *outputFlag, path, caPath, accusedArg string) (handled bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, nil // the ordinary path reports it
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil || fields["threshold_opening"] == nil {
		return false, nil
	}
	if err := out.validate(); err != nil {
		return true, err
	}
	var accused ed25519.PublicKey
	if accusedArg != "" {
		if accused, err = parsePublicKey("accused", accusedArg); err != nil {
			return true, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ev chain.ThresholdEvidence
	if err := dec.Decode(&ev); err != nil {
		return true, badInput(fmt.Errorf("%s: %w: %v", path, groupsig.ErrMalformed, err))
	}
	res := map[string]any{"valid": true, "threshold": true, "cert_checked": caPath != ""}
	var label string
	var key ed25519.PublicKey
	var epoch uint64
	var org string
	var openers []map[string]any
	if caPath != "" {
		ca, err := readCACert(caPath)
		if err != nil {
			return true, err
		}
		f, err := ev.Check(ca)
		if err != nil {
			return true, thresholdEvidenceError(err)
		}
		label, key, epoch, org = f.Member.Label, f.Member.Key, f.Epoch, f.Member.Org
		res["tx"], res["group"], res["chain_id"], res["height"], res["cref"] = hex.EncodeToString(f.TxID[:]), f.Group, ev.ChainID, ev.Height, hex.EncodeToString(f.Committee[:])
		res["org"], res["t"] = org, f.Threshold
		for _, o := range f.Openers {
			openers = append(openers, map[string]any{"authority": o.Index, "label": o.Label, "org": o.Org, "identity_public_key": hex.EncodeToString(o.Key)})
		}
		res["opened_by"] = openers
	} else {
		acc, err := ev.Accountable()
		if err != nil {
			return true, thresholdEvidenceError(err)
		}
		label, key, epoch = acc.Label, acc.IdentityKey, acc.Epoch
	}
	if accused != nil && !accused.Equal(key) {
		return true, refused(fmt.Errorf("%w: (5) the accused (--accused) is not the member the evidence names", groupsig.ErrNotAccountable))
	}
	res["label"], res["identity_public_key"], res["epoch"], res["accused_checked"] = label, hex.EncodeToString(key), epoch, accused != nil || caPath != ""
	return true, out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "valid: %q signed", label)
		if tx, ok := res["tx"]; ok {
			fmt.Fprintf(w, " transaction %s of group %s", tx, res["group"])
		}
		fmt.Fprintf(w, " at epoch %d (threshold opening)\n", epoch)
		if org != "" {
			fmt.Fprintf(w, "  organisation  %s\n", org)
		}
		fmt.Fprintf(w, "  label         %s\n  identity key  %x\n", label, key)
		for _, o := range openers {
			fmt.Fprintf(w, "  opened by authority %d: %s (%s)\n", o["authority"], o["label"], o["org"])
		}
		switch {
		case caPath != "":
			fmt.Fprintf(w, "  certified by the CA of %s\n", caPath)
		case accused != nil:
			fmt.Fprintln(w, "  it is the accused's key")
		default:
			fmt.Fprintln(w, "  condition 5 and the certificates not checked: give --ca (or compare the key with --accused)")
		}
	})
}
