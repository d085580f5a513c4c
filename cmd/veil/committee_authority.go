package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

// authorityFlags are the flags of an authority's command: its node, its
// identity key and a timeout.
type authorityFlags struct {
	node     nodeFlag
	identity string
	timeout  time.Duration
}

func (a *authorityFlags) register(cmd *cobra.Command) {
	a.node.register(cmd)
	cmd.Flags().StringVar(&a.identity, "identity", "", "your identity key as an authority (the key your member certificate names; required)")
	cmd.Flags().DurationVar(&a.timeout, "timeout", 60*time.Second, "give up waiting for the node after this long")
	_ = cmd.MarkFlagRequired("identity")
}

// submitAuthority signs tx with the authority's identity key, submits it
// and waits for its commit.
func submitAuthority(ctx context.Context, c *client.Client, tx *chain.Tx, id []byte) (string, uint64, error) {
	txID, h, err := c.SubmitAdmin(ctx, tx, id)
	if err != nil {
		return "", 0, chainError(err)
	}
	return txID, h, nil
}

func newCommitteeShareProofCmd() *cobra.Command {
	var out outputFlag
	var af authorityFlags
	var sharePath string
	var expectT int
	var expectLabels []string
	cmd := &cobra.Command{
		Use:   "accept",
		Short: "Check your share against the pending committee on your node and post your signed share proof (an authority's tool)",
		Long: `An authority's acceptance of its share (threshold spec §1). Reads the
pending committee named by the share file from your own node, checks the
authority list against what you agreed to (--expect-threshold,
--expect-authorities: labels in index order; the list is printed either
way), that your identity key is the committee's authority for your index,
and your share against the committee's commitments (Feldman). Only then
it posts your share proof, signed with your identity key. If the share
does not check, nothing is posted: complain to the dealer (exit 1). The
share never leaves this machine; keep the file until the committee is
retired or aborted, then erase it.`,
		Example: `  veil audit share accept --node $VEIL_NODE --share regulator.share --identity regulator.id
  veil audit share accept --share acme.share --identity acme.id --expect-threshold 2 \
    --expect-authorities regulator,acme,globex --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			sf, err := readShareFile(sharePath)
			if err != nil {
				return err
			}
			id, err := readIdentity(af.identity)
			if err != nil {
				return err
			}
			c, err := af.node.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), af.timeout)
			defer cancel()
			cm, err := c.CommitteeByRef(ctx, sf.group, sf.sh.CommitteeRef(), "pending")
			if err != nil {
				return committeeError(err)
			}
			gk, _, _, err := c.GroupOrigin(ctx, sf.group)
			if err != nil {
				return chainError(err)
			}
			var labels []string
			for _, a := range cm.Authorities() {
				labels = append(labels, a.Label)
			}
			if expectT != 0 && cm.Threshold() != expectT {
				return refused(fmt.Errorf("%w: the committee's threshold is %d, you agreed to %d", groupsig.ErrInvalidKey, cm.Threshold(), expectT))
			}
			if expectLabels != nil && !slices.Equal(labels, expectLabels) {
				return refused(fmt.Errorf("%w: the committee's authorities are %v, you agreed to %v", groupsig.ErrInvalidKey, labels, expectLabels))
			}
			i, err := authorityOf(cm.Committee, id, "the pending committee")
			if err != nil {
				return err
			}
			if i != sf.sh.Index() {
				return refused(fmt.Errorf("%w: the share is authority %d's, your identity key is authority %d's", groupsig.ErrInvalidKey, sf.sh.Index(), i))
			}
			if err := sf.sh.Check(gk, cm.Committee); err != nil {
				return refused(fmt.Errorf("your share does not check against the committee: complain to the dealer, do not post: %w", err))
			}
			p, err := groupsig.NewShareProof(gk, cm.Committee, sf.sh, id, rand.Reader)
			if err != nil {
				return refused(err)
			}
			txID, h, err := submitAuthority(ctx, c, &chain.Tx{Kind: chain.KindShareProof, Group: sf.group, Object: mustMarshal(p)}, id)
			if err != nil {
				return err
			}
			res := map[string]any{"group": sf.group, "cref": cm.View.Ref, "authority": i, "label": labels[i-1], "t": cm.Threshold(), "authorities": labels,
				"tx": txID, "height": h}
			if cs, err := c.Committees(ctx, sf.group); err == nil {
				res["active"] = cs.Active != nil && cs.Active.Ref == cm.View.Ref
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "share proof of authority %d (%s) posted at height %d for committee %s… (%d-of-%d: %s)\n",
					i, labels[i-1], h, cm.View.Ref[:16], cm.Threshold(), len(labels), strings.Join(labels, ", "))
				if res["active"] == true {
					fmt.Fprintln(w, "  the committee is now active")
				}
			})
		},
	}
	out.register(cmd)
	af.register(cmd)
	cmd.Flags().StringVar(&sharePath, "share", "", "your share file from the dealer (required)")
	cmd.Flags().IntVar(&expectT, "expect-threshold", 0, "refuse unless the committee's threshold is this")
	cmd.Flags().StringSliceVar(&expectLabels, "expect-authorities", nil, "refuse unless the authorities are these labels, in index order")
	_ = cmd.MarkFlagRequired("share")
	return cmd
}

func newCommitteeApproveCmd() *cobra.Command {
	var out outputFlag
	var af authorityFlags
	var group, committeePath, newRef string
	var deadline, deadlineIn uint64
	cmd := &cobra.Command{
		Use:   "approve",
		Short: "Approve a rotation to a new committee, as an authority of the active one",
		Long: `An approval of a rotation (threshold spec §5). The new committee comes
from its dealer (--committee FILE, DIR/committee.pem of 'audit committee deal
--rotate'): it is not on chain before q = max(t, n−t+1) authorities of
the active committee approved it. The command reads the group and its
active committee from your own node, checks the new committee against
the group (gref, dealer proof), computes its cref itself and refuses
unless it is --new-cref, the one you agreed to (the cref covers t, n and
the whole authority list, which are printed). The approval counts until
block height --deadline (or --deadline-in blocks from now); past it, it
no longer counts.`,
		Example: `  veil audit committee approve --node $VEIL_NODE --group payments --committee rotation/committee.pem \
    --new-cref 5be1… --deadline-in 100 --identity regulator.id`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if (deadline == 0) == (deadlineIn == 0) {
				return badInput(errors.New("give --deadline H or --deadline-in N"))
			}
			want, err := hexRef("new-cref", newRef)
			if err != nil {
				return err
			}
			d, err := readDealing(committeePath)
			if err != nil {
				return err
			}
			if group == "" {
				group = d.group
			}
			if d.cm.Ref() != want {
				got := d.cm.Ref()
				return refused(fmt.Errorf("%w: the committee's cref is %x, you agreed to %s", groupsig.ErrWrongGroup, got, newRef))
			}
			id, err := readIdentity(af.identity)
			if err != nil {
				return err
			}
			c, err := af.node.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), af.timeout)
			defer cancel()
			gk, _, _, err := c.GroupOrigin(ctx, group)
			if err != nil {
				return chainError(err)
			}
			old, err := c.ActiveCommittee(ctx, group)
			if err != nil {
				return committeeError(err)
			}
			i, err := authorityOf(old.Committee, id, "the active committee")
			if err != nil {
				return err
			}
			if deadlineIn != 0 {
				st, err := c.Status(ctx)
				if err != nil {
					return chainError(err)
				}
				deadline = st.Height + deadlineIn
			}
			a, err := groupsig.NewApproval(gk, old.Committee, d.cm, deadline, i, id)
			if err != nil {
				return refused(err)
			}
			txID, h, err := submitAuthority(ctx, c, &chain.Tx{Kind: chain.KindApproval, Group: group, Object: mustMarshal(a)}, id)
			if err != nil {
				return err
			}
			var labels []string
			for _, au := range d.cm.Authorities() {
				labels = append(labels, au.Label)
			}
			res := map[string]any{"group": group, "old": old.View.Ref, "new": newRef, "authority": i, "deadline": deadline, "tx": txID, "height": h,
				"t": d.cm.Threshold(), "authorities": labels}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "authority %d of %s… approved the rotation of %q to %s… (%d-of-%d: %s) until height %d; posted at %d\n",
					i, old.View.Ref[:16], group, newRef[:16], d.cm.Threshold(), len(labels), strings.Join(labels, ", "), deadline, h)
			})
		},
	}
	out.register(cmd)
	af.register(cmd)
	cmd.Flags().StringVar(&group, "group", "", "the group (default: the committee file's)")
	cmd.Flags().StringVar(&committeePath, "committee", "", "the new committee from its dealer (DIR/committee.pem; required)")
	cmd.Flags().StringVar(&newRef, "new-cref", "", "the cref you agreed to, hex (required)")
	cmd.Flags().Uint64Var(&deadline, "deadline", 0, "the last height at which the approval counts")
	cmd.Flags().Uint64Var(&deadlineIn, "deadline-in", 0, "the approval counts for this many blocks from now")
	_ = cmd.MarkFlagRequired("committee")
	_ = cmd.MarkFlagRequired("new-cref")
	return cmd
}

// hexShort is the first 16 hex characters of s, for text output.
func hexShort(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
