package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
)

func newTxSendCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var f txFlags
	var rawHex string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Sign (if needed) and submit a transaction; optionally wait until committed",
		Long: `Submit a transaction to a node: either --tx HEX (from 'veil tx sign'), or
the flags of 'veil tx sign' to build and sign it now (the current height is
fetched from the node). With --wait, follow the node's event stream until
the transaction is committed and print its height. A refusal prints its
code (stale_epoch, bad_signature, duplicate, …) and exits 1.`,
		Example: `  veil tx send --node http://127.0.0.1:8545 --key alice.key --chain-id veil-local \
    --group acme --topic orders --data "pay 10" --wait
  veil tx send --node http://127.0.0.1:8545 --tx 0101…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			c, err := nf.client()
			if err != nil {
				return err
			}
			ctx, cancel := timeoutCtx(cmd, timeout)
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return apiError(err)
			}
			var tx *chain.Tx
			if rawHex != "" {
				raw, err := decodeHex("tx", rawHex)
				if err != nil {
					return err
				}
				if tx, err = chain.DecodeTx(raw); err != nil {
					return badInput(fmt.Errorf("--tx: %w", err))
				}
			} else {
				f.height = st.Height
				if f.chainID == "" {
					f.chainID = st.ChainID
				}
				if tx, err = f.build(); err != nil {
					return err
				}
			}
			id, err := c.Submit(ctx, tx)
			if err != nil {
				return apiError(err)
			}
			res := map[string]any{"id": id, "status": "pending"}
			if wait {
				h, err := c.WaitCommitted(ctx, id, st.Height+1)
				if err != nil {
					return refused(fmt.Errorf("waiting for %s: %w", id, err))
				}
				res["status"], res["height"] = "committed", h
			}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				if wait {
					fmt.Fprintf(w, "committed %s at height %d\n", id, res["height"])
				} else {
					fmt.Fprintf(w, "pending %s\n", id)
				}
			})
		},
	}
	out.register(cmd)
	nf.register(cmd)
	f.register(cmd)
	cmd.Flags().StringVar(&rawHex, "tx", "", "a signed transaction in hex (instead of the signing flags)")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the transaction is committed")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
}
