package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

// authorityContext is what an authority's consent or release reads from
// its own node: its share file, identity key and index, the active
// committee its share is of, and the committed transaction.
type authorityContext struct {
	sf  *shareFile
	id  ed25519.PrivateKey
	cm  *client.Committee
	i   int
	tx  *chain.Tx
	txH uint64
}

func loadAuthority(ctx context.Context, c *client.Client, sharePath, idPath, txID string) (*authorityContext, error) {
	sf, err := readShareFile(sharePath)
	if err != nil {
		return nil, err
	}
	id, err := readIdentity(idPath)
	if err != nil {
		return nil, err
	}
	cm, err := c.CommitteeByRef(ctx, sf.group, sf.sh.CommitteeRef(), "active")
	if err != nil {
		return nil, committeeError(fmt.Errorf("your committee: %w", err))
	}
	i, err := authorityOf(cm.Committee, id, "your committee")
	if err != nil {
		return nil, err
	}
	if i != sf.sh.Index() {
		return nil, refused(fmt.Errorf("%w: the share is authority %d's, your identity key is authority %d's", groupsig.ErrInvalidKey, sf.sh.Index(), i))
	}
	tx, h, err := c.CommittedAnonymous(ctx, txID)
	if err != nil {
		return nil, committeeError(err)
	}
	if tx.Group != sf.group {
		return nil, refused(fmt.Errorf("%w: transaction %s is of group %q, your committee is %q's", groupsig.ErrWrongGroup, txID, tx.Group, sf.group))
	}
	return &authorityContext{sf: sf, id: id, cm: cm, i: i, tx: tx, txH: h}, nil
}

func newOpeningConsentCmd() *cobra.Command {
	var out outputFlag
	var af authorityFlags
	var sharePath, txID string
	cmd := &cobra.Command{
		Use:   "consent",
		Short: "Consent, as an authority, to opening a committed transaction's signature",
		Long: `Post your signed consent (phase 1, threshold spec §2) to open the
signature of a committed anonymous transaction, under your committee —
which your own node must show active. It carries no share: nothing is
revealed until t authorities consented and t released. Your consent is
public on chain, with your label and the height.`,
		Example: `  veil audit consent --node $VEIL_NODE --tx 3fa2… --share regulator.share --identity regulator.id`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNodeFor(cmd, &out, &af.node, af.timeout, func(ctx context.Context, c *client.Client) error {
				a, err := loadAuthority(ctx, c, sharePath, af.identity, txID)
				if err != nil {
					return err
				}
				cs, err := groupsig.NewConsent(a.cm.Committee, a.tx.Epoch, a.tx.Auth, a.i, a.id)
				if err != nil {
					return refused(err)
				}
				id, h, err := submitAuthority(ctx, c, &chain.Tx{Kind: chain.KindConsent, Group: a.sf.group, Subject: a.tx.ID(), Object: mustMarshal(cs)}, a.id)
				if err != nil {
					return err
				}
				n := 0
				if op, err := c.Openings(ctx, txID); err == nil {
					if got, err := client.Consents(op, a.cm.View.Ref); err == nil {
						n = len(got)
					}
				}
				res := map[string]any{"tx": txID, "group": a.sf.group, "cref": a.cm.View.Ref, "authority": a.i, "label": a.sf.label, "consent_tx": id,
					"height": h, "consents": n, "t": a.cm.Threshold()}
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					fmt.Fprintf(w, "authority %d (%s) consented at height %d to open %s; %d of t = %d consents on chain\n", a.i, a.sf.label, h, txID, n, a.cm.Threshold())
				})
			})
		},
	}
	out.register(cmd)
	af.register(cmd)
	cmd.Flags().StringVar(&sharePath, "share", "", "your share file (names your committee and index; required)")
	cmd.Flags().StringVar(&txID, "tx", "", "the committed anonymous transaction to open (required)")
	_ = cmd.MarkFlagRequired("share")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}

func newOpeningReleaseCmd() *cobra.Command {
	var out outputFlag
	var af authorityFlags
	var sharePath, txID string
	cmd := &cobra.Command{
		Use:   "release",
		Short: "Release your partial opening of a transaction, once t consents are on chain (an authority's tool)",
		Long: `Compute and post your partial opening D_i with its proof (phase 2,
threshold spec §2), under the release rule: only if, read from your own
node, your committee is active, the transaction is committed and its
signature verifies, and you have yourself checked t consents for it
signed by t distinct authorities of your committee. Otherwise nothing is
computed and nothing is sent (exit 1, code "release_refused"). Your share
never leaves this machine; the partial is public. The t-th partial on
chain completes the opening: the signer becomes public.`,
		Example: `  veil audit release --node $VEIL_NODE --tx 3fa2… --share regulator.share --identity regulator.id`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNodeFor(cmd, &out, &af.node, af.timeout, func(ctx context.Context, c *client.Client) error {
				a, err := loadAuthority(ctx, c, sharePath, af.identity, txID)
				if err != nil {
					return err
				}
				gk, err := c.GroupKey(ctx, a.tx.Group, a.tx.Epoch)
				if err != nil {
					return chainError(err)
				}
				op, err := c.Openings(ctx, txID)
				if err != nil {
					return chainError(err)
				}
				consents, err := client.Consents(op, a.cm.View.Ref)
				if err != nil {
					return badInput(err)
				}
				id := a.tx.ID()
				var scope []byte
				if groupsig.IsTagged(a.tx.Auth) {
					scope = chain.TopicScope(a.tx.ChainID, a.tx.Topic)
				}
				p, err := groupsig.NewPartialOpening(gk, a.cm.Committee, a.sf.sh, id[:], scope, a.tx.Auth, consents, a.id, rand.Reader)
				if err != nil {
					return refused(fmt.Errorf("%w: %w", errReleaseRule, err))
				}
				ptx, h, err := submitAuthority(ctx, c, &chain.Tx{Kind: chain.KindPartialOpening, Group: a.sf.group, Subject: id, Object: mustMarshal(p)}, a.id)
				if err != nil {
					return err
				}
				res := map[string]any{"tx": txID, "group": a.sf.group, "cref": a.cm.View.Ref, "authority": a.i, "label": a.sf.label, "partial_tx": ptx,
					"height": h, "opened": false}
				if op, err := c.Openings(ctx, txID); err == nil && op.Opening != nil {
					res["opened"], res["signer"], res["a"] = true, op.Opening.Label, op.Opening.A
				}
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					fmt.Fprintf(w, "authority %d (%s) released its partial opening of %s at height %d\n", a.i, a.sf.label, txID, h)
					if res["opened"] == true {
						fmt.Fprintf(w, "  the opening is complete and PUBLIC: %s signed it ('veil audit openings --tx %s')\n", res["signer"], txID)
					}
				})
			})
		},
	}
	out.register(cmd)
	af.register(cmd)
	cmd.Flags().StringVar(&sharePath, "share", "", "your share file (required; it never leaves this machine)")
	cmd.Flags().StringVar(&txID, "tx", "", "the committed anonymous transaction to open (required)")
	_ = cmd.MarkFlagRequired("share")
	_ = cmd.MarkFlagRequired("tx")
	return cmd
}
