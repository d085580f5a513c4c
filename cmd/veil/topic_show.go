package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/api"
	"github.com/veilchain/veil/client"
)

func newTopicShowCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	cmd := &cobra.Command{
		Use:   "show TOPIC",
		Short: "Show a topic's rule, whether it is open, its tally and its committed transactions",
		Long: `Show a topic from chain state: its rule (or none: open to every group,
untagged), whether it still takes transactions, the tag scope its tagged
signatures use, the tally (on a tagged topic: the members who acted, each
counted once) and how many transactions were committed under it.`,
		Example: `  veil topic show vote-1 --node http://127.0.0.1:7010
  veil topic show vote-1 --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withNode(cmd, &out, &nf, func(ctx context.Context, c *client.Client) error {
				t, err := c.Topic(ctx, args[0])
				if err != nil {
					return apiError(err)
				}
				n, err := countTopicTxs(ctx, c, args[0])
				if err != nil {
					return apiError(err)
				}
				res := struct {
					*api.TopicResponse
					Txs int `json:"txs"`
				}{t, n}
				return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
					fmt.Fprintf(w, "topic   %s\n", t.Topic)
					if t.Rule == nil {
						fmt.Fprintln(w, "rule    none (every group, untagged)")
					} else {
						fmt.Fprintf(w, "rule    %s (set at height %d)\n", describeRule(t.Rule), t.Height)
					}
					state := "open"
					if !t.Open {
						state = "closed"
					}
					fmt.Fprintf(w, "state   %s\nscope   %s\n", state, t.Scope)
					if t.Rule != nil && t.Rule.Tagged {
						fmt.Fprintf(w, "tally   %d members acted\n", t.Tally)
					}
					fmt.Fprintf(w, "txs     %d committed\n", n)
				})
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	return cmd
}

// countTopicTxs pages through a topic's committed transactions.
func countTopicTxs(ctx context.Context, c *client.Client, topic string) (int, error) {
	n, after := 0, ""
	for {
		page, err := c.TopicTxs(ctx, topic, after, 1000)
		if err != nil {
			return 0, err
		}
		n += len(page.IDs)
		if len(page.IDs) == 0 || page.Next == after {
			return n, nil
		}
		after = page.Next
	}
}
