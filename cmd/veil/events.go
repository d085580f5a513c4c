package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
)

func newEventsCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var topic string
	var from uint64
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Follow committed blocks and transactions",
		Long: `Follow a node's event stream until interrupted. --topic keeps only the
transactions of one topic; --from-height replays from a height first, so a
follower that restarts with the height after the last one it printed misses
nothing. With --output json each event is one JSON line.`,
		Example: `  veil events --node http://127.0.0.1:7010 --topic orders
  veil events --node http://127.0.0.1:7010 --from-height 1 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			opt := client.EventsOptions{FromHeight: from}
			if cmd.Flags().Changed("topic") {
				opt.Topic = &topic
			}
			s, err := c.Events(cmd.Context(), opt)
			if err != nil {
				return badInput(err)
			}
			w := cmd.OutOrStdout()
			for ev := range s.C {
				if out.format == "json" {
					b, _ := json.Marshal(ev)
					fmt.Fprintln(w, string(b))
					continue
				}
				switch ev.Type {
				case "block":
					fmt.Fprintf(w, "block %d %s (%d txs, proposer %s)\n", ev.Height, ev.Block.Hash, len(ev.Block.TxIDs), ev.Block.Proposer)
				case "tx":
					fmt.Fprintf(w, "tx    %d %s %s group=%s epoch=%d topic=%q", ev.Height, ev.Tx.ID, ev.Tx.Kind, ev.Tx.Group, ev.Tx.Epoch, ev.Tx.Topic)
					if ev.Tx.Tag != "" {
						fmt.Fprintf(w, " tag=%.16s…", ev.Tx.Tag)
					}
					if ev.Tx.Label != "" {
						fmt.Fprintf(w, " label=%s request=%.16s…", ev.Tx.Label, ev.Tx.Request)
					}
					if ev.Tx.Committee != "" {
						fmt.Fprintf(w, " cref=%.16s… authority=%d subject=%.16s", ev.Tx.Committee, ev.Tx.Authority, ev.Tx.Subject)
					}
					fmt.Fprintln(w)
				case "committee":
					fmt.Fprintf(w, "committee %d %s group=%s %s %s\n", ev.Height, ev.Committee.Committee, ev.Committee.Group, ev.Committee.Status, ev.Committee.Reason)
				case "opening":
					fmt.Fprintf(w, "OPENING %d tx %s group=%s signed by %q (public)\n", ev.Height, ev.Opening.Tx, ev.Opening.Group, ev.Opening.Label)
				}
			}
			if err := s.Err(); err != nil && cmd.Context().Err() == nil {
				return badInput(fmt.Errorf("event stream ended: %w", err))
			}
			return nil
		},
	}
	out.register(cmd)
	nf.register(cmd)
	cmd.Flags().StringVar(&topic, "topic", "", "only transactions of this topic")
	cmd.Flags().Uint64Var(&from, "from-height", 0, "replay from this height first")
	return cmd
}
