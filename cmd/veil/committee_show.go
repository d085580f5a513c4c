package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

func newCommitteeShowCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var group string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Show a group's opening committees: active, pending, approvals, history",
		Long: `Show a group's threshold opening committees from a node: the active and
pending committee (cref, t, n, each authority's label, organisation and
identity key as the CA certified them, the share proofs received, the
height it was posted at and, for a pending one, when it expires), the
approvals of rotations on chain, and the retired and aborted committees.`,
		Example: `  veil audit committee show --node $VEIL_NODE --group payments
  veil audit committee show --group payments --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				cs, err := c.Committees(ctx, group)
				if err != nil {
					return chainError(err)
				}
				return out.print(cmd.OutOrStdout(), cs, func(w io.Writer) {
					show := func(what string, cj *api.CommitteeJSON) {
						if cj == nil {
							fmt.Fprintf(w, "%s: none\n", what)
							return
						}
						fmt.Fprintf(w, "%s: %s (%d-of-%d, posted at height %d, authorised by %s", what, cj.Ref, cj.Threshold, cj.N, cj.Height, cj.Authorization)
						if cj.Activated != 0 {
							fmt.Fprintf(w, ", active since %d", cj.Activated)
						}
						fmt.Fprintf(w, ")\n  share proofs %d of %d\n", cj.ShareProofs, cj.N)
						if cj.ExpiresAfter != 0 {
							fmt.Fprintf(w, "  expires at the end of the first block at or past height %d and %s\n", cj.ExpiresAfter, cj.ExpiresAfterTime.Format("2006-01-02 15:04:05Z07:00"))
						}
						for _, a := range cj.Authorities {
							proof := "no share proof yet"
							if a.ShareProof != 0 {
								proof = fmt.Sprintf("share proof at %d", a.ShareProof)
							}
							fmt.Fprintf(w, "  %d  %-16s %-24s %s…  %s\n", a.Index, a.Label, a.Org, a.IdentityKey[:16], proof)
						}
					}
					show("active", cs.Active)
					show("pending", cs.Pending)
					if cs.Active != nil && cs.Active.Authorization == "admin" {
						fmt.Fprintln(w, "custody: the group's first dealer must have erased its opener key")
					}
					for _, a := range cs.Approvals {
						fmt.Fprintf(w, "approval by %d (%s) of %s until height %d (live: %v)\n", a.Authority, a.Label, hexShort(a.New), a.Deadline, a.Live)
					}
					for _, h := range cs.History {
						fmt.Fprintf(w, "%s %s (%d-of-%d) posted at %d, ended at %d %s\n", h.Status, hexShort(h.Ref), h.Threshold, h.N, h.Height, h.Ended, h.Reason)
					}
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&group, "group", "", "the group (required)")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

func newCommitteeAbortCmd() *cobra.Command {
	var out outputFlag
	var oc onChainFlags
	var group, crefArg string
	cmd := &cobra.Command{
		Use:   "abort",
		Short: "Abort the group's pending first committee (the consortium admin's tool)",
		Long: `Post the consortium admin's abort of the group's pending committee
(adsig_ABORT, threshold spec §5): accepted only while no committee is
active. A rotation cannot be aborted by the admin: it expires, or a later
one supersedes it. --cref names the committee (default: the pending one).
The dealer erases the shares of an aborted committee; the first dealer
keeps its opener key to deal again.`,
		Example: `  veil audit committee abort --node $VEIL_NODE --group payments --admin-key net/admin.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			admin, err := oc.key()
			if err != nil {
				return err
			}
			c, err := oc.node.client()
			if err != nil {
				return err
			}
			ctx, cancel := oc.context(cmd)
			defer cancel()
			cs, err := c.Committees(ctx, group)
			if err != nil {
				return chainError(err)
			}
			if cs.Pending == nil {
				return refused(fmt.Errorf("%w: group %q has no pending committee", client.ErrCommitteeState, group))
			}
			if crefArg != "" && crefArg != cs.Pending.Ref {
				return refused(fmt.Errorf("%w: committee %s is not the pending one (%s)", client.ErrCommitteeState, crefArg, cs.Pending.Ref))
			}
			cm, err := client.DecodeCommittee(cs.Pending.Committee, cs.Pending.Ref)
			if err != nil {
				return badInput(err)
			}
			adsig, err := groupsig.AbortCommittee(admin, cm)
			if err != nil {
				return badInput(err)
			}
			cref := cm.Ref()
			txID, h, err := c.SubmitSealed(ctx, &chain.Tx{Kind: chain.KindCommitteeAbort, Group: group, CommitteeRef: cref, AdminSig: adsig})
			if err != nil {
				return chainError(err)
			}
			res := map[string]any{"group": group, "cref": hex.EncodeToString(cref[:]), "tx": txID, "height": h, "state": "aborted"}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "committee %x of %q aborted at height %d\n", cref, group, h)
			})
		},
	}
	out.register(cmd)
	oc.register(cmd, "the consortium admin's")
	cmd.Flags().StringVar(&group, "group", "", "the group (required)")
	cmd.Flags().StringVar(&crefArg, "cref", "", "the pending committee's cref (a check; default: the pending one)")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}
