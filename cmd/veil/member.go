package main

import "github.com/spf13/cobra"

func newMemberCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "member",
		Short: "A member's own keys: the Ed25519 identity key and its certificate request",
		Long: `A member's identity is an Ed25519 key that the consortium CA certifies
for an organisation and a label ('member request-cert', then 'ca
issue-member' on the CA's side). The identity key signs the member's join
requests, so that an opening of the member's signatures names a person
who cannot deny it.`,
		Example: `  veil member request-cert --identity alice.id --org "Acme Bank" --label alice --out alice.csr
  veil member keygen --out alice.id`,
	}
	cmd.AddCommand(newMemberKeygenCmd(), newMemberRequestCertCmd())
	return cmd
}
