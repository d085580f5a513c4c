package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/client"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
)

func newTestnetCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Run a local network of node processes on loopback",
		Example: `  veil testnet up --nodes 4 --group payments
  veil testnet stop node-1
  veil testnet start node-1`,
	}
	cmd.AddCommand(newTestnetUpCmd(), newTestnetCtlCmd("stop"), newTestnetCtlCmd("start"), newTestnetCtlCmd("status"))
	return cmd
}

// defaultTestnetDir is where a testnet lives unless --dir says: under the
// user's state directory, never the working directory, so that no key of
// the network lands in a source checkout by default.
func defaultTestnetDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "veil", "testnet")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "veil", "testnet")
	}
	return filepath.Join(os.TempDir(), "veil-testnet")
}

// defaultBasePort is testnet up's --base-port: node-1's API on 7010,
// node-2's on 7020, … (node.LocalOptions.BasePort).
const defaultBasePort = 7000

func newTestnetUpCmd() *cobra.Command {
	var opt node.LocalOptions
	var dir string
	var restart bool
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Create (if absent) and run a local network until Ctrl-C",
		Long: `Create a local network in --dir if it holds none (as 'veil genesis init'
with --timing, fast by default), start one 'veil node start' process per
node, print each node's API URL once it answers, and stop them all
gracefully on Ctrl-C (SIGINT) or SIGTERM. Run again, it resumes from the
data in --dir. Each node logs to DIR/nodes/node-N/node.log, and its pid is
in DIR/nodes/node-N/node.pid while it runs.

Ports: node N serves its API on --base-port + 10·N, gossip on +1, raft
on +2 and, with --ops-port, its operations port on +3: with the default
7000, node-1's API is http://127.0.0.1:7010, node-2's
http://127.0.0.1:7020. --base-port 0 takes free ports instead (scripts
and tests, several networks at once). The ports are fixed when the
network is created.

A node that exits is logged and the network goes on without it; with
--restart it is started again (after 1 s, backing off to 30 s while it
keeps failing). 'veil testnet stop NODE' and 'veil testnet start NODE' stop
and start one node of the running network (through DIR/testnet.sock), to
try a failover: stop the leader, watch the others elect one and commit,
start it again and watch it catch up.

--consensus bft makes a BFT chain (SmartBFT; see 'veil genesis init
--help'): without --validators, 4 validators of 4 to 6 nodes (f=1), 7
of 7 or more (f=2). The engine is fixed at genesis: a network that
exists keeps its own, and --consensus naming the other is refused.

The default --dir is under your state directory ($XDG_STATE_HOME/veil/testnet,
else ~/.local/state/veil/testnet), not the working directory: the network's
keys stay out of a source checkout. The chain CA is DIR/ca (it certifies
members: 'veil ca issue-member'), the consortium admin key DIR/admin.key,
each group's issuer files and admin key DIR/groups. --member founds every
group with members who joined on their own keys, kept in DIR/members
(LABEL.id.key, LABEL.crt, LABEL.GROUP.key); other members join by
transaction ('veil group join').`,
		Example: `  veil testnet up --nodes 4 --group payments --member alice,bob
  VEIL_NODE=http://127.0.0.1:7010 veil status
  veil testnet up --dir /tmp/net --nodes 4 --base-port 0 --restart
  veil testnet up --dir /tmp/tls --nodes 4 --group payments --tls --ops-port
  veil testnet up --dir /tmp/bft --nodes 5 --group payments --consensus bft   # 4 validators (f=1) + 1 observer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return badInput(err)
			}
			ln, err := listenCtl(dir)
			if err != nil {
				return badInput(err)
			}
			defer ln.Close()
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
			sup, err := newSupervisor(l, self, restart, cmd.ErrOrStderr())
			if err != nil {
				return badInput(err)
			}
			if cmd.Flags().Changed("consensus") && sup.net.Consensus != opt.Consensus {
				return badInput(fmt.Errorf("%s holds a %s chain: the consensus engine is fixed at genesis (--consensus applies when a network is created)", dir, sup.net.Consensus))
			}
			if warn := bftWarning(sup.net.Consensus, sup.net.Validators); warn != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "veil: warning: %s\n", warn)
			}
			if err := sup.startAll(); err != nil {
				sup.stopAll()
				return err
			}
			w := cmd.OutOrStdout()
			var up []map[string]string
			for _, n := range sup.status() {
				if err := waitAPI(ctx, n.API, l.CACert()); err != nil {
					sup.stopAll()
					return fmt.Errorf("%s did not answer at %s (see %s): %w", n.ID, n.API, n.Log, err)
				}
				up = append(up, map[string]string{"id": n.ID, "api": n.API, "ops": n.Ops, "log": n.Log})
				if out.format == "text" {
					fmt.Fprintf(w, "%s %s ops=%s\n", n.ID, n.API, n.Ops)
				}
			}
			_ = out.print(w, map[string]any{"dir": dir, "network": sup.net, "nodes": up}, func(w io.Writer) {
				fmt.Fprintf(w, "network of %d nodes up in %s: %s; Ctrl-C stops it\n", l.Nodes, dir, sup.net)
			})
			sup.serve(ctx, ln)
			<-ctx.Done()
			sup.stopAll()
			if out.format == "text" {
				fmt.Fprintln(w, "network stopped")
			}
			return nil
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", defaultTestnetDir(), "directory of the network (created if absent)")
	cmd.Flags().IntVar(&opt.Nodes, "nodes", 4, "number of nodes")
	cmd.Flags().IntVar(&opt.BasePort, "base-port", defaultBasePort, "node N listens on base+10·N (API), +1 (gossip), +2 (raft); 0: free ports (when creating)")
	cmd.Flags().BoolVar(&restart, "restart", false, "start a node again when it exits (not one stopped by 'testnet stop')")
	cmd.Flags().StringSliceVar(&opt.Groups, "group", nil, "groups that exist from genesis (when creating)")
	cmd.Flags().StringSliceVar(&opt.Members, "member", nil, "founding members of every group (labels, when creating): keys in DIR/members")
	cmd.Flags().StringVar(&opt.ChainID, "chain-id", "veil-local", "chain id (when creating)")
	cmd.Flags().IntVar(&opt.Validators, "validators", 0, "voting nodes, the others observers (when creating; 0: raft all of up to 3 nodes, 3 of 4, 5 of 5 or more; bft all of up to 3, 4 of 4–6, 7 of 7 or more)")
	cmd.Flags().BoolVar(&opt.OpsPorts, "ops-port", false, "give each node an operations port of its own, over TLS (when creating; else metrics and probes are on the API port)")
	cmd.Flags().BoolVar(&opt.APITLS, "tls", false, "serve each node's API over TLS with its node certificate (when creating); clients pass --tls-ca DIR/ca/ca.crt")
	registerConsensusFlag(cmd, &opt.Consensus, " (when creating)")
	cmd.Flags().StringVar(&opt.Timing, "timing", "fast", `raft and memberlist timing (when creating): "fast" (200 ms blocks) or "lan" (production defaults, 500 ms blocks)`)
	_ = cmd.RegisterFlagCompletionFunc("timing", cobra.FixedCompletions([]string{"lan", "fast"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// newTestnetCtlCmd is 'testnet stop NODE', 'testnet start NODE' or
// 'testnet status': one request to the running testnet's supervisor.
func newTestnetCtlCmd(op string) *cobra.Command {
	var dir string
	var out outputFlag
	var timeout time.Duration
	cmd := &cobra.Command{
		Use: op + " NODE",
		Short: map[string]string{"stop": "Stop one node of the running testnet (SIGTERM, graceful)", "start": "Start one stopped node of the running testnet",
			"status": "List the running testnet's consensus and nodes: state, pid, API, restarts"}[op],
		Long: map[string]string{
			"stop": `Stop one node of the network that 'veil testnet up' runs in --dir: the
node gets SIGTERM (it hands leadership over, leaves the cluster, closes
its databases) and the command returns once it has exited. The network
goes on without it and --restart does not bring it back; 'veil testnet
start NODE' does. NODE is node-N or N.`,
			"start": `Start one stopped (or exited) node of the network that 'veil testnet up'
runs in --dir, under the same supervisor, and return once its API
answers. It catches up from its peers (raft, then block sync). NODE is
node-N or N.`,
			"status": `List the network that 'veil testnet up' runs in --dir: its consensus
engine and validators at genesis ("4 validators (bft, f=1)": f is how
many faulty validators it tolerates), then each node's state (running,
stopped by 'testnet stop', or exited), pid, API URL, log file and how
often --restart restarted it.`}[op],
		Example: map[string]string{"stop": "  veil testnet stop node-1", "start": "  veil testnet start node-1",
			"status": "  veil testnet status --output json"}[op],
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			l, err := genesis.LoadLayout(dir)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var ids []cobra.Completion
			for i := 1; i <= l.Nodes; i++ {
				ids = append(ids, l.NodeID(i))
			}
			return ids, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			req := ctlRequest{Op: op}
			if op != "status" {
				req.Node = args[0]
			}
			ctx, cancel := timeoutCtx(cmd, timeout)
			defer cancel()
			rep, err := ctlCall(ctx, dir, req)
			if err != nil {
				return err
			}
			return out.print(cmd.OutOrStdout(), rep, func(w io.Writer) {
				if op != "status" {
					for _, n := range rep.Nodes {
						if n.ID == req.Node || strings.TrimPrefix(n.ID, "node-") == req.Node {
							fmt.Fprintf(w, "%s %s\n", n.ID, n.State)
						}
					}
					return
				}
				if rep.Network != nil {
					fmt.Fprintf(w, "network  %d nodes: %s\n", rep.Network.Nodes, rep.Network)
				}
				for _, n := range rep.Nodes {
					pid := "-"
					if n.PID != 0 {
						pid = strconv.Itoa(n.PID)
					}
					fmt.Fprintf(w, "%-8s %-8s pid %-7s %s restarts %d\n", n.ID, n.State, pid, n.API, n.Restarts)
				}
			})
		},
	}
	if op == "status" {
		cmd.Use, cmd.Args = "status", cobra.NoArgs
		cmd.ValidArgsFunction = cobra.NoFileCompletions
	}
	out.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", defaultTestnetDir(), "directory of the running network")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	return cmd
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
