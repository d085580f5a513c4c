package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig/bbs04"
	"github.com/veilchain/veil/loadgen"
)

func newBenchCmd() *cobra.Command {
	var out outputFlag
	var nodes, keys []string
	var members, payload, txs int
	var rateFlag, group, dir, adminKey, topic string
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a network with anonymous transactions and measure throughput and commit latency",
		Long: `Sign transactions ahead of time on all cores, submit them to every
--nodes URL in turn at --rate per second (or "max": as fast as the nodes
accept) for --duration, follow the event stream, and report submitted,
committed, refused by code, committed tx/s and submit→commit latency
percentiles. Member keys come from --keys files, or --members N are issued
now through the on-chain admin flow (--dir, --group, --admin-key of the
group's issuer).`,
		Example: `  veil bench --nodes http://127.0.0.1:8545,http://127.0.0.1:8546 --group acme \
    --dir testnet/groups --admin-key testnet/groups/acme.admin.key --members 8 --rate max --duration 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if len(nodes) == 0 || group == "" {
				return badInput(errors.New("--nodes and --group are required"))
			}
			cfg := loadgen.Config{Nodes: nodes, Group: group, Topic: topic, Payload: payload, Duration: duration, Txs: txs}
			if rateFlag != "max" {
				r, err := strconv.ParseFloat(rateFlag, 64)
				if err != nil || r <= 0 {
					return badInput(fmt.Errorf("--rate must be a positive number or max, not %q", rateFlag))
				}
				cfg.Rate = r
			}
			var err error
			if cfg.Members, err = benchMembers(cmd, keys, members, nodes[0], dir, group, adminKey); err != nil {
				return err
			}
			if out.format != "json" {
				cfg.Progress = progress(cmd.ErrOrStderr())
			}
			rep, err := loadgen.Run(cmd.Context(), cfg)
			if err != nil {
				return badInput(err)
			}
			return out.print(cmd.OutOrStdout(), rep, func(w io.Writer) {
				fmt.Fprintf(w, "\nsubmitted %d (%.1f/s), committed %d, lost %d, refused %v\n", rep.Submitted, rep.SubmitRate, rep.Committed, rep.Lost, rep.Refused)
				fmt.Fprintf(w, "committed %.1f tx/s; submit→commit latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n", rep.CommitRate, rep.LatencyP50ms, rep.LatencyP95ms, rep.LatencyP99ms)
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringSliceVar(&nodes, "nodes", nil, "node API URLs, comma-separated (required)")
	cmd.Flags().StringVar(&group, "group", "", "group name on chain (required)")
	cmd.Flags().StringSliceVar(&keys, "keys", nil, "member key files to sign with")
	cmd.Flags().IntVar(&members, "members", 4, "members to issue on chain when no --keys are given")
	cmd.Flags().StringVar(&dir, "dir", "", "the issuer's group directory (to issue members)")
	cmd.Flags().StringVar(&adminKey, "admin-key", "", "the group issuer's admin key (to register members on chain)")
	cmd.Flags().StringVar(&rateFlag, "rate", "max", "transactions per second, or max")
	cmd.Flags().DurationVar(&duration, "duration", 30*time.Second, "how long to submit")
	cmd.Flags().StringVar(&topic, "topic", "bench", "topic of the transactions")
	cmd.Flags().IntVar(&payload, "payload", 128, "payload bytes per transaction")
	cmd.Flags().IntVar(&txs, "txs", 0, "transactions to sign ahead (default: rate × duration; 400/s × duration for max)")
	return cmd
}

// benchMembers loads member keys from files, or issues n members and
// registers them on chain through the issuer's admin key.
func benchMembers(cmd *cobra.Command, keys []string, n int, node, dir, group, adminKey string) ([]*bbs04.MemberKey, error) {
	var out []*bbs04.MemberKey
	for _, k := range keys {
		mk := new(bbs04.MemberKey)
		if err := readKey(k, mk); err != nil {
			return nil, err
		}
		out = append(out, mk)
	}
	if len(out) > 0 {
		return out, nil
	}
	if dir == "" || adminKey == "" {
		return nil, badInput(errors.New("give --keys, or --dir and --admin-key to issue members"))
	}
	key, err := genesis.ReadPrivateKey(adminKey)
	if err != nil {
		return nil, badInput(err)
	}
	c := client.New(node)
	gd := bbs04.GroupDir{Dir: dir, Name: group}
	stamp := time.Now().UnixNano()
	for i := range n {
		mk, err := gd.AddMember(fmt.Sprintf("bench-%d-%d", stamp, i), rand.Reader)
		if err != nil {
			return nil, badInput(err)
		}
		tx := &chain.Tx{Kind: chain.KindRegisterMember, Group: group, Label: fmt.Sprintf("bench-%d-%d", stamp, i), Identity: mk.Identity()}
		if _, _, err := submitSigned(cmd.Context(), c, tx, func(tx *chain.Tx) error { return tx.SignAdmin(key) }); err != nil {
			return nil, err
		}
		out = append(out, mk)
	}
	return out, nil
}

// progress draws one bar per stage on w.
func progress(w io.Writer) func(stage string, done, total int) {
	var mu sync.Mutex
	bars := map[string]*progressbar.ProgressBar{}
	return func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		b, ok := bars[stage]
		if !ok {
			b = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(fmt.Sprintf("%-7s", stage)),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish(),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
			bars[stage] = b
		}
		_ = b.Set(done)
	}
}
