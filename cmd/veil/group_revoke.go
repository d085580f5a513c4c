package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
)

func newGroupRevokeCmd() *cobra.Command {
	var gd groupDirFlags
	var out outputFlag
	var labels []string
	var recOut string
	var oc onChainFlags
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke members: move the group to the next epoch",
		Long: `Revoke the members under --label (repeat for several). The group moves
to the next epoch; every remaining member is re-issued a certificate in
the public revocation record, which the members need for
'veil group update-key'. Signatures stay valid under their own epoch's
key only.

What --dir holds for --name decides the scheme:
  v2 group (NAME.gpk from 'group create'): offline. The record, signed by
    the issuer and chained to the previous one, goes to --out (default
    DIR/NAME.epoch-E.revocation); NAME.registry and NAME.gpk move to epoch
    E. Publish the record.
  v1 group (from genesis or testnet): one --label; with --admin-key the
    revocation is submitted on chain through --node (or $VEIL_NODE) and
    waited for; from then on nodes refuse transactions of the old epoch
    with stale_epoch.`,
		Example: `  veil group revoke --dir "$ISSUER_DIR" --name acme --label mallory --out acme.epoch-1.revocation
  veil group revoke --dir "$ISSUER_DIR" --name acme --label mallory --label trudy
  veil group revoke --dir net/groups --name acme --label mallory \
    --node http://127.0.0.1:8545 --admin-key net/groups/acme.admin.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			switch gd.gs2().version() {
			case 2:
				if oc.enabled() {
					return badInput(fmt.Errorf("%s is a v2 group, revoked offline: the chain runs v1 groups only (drop --admin-key)", gd.gs2().gpkPath()))
				}
				return revokeV2(cmd, gd.gs2(), &out, labels, recOut)
			case 1:
				if len(labels) != 1 {
					return badInput(errors.New("a v1 group revokes one --label at a time"))
				}
				if recOut != "" {
					return badInput(errors.New("--out is for v2 groups: a v1 record goes to DIR/NAME.epoch-E.revocation"))
				}
				return revokeV1(cmd, &gd, &out, &oc, labels[0])
			}
			return badInput(fmt.Errorf("no group %q in %s: %s is missing or unreadable", gd.name, gd.dir, gd.gs2().gpkPath()))
		},
	}
	gd.register(cmd)
	out.register(cmd)
	oc.register(cmd, "the group issuer's (v1 groups)")
	cmd.Flags().StringArrayVar(&labels, "label", nil, "label of a member to revoke (required; repeat for several, v2)")
	cmd.Flags().StringVar(&recOut, "out", "", "file to write the v2 record to (default DIR/NAME.epoch-E.revocation)")
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

// revokeV1 revokes in a v1 group directory and, with --admin-key, on chain.
func revokeV1(cmd *cobra.Command, gd *groupDirFlags, out *outputFlag, oc *onChainFlags, label string) error {
	g := gd.groupDir()
	rec, reg, err := g.Revoke(label)
	if err != nil {
		return badInput(err)
	}
	enc, _ := rec.MarshalBinary()
	var remaining []map[string]string
	for _, m := range reg.Members() {
		if !m.Revoked {
			remaining = append(remaining, map[string]string{"label": m.Label, "a": m.Identity.String()})
		}
	}
	res := map[string]any{"label": label, "epoch": rec.Epoch(), "record": hex.EncodeToString(enc),
		"record_file": g.RevocationPath(rec.Epoch()), "members": remaining}
	if oc.enabled() {
		tx := &chain.Tx{Kind: chain.KindRevokeMember, Group: gd.name, Label: label, Revocation: enc}
		for _, m := range reg.Members() {
			if !m.Revoked {
				tx.Updates = append(tx.Updates, chain.MemberUpdate{Label: m.Label, Identity: m.Identity})
			}
		}
		txID, h, err := oc.submitAdmin(cmd.Context(), tx)
		if err != nil {
			return fmt.Errorf("revoked locally (record %s), but the on-chain revocation failed: %w", g.RevocationPath(rec.Epoch()), err)
		}
		res["tx"], res["height"] = txID, h
	}
	return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		if h, ok := res["height"]; ok {
			fmt.Fprintf(w, "revocation committed on chain at height %d\n", h)
		}
		fmt.Fprintf(w, "revoked %q; group %q is now at epoch %d\n  record %s\n  %d members remain; each runs: veil group update-key --key KEY --record %s\n",
			label, g.Name, rec.Epoch(), g.RevocationPath(rec.Epoch()), len(remaining), g.RevocationPath(rec.Epoch()))
	})
}
