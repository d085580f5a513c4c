package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/groupsig"
)

func newTxSendCmd() *cobra.Command {
	var out outputFlag
	var nf nodeFlag
	var f txFlags
	var rawHex string
	var wait, noUpdate bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Sign (if needed) and submit a transaction; optionally wait until committed",
		Long: `Submit a transaction to a node: either --tx HEX (from 'veil tx sign'), or
build and sign it now with a member key (--key, from 'group join'):

  - the group is the key file's (or --group, checked against the key);
  - if the group's epoch on chain is ahead of the key (a revocation), the
    key is first brought up to date from the chain's revocation records
    and written back to its file (atomically); a revoked member is
    refused (exit 1, code "revoked"). --no-update skips this;
  - if the topic's rule says tagged (one action per member), the
    signature carries the member's tag for the topic;
  - the chain id and the current height come from the node.

Without --wait, the answer is "pending": admitted to the node's mempool,
which is memory only, so it is not durable (a transaction admitted just
before every node stopped is gone after they restart). With --wait, wait
until the transaction is committed and print its height; while waiting,
if the node is unreachable or busy, or restarts and no longer knows the
transaction, the same signed bytes are submitted again (never re-signed:
the id is the same, so it can commit only once) until it is committed,
refused, expired, or --timeout passes. What it did is told on stderr
("node restarted without transaction …; resubmitted the same signed
bytes"). A refusal prints the node's code (already_acted, not_allowed,
topic_closed, stale_epoch, bad_signature, duplicate, …) and exits 1;
--timeout passing before the commit is not a refusal (the transaction
may still commit): code timeout, exit 3, as for a node that cannot be
reached.`,
		Example: `  veil tx send --node http://127.0.0.1:7010 --key alice.payments.key --topic orders --data "pay 10" --wait
  veil tx send --key alice.payments.key --topic vote-1 --data yes --output json
  veil tx send --node http://127.0.0.1:7010 --tx 0201…`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if rawHex == "" && f.key == "" {
				return badInput(errors.New("give --key (with --topic and --data) or --tx"))
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
			res := map[string]any{}
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
				mf, err := readMemberFile(f.key, "", "")
				if err != nil {
					return err
				}
				group, g, err := memberGroup(ctx, c, mf, f.group)
				if err != nil {
					return err
				}
				if !noUpdate && mf.mk.Epoch() < g.Epoch {
					from := mf.mk.Epoch()
					if mf, err = updateFromChain(ctx, c, f.key, mf, group, g.Epoch); err != nil {
						return err
					}
					res["key_updated"] = map[string]uint64{"from_epoch": from, "to_epoch": mf.mk.Epoch()}
					if out.format == "text" {
						fmt.Fprintf(cmd.ErrOrStderr(), "member key %s updated from epoch %d to %d from the chain\n", f.key, from, mf.mk.Epoch())
					}
				}
				topic, err := c.Topic(ctx, f.topic)
				if err != nil {
					return apiError(err)
				}
				tagged := topic.Rule != nil && topic.Rule.Tagged
				f.height = st.Height
				if f.chainID == "" {
					f.chainID = st.ChainID
				}
				if tx, err = f.build(mf, group, tagged); err != nil {
					return err
				}
			}
			if tx.Kind == chain.KindAnonymous && groupsig.IsTagged(tx.Auth) {
				res["tag"] = hex.EncodeToString(groupsig.TagOf(tx.Auth))
			}
			res["group"], res["epoch"] = tx.Group, tx.Epoch
			var id string
			if wait {
				// 202 is pending, not durable: SubmitWait submits the same
				// signed bytes again whenever the node lost them, until the
				// commit (the id is the same, so it takes effect once).
				cfg := client.DefaultSubmitWaitConfig()
				if out.format == "text" {
					cfg.Progress = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), msg) }
				}
				com, err := c.SubmitWait(ctx, tx.Encode(), cfg)
				if errors.Is(err, context.DeadlineExceeded) {
					// Not refused: admitted perhaps, and it may still commit.
					txID := tx.ID()
					return fmt.Errorf("not committed within --timeout %v; it may still commit before its expiry (veil tx get %x): %w", timeout, txID, err)
				}
				if err != nil {
					return chainError(err)
				}
				id = com.ID
				res["status"], res["height"], res["resubmits"] = "committed", com.Height, com.Resubmits
			} else {
				if id, err = c.Submit(ctx, tx); err != nil {
					return apiError(err)
				}
				res["status"] = "pending"
			}
			res["id"] = id
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
	cmd.Flags().BoolVar(&noUpdate, "no-update", false, "do not bring the member key up to the chain's epoch first")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
}
