package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/veilchain/veil/genesis"
	"github.com/veilchain/veil/node"
)

func newNodeRestoreCmd() *cobra.Command {
	var out outputFlag
	var from, configPath string
	var opt node.RestoreOptions
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Install a backup as a stopped node's chain database",
		Long: `Check a backup made by 'veil node backup' (its size and SHA-256 against
the manifest, then every record, the count and the head as it is written)
and install it as the chain database of a node that is not running:
--config takes data_dir, raft_dir and the genesis (whose chain id the
backup must have) from the node's configuration; --data-dir (and
--raft-dir) name the directories instead. A data directory that holds
anything is refused unless --force, which replaces its chain database
and raft state (chain/, raft-log/, raft/) and nothing else, keeping the
old database aside until the new one is checked and in.

The raft log and snapshots start empty: started, the node rejoins like
a new one, the leader sends it its log or a snapshot, and it skips every
height the backup holds, so it catches up from the backup's height
(block sync for the rest), not from genesis. A truncated or corrupted
backup is refused (exit 1) and nothing is installed.`,
		Example: `  veil node restore --from /backups/node-1-2026-12-01 --config net/nodes/node-1/node.toml
  veil node restore --from /backups/node-1-2026-12-01 --data-dir /var/lib/veil --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if configPath != "" {
				cfg, err := node.ReadConfig(configPath)
				if err != nil {
					return badInput(err)
				}
				if opt.DataDir == "" {
					opt.DataDir = cfg.DataDir
				}
				if opt.RaftDir == "" {
					opt.RaftDir = cfg.RaftDir
				}
				if cfg.Genesis != "" {
					gf, err := genesis.Read(cfg.Genesis)
					if err != nil {
						return badInput(err)
					}
					opt.ChainID = gf.ChainID
				}
			}
			if opt.DataDir == "" {
				return badInput(errors.New("say --data-dir DIR or --config FILE"))
			}
			opt.From = from
			m, err := node.Restore(opt)
			if errors.Is(err, node.ErrBadBackup) {
				return refused(err)
			}
			if err != nil {
				return badInput(err)
			}
			return out.print(cmd.OutOrStdout(), m, func(w io.Writer) {
				fmt.Fprintf(w, "restored chain %s at height %d (head %.16s…, %d records) into %s\nraft state is empty: start the node and it catches up from height %d\n",
					m.ChainID, m.Height, m.HeadHash, m.Records, opt.DataDir, m.Height)
			})
		},
	}
	out.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "backup directory (required)")
	cmd.Flags().StringVar(&configPath, "config", "", "the node's configuration file (data_dir, raft_dir, genesis)")
	cmd.Flags().StringVar(&opt.DataDir, "data-dir", "", "the node's data directory (overrides the config's)")
	cmd.Flags().StringVar(&opt.RaftDir, "raft-dir", "", "the node's raft_dir, if apart from the data directory")
	cmd.Flags().BoolVar(&opt.Force, "force", false, "replace the chain database and raft state the data directory holds")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}
