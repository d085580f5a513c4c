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
0600. An existing network in --dir is never overwritten.`,
		Example: `  veil genesis init --dir net --nodes 4 --group payments
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
			res := map[string]any{"dir": dir, "chain_id": opt.ChainID, "genesis": l.Genesis(), "validators": len(gf.Validators), "configs": configs, "groups": l.Groups, "admin_key": l.AdminKey()}
			return out.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "created chain %q in %s: %d nodes (%s), groups %v\n", opt.ChainID, dir, l.Nodes, plural(len(gf.Validators), "validator"), l.Groups)
				for _, c := range configs {
					fmt.Fprintf(w, "  veil node start --config %s\n", c)
				}
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&dir, "dir", "", "directory to create the chain in (required)")
	cmd.Flags().IntVar(&opt.Nodes, "nodes", 4, "number of nodes")
	cmd.Flags().IntVar(&opt.Validators, "validators", 0, "how many nodes vote (default: all of ≤3, 3 of 4, 5 of ≥5)")
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
