package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/node"
)

func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "testnet",
		Short:   "Run a local network of node processes on loopback",
		Example: `  veil testnet up --dir testnet --nodes 4 --group acme`,
	}
	cmd.AddCommand(newTestnetUpCmd())
	return cmd
}

func newTestnetUpCmd() *cobra.Command {
	var opt node.LocalOptions
	var dir string
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create (if absent) and run a local network until Ctrl-C",
		Long: `Create a local network in --dir if it holds none (as 'veil genesis init'
with --timing, fast by default), start one 'veil node start' process per node on free
loopback ports, print each node's API URL once it answers, and stop them
all gracefully on Ctrl-C (SIGINT) or SIGTERM. Run again, it resumes from
the data in --dir. Each node logs to DIR/nodes/node-N/node.log.

The chain CA is DIR/ca (it certifies members: 'veil ca issue-member'),
the consortium admin key DIR/admin.key, each group's issuer files and
admin key DIR/groups. --member founds every group with members who joined
on their own keys, kept in DIR/members (LABEL.id.key, LABEL.crt,
LABEL.GROUP.key); other members join by transaction ('veil group join').`,
		Example: `  veil testnet up --dir testnet --nodes 4 --group payments
  veil testnet up --dir testnet --nodes 4 --group payments --member m0,m1
  veil testnet up --dir testnet --nodes 4 --group payments --tls --ops-port
  VEIL_NODE=http://127.0.0.1:PORT veil status`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			l, err := node.InitLocal(dir, opt)
			if err != nil {
				return badInput(err)
			}
			self, err := os.Executable()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			var procs []*exec.Cmd
			var wg sync.WaitGroup
			exited := make(chan int, l.Nodes)
			for i := 1; i <= l.Nodes; i++ {
				logf, err := os.OpenFile(filepath.Join(l.NodeDir(i), "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
				if err != nil {
					return err
				}
				defer logf.Close()
				p := exec.Command(self, "node", "start", "--config", node.ConfigPath(l, i))
				p.Stdout, p.Stderr = logf, logf
				if err := p.Start(); err != nil {
					return fmt.Errorf("start node %d: %w", i, err)
				}
				procs = append(procs, p)
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					_ = p.Wait()
					exited <- i
				}(i)
			}
			stopAll := func() {
				for _, p := range procs {
					_ = p.Process.Signal(syscall.SIGTERM)
				}
				done := make(chan struct{})
				go func() { wg.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					for _, p := range procs {
						_ = p.Process.Kill()
					}
					<-done
				}
			}
			w := cmd.OutOrStdout()
			var up []map[string]string
			for i := 1; i <= l.Nodes; i++ {
				cfg, err := node.ReadConfig(node.ConfigPath(l, i))
				if err != nil {
					stopAll()
					return err
				}
				url, ops := localURLs(cfg)
				if err := waitAPI(ctx, url, l.CACert()); err != nil {
					stopAll()
					return fmt.Errorf("node %d did not answer at %s (see %s): %w", i, url, filepath.Join(l.NodeDir(i), "node.log"), err)
				}
				up = append(up, map[string]string{"id": l.NodeID(i), "api": url, "ops": ops, "log": filepath.Join(l.NodeDir(i), "node.log")})
				if out.format == "text" {
					fmt.Fprintf(w, "%s %s ops=%s\n", l.NodeID(i), url, ops)
				}
			}
			_ = out.print(w, map[string]any{"dir": dir, "nodes": up}, func(w io.Writer) {
				fmt.Fprintf(w, "network of %d nodes up in %s; Ctrl-C stops it\n", l.Nodes, dir)
			})
			select {
			case <-ctx.Done():
			case i := <-exited:
				fmt.Fprintf(cmd.ErrOrStderr(), "veil: node %d exited; stopping the network (see %s)\n", i, filepath.Join(l.NodeDir(i), "node.log"))
			}
			stopAll()
			if out.format == "text" {
				fmt.Fprintln(w, "network stopped")
			}
			return nil
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", "testnet", "directory of the network (created if absent)")
	cmd.Flags().IntVar(&opt.Nodes, "nodes", 4, "number of nodes")
	cmd.Flags().StringSliceVar(&opt.Groups, "group", nil, "groups that exist from genesis (when creating)")
	cmd.Flags().StringSliceVar(&opt.Members, "member", nil, "founding members of every group (labels, when creating): keys in DIR/members")
	cmd.Flags().StringVar(&opt.ChainID, "chain-id", "veil-local", "chain id (when creating)")
	cmd.Flags().IntVar(&opt.Validators, "validators", 0, "voting nodes, the others observers (when creating; 0: all of up to 3 nodes, 3 of 4, 5 of 5 or more)")
	cmd.Flags().BoolVar(&opt.OpsPorts, "ops-port", false, "give each node an operations port of its own, over TLS (when creating; else metrics and probes are on the API port)")
	cmd.Flags().BoolVar(&opt.APITLS, "tls", false, "serve each node's API over TLS with its node certificate (when creating); clients pass --tls-ca DIR/ca/ca.crt")
	cmd.Flags().StringVar(&opt.Timing, "timing", "fast", `raft and memberlist timing (when creating): "fast" (200 ms blocks) or "lan" (production defaults, 500 ms blocks)`)
	return cmd
}

// localURLs are a local node's API URL and the URL of its operations
// routes (its ops port, or the API's).
func localURLs(cfg node.Config) (api, ops string) {
	api = "http://" + cfg.APIAddr
	if cfg.APITLS {
		api = "https://" + cfg.APIAddr
	}
	switch {
	case cfg.OpsAddr == "":
		ops = api
	case cfg.OpsTLS:
		ops = "https://" + cfg.OpsAddr
	default:
		ops = "http://" + cfg.OpsAddr
	}
	return api, ops
}

// waitAPI waits until the node at url answers, trusting the chain CA
// for https.
func waitAPI(ctx context.Context, url, caFile string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c := client.New(url)
	if strings.HasPrefix(url, "https://") {
		tc, err := client.TLSFiles{CA: caFile}.Config()
		if err != nil {
			return err
		}
		c = client.NewTLS(url, tc)
	}
	for {
		if _, err := c.Status(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
