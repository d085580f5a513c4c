package main

import "github.com/spf13/cobra"

func newCACmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "The consortium CA's tools: certify members' identity keys and operators",
		Long: `The chain CA ('genesis init' writes it to DIR/ca/ca.crt and ca.key)
certifies nodes and members. A member certificate binds an organisation
and a label to an Ed25519 identity key; it is made for document signing
under veil's member policy, never for TLS, so it never admits a node to
the network (and a node certificate never passes for a member's). An
operator certificate ('issue-operator') is a TLS client certificate for
the nodes' admin endpoints, and nothing else.`,
		Example: `  veil ca issue-member --ca-cert net/ca/ca.crt --ca-key net/ca/ca.key --request alice.csr --out alice.crt`,
	}
	cmd.AddCommand(newCAIssueMemberCmd(), newCAIssueOperatorCmd())
	return cmd
}
