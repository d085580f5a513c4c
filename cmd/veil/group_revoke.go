package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/groupsig"
)

func newGroupRevokeCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var labels []string
	var recOut string
	var oc onChainFlags
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke members: move the group to the next epoch (on chain, or offline)",
		Long: `Revoke the members under --label (repeat for several) with the issuer's
registry in --dir (DIR/NAME.issuer.key, DIR/NAME.registry). The group
moves to the next epoch; the issuer's authenticated revocation record
re-issues every remaining member a certificate for it, chained to the
previous record. Signatures stay valid under their own epoch's key only.

On chain (--admin-key, the group's issuer admin key, and --node): the
record is posted in a revocation transaction and waited for. From then on
nodes refuse transactions of the old epoch (stale_epoch); the remaining
members pick up their new certificates from chain state ('veil group
update-key --node', or 'veil tx send' on its own); the revoked member
gets none. The registry must match the chain; if an earlier run saved the
record but did not post it, the same command posts it.

Offline (no --admin-key): the record goes to --out (default
DIR/NAME.epoch-E.revocation) for the issuer to publish; members update
with 'veil group update-key --record'.

In both cases DIR/NAME.registry and DIR/NAME.gpk move to epoch E and the
record is kept as DIR/NAME.epoch-E.revocation (or --out).`,
		Example: `  veil group revoke --node $VEIL_NODE --dir net/groups --name payments --label carol \
    --admin-key net/groups/payments.admin.key
  veil group revoke --dir "$ISSUER_DIR" --name acme --label mallory --out acme.epoch-1.revocation
  veil group revoke --dir "$ISSUER_DIR" --name acme --label mallory --label trudy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if gd.gs2().version() != 2 {
				return badInput(fmt.Errorf("no group %q in %s: %s is missing or unreadable", gd.name, gd.dir, gd.gs2().gpkPath()))
			}
			if oc.enabled() {
				return revokeOnChain(cmd, gd.gs2(), &out, &oc, labels, recOut)
			}
			return revokeV2(cmd, gd.gs2(), &out, labels, recOut)
		},
	}
	gd.register(cmd)
	out.register(cmd)
	oc.register(cmd, "the group issuer's")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "label of a member to revoke (required; repeat for several)")
	cmd.Flags().StringVar(&recOut, "out", "", "file to write the record to (default DIR/NAME.epoch-E.revocation)")
	_ = cmd.MarkFlagRequired("label")
	return cmd
}

// revokeV2 revokes offline in a v2 group directory.
func revokeV2(cmd *cobra.Command, g gs2Dir, out *outputFlag, labels []string, recOut string) error {
	ik, reg, err := g.load()
	if err != nil {
		return err
	}
	gf, err := readGroupFile(g.gpkPath(), "", "")
	if err != nil {
		return err
	}
	next := reg.GroupKey().Epoch() + 1
	if recOut == "" {
		recOut = g.recordPath(next)
	}
	if err := checkAbsent(recOut); err != nil {
		return err
	}
	prev := reg.Prev()
	rec, err := reg.Revoke(ik, labels, rand.Reader)
	if err != nil {
		return badInput(err)
	}
	if err := writeObjects(recOut, false, rec); err != nil {
		return err
	}
	if err := writeObjects(g.registryPath(), true, reg); err != nil {
		return err
	}
	gf.gk = reg.GroupKey()
	if err := gf.write(g.gpkPath(), true); err != nil {
		return err
	}
	enc, _ := rec.MarshalBinary()
	hash := rec.Hash()
	var remaining []map[string]string
	for _, l := range rec.Reissued() {
		a, _ := rec.ReissuedA(l)
		remaining = append(remaining, map[string]string{"label": l, "a": hex.EncodeToString(a)})
	}
	res := map[string]any{"revoked": rec.Revoked(), "epoch": rec.Epoch(), "record": hex.EncodeToString(enc),
		"record_hash": hex.EncodeToString(hash[:]), "prev": hex.EncodeToString(prev[:]), "record_file": recOut, "members": remaining}
	return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "revoked %s; group %q is now at epoch %d\n  record %s (public: publish it)\n  hash   %x\n  %d members re-issued; each runs: veil group update-key --key KEY --record %s",
			strings.Join(rec.Revoked(), ", "), g.name, rec.Epoch(), recOut, hash, len(remaining), recOut)
		if rec.Epoch() > 1 {
			fmt.Fprintf(w, " --prev %x", prev)
		}
		fmt.Fprintln(w)
	})
}

// revokeOnChain revokes with the registry and posts the record.
func revokeOnChain(cmd *cobra.Command, g gs2Dir, out *outputFlag, oc *onChainFlags, labels []string, recOut string) error {
	c, err := oc.node.client()
	if err != nil {
		return err
	}
	ik, reg, err := g.load()
	if err != nil {
		return err
	}
	ctx, cancel := oc.context(cmd)
	defer cancel()
	grp, err := c.Group(ctx, g.name)
	if err != nil {
		return chainError(err)
	}
	var rec *groupsig.RevocationRecord
	resumed := false
	switch e := reg.GroupKey().Epoch(); {
	case e == grp.Epoch:
		if err := checkRegistry(reg, grp.GroupKey, grp.Epoch, grp.Members, g.name); err != nil {
			return err
		}
		if rec, err = reg.Revoke(ik, labels, rand.Reader); err != nil {
			return checkError(err)
		}
		if recOut == "" {
			recOut = g.recordPath(rec.Epoch())
		}
		// Record, registry, then the group file: a record on chain is always in the registry.
		if err := writeObjects(recOut, true, rec); err != nil {
			return err
		}
		if err := writeObjects(g.registryPath(), true, reg); err != nil {
			return err
		}
		if gf, err := readGroupFile(g.gpkPath(), "", ""); err == nil {
			gf.gk = reg.GroupKey()
			if err := gf.write(g.gpkPath(), true); err != nil {
				return err
			}
		}
	case e == grp.Epoch+1:
		recs := reg.Records()
		rec = recs[len(recs)-1]
		if !sameLabels(rec.Revoked(), labels) {
			return badInput(fmt.Errorf("%w: the registry is at epoch %d with a record revoking %s that is not on chain yet: run this with --label %s to post it",
				errOutOfSync, e, strings.Join(rec.Revoked(), ", "), strings.Join(rec.Revoked(), " --label ")))
		}
		resumed = true
		if recOut == "" {
			recOut = g.recordPath(rec.Epoch())
		}
	default:
		return badInput(fmt.Errorf("%w: the registry is at epoch %d, group %q on chain at %d", errOutOfSync, e, g.name, grp.Epoch))
	}
	enc, _ := rec.MarshalBinary()
	txID, h, err := oc.submitAdmin(ctx, &chain.Tx{Kind: chain.KindRevokeMember, Group: g.name, Revocation: enc})
	if err != nil {
		return fmt.Errorf("the record is in %s, but posting it failed (run the same command again to post it): %w", g.registryPath(), err)
	}
	hash := rec.Hash()
	var remaining []map[string]string
	for _, l := range rec.Reissued() {
		a, _ := rec.ReissuedA(l)
		remaining = append(remaining, map[string]string{"label": l, "a": hex.EncodeToString(a)})
	}
	res := map[string]any{"revoked": rec.Revoked(), "epoch": rec.Epoch(), "record_hash": hex.EncodeToString(hash[:]),
		"record_file": recOut, "members": remaining, "tx": txID, "height": h, "reposted": resumed}
	return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "revoked %s on chain at height %d; group %q is now at epoch %d\n  record %s (hash %x)\n  %d members re-issued: they update from the chain ('veil group update-key --node', or 'veil tx send' does it)\n",
			strings.Join(rec.Revoked(), ", "), h, g.name, rec.Epoch(), recOut, hash, len(remaining))
	})
}

// sameLabels reports whether a and b hold the same labels.
func sameLabels(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
