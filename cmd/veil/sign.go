package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newSignCmd() *cobra.Command {
	var out outputFlag
	var msg messageFlags
	var scope scopeFlags
	var keyPath, gpkPath string
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Sign a message anonymously with a member key",
		Long: `Sign a message with a v2 member key (from 'group join-finish'), under the
group key of the key's epoch. The signature, printed in hex, shows that a
member of the group signed, not which one. With --scope (or --scope-hex)
it is tagged: it carries a tag that is the same for every signature of
this member in that scope ("one action per member per scope") and
unlinkable across scopes. With --output json it prints group_key (gpk_e),
epoch, message, scope, signature, each the lower-case hex of the exact
bytes of SPEC-groupsig-v2.md.

The key file carries its group key; --gpk is needed only for a bare hex
or raw member key (another implementation's), and then any epoch of the
group will do.`,
		Example: `  veil sign --key alice.key --message "hello"
  veil sign --key alice.key --message "yes" --scope vote/topic-1
  veil sign --key member.hex --gpk acme.gpk --message-file invoice.pdf --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			mf, err := readMemberFile(keyPath, gpkPath, "")
			if err != nil {
				return err
			}
			m, err := msg.read()
			if err != nil {
				return err
			}
			s, err := scope.read()
			if err != nil {
				return err
			}
			sig, err := groupsig.Sign(mf.gk, mf.mk, m, s, rand.Reader)
			if err != nil {
				return checkError(err)
			}
			gk, _ := mf.gk.MarshalBinary()
			res := map[string]any{
				"group_key": hex.EncodeToString(gk),
				"epoch":     mf.gk.Epoch(),
				"message":   hex.EncodeToString(m),
				"signature": hex.EncodeToString(sig),
			}
			if s != nil {
				res["scope"] = hex.EncodeToString(s)
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) { fmt.Fprintln(w, hex.EncodeToString(sig)) })
		},
	}
	out.register(cmd)
	msg.register(cmd)
	scope.register(cmd)
	cmd.Flags().StringVar(&keyPath, "key", "", "member key file (required)")
	cmd.Flags().StringVar(&gpkPath, "gpk", "", "group key file, for a bare member key")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}
