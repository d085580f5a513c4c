package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig/bbs04"
)

func newSignCmd() *cobra.Command {
	var out outputFlag
	var msg messageFlags
	var keyPath string
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Sign a message anonymously with a member key",
		Long: `Sign a message with a member key. The signature (337 bytes, printed in
hex) shows that a member of the group signed, not which one. With
--output json it prints group_public_key, message and signature, each the
lower-case hex of the exact bytes of SPEC-bbs04.md.`,
		Example: `  veil sign --key alice.key --message "hello"
  veil sign --key alice.key --file invoice.pdf --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			mk := new(bbs04.MemberKey)
			if err := readKey(keyPath, mk); err != nil {
				return err
			}
			m, err := msg.read()
			if err != nil {
				return err
			}
			sig, err := bbs04.Sign(mk, m, rand.Reader)
			if err != nil {
				return err
			}
			pk, _ := mk.PublicKey().MarshalBinary()
			res := map[string]string{
				"group_public_key": hex.EncodeToString(pk),
				"message":          hex.EncodeToString(m),
				"signature":        hex.EncodeToString(sig),
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) { fmt.Fprintln(w, hex.EncodeToString(sig)) })
		},
	}
	out.register(cmd)
	msg.register(cmd)
	cmd.Flags().StringVar(&keyPath, "key", "", "member key file (required)")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}
