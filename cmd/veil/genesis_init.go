package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
)

func newGenesisCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "genesis",
		Short:   "Create a chain: CA, node certificates, groups, genesis.json, node configs",
		Example: `  veil genesis init --dir net --nodes 4 --group acme,globex`,
	}
	cmd.AddCommand(newGenesisInitCmd())
	return cmd
}

func newGenesisInitCmd() *cobra.Command {
	var out outputFlag
	var opt node.LocalOptions
	var dir string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a new chain's CA, node keys and certificates, groups, genesis.json and node configs",
		Long: `Create everything a new consortium chain needs in --dir: the chain CA
(ca/), the consortium admin key (admin.key), for each node a key,
certificate and config file (nodes/node-N/), for each group (v2) its group
key with proofs, issuer key, issuer admin key, opener key and registry
(groups/), and genesis.json. --member founds every group with members
(labels) who each joined on their own identity key and secret; their
files go to members/ (LABEL.id.key, LABEL.crt, LABEL.GROUP.key). Node
configs use free loopback ports; edit them (or override with flags or
VEIL_* variables) for a real deployment. Secrets are written with mode
0600. An existing network in --dir is never overwritten.

--consensus picks the ordering engine, fixed at genesis: raft (the
default) tolerates f crashed validators of 2f+1; bft (SmartBFT) tolerates
f crashed or lying (Byzantine) validators of 3f+1, for more messages and
signatures a block and a slower failover. Without --validators, a bft
chain gets the largest 3f+1 up to --nodes (4 of 4 to 6, 7 of 7 or more),
the other nodes observers; a bft set that is not 3f+1 is warned about
(fewer than 4 tolerate no fault).`,
		Example: `  veil genesis init --dir net --nodes 4 --group payments
  veil genesis init --dir net --nodes 5 --group payments --consensus bft   # 4 validators (f=1) + 1 observer
  veil genesis init --dir net --nodes 3 --group payments,audit --member m0,m1 --output json
  veil node start --config net/nodes/node-1/node.toml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(dir, "genesis.json")); err == nil {
				return badInput(fmt.Errorf("%s already holds a network (genesis.json exists)", dir))
			}
			l, err := node.InitLocal(dir, opt)
			if err != nil {
				return badInput(err)
			}
			// Count the validators genesis.json names: the file is the truth.
			gf, err := genesis.Read(l.Genesis())
			if err != nil {
				return err
			}
			var configs []string
			for i := 1; i <= l.Nodes; i++ {
				configs = append(configs, node.ConfigPath(l, i))
			}
			n := len(gf.Validators)
			if warn := bftWarning(opt.Consensus, n); warn != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "veil: warning: %s\n", warn)
			}
			res := map[string]any{"dir": dir, "chain_id": opt.ChainID, "genesis": l.Genesis(), "consensus": opt.Consensus, "validators": n,
				"faults_tolerated": faultsTolerated(opt.Consensus, n), "configs": configs, "groups": l.Groups, "admin_key": l.AdminKey()}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "created chain %q in %s: %s: %s; groups %v\n", opt.ChainID, dir, plural(l.Nodes, "node"), describeNetwork(opt.Consensus, l.Nodes, n), l.Groups)
				for _, c := range configs {
					fmt.Fprintf(w, "  veil node start --config %s\n", c)
				}
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", "", "directory to create the chain in (required)")
	cmd.Flags().IntVar(&opt.Nodes, "nodes", 4, "number of nodes")
	cmd.Flags().IntVar(&opt.Validators, "validators", 0, "how many nodes vote (default raft: all of ≤3, 3 of 4, 5 of ≥5; bft: all of ≤3, 4 of 4–6, 7 of ≥7)")
	registerConsensusFlag(cmd, &opt.Consensus, "")
	cmd.Flags().StringSliceVar(&opt.Groups, "group", nil, "groups that exist from genesis (comma-separated)")
	cmd.Flags().StringSliceVar(&opt.Members, "member", nil, "founding members of every group (labels, comma-separated)")
	cmd.Flags().StringVar(&opt.ChainID, "chain-id", "veil-local", "chain id")
	cmd.Flags().StringVar(&opt.Timing, "timing", "lan", "timing profile of the node configs: lan or fast")
	_ = cmd.RegisterFlagCompletionFunc("timing", cobra.FixedCompletions([]string{"lan", "fast"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// plural is "1 validator", "2 validators".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
