package main

import (
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newGroupJoinFinishCmd() *cobra.Command {
	var out outputFlag
	var secretPath, respPath, keyOut string
	cmd := &cobra.Command{
		Use:   "join-finish",
		Short: "Finish joining: check the issuer's response and write the member key (the member's side)",
		Long: `Check the issuer's response against the request it answers (same group,
label and request hash; e(A, w·g2^x) = e(g1_e·H, g2)) and write the member
key to --out: a PEM file (mode 0600) with the member key block, its label
in a "Label" header, and the group key of the key's epoch, so that 'veil
sign --key' needs nothing else. The secret half is no longer needed once
the key is written. An existing file is never replaced.`,
		Example: `  veil group join-finish --request-secret alice.req.secret --response alice.resp --out alice.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := checkAbsent(keyOut); err != nil {
				return err
			}
			js, resp := new(groupsig.JoinSecret), new(groupsig.JoinResponse)
			if _, err := readGS2(secretPath, js); err != nil {
				return err
			}
			if _, err := readGS2(respPath, resp); err != nil {
				return err
			}
			mk, err := js.Finish(resp)
			if err != nil {
				return checkError(err)
			}
			gk, err := js.GroupKey().AtEpoch(mk.Epoch())
			if err != nil {
				return err
			}
			if err := (&memberFile{mk: mk, gk: gk, label: resp.Label()}).write(keyOut, false); err != nil {
				return err
			}
			res := map[string]any{"label": resp.Label(), "epoch": mk.Epoch(), "a": hex.EncodeToString(mk.A()), "key_file": keyOut}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "member key for %q at epoch %d -> %s (secret)\n  A %s\n", resp.Label(), mk.Epoch(), keyOut, res["a"])
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&secretPath, "request-secret", "", "the secret half written by 'group join-request' (required)")
	cmd.Flags().StringVar(&respPath, "response", "", "the issuer's response (required)")
	cmd.Flags().StringVar(&keyOut, "out", "", "file to write the member key to (required)")
	for _, f := range []string{"request-secret", "response", "out"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}
