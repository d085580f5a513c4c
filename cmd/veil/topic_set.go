package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
)

func newTopicSetCmd() *cobra.Command {
	var out outputFlag
	var oc onChainFlags
	var topic string
	var groups []string
	var tagged bool
	var closes, closesIn uint64
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Set a topic's rule on chain, once (the consortium admin's tool)",
		Long: `Submit a topic rule signed by the consortium admin key (--admin-key) and
wait for its commit. A rule is set once and never changes:
  --groups a,b   only these groups may post (default: every group)
  --tagged       one action per member: transactions must carry the
                 member's tag for the topic ('veil tx send' signs tagged
                 by itself); a second one is refused with already_acted,
                 and the topic's tally counts the members who acted
  --closes H     the last height that takes transactions (0: never);
                 or --closes-in N, N blocks after the current height`,
		Example: `  veil topic set --node $VEIL_NODE --admin-key net/admin.key --topic vote-1 --groups payments --tagged --closes-in 500
  veil topic set --node $VEIL_NODE --admin-key net/admin.key --topic orders --groups payments,audit --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if !oc.enabled() {
				return badInput(errors.New("--admin-key (the consortium admin key) is required"))
			}
			if topic == "" || len(topic) > chain.MaxTopicLen {
				return badInput(fmt.Errorf("--topic must be 1 to %d bytes", chain.MaxTopicLen))
			}
			if cmd.Flags().Changed("closes") && cmd.Flags().Changed("closes-in") {
				return badInput(errors.New("give --closes or --closes-in, not both"))
			}
			rule := chain.TopicRule{Tagged: tagged, Closes: closes}
			for _, g := range groups {
				g = strings.TrimSpace(g)
				if !chain.ValidGroupName(g) {
					return badInput(fmt.Errorf("--groups: %q is not a group name", g))
				}
				rule.Groups = append(rule.Groups, g)
			}
			slices.Sort(rule.Groups)
			rule.Groups = slices.Compact(rule.Groups)
			c, err := oc.node.client()
			if err != nil {
				return err
			}
			ctx, cancel := oc.context(cmd)
			defer cancel()
			if closesIn > 0 {
				st, err := c.Status(ctx)
				if err != nil {
					return chainError(err)
				}
				rule.Closes = st.Height + closesIn
			}
			txID, h, err := oc.submitAdmin(ctx, &chain.Tx{Kind: chain.KindTopicRule, Topic: topic, Rule: rule})
			if err != nil {
				return err
			}
			rj := rule.JSON()
			res := map[string]any{"topic": topic, "rule": rj, "tx": txID, "height": h}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "topic %q: rule set at height %d\n  %s\n", topic, h, describeRule(&rj))
			})
		},
	}
	out.register(cmd)
	oc.register(cmd, "the consortium admin's")
	cmd.Flags().StringVar(&topic, "topic", "", "the topic (required)")
	cmd.Flags().StringSliceVar(&groups, "groups", nil, "the groups that may post, comma-separated (default: every group)")
	cmd.Flags().BoolVar(&tagged, "tagged", false, "one action per member (tagged signatures)")
	cmd.Flags().Uint64Var(&closes, "closes", 0, "last height that takes transactions (0: never)")
	cmd.Flags().Uint64Var(&closesIn, "closes-in", 0, "close this many blocks after the current height")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// describeRule is a rule in words.
func describeRule(r *chain.RuleJSON) string {
	who := "every group"
	if len(r.Groups) > 0 {
		who = "groups " + strings.Join(r.Groups, ", ")
	}
	how := "any number of transactions per member"
	if r.Tagged {
		how = "one action per member (tagged)"
	}
	until := "never closes"
	if r.Closes != 0 {
		until = fmt.Sprintf("closes after height %d", r.Closes)
	}
	return fmt.Sprintf("%s; %s; %s", who, how, until)
}
