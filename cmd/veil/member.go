package main

import "github.com/spf13/cobra"

func newMemberCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "A member's own keys (v2): the Ed25519 identity key that signs join requests",
		Example: `  veil member keygen --out alice.id
  veil group join-request --gpk acme.gpk --label alice --identity alice.id --out alice.req`,
	}
	cmd.AddCommand(newMemberKeygenCmd())
	return cmd
}
