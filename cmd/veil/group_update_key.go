package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

// updateKeyFlags are update-key's flags.
type updateKeyFlags struct {
	out                    outputFlag
	nf                     nodeFlag
	keyPath, keyOut, group string
	gpk, label, prev       string
	records                []string
	force                  bool
	timeout                time.Duration
}

func newGroupUpdateKeyCmd() *cobra.Command {
	var f updateKeyFlags
	cmd := &cobra.Command{
		Use:   "update-key",
		Short: "Bring a member key to the group's current epoch after revocations",
		Long: `Move a member key across revocation records to a later epoch, with the
certificate each record re-issues it. Every record is checked (the
issuer's proof, and its chain to the previous record) before it is used.
A revoked member is told so and exits 1 (code "revoked"). The key file is
rewritten in place (atomically) unless --out is given (an existing --out
is replaced only with --force).

From the chain (--node, or $VEIL_NODE; the default without --record): the
group's revocation records are read from chain state and the key is
brought to the group's current epoch. The group is the key file's, or
--group (checked against the key). 'veil tx send' does the same on its
own before it signs.

Offline (--record, repeat in epoch order): the records are files; the
first must chain to --prev, the previous record (a file, or its SHA-256 in
hex; default zeros, right for the group's first record). A bare hex or raw
member key needs --gpk and --label.`,
		Example: `  veil group update-key --node $VEIL_NODE --key bob.payments.key
  veil group update-key --key bob.key --record acme.epoch-1.revocation
  veil group update-key --key bob.key --record acme.epoch-2.revocation \
    --prev acme.epoch-1.revocation --out bob.epoch-2.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.out.validate(); err != nil {
				return err
			}
			if f.keyOut != "" && !f.force {
				if err := checkAbsent(f.keyOut); err != nil {
					return err
				}
			}
			if len(f.records) > 0 {
				if f.group != "" {
					return badInput(errors.New("--group is for updating from the chain: drop it with --record"))
				}
				return updateKeyV2(cmd, &f)
			}
			if f.prev != "" {
				return badInput(errors.New("--prev goes with --record"))
			}
			return updateKeyOnChain(cmd, &f)
		},
	}
	f.out.register(cmd)
	cmd.Flags().StringVar(&f.keyPath, "key", "", "member key file (required)")
	cmd.Flags().StringArrayVar(&f.records, "record", nil, "offline: revocation record file (repeat, in epoch order)")
	cmd.Flags().StringVar(&f.keyOut, "out", "", "write the updated key here instead of over --key")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace an existing --out file")
	cmd.Flags().StringVar(&f.prev, "prev", "", "offline: the record before the first --record (file, or its hash in hex; default zeros)")
	cmd.Flags().StringVar(&f.gpk, "gpk", "", "group key file, for a bare member key")
	cmd.Flags().StringVar(&f.label, "label", "", "the member's label, for a key file without a Label header")
	f.nf.register(cmd)
	cmd.Flags().StringVar(&f.group, "group", "", "the key's group on chain (default: the key file's)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 30*time.Second, "give up waiting for the node after this long")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

// updateKeyOnChain brings the key to the group's current epoch from the
// chain's revocation records.
func updateKeyOnChain(cmd *cobra.Command, f *updateKeyFlags) error {
	c, err := f.nf.client()
	if err != nil {
		return err
	}
	mf, err := readMemberFile(f.keyPath, f.gpk, f.label)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	group, g, err := memberGroup(ctx, c, mf, f.group)
	if err != nil {
		return err
	}
	from := mf.mk.Epoch()
	outPath := f.keyOut
	if outPath == "" {
		outPath = f.keyPath
	} else if err := copyKeyFile(mf, group, outPath, f.force); err != nil {
		return err
	}
	up, err := updateFromChain(ctx, c, outPath, mf, group, g.Epoch)
	if err != nil {
		return err
	}
	res := map[string]any{"label": up.label, "group": group, "from_epoch": from, "epoch": up.mk.Epoch(), "a": hex.EncodeToString(up.mk.A()), "key_file": outPath}
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		if up.mk.Epoch() == from {
			fmt.Fprintf(w, "member key of %q is current: group %q is at epoch %d\n", up.label, group, from)
			return
		}
		fmt.Fprintf(w, "member key of %q now at epoch %d (from %d) -> %s\n", up.label, up.mk.Epoch(), from, outPath)
	})
}

// copyKeyFile writes mf to path first, so that --out holds the key even
// when it is already current.
func copyKeyFile(mf *memberFile, group, path string, force bool) error {
	cp := *mf
	cp.group = group
	return cp.write(path, force)
}

// parsePrev reads --prev: a 32-byte hash in hex, or a record (hex or file).
func parsePrev(s string) ([32]byte, error) {
	var prev [32]byte
	if b, err := hex.DecodeString(strings.TrimSpace(s)); err == nil && len(b) == len(prev) {
		copy(prev[:], b)
		return prev, nil
	}
	rec := new(groupsig.RevocationRecord)
	if err := readArg("prev", s, rec); err != nil {
		return prev, err
	}
	return rec.Hash(), nil
}

func updateKeyV2(cmd *cobra.Command, f *updateKeyFlags) error {
	if len(f.records) == 0 {
		return badInput(errors.New("give the revocation record with --record"))
	}
	mf, err := readMemberFile(f.keyPath, f.gpk, f.label)
	if err != nil {
		return err
	}
	if mf.label == "" {
		return badInput(fmt.Errorf("%s names no label: give --label", f.keyPath))
	}
	var prev [32]byte
	switch {
	case f.prev != "":
		if prev, err = parsePrev(f.prev); err != nil {
			return err
		}
	case mf.mk.Epoch() > 0:
		return badInput(fmt.Errorf("the key is at epoch %d: the record into epoch %d chains to the record into epoch %d: give it with --prev",
			mf.mk.Epoch(), mf.mk.Epoch()+1, mf.mk.Epoch()))
	}
	mk := mf.mk
	for _, path := range f.records {
		rec := new(groupsig.RevocationRecord)
		if _, err := readGS2(path, rec); err != nil {
			return err
		}
		next, err := mk.Update(mf.gk, mf.label, prev, rec)
		if errors.Is(err, groupsig.ErrRevoked) {
			return refused(fmt.Errorf("%q was revoked at epoch %d: this member key can no longer sign for the group: %w", mf.label, rec.Epoch(), err))
		}
		if err != nil {
			return checkError(fmt.Errorf("record %s: %w", path, err))
		}
		mk, prev = next, rec.Hash()
	}
	gk, err := mf.gk.AtEpoch(mk.Epoch())
	if err != nil {
		return err
	}
	outPath := f.keyOut
	if outPath == "" {
		outPath = f.keyPath
	}
	if err := (&memberFile{mk: mk, gk: gk, label: mf.label, group: mf.group}).write(outPath, true); err != nil {
		return err
	}
	res := map[string]any{"label": mf.label, "epoch": mk.Epoch(), "a": hex.EncodeToString(mk.A()),
		"prev": hex.EncodeToString(prev[:]), "key_file": outPath}
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "member key of %q now at epoch %d -> %s\n  the next record chains to %x\n", mf.label, mk.Epoch(), outPath, prev)
	})
}
