package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
)

func newCommitteeDealCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var group, openerPath, adminPath, dir string
	var authArgs, sharePaths []string
	var t int
	var rotate, wait, eraseOpener bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "deal",
		Short: "Share the group's opener key t-of-n among authorities and post the committee (the dealer's tool)",
		Long: `The dealer (threshold spec §1). Share the group's opener key among the
authorities given in index order by --authority LABEL=CERT (each
authority's member certificate from the consortium CA, which names its
label and identity key) with threshold --threshold: any t of them open,
fewer learn nothing. Writes, under --out DIR (created 0700):
  DIR/LABEL.share    authority LABEL's share, secret (0600): hand it to
                     the authority over a private channel, then erase it
  DIR/committee.pem  the committee and the certificates (public)

The group's first committee (--opener-key, the group's opener key) is
posted at once, authorised by the consortium admin (--admin-key). It is
pending until every authority posted its share proof ('veil audit share
accept'), and expires at the end of the first block 1 h and 100
blocks after its own.

A rotation (--rotate) re-deals from t shares of the active committee
(--share, repeated: t holders hand them to the dealer), which rebuild the
opener key in memory only. It is not posted here: q = max(t, n−t+1)
authorities of the active committee first approve its cref on chain
('veil audit committee approve --committee DIR/committee.pem'), then
'veil audit committee post --dir DIR' posts it.

--wait waits until the committee is active, then erases the share files
under DIR (every authority has its own by then) — or, if it is aborted,
erases them too; with --erase-opener-key it also erases the opener key
file once the committee is active (custody: the first dealer keeps the
key across aborts, and erases it at the first activation). Without
--wait, erase them yourself: the command says so.`,
		Example: `  veil audit committee deal --node $VEIL_NODE --group payments --opener-key net/groups/payments.opener.key \
    --threshold 2 --authority regulator=regulator.crt --authority acme=acme.crt --authority globex=globex.crt \
    --admin-key net/admin.key --out dealing/
  veil audit committee deal --group payments --opener-key payments.opener.key --threshold 2 --authority … \
    --admin-key admin.key --out dealing/ --wait --erase-opener-key --output json
  veil audit committee deal --group payments --rotate --share regulator.share --share acme.share \
    --threshold 2 --authority … --out rotation/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			switch {
			case !chain.ValidGroupName(group):
				return badInput(fmt.Errorf("--group %q is not a group name", group))
			case rotate == (openerPath != ""):
				return badInput(errors.New("give --opener-key (the group's first committee) or --rotate with --share (a rotation), not both"))
			case rotate && adminPath != "":
				return badInput(errors.New("a rotation is authorised by approvals, not by --admin-key"))
			case !rotate && adminPath == "":
				return badInput(errors.New("the group's first committee needs --admin-key (the consortium admin's)"))
			case rotate && (wait || eraseOpener):
				return badInput(errors.New("a rotation is posted by 'veil audit committee post': --wait and --erase-opener-key go there"))
			case eraseOpener && !wait:
				return badInput(errors.New("--erase-opener-key needs --wait (the key is erased once the committee is active)"))
			case dir == "":
				return badInput(errors.New("--out DIR is required"))
			}
			var auths []groupsig.Authority
			var certs [][]byte
			for _, a := range authArgs {
				au, der, err := parseAuthority(a)
				if err != nil {
					return err
				}
				auths, certs = append(auths, au), append(certs, der)
			}
			paths := []string{filepath.Join(dir, "committee.pem")}
			for _, a := range auths {
				paths = append(paths, filepath.Join(dir, a.Label+".share"))
			}
			if err := checkAbsent(paths...); err != nil {
				return err
			}
			var admin []byte
			if adminPath != "" {
				k, err := genesis.ReadPrivateKey(adminPath)
				if err != nil {
					return badInput(fmt.Errorf("--admin-key: %w", err))
				}
				admin = k
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			gk, _, _, err := c.GroupOrigin(ctx, group)
			if err != nil {
				return chainError(err)
			}
			cs, err := c.Committees(ctx, group)
			if err != nil {
				return chainError(err)
			}
			var ok *groupsig.OpenerKey
			if rotate {
				if ok, err = rebuildOpenerKey(ctx, c, gk, group, sharePaths); err != nil {
					return err
				}
			} else {
				if cs.Active != nil {
					return refused(fmt.Errorf("%w: group %q has an active committee (%s…): the opener key was erased; re-deal with --rotate and the shares of t holders", client.ErrCommitteeState, group, cs.Active.Ref[:16]))
				}
				ok = new(groupsig.OpenerKey)
				if _, err := readGS2(openerPath, ok); err != nil {
					return err
				}
				if !ok.GroupKey().SameGroup(gk) {
					return badInput(fmt.Errorf("%w: the opener key is not of group %q", groupsig.ErrWrongGroup, group))
				}
			}
			cm, shares, err := groupsig.Deal(ok, t, auths, rand.Reader)
			if err != nil {
				return badInput(err)
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return badInput(err)
			}
			d := &dealing{group: group, cm: cm, certs: certs}
			if err := d.write(paths[0]); err != nil {
				return err
			}
			for i, sh := range shares {
				if err := (&shareFile{sh: sh, group: group, label: auths[i].Label}).write(paths[i+1]); err != nil {
					return err
				}
			}
			cref := cm.Ref()
			crefHex := hex.EncodeToString(cref[:])
			res := map[string]any{"group": group, "cref": crefHex, "t": t, "n": len(auths), "committee_file": paths[0], "share_files": paths[1:],
				"rotation": rotate}
			if rotate {
				q := max(t, len(auths)-t+1)
				if cs.Active != nil {
					q = max(cs.Active.Threshold, cs.Active.N-cs.Active.Threshold+1)
				}
				res["approvals_needed"], res["state"] = q, "dealt"
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					fmt.Fprintf(w, "dealt a %d-of-%d rotation of %q: cref %s\n  committee  %s (public: give it to the approvers)\n", t, len(auths), group, crefHex, paths[0])
					for i, p := range paths[1:] {
						fmt.Fprintf(w, "  share %d    %s (secret: to %s only)\n", i+1, p, auths[i].Label)
					}
					fmt.Fprintf(w, "next: %d authorities of the active committee run 'veil audit committee approve --group %s --committee %s --new-cref %s --deadline-in 100',\n"+
						"then 'veil audit committee post --group %s --dir %s'. The rebuilt opener key was never written.\n", q, group, paths[0], crefHex, group, dir)
				})
			}
			adsig, err := groupsig.AuthorizeCommittee(admin, gk, cm)
			if err != nil {
				return badInput(err)
			}
			txID, h, err := c.SubmitSealed(ctx, &chain.Tx{Kind: chain.KindCommittee, Group: group, Committee: mustMarshal(cm), AuthorityCerts: certs, AdminSig: adsig})
			if err != nil {
				return chainError(err)
			}
			res["tx"], res["height"], res["state"] = txID, h, "pending"
			if wait {
				if _, err := c.AwaitCommittee(ctx, group, crefHex); err != nil {
					if errors.Is(err, client.ErrCommitteeState) {
						eraseFiles(paths[1:])
						res["shares_erased"] = true
					}
					return committeeError(err)
				}
				res["state"] = "active"
				eraseFiles(paths[1:])
				res["shares_erased"] = true
				if eraseOpener {
					if err := os.Remove(openerPath); err != nil {
						return badInput(fmt.Errorf("erase the opener key: %w", err))
					}
					res["opener_key_erased"] = true
				}
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "committee %s of %q (%d-of-%d) posted at height %d: %s\n", crefHex, group, t, len(auths), h, res["state"])
				if !wait {
					for i, p := range paths[1:] {
						fmt.Fprintf(w, "  share %d  %s: to %s over a private channel, then erase it here\n", i+1, p, auths[i].Label)
					}
					fmt.Fprintf(w, "each authority runs 'veil audit share accept --share FILE --identity ID'; once the committee is active\n"+
						"('veil audit committee show --group %s'), ERASE the opener key %s: from then on only t authorities together can open.\n", group, openerPath)
					return
				}
				fmt.Fprintf(w, "  the share files under %s are erased\n", dir)
				if eraseOpener {
					fmt.Fprintf(w, "  the opener key %s is erased: only t authorities together can open\n", openerPath)
				} else {
					fmt.Fprintf(w, "  now ERASE the opener key %s: only t authorities together should be able to open\n", openerPath)
				}
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&group, "group", "", "the group (required)")
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "the group's opener key file (the group's first committee)")
	cmd.Flags().BoolVar(&rotate, "rotate", false, "re-deal from t shares of the active committee (--share)")
	cmd.Flags().StringArrayVar(&sharePaths, "share", nil, "with --rotate: a share file of the active committee (repeat t times)")
	cmd.Flags().IntVar(&t, "threshold", 0, "t: how many authorities an opening needs (required, 2 ≤ t ≤ n)")
	cmd.Flags().StringArrayVar(&authArgs, "authority", nil, "LABEL=CERT: an authority and its member certificate, in index order (repeat n times)")
	cmd.Flags().StringVar(&adminPath, "admin-key", "", "the consortium admin's key: authorises the group's first committee")
	cmd.Flags().StringVar(&dir, "out", "", "directory for the share files and the committee (required)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the committee is active, then erase the share files")
	cmd.Flags().BoolVar(&eraseOpener, "erase-opener-key", false, "with --wait: erase --opener-key once the committee is active")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up waiting for the node after this long")
	_ = cmd.MarkFlagRequired("group")
	_ = cmd.MarkFlagRequired("threshold")
	_ = cmd.MarkFlagRequired("authority")
	return cmd
}

// rebuildOpenerKey rebuilds the group's opener key, in memory, from t
// shares of the active committee on the node (a rotation's dealer).
func rebuildOpenerKey(ctx context.Context, c *client.Client, gk *groupsig.GroupKey, group string, paths []string) (*groupsig.OpenerKey, error) {
	active, err := c.ActiveCommittee(ctx, group)
	if err != nil {
		return nil, committeeError(err)
	}
	var shares []*groupsig.Share
	for _, p := range paths {
		sf, err := readShareFile(p)
		if err != nil {
			return nil, err
		}
		if sf.group != group {
			return nil, badInput(fmt.Errorf("%s is a share of group %q, not %q", p, sf.group, group))
		}
		shares = append(shares, sf.sh)
	}
	if len(shares) < active.Threshold() {
		return nil, badInput(fmt.Errorf("%d shares given (--share), the active committee's threshold is %d", len(shares), active.Threshold()))
	}
	ok, err := groupsig.RecoverOpenerKey(gk, active.Committee, shares)
	if err != nil {
		return nil, refused(err)
	}
	return ok, nil
}

// eraseFiles removes the dealer's copies of the shares.
func eraseFiles(paths []string) {
	for _, p := range paths {
		_ = os.Remove(p)
	}
}

func mustMarshal(v interface{ MarshalBinary() ([]byte, error) }) []byte {
	b, err := v.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

func newCommitteePostCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var group, dir, adminPath string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "post",
		Short: "Post a dealt committee: a rotation once its approvals are on chain",
		Long: `Post the committee in DIR/committee.pem (from 'veil audit committee deal') with
