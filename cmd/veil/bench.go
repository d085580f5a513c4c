package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/groupsig"
	"github.com/veilchain/veil/loadgen"
)

func newBenchCmd() *cobra.Command {
	var out outputFlag
	var nodes, keys []string
	var members, payload, txs int
	var rateFlag, group, dir, caDir, adminKey, topic string
	var duration time.Duration
	var tlsFiles client.TLSFiles
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a network with anonymous transactions and measure throughput and commit latency",
		Long: `Sign transactions ahead of time on all cores, submit them to every
--nodes URL in turn at --rate per second (or "max": as fast as the nodes
accept) for --duration, follow the event stream, and report submitted,
committed, refused by code, committed tx/s, submit→commit latency
percentiles and the block time (mean and median gap between the first
commits of consecutive blocks while submitting). Member keys come from --keys files, or --members N join the
group now by transaction: each gets an identity certificate from the
chain CA (--ca-dir, default DIR/../ca) and is answered with the issuer's
registry (--dir) and admin key (--admin-key).`,
		Example: `  veil bench --nodes http://127.0.0.1:7010,http://127.0.0.1:7020 --group acme \
    --dir "$NET/groups" --admin-key "$NET/groups/acme.admin.key" --members 8 --rate max --duration 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if len(nodes) == 0 || group == "" {
				return badInput(errors.New("--nodes and --group are required"))
			}
			cfg := loadgen.Config{Nodes: nodes, Group: group, Topic: topic, Payload: payload, Duration: duration, Txs: txs}
			if slices.ContainsFunc(nodes, func(u string) bool { return strings.HasPrefix(u, "https://") }) {
				tc, err := tlsFiles.Config()
				if err != nil {
					return badInput(err)
				}
				cfg.TLS = tc
			}
			if rateFlag != "max" {
				r, err := strconv.ParseFloat(rateFlag, 64)
				if err != nil || r <= 0 {
					return badInput(fmt.Errorf("--rate must be a positive number or max, not %q", rateFlag))
				}
				cfg.Rate = r
			}
			var err error
			if cfg.Members, err = benchMembers(cmd, keys, members, nodes[0], cfg.TLS, dir, caDir, group, adminKey); err != nil {
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
				fmt.Fprintf(w, "\nsubmitted %d (%.1f/s), committed %d, lost %d, refused %v, busy (retried) %d\n", rep.Submitted, rep.SubmitRate, rep.Committed, rep.Lost, rep.Refused, rep.Busy)
				fmt.Fprintf(w, "committed %.1f tx/s; submit→commit latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n", rep.CommitRate, rep.LatencyP50ms, rep.LatencyP95ms, rep.LatencyP99ms)
				fmt.Fprintf(w, "%d blocks while submitting; block time mean %.0f ms, p50 %.0f ms\n", rep.Blocks, rep.BlockIntervalMeanMs, rep.BlockIntervalP50ms)
			})
		},
	}
	out.register(cmd)
	registerTLSFlags(cmd, &tlsFiles)
	cmd.Flags().StringSliceVar(&nodes, "nodes", nil, "node API URLs, comma-separated (required)")
	cmd.Flags().StringVar(&group, "group", "", "group name on chain (required)")
	cmd.Flags().StringSliceVar(&keys, "keys", nil, "member key files to sign with")
	cmd.Flags().IntVar(&members, "members", 4, "members to join by transaction when no --keys are given")
	cmd.Flags().StringVar(&dir, "dir", "", "the issuer's group directory (to issue members)")
	cmd.Flags().StringVar(&adminKey, "admin-key", "", "the group issuer's admin key (to answer members' join requests)")
	cmd.Flags().StringVar(&caDir, "ca-dir", "", "the chain CA's directory (ca.crt, ca.key), to certify members (default DIR/../ca)")
	cmd.Flags().StringVar(&rateFlag, "rate", "max", "transactions per second, or max")
	cmd.Flags().DurationVar(&duration, "duration", 30*time.Second, "how long to submit")
	cmd.Flags().StringVar(&topic, "topic", "bench", "topic of the transactions")
	cmd.Flags().IntVar(&payload, "payload", 128, "payload bytes per transaction")
	cmd.Flags().IntVar(&txs, "txs", 0, "transactions to sign ahead (default: rate × duration; 400/s × duration for max)")
	return cmd
}

// benchMembers loads member keys from files, or makes n members that
// join the group by transaction: each gets an identity certificate from
// the chain CA (caDir), posts its join request, and is answered with the
// issuer's registry in dir and its admin key.
func benchMembers(cmd *cobra.Command, keys []string, n int, node string, tc *tls.Config, dir, caDir, group, adminKey string) ([]*groupsig.MemberFile, error) {
	var out []*groupsig.MemberFile
	for _, k := range keys {
		mf, err := readMemberFile(k, "", "")
		if err != nil {
			return nil, err
		}
		out = append(out, mf.gs())
	}
	if len(out) > 0 {
		return out, nil
	}
	if dir == "" || adminKey == "" {
		return nil, badInput(errors.New("give --keys, or --dir and --admin-key to make members"))
	}
	if caDir == "" {
		caDir = filepath.Join(dir, "..", "ca")
	}
	ca, err := genesis.LoadCA(filepath.Join(caDir, "ca.crt"), filepath.Join(caDir, "ca.key"))
	if err != nil {
		return nil, badInput(fmt.Errorf("the chain CA certifies bench members (--ca-dir): %w", err))
	}
	admin, err := genesis.ReadPrivateKey(adminKey)
	if err != nil {
		return nil, badInput(err)
	}
	gd := gs2Dir{dir: dir, name: group}
	ik, reg, err := gd.load()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	c := client.New(node)
	if tc != nil && strings.HasPrefix(node, "https://") {
		c = client.NewTLS(node, tc)
	}
	gk, ip, op, err := c.GroupOrigin(ctx, group)
	if err != nil {
		return nil, chainError(err)
	}
	stamp := time.Now().UnixNano()
	secrets := make([]*groupsig.JoinSecret, n)
	var ids []string
	for i := range n {
		label := fmt.Sprintf("bench-%d-%d", stamp, i)
		pub, id, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		certPEM, err := ca.IssueMember("bench", label, pub, 0, rand.Reader)
		if err != nil {
			return nil, err
		}
		cert, err := genesis.ParseCertificatePEM(certPEM)
		if err != nil {
			return nil, err
		}
		req, js, err := groupsig.NewJoinRequest(gk, ip, op, label, id, rand.Reader)
		if err != nil {
			return nil, err
		}
		enc, _ := req.MarshalBinary()
		txID, _, err := c.SubmitSigned(ctx, &chain.Tx{Kind: chain.KindJoinRequest, Group: group, JoinRequest: enc, MemberCert: cert.Raw}, 0,
			func(tx *chain.Tx) error { return tx.SignAdmin(id) })
		if err != nil {
			return nil, chainError(err)
		}
		secrets[i], ids = js, append(ids, txID)
	}
	if err := waitAll(ctx, c, ids); err != nil {
		return nil, err
	}
	ids = ids[:0]
	resps := make([]*groupsig.JoinResponse, n)
	for i, js := range secrets {
		if resps[i], err = reg.Issue(ik, js.Request(), rand.Reader); err != nil {
			return nil, checkError(err)
		}
	}
	if err := writeObjects(gd.registryPath(), true, reg); err != nil {
		return nil, err
	}
	for _, resp := range resps {
		txID, _, err := c.SubmitSigned(ctx, joinResponseTx(group, resp), 0, func(tx *chain.Tx) error { return tx.SignAdmin(admin) })
		if err != nil {
			return nil, chainError(err)
		}
		ids = append(ids, txID)
	}
	if err := waitAll(ctx, c, ids); err != nil {
		return nil, err
	}
	for i, js := range secrets {
		mk, err := js.Finish(resps[i])
		if err != nil {
			return nil, checkError(err)
		}
		gke, err := gk.AtEpoch(mk.Epoch())
		if err != nil {
			return nil, err
		}
		out = append(out, &groupsig.MemberFile{Key: mk, Label: js.Request().Label(), Group: gke})
	}
	return out, nil
}

// waitAll waits until every transaction is committed.
func waitAll(ctx context.Context, c *client.Client, ids []string) error {
	for _, id := range ids {
		if _, err := c.WaitTx(ctx, id); err != nil {
			return chainError(err)
		}
	}
	return nil
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
