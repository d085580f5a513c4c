package main

import "github.com/spf13/cobra"

func newTopicCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Topic rules: which groups may post, one action per member, closing height",
		Long: `A topic without a rule takes untagged transactions of every group. The
consortium admin may set a topic's rule once ('topic set'): the groups
that may post, whether each member may act only once (tagged: every
transaction carries the member's tag for the topic, and the chain refuses
a second one with already_acted; the tally counts members, not
transactions), and the last height it takes transactions at.`,
		Example: `  veil topic set --node $VEIL_NODE --admin-key net/admin.key --topic vote-1 --groups payments --tagged --closes 500
  veil topic show vote-1`,
	}
	cmd.AddCommand(newTopicSetCmd(), newTopicShowCmd())
	return cmd
}
