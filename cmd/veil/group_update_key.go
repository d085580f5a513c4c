package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/groupsig/bbs04"
)

// updateKeyFlags are update-key's flags, for both schemes.
type updateKeyFlags struct {
	out                    outputFlag
	nf                     nodeFlag
	keyPath, keyOut, group string
	gpk, label, prev       string
	records                []string
	force                  bool
}

func newGroupUpdateKeyCmd() *cobra.Command {
	var f updateKeyFlags
	cmd := &cobra.Command{
		Use:   "update-key",
		Short: "Bring a member key to the next epoch with a revocation record",
		Long: `Check a revocation record against the member key's epoch and move the
key to the record's epoch with the certificate the record re-issues it.
Give several --record flags, in epoch order, to cross several revocations.
A revoked member is told so and exits 1. The key file is rewritten in
place unless --out is given (an existing --out is replaced only with
--force).

v2 key (from 'group join-finish'): the record must chain to the previous
one: --prev is the previous record (a file, or its SHA-256 in hex); it
defaults to zeros, right for the first record of the group. A bare hex or
raw member key needs --gpk and --label.

v1 key of the chain: with --group (and --node or $VEIL_NODE) instead of
--record the revocation records are read from the chain and the key is
brought to the group's current epoch; --record takes v1 record files.`,
		Example: `  veil group update-key --key bob.key --record acme.epoch-1.revocation
  veil group update-key --key bob.key --record acme.epoch-2.revocation \
    --prev acme.epoch-1.revocation --out bob.epoch-2.key
  veil group update-key --key bob.key --node http://127.0.0.1:8545 --group acme`,
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
			if f.group == "" {
				if data, err := os.ReadFile(f.keyPath); err == nil && fileVersion(data) == 2 {
					return updateKeyV2(cmd, &f)
				}
			}
			if f.gpk != "" || f.label != "" || f.prev != "" {
				return badInput(errors.New("--gpk, --label and --prev are for v2 member keys"))
			}
			return updateKeyV1(cmd, &f)
		},
	}
	f.out.register(cmd)
	cmd.Flags().StringVar(&f.keyPath, "key", "", "member key file (required)")
	cmd.Flags().StringArrayVar(&f.records, "record", nil, "revocation record file (repeat, in epoch order)")
	cmd.Flags().StringVar(&f.keyOut, "out", "", "write the updated key here instead of over --key")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace an existing --out file")
	cmd.Flags().StringVar(&f.prev, "prev", "", "v2: the record before the first --record (file, or its hash in hex; default zeros)")
	cmd.Flags().StringVar(&f.gpk, "gpk", "", "v2: group key file, for a bare member key")
	cmd.Flags().StringVar(&f.label, "label", "", "v2: the member's label, for a key file without a Label header")
	f.nf.register(cmd)
	cmd.Flags().StringVar(&f.group, "group", "", "v1: group name on chain (with --node)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
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
	if err := (&memberFile{mk: mk, gk: gk, label: mf.label}).write(outPath, true); err != nil {
		return err
	}
	res := map[string]any{"label": mf.label, "epoch": mk.Epoch(), "a": hex.EncodeToString(mk.A()),
		"prev": hex.EncodeToString(prev[:]), "key_file": outPath}
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "member key of %q now at epoch %d -> %s\n  the next record chains to %x\n", mf.label, mk.Epoch(), outPath, prev)
	})
}

func updateKeyV1(cmd *cobra.Command, f *updateKeyFlags) error {
	mk := new(bbs04.MemberKey)
	if err := readKey(f.keyPath, mk); err != nil {
		return err
	}
	type source struct {
		name string
		rec  *bbs04.RevocationRecord
	}
	var recs []source
	for _, path := range f.records {
		rec := new(bbs04.RevocationRecord)
		if err := readKey(path, rec); err != nil {
			return err
		}
		recs = append(recs, source{path, rec})
	}
	if f.nf.url != "" && len(f.records) == 0 {
		if f.group == "" {
			return badInput(errors.New("--group is required with --node"))
		}
		c, err := f.nf.client()
		if err != nil {
			return err
		}
		ctx, cancel := timeoutCtx(cmd, 30*time.Second)
		defer cancel()
		onChain, err := c.Revocations(ctx, f.group)
		if err != nil {
			return apiError(err)
		}
		// Record i moved the group to epoch i+1; the key needs those after its epoch.
		for i := mk.PublicKey().Epoch(); i < uint64(len(onChain)); i++ {
			rec := new(bbs04.RevocationRecord)
			if err := rec.UnmarshalBinary(onChain[i]); err != nil {
				return fmt.Errorf("on-chain record for epoch %d: %w", i+1, err)
			}
			recs = append(recs, source{fmt.Sprintf("on-chain record for epoch %d", i+1), rec})
		}
	}
	if len(recs) == 0 && len(f.records) == 0 && f.nf.url == "" {
		return badInput(errors.New("give --record files, or --node and --group"))
	}
	for _, src := range recs {
		path, rec := src.name, src.rec
		next, err := mk.Update(rec)
		if errors.Is(err, bbs04.ErrRevoked) {
			return refused(fmt.Errorf("this member key was revoked at epoch %d: it can no longer sign for the group: %w", rec.Epoch(), err))
		}
		if err != nil {
			return refused(fmt.Errorf("record %s: %w", path, err))
		}
		mk = next
	}
	keyOut := f.keyOut
	if keyOut == "" {
		keyOut = f.keyPath
	}
	if err := bbs04.WriteFile(keyOut, mk); err != nil {
		return badInput(err)
	}
	id := mk.Identity()
	res := map[string]any{"epoch": mk.PublicKey().Epoch(), "a": id.String(), "key_file": keyOut}
	return f.out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "member key now at epoch %d -> %s\n", mk.PublicKey().Epoch(), keyOut)
	})
}