its authorities' certificates. A rotation is authorised by the approvals
of q = max(t, n−t+1) authorities of the active committee already on
chain with a deadline not passed (refused insufficient_approvals
otherwise); --admin-key instead authorises a group's first committee
(a retry of 'deal'). --wait waits until it is active and then erases the
share files under DIR (or, if it is aborted, erases them too).`,
		Example: `  veil audit committee post --node $VEIL_NODE --group payments --dir rotation/
  veil audit committee post --group payments --dir rotation/ --wait --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			d, err := readDealing(filepath.Join(dir, "committee.pem"))
			if err != nil {
				return err
			}
			if d.group != "" && group != "" && d.group != group {
				return badInput(fmt.Errorf("%s/committee.pem is of group %q, not %q", dir, d.group, group))
			}
			if group == "" {
				group = d.group
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			tx := &chain.Tx{Kind: chain.KindCommittee, Group: group, Committee: mustMarshal(d.cm), AuthorityCerts: d.certs}
			if adminPath != "" {
				admin, err := genesis.ReadPrivateKey(adminPath)
				if err != nil {
					return badInput(fmt.Errorf("--admin-key: %w", err))
				}
				gk, _, _, err := c.GroupOrigin(ctx, group)
				if err != nil {
					return chainError(err)
				}
				if tx.AdminSig, err = groupsig.AuthorizeCommittee(admin, gk, d.cm); err != nil {
					return badInput(err)
				}
			}
			txID, h, err := c.SubmitSealed(ctx, tx)
			if err != nil {
				return chainError(err)
			}
			cref := d.cm.Ref()
			crefHex := hex.EncodeToString(cref[:])
			res := map[string]any{"group": group, "cref": crefHex, "tx": txID, "height": h, "state": "pending"}
			if wait {
				shares, _ := filepath.Glob(filepath.Join(dir, "*.share"))
				_, err := c.AwaitCommittee(ctx, group, crefHex)
				if err == nil || errors.Is(err, client.ErrCommitteeState) {
					eraseFiles(shares)
					res["shares_erased"] = true
				}
				if err != nil {
					return committeeError(err)
				}
				res["state"] = "active"
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "committee %s of %q posted at height %d: %s\n", crefHex, group, h, res["state"])
				if !wait {
					fmt.Fprintln(w, "each authority runs 'veil audit share accept --share FILE --identity ID'")
				}
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&group, "group", "", "the group (default: the committee file's)")
	cmd.Flags().StringVar(&dir, "dir", "", "the dealing's directory, from 'audit committee deal --out' (required)")
	cmd.Flags().StringVar(&adminPath, "admin-key", "", "the consortium admin's key, for a group's first committee")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the committee is active, then erase the share files under --dir")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up waiting for the node after this long")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}
