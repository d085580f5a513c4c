package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/groupsig"
)

func newOpenCmd() *cobra.Command {
	var out outputFlag
	var in signedFlags
	var openerPath, registryPath string
	cmd := &cobra.Command{
		Use:   "open",
		Short: "Name the member who made a signature, with a proof (the opener's tool)",
		Long: `Open a valid signature with the opener key: recover the signer's
certificate A and print the opening, a proof that anyone can check with
'veil verify-opening' from public data alone. With --registry it also
names the member whose certificate at the signature's epoch is A; an A
the registry never issued for that epoch points at the issuer ("shadow
member", SPEC §8). 'veil audit evidence' makes the full accountable
bundle. The signature's epoch is the --gpk key's, or --epoch. An invalid
signature is refused (exit 1), never guessed at.`,
		Example: `  veil open --opener-key acme.opener.key --gpk acme.gpk --registry acme.registry \
    --message "hello" --signature 1106a2…
  veil open --opener-key acme.opener.key --gpk acme.gpk --epoch 0 \
    --message "yes" --scope vote/topic-1 --signature 1107c4… --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			ok := new(groupsig.OpenerKey)
			if _, err := readGS2(openerPath, ok); err != nil {
				return err
			}
			var reg *groupsig.Registry
			if registryPath != "" {
				reg = new(groupsig.Registry)
				if _, err := readGS2(registryPath, reg); err != nil {
					return err
				}
			}
			s, err := in.read()
			if err != nil {
				return err
			}
			o, err := groupsig.Open(ok, s.gk, s.msg, s.scope, s.sig, rand.Reader)
			if err != nil {
				return openError(err)
			}
			ob, _ := o.MarshalBinary()
			res := map[string]any{"epoch": s.gk.Epoch(), "a": hex.EncodeToString(o.A()), "opening": hex.EncodeToString(ob)}
			label := ""
			if reg != nil {
				if join, found := reg.Lookup(s.gk.Epoch(), o.A()); found {
					label = join.Label()
				}
				res["label"] = label
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				if reg != nil {
					shown := label
					if shown == "" {
						shown = fmt.Sprintf("(A is no certificate the registry issued for epoch %d)", s.gk.Epoch())
					}
					fmt.Fprintf(w, "label   %s\n", shown)
				}
				fmt.Fprintf(w, "a       %s\nopening %s\n", res["a"], res["opening"])
			})
		},
	}
	out.register(cmd)
	in.register(cmd)
	cmd.Flags().StringVar(&openerPath, "opener-key", "", "opener key file (required)")
	cmd.Flags().StringVar(&registryPath, "registry", "", "the issuer's registry file, to name the member's label")
	_ = cmd.MarkFlagRequired("opener-key")
	return cmd
}
